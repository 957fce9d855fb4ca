"""The basket's voucher forms: apply a code, remove one.

Without JavaScript each form POSTs and is answered with a redirect to the basket (303), or, for
a code that does not apply, the basket page again (400) with why beside the field and what was
typed kept. With it, the same POST asking for JSON is answered (200) with the code and why it
was refused, if it was (the page's script then reloads the basket's part of the page). What a
code takes off is decided by the API alone.
"""

from __future__ import annotations

import json

from api_client import Call
from web.handlers.base import WRITE_DEADLINE_MS, BaseHandler

# Longer input is cut before it reaches the API, which knows no code this long anyway.
MAX_CODE_INPUT = 64


class VoucherChangeHandler(BaseHandler):
    """What applying and removing share: one Vouchers call, answered as HTML or JSON."""

    method = ""

    def more_fields(self) -> dict[str, str]:
        return {}

    async def post(self) -> None:
        typed = self.get_body_argument("code", "")[:MAX_CODE_INPUT]
        batch = self.page_batch()
        call: Call = getattr(batch.vouchers, self.method)(
            basket_token=self.shopper.basket_token(),
            session_token=self.shopper.session_token(),
            code=typed,
            **self.more_fields(),
            deadline_ms=WRITE_DEADLINE_MS,
        )
        await self.wait_for_replies(batch)
        answer = call.result()
        self.set_header("Cache-Control", "private, no-store")
        if self.wants_json():
            # A refused code is an answer, not a failed request: 200, and `refusal` says why.
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(json.dumps({"code": answer.code, "refusal": answer.refusal}))
            return
        if not answer.refusal:
            self.redirect("/basket", status=303)
            return
        self.set_status(400)
        self.render_page(
            "basket/page.html",
            contents=answer.basket,
            xsrf_token=self.form_token(),
            voucher_error=answer.refusal,
            voucher_code=typed,
            problem="",
            problem_variant=0,
        )


class ApplyVoucherHandler(VoucherChangeHandler):
    """POST /basket/vouchers: the basket's "Apply" button."""

    method = "ApplyVoucher"

    def more_fields(self) -> dict[str, str]:
        # For the limit on codes tried (the API counts those that do not apply per address).
        return {"client_address": self.client_address()}


class RemoveVoucherHandler(VoucherChangeHandler):
    """POST /basket/vouchers/remove: a held code's "Remove" button."""

    method = "RemoveVoucher"
