"""The basket page and its forms: add a line, change a quantity, remove a line.

Without JavaScript each form POSTs and is answered with a redirect to the basket (303); with
it, the same POST asking for JSON is answered with the new badge count. Quantities are checked
here for shape and by the API against stock; prices and totals come only from the API. A change
the stock does not allow (409) shows the basket as it is, with the reason beside the line.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from typing import Any

from api_client import NotFound
from contract import catalog_pb2
from vitrine.formatting import item_count, money
from web.handlers.base import WRITE_DEADLINE_MS, BaseHandler, PageError, whole_number
from web.handlers.same_site import SameSiteWrite
from web.whole_numbers import parse_whole_number

log = logging.getLogger("vitrine.web")

MAX_QUANTITY = 99
MAX_VARIANT_ID = 2**63 - 1  # the contract's int64
# What a shopper reads (or the product page's script shows) when an add is refused as
# cross-site: a page of this shop, reloaded, sends what is needed.
# A change's idempotency key (api/basket_writes.py): the retry page's form, or the product page's
# script, sends the key of the attempt it repeats; anything else gets a new key.
CHANGE_KEY = re.compile(r"[A-Za-z0-9_-]{22,64}")
# The form fields a retry repeats (the key and the xsrf token are added anew).
CHANGE_FIELDS = ("variant_id", "quantity", "remove")
NOT_CONFIRMED = (
    "We could not confirm this change to your basket in time. Press Try again: the change is "
    "made once, however many times you press it."
)


class BasketView(BaseHandler):
    """Renders the basket page: for GET /basket, and again after a change that was refused."""

    async def show_basket(self, problem: str = "", problem_variant: int = 0) -> None:
        """The basket page; with `problem`, why the last change was not made (beside the line
        of `problem_variant` when the basket has it, else above the lines)."""
        batch = self.page_batch()
        basket = batch.basket.GetBasket(token=self.shopper.basket_token())
        await self.wait_for_replies(batch)
        self.set_header("Cache-Control", "private, no-store")
        self.render_page(
            "basket/page.html",
            contents=basket.result(),
            xsrf_token=self.form_token(),
            voucher_error="",
            voucher_code="",
            problem=problem,
            problem_variant=problem_variant,
        )


class BasketPageHandler(BasketView):
    async def get(self) -> None:
        await self.show_basket()


class BasketChangeHandler(BasketView):
    """What the add and change forms share: run one basket call, answer HTML or JSON."""

    def change_key(self) -> str:
        sent = self.get_body_argument("idempotency_key", "")
        return sent if CHANGE_KEY.fullmatch(sent) else secrets.token_urlsafe(16)

    async def change(self, method: str, **request: Any) -> None:
        key = self.change_key()
        batch = self.api_batch()
        call = getattr(batch.basket, method)(
            token=self.shopper.basket_token(),
            deadline_ms=WRITE_DEADLINE_MS,
            idempotency_key=key,
            **request,
        )
        try:
            await self.wait_for_replies(batch)
        except PageError as error:
            if isinstance(error.__cause__, NotFound):
                raise PageError(400, "That option does not exist.") from error
            if error.status_code == 503:
                self.not_confirmed(key)
                return
            if error.status_code == 409 and not self.wants_json():
                # Beyond stock: the basket as it is, the reason beside its line; never a page
                # that replaces the basket.
                self.set_status(409)
                await self.show_basket(error.message, request.get("variant_id", 0))
                return
            raise
        contents = call.result()
        self.shopper.keep_basket_token(contents.token)
        self.set_header("Cache-Control", "private, no-store")
        if self.wants_json():
            count = sum(line.quantity for line in contents.lines)
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(
                json.dumps(
                    {
                        "item_count": count,
                        "items": item_count(count),
                        "subtotal": money(contents.totals.subtotal, self.application.config.locale),
                    }
                )
            )
            return
        self.redirect("/basket", status=303)

    def not_confirmed(self, key: str) -> None:
        """503 with a way to retry this very change: the same fields and the same key, so the
        retry is applied once whether or not the first try was (api/basket_writes.py)."""
        self.set_status(503)
        self.set_header("Cache-Control", "no-store")
        if self.wants_json():
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(json.dumps({"error": NOT_CONFIRMED, "idempotency_key": key}))
            return
        fields = {
            name: self.get_body_argument(name)
            for name in CHANGE_FIELDS
            if self.get_body_argument(name, "")
        }
        self.render_page(
            "basket/retry.html",
            message=NOT_CONFIRMED,
            action=self.request.path,
            fields={**fields, "idempotency_key": key},
            xsrf_token=self.form_token(),
        )


class BasketLinesHandler(SameSiteWrite, BasketChangeHandler):
    """POST /basket/lines: add a variant (from the product page's form), taken without the
    xsrf token from a page of this site (web/handlers/same_site.py)."""

    WRITE = "add to basket"
    NOT_DONE = "nothing was added to your basket"

    async def post(self) -> None:
        quantity = whole_number(
            self.get_body_argument("quantity", "1"), name="Quantity", lowest=1, highest=MAX_QUANTITY
        )
        variant = parse_whole_number(self.get_body_argument("variant_id", ""), 1, MAX_VARIANT_ID)
        if variant is None:
            variant = await self.variant_of_choice()
        await self.change(
            "AddLine",
            variant_id=variant,
            quantity=quantity,
            session_token=self.shopper.session_token(),
        )

    async def variant_of_choice(self) -> int:
        """The variant a product page's colour and size buttons name, when the form came without
        its variant_id (no JavaScript): the product's variants, asked of the API."""
        product_id = parse_whole_number(self.get_body_argument("product_id", ""), 1, MAX_VARIANT_ID)
        if product_id is None:
            raise PageError(400, "Choose an option first.")
        colour = self.get_body_argument("colour", "")
        size = self.get_body_argument("size", "")
        if not colour or not size:
            raise PageError(400, "Choose a colour and a size first.")
        batch = self.api_batch()
        found = batch.catalog.GetProduct(id=product_id)
        try:
            await self.wait_for_replies(batch)
        except PageError as error:
            if isinstance(error.__cause__, NotFound):
                raise PageError(400, "That product does not exist.") from error
            raise
        product: catalog_pb2.Product = found.result().product
        for variant in product.variants:
            if (variant.colour, variant.size) == (colour, size):
                return int(variant.id)
        raise PageError(400, f"{product.name} is not made in {colour}, size {size}.")


class BasketLineHandler(BasketChangeHandler):
    """POST /basket/lines/<variant_id>: set a line's quantity; 0 (or the Remove button)
    removes it."""

    async def post(self, variant_id: str) -> None:
        if self.get_body_argument("remove", ""):
            quantity = 0
        else:
            quantity = whole_number(
                self.get_body_argument("quantity", ""),
                name="Quantity",
                lowest=0,
                highest=MAX_QUANTITY,
            )
        await self.change("SetQuantity", variant_id=int(variant_id), quantity=quantity)
