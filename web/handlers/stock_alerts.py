"""POST /stock-alerts: "Email me when it is back", from a product page's sold-out options.

Works without JavaScript: the form posts, and the answer is a page that says what will happen
(or, for a malformed address, the form again with what to type, 400). Like add-to-basket, the
form carries no xsrf token, so the product page stays one page for every anonymous shopper: a
browser's word that the POST comes from this site stands in for it (web/request_origin.py).
"""

from __future__ import annotations

import logging

from web.handlers.base import WRITE_DEADLINE_MS, PageError
from web.handlers.same_site import SameSiteWrite
from web.whole_numbers import parse_whole_number

log = logging.getLogger("vitrine.web")

MAX_VARIANT_ID = 2**63 - 1  # the contract's int64
MAX_EMAIL_FIELD = 1000  # far past any address; longer is cut before the API says it is too long


class StockAlertHandler(SameSiteWrite):
    WRITE = "stock alert"
    NOT_DONE = "no alert was set"

    async def post(self) -> None:
        self.set_header("Cache-Control", "private, no-store")
        variant_id = parse_whole_number(self.get_body_argument("variant_id", ""), 1, MAX_VARIANT_ID)
        if variant_id is None:
            raise PageError(400, "Choose the option you would like to hear about.")
        email = self.get_body_argument("email", "")[:MAX_EMAIL_FIELD]
        batch = self.page_batch()
        call = batch.stock_alerts.RequestStockAlert(
            variant_id=variant_id,
            email=email,
            client_address=self.client_address(),
            deadline_ms=WRITE_DEADLINE_MS,
        )
        try:
            await self.wait_for_replies(batch)
        except PageError as error:
            if error.status_code != 400:
                raise
            self.set_status(400)
            self.render_page(
                "product/stock_alert.html",
                alert=None,
                problem=error.message,
                variant_id=variant_id,
                email=email,
                xsrf_token=self.form_token(),
            )
            return
        self.render_page("product/stock_alert.html", alert=call.result(), problem="", email=email)
