"""shop.v1.Vouchers: voucher codes on a basket, added when they apply and refused in words
when they do not (api/pricing.py decides which).

Codes that do not apply are counted per basket and per client address (api/rate_limits.py):
past TRIES_PER_BASKET or TRIES_PER_ADDRESS within TRIES_WINDOW, a try is refused with when to
come back, so codes cannot be found by guessing.

A change writes the basket row first, as every basket change does (api/services/basket.py), so
changes to one basket's lines and codes are serialised. Applying or removing a code twice
changes nothing the second time: neither needs an idempotency key.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from api import promotions
from api.context import CallContext
from api.pricing import MAX_CODES, Customer, Refusal, Why, price_basket
from api.rate_limits import Limit, in_words, take_turn
from api.schema import baskets, checkouts, users, voucher_attempts
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
from contract.errors import ResourceExhausted

# Codes that did not apply, tried within TRIES_WINDOW: enough for typos and a few old codes from
# a drawer, far too few to guess codes by trying them.
TRIES_WINDOW = timedelta(minutes=15)
TRIES_PER_BASKET = Limit(voucher_attempts.c.basket, voucher_attempts.c.at, 10, TRIES_WINDOW)
TRIES_PER_ADDRESS = Limit(
    voucher_attempts.c.client_address, voucher_attempts.c.at, 30, TRIES_WINDOW
)
TOO_MANY_TRIES = "Too many codes tried that did not work. Try again in {}."


async def apply_voucher(
    ctx: CallContext, request: vouchers_pb2.ApplyVoucherRequest
) -> vouchers_pb2.VoucherAnswer:
    code = promotions.normalised_code(request.code)[: promotions.MAX_CODE_LENGTH]
    token = plausible_token(request.basket_token)
    attempt = await _take_turn(ctx, token, request.client_address)
    async with ctx.db.connect() as conn:
        async with conn.begin():
            basket_id = await touch_basket(conn, token, ctx.now)
            if basket_id is None:
                refusal: Refusal | None = Refusal(Why.EMPTY_BASKET)
            else:
                refusal = await _add(conn, ctx, basket_id, code, request.session_token)
            if attempt and refusal is None:  # a code that applies is no guess
                await conn.execute(delete(voucher_attempts).where(voucher_attempts.c.id == attempt))
        contents = (
            await priced_contents(conn, ctx, token, basket_id)
            if basket_id is not None
            else basket_contents("", [])
        )
    words = refusal.words(ctx.settings.locale) if refusal else ""
    return vouchers_pb2.VoucherAnswer(basket=contents, refusal=words, code=code)


async def _take_turn(ctx: CallContext, token: str, client_address: str) -> int:
    """Records this try of a code on the basket (0 for no basket: nothing to guess on), or
    RESOURCE_EXHAUSTED when the basket or the address has tried too many that did not apply."""
    if not token:
        return 0
    async with ctx.db.connect() as conn:
        basket_id = await conn.scalar(select(baskets.c.id).where(baskets.c.token == token))
    if basket_id is None:
        return 0
    address = client_address[:64]
    values = {"basket": str(basket_id), "client_address": address, "at": ctx.now}
    limits = [(TRIES_PER_BASKET, str(basket_id)), (TRIES_PER_ADDRESS, address)]
    attempt, wait = await take_turn(ctx.db, voucher_attempts, values, limits, ctx.now)
    if wait:
        raise ResourceExhausted(TOO_MANY_TRIES.format(in_words(wait)), retry_after_seconds=wait)
    return attempt


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
