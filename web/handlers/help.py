"""The help pages (/help/<slug>): delivery, returns, contact, privacy, terms, size guide."""

from __future__ import annotations

from web.handlers.base import BaseHandler

# The policies feed only the page's structured data: late means left out, never a slower page.
POLICIES_DEADLINE_MS = 150


class HelpPageHandler(BaseHandler):
    async def get(self, slug: str) -> None:
        batch = self.page_batch()
        page = batch.landings.GetHelpPage(slug=slug)
        policies = batch.landings.GetShopPolicies(required=False, deadline_ms=POLICIES_DEADLINE_MS)
        await self.wait_for_replies(batch)
        self.render_page(
            "help/page.html", reusable=True, page=page.result(), policies=policies.value
        )
