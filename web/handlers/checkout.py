"""The checkout: address -> delivery -> payment -> review -> place order -> the order's page.

Each step is a GET (its form, filled from what the API holds) and a POST (to the API). Field
errors come back as the same form with status 400, keeping what was typed (never the card's
security code); a saved step redirects (303) to the next one not done. A step asked for before
the ones it needs redirects to the first step not done; an empty basket, to the basket.
Nothing here may be cached: every answer is private, no-store.

Placing the order posts the review page's idempotency key: a double click or a retried POST
gets the same order, and the redirect to its page. Prices and totals always come from the API;
the total the review page showed only lets the API refuse an order that would cost more or less.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypedDict

import tornado.web

from api_client import Batch, Call
from contract import checkout_pb2
from vitrine.urls import order_url
from web.handlers.base import WRITE_DEADLINE_MS, BaseHandler, PageError
from web.whole_numbers import parse_whole_number

Step = checkout_pb2.CheckoutStep
STEP_PATHS = {
    Step.CHECKOUT_STEP_ADDRESS: "/checkout/address",
    Step.CHECKOUT_STEP_SHIPPING: "/checkout/shipping",
    Step.CHECKOUT_STEP_PAYMENT: "/checkout/payment",
    Step.CHECKOUT_STEP_REVIEW: "/checkout/review",
}
# Longer input is cut before it reaches the API, which checks every field's length anyway.
MAX_FIELD_LENGTH = 300
# Placing an order charges a card too: it gets longer than other writes (WRITE_DEADLINE_MS).
PLACE_ORDER_DEADLINE_MS = 10_000
# The review page again (503) when the order's answer did not come (the API's database failed, a
# worker died, the deadline passed). True whatever happened: the order was placed once, or not at
# all and its charge refunded (api/charges.py), and pressing again reuses the same key.
ORDER_NOT_CONFIRMED = (
    "We could not confirm your order just now. Press Place order again in a moment: it never "
    "orders or charges twice. An order that was not placed is not paid for: any payment taken "
    "for it is refunded to your card."
)
ADDRESS_FIELDS = ("name", "line1", "line2", "city", "postcode", "country", "phone")
DEFAULT_COUNTRY = "IE"
# The catalogue's one currency (the API's totals are in it) and the most a total can be.
CURRENCY = "EUR"
MAX_TOTAL = 2**63 - 1


class CheckoutIdentity(TypedDict):
    """Whose checkout a call is about: the fields every Checkout request starts with."""

    basket_token: str
    session_token: str


class CheckoutBaseHandler(BaseHandler):
    """What every step shares: the checkout's state, the redirects, the form page."""

    step: ClassVar[int]
    template: ClassVar[str]

    def field(self, name: str) -> str:
        return self.get_body_argument(name, "")[:MAX_FIELD_LENGTH]

    def checkout_request(self) -> CheckoutIdentity:
        return {
            "basket_token": self.shopper.basket_token(),
            "session_token": self.shopper.session_token(),
        }

    async def load(self, deadline_ms: int | None = None) -> checkout_pb2.CheckoutState:
        batch = self.page_batch()
        call = batch.checkout.GetCheckout(**self.checkout_request(), deadline_ms=deadline_ms)
        await self.wait_for_replies(batch)
        state: checkout_pb2.CheckoutState = call.result()
        return state

    def not_ready(self, state: checkout_pb2.CheckoutState) -> bool:
        """Redirects when this step cannot be shown yet; whether it did."""
        if not state.basket.lines:
            self.redirect("/basket", status=303)
            return True
        if state.next_step < self.step:
            self.redirect(STEP_PATHS[state.next_step], status=303)
            return True
        return False

    def show(
        self,
        state: checkout_pb2.CheckoutState,
        values: dict[str, str],
        errors: dict[str, str] | None = None,
        message: str = "",
        page: type[CheckoutBaseHandler] | None = None,
    ) -> None:
        page = page or type(self)
        self.set_header("Cache-Control", "private, no-store")
        self.render_page(
            page.template,
            state=state,
            values=values,
            errors=errors or {},
            message=message,
            xsrf_token=self.form_token(),
        )

    @staticmethod
    def initial_values(_state: checkout_pb2.CheckoutState) -> dict[str, str]:
        return {}

    async def get(self) -> None:
        state = await self.load()
        if self.not_ready(state):
            return
        self.show(state, self.initial_values(state))

    def save(self, batch: Batch, values: dict[str, str]) -> Call:  # noqa: ARG002
        # A page without a form of its own (the start, the review) takes no POST.
        raise tornado.web.HTTPError(405)

    async def post(self) -> None:
        values = {name: self.field(name) for name in self.form_fields()}
        batch = self.page_batch()
        call = self.save(batch, values)
        await self.wait_for_replies(batch)
        answer: checkout_pb2.CheckoutAnswer = call.result()
        if answer.field_errors:
            self.set_status(400)
            values.pop("cvc", None)  # a security code is typed again, never sent back
            self.show(answer.state, values, {e.field: e.message for e in answer.field_errors})
            return
        self.redirect(STEP_PATHS[answer.state.next_step], status=303)

    def form_fields(self) -> tuple[str, ...]:
        return ()


class CheckoutStartHandler(CheckoutBaseHandler):
    """GET /checkout: the first step not done yet (the basket's "Check out" link)."""

    async def get(self) -> None:
        state = await self.load()
        if not state.basket.lines:
            self.redirect("/basket", status=303)
            return
        self.redirect(STEP_PATHS[state.next_step], status=303)


class AddressStepHandler(CheckoutBaseHandler):
    step = Step.CHECKOUT_STEP_ADDRESS
    template = "checkout/address.html"

    def form_fields(self) -> tuple[str, ...]:
        return ("email", *ADDRESS_FIELDS)

    @staticmethod
    def initial_values(state: checkout_pb2.CheckoutState) -> dict[str, str]:
        address = state.shipping_address
        values = {name: getattr(address, name) for name in ADDRESS_FIELDS}
        return {**values, "email": state.email, "country": address.country or DEFAULT_COUNTRY}

    def save(self, batch: Batch, values: dict[str, str]) -> Call:
        address = {name: values[name] for name in ADDRESS_FIELDS}
        return batch.checkout.SetAddress(
            **self.checkout_request(),
            email=values["email"],
            address=address,
            deadline_ms=WRITE_DEADLINE_MS,
        )


class ShippingStepHandler(CheckoutBaseHandler):
    step = Step.CHECKOUT_STEP_SHIPPING
    template = "checkout/shipping.html"

    def form_fields(self) -> tuple[str, ...]:
        return ("shipping_method",)

    @staticmethod
    def initial_values(state: checkout_pb2.CheckoutState) -> dict[str, str]:
        chosen = state.shipping_method or state.shipping_methods[0].code
        return {"shipping_method": chosen}

    def save(self, batch: Batch, values: dict[str, str]) -> Call:
        return batch.checkout.SetShippingMethod(
            **self.checkout_request(), code=values["shipping_method"], deadline_ms=WRITE_DEADLINE_MS
        )


class PaymentStepHandler(CheckoutBaseHandler):
    step = Step.CHECKOUT_STEP_PAYMENT
    template = "checkout/payment.html"

    def form_fields(self) -> tuple[str, ...]:
        return ("card_number", "expiry", "cvc", "holder")

    @staticmethod
    def initial_values(state: checkout_pb2.CheckoutState) -> dict[str, str]:
        return {"holder": state.payment.holder or state.shipping_address.name}

    def save(self, batch: Batch, values: dict[str, str]) -> Call:
        return batch.checkout.SetPayment(
            **self.checkout_request(),
            card_number=values["card_number"],
            expiry=values["expiry"],
            cvc=values["cvc"],
            holder=values["holder"],
            deadline_ms=WRITE_DEADLINE_MS,
        )


class ReviewStepHandler(CheckoutBaseHandler):
    step = Step.CHECKOUT_STEP_REVIEW
    template = "checkout/review.html"


class PlaceOrderHandler(CheckoutBaseHandler):
    """POST /checkout/place: the review page's button. Only the key is read from the form; any
    price, total or quantity a browser adds is ignored, as the API decides them all."""

    async def post(self) -> None:
        batch = self.api_batch()
        # The total the review page showed: the API refuses an order that would cost anything
        # else (a code used up meanwhile) rather than charge it. It prices nothing.
        shown = parse_whole_number(self.field("expected_total"), 0, MAX_TOTAL)
        guard: dict[str, Any] = {}
        if shown is not None:
            guard["expected_total"] = {"amount": shown, "currency": CURRENCY}
        call = batch.checkout.PlaceOrder(
            **self.checkout_request(),
            idempotency_key=self.field("idempotency_key"),
            deadline_ms=PLACE_ORDER_DEADLINE_MS,
            **guard,
        )
        try:
            await self.wait_for_replies(batch)
        except PageError as error:
            if error.status_code == 503:
                await self.show_again(ReviewStepHandler, 503, ORDER_NOT_CONFIRMED)
                return
            if error.status_code != 409:
                raise
            await self.show_again(ReviewStepHandler, 409, error.message)
            return
        answer: checkout_pb2.PlaceOrderResponse = call.result()
        if answer.payment_error:
            await self.show_again(PaymentStepHandler, 402, answer.payment_error)
            return
        self.redirect(order_url(answer.order), status=303)

    async def show_again(self, page: type[CheckoutBaseHandler], status: int, message: str) -> None:
        """A step's page again, with why the order was not placed. It follows a write that may
        have queued (a race for the last item): it gets a write's patience, not a read's."""
        state = await self.load(WRITE_DEADLINE_MS)
        if not state.basket.lines:
            raise PageError(status, message)
        self.set_status(status)
        self.show(state, page.initial_values(state), message=message, page=page)
