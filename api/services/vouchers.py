"""shop.v1.Vouchers: voucher codes on a basket, added when they apply and refused in words
when they do not (api/pricing.py decides which).

A change writes the basket row first, as every basket change does (api/services/basket.py), so
changes to one basket's lines and codes are serialised. Applying or removing a code twice
changes nothing the second time: neither needs an idempotency key.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from api import promotions
from api.context import CallContext
from api.pricing import MAX_CODES, Customer, Refusal, Why, price_basket
from api.schema import checkouts, users
from api.services.basket import (
    account_of,
    basket_contents,
    line_rows,
    plausible_token,
    priced_contents,
    touch_basket,
)
from api.services.checkout import KEY_BYTES
from contract import vouchers_pb2


async def apply_voucher(
    ctx: CallContext, request: vouchers_pb2.ApplyVoucherRequest
) -> vouchers_pb2.VoucherAnswer:
    code = promotions.normalised_code(request.code)[: promotions.MAX_CODE_LENGTH]
    token = plausible_token(request.basket_token)
    async with ctx.db.connect() as conn:
        async with conn.begin():
            basket_id = await touch_basket(conn, token, ctx.now)
            if basket_id is None:
                refusal: Refusal | None = Refusal(Why.EMPTY_BASKET)
            else:
                refusal = await _add(conn, ctx, basket_id, code, request.session_token)
        contents = (
            await priced_contents(conn, ctx, token, basket_id)
            if basket_id is not None
            else basket_contents("", [])
        )
    words = refusal.words(ctx.settings.locale) if refusal else ""
    return vouchers_pb2.VoucherAnswer(basket=contents, refusal=words, code=code)


async def _add(
    conn: AsyncConnection, ctx: CallContext, basket_id: int, code: str, session_token: str
) -> Refusal | None:
    """Adds the code to the locked basket when it applies now; why not, otherwise."""
    rows = await line_rows(conn, basket_id)
    if not rows:
        return Refusal(Why.EMPTY_BASKET)
    found = await promotions.code_named(conn, code)
    if found is None:
        return Refusal(Why.UNKNOWN)
    code_id, voucher = found
    held = await promotions.basket_codes(conn, basket_id)
    if any(other.code == voucher.code for other in held):
        return None  # applied already: a double click
    if len(held) >= MAX_CODES:
        return Refusal(Why.TOO_MANY)
    priced = price_basket(
        promotions.lines_of(rows),
        await promotions.automatic_offers(conn, ctx.now),
        [*held, voucher],
        ctx.now,
        await _customer(conn, ctx, session_token),
    )
    outcome = priced.codes[-1]
    if outcome.refusal is not None:
        return outcome.refusal
    await promotions.add_code(conn, basket_id, code_id, ctx.now)
    await new_checkout_key(conn, basket_id)
    return None


async def _customer(conn: AsyncConnection, ctx: CallContext, session_token: str) -> Customer:
    """A logged-in shopper is known at once; a guest only when the checkout has the email."""
    user_id = await account_of(conn, session_token, ctx.now)
    if user_id is None:
        return Customer()
    email = await conn.scalar(select(users.c.email).where(users.c.id == user_id)) or ""
    return await promotions.customer(conn, user_id, email)


async def new_checkout_key(conn: AsyncConnection, basket_id: int) -> None:
    """The basket's checkout (if it has one) gets a new key: a review page shown before the
    change, with other totals, can no longer place the order (api/services/checkout.py)."""
    await conn.execute(
        update(checkouts)
        .where(checkouts.c.basket_id == basket_id)
        .values(idempotency_key=secrets.token_urlsafe(KEY_BYTES))
    )


async def remove_voucher(
    ctx: CallContext, request: vouchers_pb2.RemoveVoucherRequest
) -> vouchers_pb2.VoucherAnswer:
    code = promotions.normalised_code(request.code)[: promotions.MAX_CODE_LENGTH]
    token = plausible_token(request.basket_token)
    async with ctx.db.connect() as conn:
        async with conn.begin():
            basket_id = await touch_basket(conn, token, ctx.now)
            if basket_id is not None and await promotions.remove_code(conn, basket_id, code):
                await new_checkout_key(conn, basket_id)
        contents = (
            await priced_contents(conn, ctx, token, basket_id)
            if basket_id is not None
            else basket_contents("", [])
        )
    return vouchers_pb2.VoucherAnswer(basket=contents, code=code)
