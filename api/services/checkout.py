"""shop.v1.Checkout: address, shipping method and card for a basket, then the order.

A checkout row belongs to one basket and holds what the shopper entered; its idempotency key is
handed to the review page and changes whenever the checkout does, so a review page that no
longer shows what would be ordered cannot place it.

Placing an order (`place_order`):
1. The order with this key, if there is one, is the answer (a double click, a browser retry).
2. The charge is recorded, then made (api/charges.py): keyed by the checkout's key, so every
   repeat of one checkout is one charge. Charging happens outside the order's transaction: no
   row stays locked while a gateway answers.
3. One transaction writes the basket row first (its lock, as in basket.py), looks for the
   order again (a racing repeat may have placed it), recomputes the lines and totals from the
   database, reserves stock with `stock = stock - n WHERE stock >= n` per variant in id order,
   writes the order, its lines and its confirmation mail, marks the charge placed, and empties
   the basket. If it does not commit, for whatever reason (a line beyond stock, a database
   error, the caller's deadline), it all rolls back and the charge is refunded: two shoppers
   racing for the last item make one order, stock never goes below zero, and no card pays for
   nothing. A worker dying in between leaves the recorded charge to the shopper's retry (which
   finishes it) or to the sweep (which refunds it).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from api import charges, mail, promotions
from api.context import CallContext
from api.messages import AnyRow, money
from api.payments import GATEWAYS, CardDetails, CardRefused, PaymentGateway
from api.pricing import Priced
from api.schema import (
    basket_lines,
    baskets,
    checkouts,
    mail_outbox,
    order_discounts,
    order_lines,
    orders,
    users,
    variants,
)
from api.services.auth import checked_email
from api.services.basket import (
    CURRENCY,
    account_of,
    basket_contents,
    line_rows,
    plausible_token,
    touch_basket,
)
from api.services.orders import address_message, card_message, load_order
from api.shipping import SHIPPING_METHODS, Shipping, offered
from contract import checkout_pb2, orders_pb2, promotions_pb2
from contract.errors import ApiError, FailedPrecondition, Invalid, Unavailable

log = logging.getLogger("vitrine.api")

Step = checkout_pb2.CheckoutStep
DELIVERY = promotions_pb2.DISCOUNT_TARGET_DELIVERY

# Where the shop delivers (ISO 3166-1 alpha-2); the front shows their names in its locale.
SHIPPING_COUNTRIES = (
    "AT", "BE", "DE", "DK", "ES", "FI", "FR", "GB", "IE", "IT", "LU", "NL", "PL", "PT", "SE",
)  # fmt: skip
# Countries whose addresses may leave the postcode empty (Ireland's Eircode is recent).
POSTCODE_OPTIONAL = frozenset({"IE"})
MAX_LENGTHS = {"name": 100, "line1": 200, "line2": 200, "city": 100, "postcode": 20, "phone": 40}
KEY_BYTES = 24  # token_urlsafe(24): 32 characters


EMPTY_BASKET = "Your basket is empty."
ADDRESS_FIRST = "Enter your delivery address first."
CHECKOUT_CHANGED = (
    "Your checkout changed after this page was shown (in another tab?). "
    "Please check your order again."
)
NOT_PLACED_REFUNDED = (
    "We could not place your order just now, so the payment for it was refunded to your card. "
    "Please try again in a moment."
)
CODE_NO_LONGER_APPLIES = (
    "Your order was not placed: the code {code} no longer applies ({why}) {payment} Please check "
    "your order's new total and place it again."
)
TOTAL_CHANGED = (
    "Your order was not placed: its total changed while you were checking out. {payment} "
    "Please check your order again."
)
NOTHING_CHARGED = "Nothing was charged."
REFUNDED = "Any payment for it was refunded to your card."
NOT_PLACED_REFUND_PENDING = (
    "We could not place your order just now. If your card was charged for it, the payment is "
    "refunded automatically within minutes. Please try again in a moment."
)


def gateway(ctx: CallContext) -> PaymentGateway:
    return GATEWAYS[ctx.settings.payment_gateway](ctx.db)


async def get_checkout(
    ctx: CallContext, request: checkout_pb2.CheckoutRequest
) -> checkout_pb2.CheckoutState:
    async with ctx.db.connect() as conn:
        return await _state(conn, request.basket_token, request.session_token, ctx)


async def set_address(
    ctx: CallContext, request: checkout_pb2.SetAddressRequest
) -> checkout_pb2.CheckoutAnswer:
    email, errors = _checked_address(request.email, request.address)
    if errors:
        return await _refused(ctx, request, errors)
    address = request.address
    values = {
        "email": email,
        **{f"ship_{field}": getattr(address, field).strip() for field in MAX_LENGTHS},
        "ship_country": address.country.strip().upper(),
        "updated_at": ctx.now,
        "idempotency_key": secrets.token_urlsafe(KEY_BYTES),
    }
    async with ctx.db.connect() as conn:
        async with conn.begin():
            basket_id = await _locked_basket_with_lines(conn, request.basket_token, ctx)
            checkout = await _checkout_row(conn, basket_id)
            if checkout is None:
                await conn.execute(
                    insert(checkouts).values(basket_id=basket_id, created_at=ctx.now, **values)
                )
            else:
                if checkout.shipping_method not in {
                    m.code for m in offered(values["ship_country"])
                }:
                    values["shipping_method"] = ""
                await conn.execute(
                    update(checkouts).where(checkouts.c.id == checkout.id).values(**values)
                )
        state = await _state(conn, request.basket_token, request.session_token, ctx)
    return checkout_pb2.CheckoutAnswer(state=state)


async def set_shipping_method(
    ctx: CallContext, request: checkout_pb2.SetShippingMethodRequest
) -> checkout_pb2.CheckoutAnswer:
    def values_for(checkout: AnyRow) -> dict[str, Any]:
        if request.code not in {m.code for m in offered(checkout.ship_country)}:
            raise _FieldProblems({"shipping_method": "Choose one of the delivery options shown."})
        return {"shipping_method": request.code}

    return await _change_checkout(ctx, request, values_for)


async def set_payment(
    ctx: CallContext, request: checkout_pb2.SetPaymentRequest
) -> checkout_pb2.CheckoutAnswer:
    card = CardDetails(
        number=request.card_number[:40],
        expiry=request.expiry[:10],
        cvc=request.cvc[:10],
        holder=request.holder[:200],
    )
    try:
        token = await gateway(ctx).tokenize(card, ctx.now)
    except CardRefused as refused:
        return await _refused(ctx, request, refused.errors)
    values = {
        "payment_token": token.token,
        "card_brand": token.brand,
        "card_last4": token.last4,
        "card_exp_month": token.exp_month,
        "card_exp_year": token.exp_year,
        "card_holder": token.holder,
    }
    return await _change_checkout(ctx, request, lambda _checkout: values)


class _FieldProblems(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


async def _change_checkout(
    ctx: CallContext, request: Any, values_for: Callable[[AnyRow], dict[str, Any]]
) -> checkout_pb2.CheckoutAnswer:
    """One change to a started checkout, under its basket's lock, with a new key.
    `values_for(checkout)` names the columns to set, or raises _FieldProblems."""
    async with ctx.db.connect() as conn:
        async with conn.begin():
            basket_id = await _locked_basket_with_lines(conn, request.basket_token, ctx)
            checkout = await _checkout_row(conn, basket_id)
            if checkout is None:
                raise FailedPrecondition(ADDRESS_FIRST)
            try:
                values = values_for(checkout)
            except _FieldProblems as problems:
                return await _refused(ctx, request, problems.errors, conn=conn)
            await conn.execute(
                update(checkouts)
                .where(checkouts.c.id == checkout.id)
                .values(
                    **values, updated_at=ctx.now, idempotency_key=secrets.token_urlsafe(KEY_BYTES)
                )
            )
        state = await _state(conn, request.basket_token, request.session_token, ctx)
    return checkout_pb2.CheckoutAnswer(state=state)


class _Refusal(Exception):
    """Rolls the order's transaction back; the message is for the shopper."""


async def place_order(
    ctx: CallContext, request: checkout_pb2.PlaceOrderRequest
) -> checkout_pb2.PlaceOrderResponse:
    key = _idempotency_key(request.idempotency_key)
    async with ctx.db.connect() as conn:
        if placed := await load_order(conn, orders.c.idempotency_key == key):
            return checkout_pb2.PlaceOrderResponse(order=placed)
        try:
            checkout, rows = await _checkout_to_place(conn, request.basket_token, key)
        except FailedPrecondition:
            # A repeat of this checkout may have placed the order (and removed the checkout and
            # the lines) between the look-up above and these.
            if placed := await load_order(conn, orders.c.idempotency_key == key):
                return checkout_pb2.PlaceOrderResponse(order=placed)
            raise
        totals = await _totals(conn, ctx, rows, checkout, request.session_token)
    expected = request.expected_total
    if request.HasField("expected_total") and expected.amount != totals.total:
        raise FailedPrecondition(_why_changed(totals, ctx.settings.locale, NOTHING_CHARGED))
    gateway_key = await charges.record(ctx.db, key, totals.total, totals.currency, ctx.now)
    # Shielded: a call that reaches its deadline here still charges and commits or rolls back
    # (and refunds) in full, never leaving a transaction (and SQLite's write lock) open nor a
    # charge without its order or refund. The caller's retry with the same key finds the order.
    placing = asyncio.ensure_future(
        _charge_and_place(
            ctx,
            request,
            key=key,
            gateway_key=gateway_key,
            payment_token=checkout.payment_token,
            totals=totals,
        )
    )
    # Its outcome is not read when the call was cut off: not an "exception never retrieved".
    placing.add_done_callback(lambda done: done.cancelled() or done.exception())
    answer = await asyncio.shield(placing)
    mail.send_soon(ctx.db, ctx.settings)
    return answer


async def _charge_and_place(
    ctx: CallContext,
    request: checkout_pb2.PlaceOrderRequest,
    *,
    key: str,
    gateway_key: str,
    payment_token: str,
    totals: _Totals,
) -> checkout_pb2.PlaceOrderResponse:
    """Steps 2 and 3 of the module's docstring: the charge becomes the order, or is refunded."""
    payments = gateway(ctx)
    charge = await payments.charge(payment_token, totals.total, totals.currency, gateway_key)
    await charges.mark_charged(ctx.db, gateway_key, charge, ctx.now)
    if not charge.approved:
        await _forget_card(ctx, payment_token)
        return checkout_pb2.PlaceOrderResponse(payment_error=charge.decline_message)
    try:
        order_id = await _place(ctx, request, key, gateway_key, charge.reference, charged=totals)
    except (_Refusal, ApiError, SQLAlchemyError, OSError) as error:
        return await _not_placed(ctx, key, gateway_key, error)
    async with ctx.db.connect() as conn:
        placed = await load_order(conn, orders.c.id == order_id)
    assert placed is not None  # committed just now
    return checkout_pb2.PlaceOrderResponse(order=placed)


async def _forget_card(ctx: CallContext, payment_token: str) -> None:
    """A declined card is not offered again ("Saved: Visa ending 0002"): the checkout goes back
    to its payment step, and the review cannot be reached until another card is given."""
    async with ctx.db.begin() as conn:
        await conn.execute(
            update(checkouts)
            .where(checkouts.c.payment_token == payment_token)
            .values(
                payment_token="",
                card_brand="",
                card_last4="",
                card_exp_month=0,
                card_exp_year=0,
                card_holder="",
                updated_at=ctx.now,
            )
        )


async def _not_placed(
    ctx: CallContext, key: str, gateway_key: str, error: Exception
) -> checkout_pb2.PlaceOrderResponse:
    """The order's transaction did not commit: refund its charge and say so in words, unless a
    repeat of this checkout placed the order meanwhile (then that order is the answer)."""
    if not isinstance(error, _Refusal):
        log.warning("trace=%s order %s not placed: %r", ctx.trace_id, key, error)
    try:
        refunded = await charges.refund(ctx.db, gateway(ctx), gateway_key, ctx.now)
        if not refunded:
            async with ctx.db.connect() as conn:
                if placed := await load_order(conn, orders.c.idempotency_key == key):
                    return checkout_pb2.PlaceOrderResponse(order=placed)
    except (SQLAlchemyError, OSError):
        # The database is failing: the charge stays recorded, and the sweep refunds it.
        log.exception("trace=%s refund of %s left to the sweep", ctx.trace_id, gateway_key)
        raise Unavailable(NOT_PLACED_REFUND_PENDING) from error
    if isinstance(error, _Refusal):
        raise FailedPrecondition(str(error)) from None
    raise Unavailable(NOT_PLACED_REFUNDED) from error


async def _place(
    ctx: CallContext,
    request: checkout_pb2.PlaceOrderRequest,
    key: str,
    gateway_key: str,
    payment_reference: str,
    *,
    charged: _Totals,
) -> int:
    async with ctx.db.connect() as conn, conn.begin():
        existing: int | None = await _placed_meanwhile(conn, ctx, request, key)
        if existing is not None:
            return existing  # a repeat of this checkout placed it, with this same charge
        order_id = await _write_order(conn, ctx, request, key, payment_reference, charged=charged)
        if not await charges.mark_placed(conn, gateway_key, order_id, ctx.now):
            raise _Refusal(NOT_PLACED_REFUNDED)  # refunded meanwhile (the sweep): no order
        ctx.check_deadline()
        return order_id


async def _placed_meanwhile(
    conn: AsyncConnection, ctx: CallContext, request: checkout_pb2.PlaceOrderRequest, key: str
) -> int | None:
    """Locks the basket (its row written first, see basket.py), then the order a racing repeat
    of this checkout placed while this one was charging, if any."""
    await touch_basket(conn, plausible_token(request.basket_token), ctx.now)
    existing: int | None = await conn.scalar(
        select(orders.c.id).where(orders.c.idempotency_key == key)
    )
    return existing


async def _write_order(
    conn: AsyncConnection,
    ctx: CallContext,
    request: checkout_pb2.PlaceOrderRequest,
    key: str,
    payment_reference: str,
    *,
    charged: _Totals,
) -> int:
    """The order's transaction (step 3 in the module's docstring), the basket already locked;
    its id. The promotions are priced again here, and their uses counted within their limits:
    an order whose total is no longer the one charged is refused (and its charge refunded)."""
    token = plausible_token(request.basket_token)
    basket_id = await conn.scalar(select(baskets.c.id).where(baskets.c.token == token))
    if not token or basket_id is None:
        raise _Refusal(EMPTY_BASKET)
    checkout = await _checkout_row(conn, basket_id)
    if checkout is None or checkout.idempotency_key != key:
        raise _Refusal(CHECKOUT_CHANGED)
    rows = await line_rows(conn, basket_id)
    if not rows:
        raise _Refusal(EMPTY_BASKET)
    await _reserve_stock(conn, rows)
    totals = await _totals(conn, ctx, rows, checkout, request.session_token)
    _check_still_charged(totals, charged, ctx.settings.locale)
    user_id = await account_of(conn, request.session_token, ctx.now)
    try:
        await promotions.count_uses(conn, totals.priced, user_id, checkout.email)
    except promotions.UsedUp as used_up:
        why = "This code has been used up."
        code = used_up.code or used_up.name
        raise _Refusal(
            CODE_NO_LONGER_APPLIES.format(code=code, why=why, payment=REFUNDED)
        ) from None
    order_id: int = (
        await conn.execute(
            insert(orders)
            .values(
                number=await _new_order_number(conn),
                access_token=secrets.token_urlsafe(KEY_BYTES),
                idempotency_key=key,
                user_id=user_id,
                status=orders_pb2.ORDER_STATUS_PAID,
                email=checkout.email,
                **{name: getattr(checkout, name) for name in _ADDRESS_AND_CARD},
                shipping_method=totals.shipping_method.code,
                shipping_label=totals.shipping_method.label,
                shipping_min_days=totals.shipping_method.min_days,
                shipping_max_days=totals.shipping_method.max_days,
                payment_reference=payment_reference,
                currency=totals.currency,
                subtotal=totals.subtotal,
                discount=totals.discount,
                shipping=totals.shipping,
                total=totals.total,
                placed_at=ctx.now,
            )
            .returning(orders.c.id)
        )
    ).scalar_one()
    contents = basket_contents(
        "", rows, totals.priced, locale=ctx.settings.locale, shipping=totals.shipping_method
    )
    await conn.execute(
        insert(order_lines),
        [
            {
                "order_id": order_id,
                "position": position,
                "variant_id": line.variant_id,
                "product_id": line.product_id,
                "product_slug": line.product_slug,
                "name": line.name,
                "variant_label": line.variant_label,
                "quantity": line.quantity,
                "unit_price": line.unit_price.amount,
                "line_total": line.line_total.amount,
                "compare_at_unit_price": (
                    line.compare_at_unit_price.amount
                    if line.HasField("compare_at_unit_price")
                    else None
                ),
                "sale_name": line.sale.name,
                "discount": line.discount.amount,
            }
            for position, line in enumerate(contents.lines, start=1)
        ],
    )
    if contents.discounts:
        await conn.execute(
            insert(order_discounts),
            [
                {
                    "order_id": order_id,
                    "position": position,
                    "promotion_id": discount.promotion_id,
                    "code": discount.code,
                    "name": discount.name,
                    "target": "delivery" if discount.target == DELIVERY else "items",
                    "amount": discount.amount.amount,
                }
                for position, discount in enumerate(contents.discounts, start=1)
            ],
        )
    await conn.execute(
        insert(mail_outbox).values(
            order_id=order_id, kind=mail.ORDER_CONFIRMATION, created_at=ctx.now, attempts=0
        )
    )
    await conn.execute(basket_lines.delete().where(basket_lines.c.basket_id == basket_id))
    await conn.execute(checkouts.delete().where(checkouts.c.id == checkout.id))
    return order_id


_ADDRESS_AND_CARD = (
    "ship_name",
    "ship_line1",
    "ship_line2",
    "ship_city",
    "ship_postcode",
    "ship_country",
    "ship_phone",
    "card_brand",
    "card_last4",
    "card_exp_month",
    "card_exp_year",
    "card_holder",
)


async def _reserve_stock(conn: AsyncConnection, rows: Sequence[AnyRow]) -> None:
    """Takes each line's quantity off its variant's stock, or refuses the whole order. In
    variant id order, so two orders sharing variants lock them in one order (no deadlock)."""
    for row in sorted(rows, key=lambda r: r.variant_id):
        title = row.name + (f", {label}" if (label := _label(row)) else "")
        if row.discontinued:
            raise _Refusal(f"{title} is no longer available. Remove it from your basket.")
        left = await conn.scalar(
            update(variants)
            .where(variants.c.id == row.variant_id, variants.c.stock >= row.quantity)
            .values(stock=variants.c.stock - row.quantity)
            .returning(variants.c.stock)
        )
        if left is None:
            now_left = await conn.scalar(
                select(variants.c.stock).where(variants.c.id == row.variant_id)
            )
            raise _Refusal(
                f"Sorry: {title} sold out while you were checking out. Nothing was charged."
                if not now_left or now_left <= 0
                else f"Sorry: only {now_left} of {title} left now, not enough for your order. "
                "Change the quantity in your basket; nothing was charged."
            )


def _label(row: AnyRow) -> str:
    return " / ".join(part for part in (row.size, row.colour) if part)


async def _new_order_number(conn: AsyncConnection) -> str:
    """ "VT" and 8 characters that cannot be misread (no 0/O, 1/I/L), unused so far."""
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    while True:
        number = "VT" + "".join(secrets.choice(alphabet) for _ in range(8))
        if await conn.scalar(select(orders.c.id).where(orders.c.number == number)) is None:
            return number


@dataclass(frozen=True)
class _Totals:
    currency: str
    subtotal: int
    discount: int
    shipping: int
    total: int
    shipping_method: Shipping
    priced: Priced


async def _totals(
    conn: AsyncConnection,
    ctx: CallContext,
    rows: Sequence[AnyRow],
    checkout: AnyRow,
    session_token: str,
) -> _Totals:
    """What the order comes to with the chosen delivery and the promotions that apply to it,
    for the account (if logged in) and the checkout's email."""
    priced = await _priced(
        conn,
        ctx,
        rows,
        basket_id=checkout.basket_id,
        checkout=checkout,
        session_token=session_token,
    )
    currency = rows[0].currency if rows else CURRENCY
    method = next(m for m in SHIPPING_METHODS if m.code == checkout.shipping_method)
    shipping = priced.shipping(method.price, free_with_offer=method.free_with_offer)
    total = max(0, priced.total(shipping))
    return _Totals(currency, priced.subtotal, priced.discount, shipping, total, method, priced)


async def _priced(
    conn: AsyncConnection,
    ctx: CallContext,
    rows: Sequence[AnyRow],
    *,
    basket_id: int | None,
    checkout: AnyRow | None,
    session_token: str,
) -> Priced:
    """The basket priced for whoever orders: the account (if logged in) and the checkout's
    email, or the account's before the address step."""
    user_id = await account_of(conn, session_token, ctx.now)
    email = checkout.email if checkout is not None else ""
    if not email and user_id is not None:
        email = await conn.scalar(select(users.c.email).where(users.c.id == user_id)) or ""
    who = await promotions.customer(conn, user_id, email)
    return await promotions.price(conn, rows, basket_id, ctx.now, who)


def _check_still_charged(totals: _Totals, charged: _Totals, locale: str) -> None:
    """Refuses the order when its total is no longer what was charged: a code used up or out of
    its window meanwhile (said in words), or any other change."""
    if totals.total != charged.total:
        raise _Refusal(_why_changed(totals, locale, REFUNDED))


def _why_changed(totals: _Totals, locale: str, payment: str) -> str:
    """Why an order does not cost what the shopper was shown, in words: a code of the basket
    that no longer applies, or else a change of price."""
    for outcome in totals.priced.codes:
        if outcome.refusal is not None:
            why = outcome.refusal.words(locale)
            return CODE_NO_LONGER_APPLIES.format(code=outcome.code.code, why=why, payment=payment)
    return TOTAL_CHANGED.format(payment=payment)


async def _checkout_to_place(
    conn: AsyncConnection, basket_token: str, key: str
) -> tuple[AnyRow, list[AnyRow]]:
    """A complete checkout whose key is `key` and its basket's lines, or FAILED_PRECONDITION."""
    token = plausible_token(basket_token)
    basket_id = await conn.scalar(select(baskets.c.id).where(baskets.c.token == token))
    if not token or basket_id is None:
        raise FailedPrecondition(EMPTY_BASKET)
    checkout = await _checkout_row(conn, basket_id)
    if checkout is None or checkout.idempotency_key != key:
        raise FailedPrecondition(CHECKOUT_CHANGED)
    if _next_step(checkout) != Step.CHECKOUT_STEP_REVIEW:
        raise FailedPrecondition("Your checkout is not complete yet.")
    rows = await line_rows(conn, basket_id)
    if not rows:
        raise FailedPrecondition(EMPTY_BASKET)
    return checkout, rows


def _idempotency_key(value: str) -> str:
    key = plausible_token(value)
    if not key:
        raise Invalid("idempotency_key is missing or malformed")
    return key


async def _locked_basket_with_lines(conn: AsyncConnection, token: str, ctx: CallContext) -> int:
    """The basket, locked for this transaction (see basket.py); FAILED_PRECONDITION when it does
    not exist or holds nothing."""
    basket_id = await touch_basket(conn, plausible_token(token), ctx.now)
    if basket_id is None:
        raise FailedPrecondition(EMPTY_BASKET)
    any_line = select(basket_lines.c.variant_id).where(basket_lines.c.basket_id == basket_id)
    if await conn.scalar(any_line.limit(1)) is None:
        raise FailedPrecondition(EMPTY_BASKET)
    return basket_id


async def _checkout_row(conn: AsyncConnection, basket_id: int) -> AnyRow | None:
    return (
        await conn.execute(select(checkouts).where(checkouts.c.basket_id == basket_id))
    ).one_or_none()


async def _refused(
    ctx: CallContext, request: Any, errors: dict[str, str], *, conn: AsyncConnection | None = None
) -> checkout_pb2.CheckoutAnswer:
    """Field errors and the checkout as it stands (nothing was changed)."""
    if conn is None:
        async with ctx.db.connect() as own:
            state = await _state(own, request.basket_token, request.session_token, ctx)
    else:
        state = await _state(conn, request.basket_token, request.session_token, ctx)
    return checkout_pb2.CheckoutAnswer(
        state=state,
        field_errors=[
            checkout_pb2.FieldError(field=field, message=message)
            for field, message in errors.items()
        ],
    )


def _checked_address(email: str, address: Any) -> tuple[str, dict[str, str]]:
    """The email as stored and each field's problem."""
    errors: dict[str, str] = {}
    stored_email, problem = checked_email(email)
    if problem:
        errors["email"] = problem
    values = {field: getattr(address, field) for field in MAX_LENGTHS}
    for field, value in values.items():
        if "\x00" in value:
            errors[field] = "This contains a character that is not allowed."
        elif len(value.strip()) > MAX_LENGTHS[field]:
            errors[field] = f"At most {MAX_LENGTHS[field]} characters, please."
    country = address.country.strip().upper()
    if country not in SHIPPING_COUNTRIES:
        errors["country"] = "Choose a country we deliver to."
    required = {
        "name": "Enter the name of who receives the parcel.",
        "line1": "Enter the street and number.",
        "city": "Enter the town or city.",
    }
    if country in SHIPPING_COUNTRIES and country not in POSTCODE_OPTIONAL:
        required["postcode"] = "Enter the postcode."
    for field, message in required.items():
        if field not in errors and not values[field].strip():
            errors[field] = message
    phone = values["phone"].strip()
    if "phone" not in errors and phone and not set(phone) <= set("0123456789 +()-./"):
        errors["phone"] = "A phone number has digits, spaces and + ( ) - only."
    return stored_email, errors


def _next_step(checkout: AnyRow | None) -> checkout_pb2.CheckoutStep:
    if checkout is None:
        return Step.CHECKOUT_STEP_ADDRESS
    if checkout.shipping_method not in {m.code for m in offered(checkout.ship_country)}:
        return Step.CHECKOUT_STEP_SHIPPING
    if not checkout.payment_token:
        return Step.CHECKOUT_STEP_PAYMENT
    return Step.CHECKOUT_STEP_REVIEW


async def _state(
    conn: AsyncConnection, basket_token: str, session_token: str, ctx: CallContext
) -> checkout_pb2.CheckoutState:
    token = plausible_token(basket_token)
    basket_id = (
        await conn.scalar(select(baskets.c.id).where(baskets.c.token == token)) if token else None
    )
    checkout = await _checkout_row(conn, basket_id) if basket_id is not None else None
    rows = await line_rows(conn, basket_id) if basket_id is not None else []
    state = checkout_pb2.CheckoutState(next_step=_next_step(checkout), countries=SHIPPING_COUNTRIES)
    priced = await _priced(
        conn, ctx, rows, basket_id=basket_id, checkout=checkout, session_token=session_token
    )
    currency = rows[0].currency if rows else CURRENCY
    country = checkout.ship_country if checkout is not None else "IE"
    for method in offered(country):
        state.shipping_methods.add(
            code=method.code,
            label=method.label,
            price=money(
                priced.shipping(method.price, free_with_offer=method.free_with_offer), currency
            ),
            min_days=method.min_days,
            max_days=method.max_days,
        )
    shipping = None
    if checkout is not None:
        state.email = checkout.email
        state.idempotency_key = checkout.idempotency_key
        state.shipping_address.CopyFrom(address_message(checkout))
        if state.next_step > Step.CHECKOUT_STEP_SHIPPING:
            state.shipping_method = checkout.shipping_method
            shipping = next(m for m in SHIPPING_METHODS if m.code == checkout.shipping_method)
        if checkout.payment_token:
            state.payment.CopyFrom(card_message(checkout))
    else:
        user_id = await account_of(conn, session_token, ctx.now)
        if user_id is not None:
            state.email = (
                await conn.scalar(select(users.c.email).where(users.c.id == user_id)) or ""
            )
    state.basket.CopyFrom(
        basket_contents(
            token if basket_id else "",
            rows,
            priced,
            locale=ctx.settings.locale,
            shipping=shipping,
        )
    )
    if not rows:
        state.next_step = Step.CHECKOUT_STEP_ADDRESS
    return state
