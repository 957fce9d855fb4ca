"""shop.v1.Basket: guest baskets reached by an opaque token; prices, stock and totals decided here.

Concurrency: every change runs in one transaction whose FIRST statement writes the basket row
(`UPDATE baskets SET updated_at = :now WHERE token = :token RETURNING id`, or the INSERT of a new
basket). On PostgreSQL that takes the basket's row lock, on SQLite the database write lock
(waiting up to the busy timeout; a deferred transaction that writes first never hits the
"snapshot upgrade" SQLITE_BUSY that a read-then-write one can). Either way, changes to one basket
are serialized until commit: the line, the variant's stock and the limits are read after the lock
and written before it is released, so two AddLine calls for one basket and variant cannot lose
an update, nor both INSERT the same (basket_id, variant_id) line. The increment itself is still
spelled `quantity = quantity + :n`, which stays right even without the lock.

Exactly once: a change carrying an idempotency key stores it in its own transaction and checks
the caller's deadline just before the commit (api/basket_writes.py). A retry of a change that was
applied is answered with the basket, unchanged; one whose caller had given up was rolled back.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from google.protobuf.message import Message
from sqlalchemy import ColumnElement, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from api import basket_writes, messages, validation
from api.context import CallContext
from api.messages import AnyRow
from api.schema import (
    basket_lines,
    baskets,
    product_images,
    products,
    sessions,
    users,
    variants,
)
from contract import basket_pb2
from contract.errors import FailedPrecondition, Invalid, NotFound

# One line holds at most this many of a variant, whatever the stock.
MAX_LINE_QUANTITY = 99
# Shipping, in minor units of the catalogue's currency. The catalogue is single-currency (EUR,
# see api/demo/products.py): totals take the lines' currency and these amounts are meant in it.
FREE_SHIPPING_FROM = 7500
FLAT_SHIPPING = 495
CURRENCY = "EUR"  # what an empty basket's zero totals are expressed in

# token_urlsafe(24) gives 32 characters of this alphabet; anything else cannot be a token of
# ours, and is treated as unknown without asking the database (no NUL or huge binds).
_TOKEN_BYTES = 24
_TOKEN_ALPHABET = frozenset(string.ascii_letters + string.digits + "-_")
_MAX_TOKEN_LENGTH = 64
# Lines are listed in the order they were added, by added_at. ctx.now is shared by a batch, so a
# line added "at the same moment" as the basket's newest one is stamped just after it.
_ADDED_AT_STEP = timedelta(microseconds=1)


async def get_basket(
    ctx: CallContext, request: basket_pb2.GetBasketRequest
) -> basket_pb2.BasketContents:
    token = plausible_token(request.token)
    if not token:
        return basket_contents("", [])
    async with ctx.db.connect() as conn:
        basket_id = await conn.scalar(select(baskets.c.id).where(baskets.c.token == token))
        if basket_id is None:
            return basket_contents("", [])
        return basket_contents(token, await line_rows(conn, basket_id))


async def get_basket_summary(
    ctx: CallContext, request: basket_pb2.GetBasketRequest
) -> basket_pb2.BasketSummary:
    token = plausible_token(request.token)
    if not token:
        return basket_pb2.BasketSummary(subtotal=messages.money(0, CURRENCY))
    async with ctx.db.connect() as conn:
        row = (
            await conn.execute(
                select(
                    func.sum(basket_lines.c.quantity).label("items"),
                    func.sum(basket_lines.c.quantity * products.c.price).label("subtotal"),
                    func.max(products.c.currency).label("currency"),
                )
                .select_from(
                    baskets.join(basket_lines, basket_lines.c.basket_id == baskets.c.id)
                    .join(variants, variants.c.id == basket_lines.c.variant_id)
                    .join(products, products.c.id == variants.c.product_id)
                )
                .where(baskets.c.token == token)
            )
        ).one()
    # PostgreSQL sums bigints as numeric (Decimal); no lines at all is NULL.
    return basket_pb2.BasketSummary(
        item_count=int(row.items or 0),
        subtotal=messages.money(int(row.subtotal or 0), row.currency or CURRENCY),
    )


async def add_line(
    ctx: CallContext, request: basket_pb2.AddLineRequest
) -> basket_pb2.BasketContents:
    quantity = request.quantity
    if not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise Invalid(f"quantity must be from 1 to {MAX_LINE_QUANTITY}, not {quantity}")
    if not validation.known_id(request.variant_id):
        raise NotFound(f"no variant has id {request.variant_id}")
    key, change = _write_key(request)

    async def apply() -> basket_pb2.BasketContents:
        async with ctx.db.connect() as conn:
            async with conn.begin():
                basket_id, token = await _basket_to_fill(conn, request, ctx.now)
                await _add(conn, basket_id, request, ctx.now)
                await _commit_once(conn, ctx, key, basket_id, change)
            return basket_contents(token, await line_rows(conn, basket_id))

    return await _applied_once(ctx, key, change, apply)


async def _add(
    conn: AsyncConnection, basket_id: int, request: basket_pb2.AddLineRequest, now: datetime
) -> None:
    target = await _line_target(conn, basket_id, request.variant_id)
    if target is None:
        raise NotFound(f"no variant has id {request.variant_id}")
    in_basket = target.in_basket or 0
    _check_can_hold(target, in_basket + request.quantity, in_basket=in_basket)
    if in_basket:
        await conn.execute(
            update(basket_lines)
            .where(line_key(basket_id, request.variant_id))
            .values(quantity=basket_lines.c.quantity + request.quantity)
        )
    else:
        await conn.execute(
            insert(basket_lines).values(
                basket_id=basket_id,
                variant_id=request.variant_id,
                quantity=request.quantity,
                added_at=next_added_at(now, target.latest_added_at),
            )
        )


def _write_key(request: Message) -> tuple[str, str]:
    """The change's idempotency key ("" when it has none) and what the change asks for."""
    key = basket_writes.checked_key(getattr(request, "idempotency_key", ""))
    return key, basket_writes.digest(request) if key else ""


async def _applied_once(
    ctx: CallContext,
    key: str,
    change: str,
    apply: Callable[[], Awaitable[basket_pb2.BasketContents]],
) -> basket_pb2.BasketContents:
    """`apply()` the change, unless the change with this idempotency key was applied already:
    then the basket it left, found before trying, or after losing the race to a copy of it."""
    if key and (done := await _replayed(ctx, key, change)) is not None:
        return done
    try:
        return await apply()
    except IntegrityError:
        if key and (done := await _replayed(ctx, key, change)) is not None:
            return done  # a copy of this change, racing this one, committed first
        raise


async def _replayed(ctx: CallContext, key: str, change: str) -> basket_pb2.BasketContents | None:
    """The basket, when the change with this key was already applied (its retry)."""
    async with ctx.db.connect() as conn:
        basket_id = await basket_writes.applied(conn, key, change)
        if basket_id is None:
            return None
        token = await conn.scalar(select(baskets.c.token).where(baskets.c.id == basket_id))
        if token is None:  # merged into an account's basket at log-in since
            return basket_contents("", [])
        return basket_contents(token, await line_rows(conn, basket_id))


async def _commit_once(
    conn: AsyncConnection, ctx: CallContext, key: str, basket_id: int, change: str
) -> None:
    """The last step of a change's transaction: its key stored with it, and the caller's
    deadline checked (past it, everything rolls back: the caller was told it failed)."""
    if key:
        await basket_writes.remember(conn, key, basket_id, change, ctx.now)
    ctx.check_deadline()


async def _basket_to_fill(
    conn: AsyncConnection, request: basket_pb2.AddLineRequest, now: datetime
) -> tuple[int, str]:
    """The basket an added line goes to, locked: the one the token names; else, when logged in,
    the account's; else a new one - the account's when logged in, never under a token the
    caller chose."""
    token = plausible_token(request.token)
    basket_id = await touch_basket(conn, token, now)
    if basket_id is not None:
        return basket_id, token
    user_id = await account_of(conn, request.session_token, now)
    if user_id is not None:
        # The user row's lock serialises an account's baskets: two first adds at once make
        # one basket (log-in takes the same lock first). SQLite serialises all writers anyway.
        await conn.execute(select(users.c.id).where(users.c.id == user_id).with_for_update())
        if found := await touch_account_basket(conn, user_id, now):
            return found.id, found.token
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    created = await conn.execute(
        insert(baskets)
        .values(token=token, user_id=user_id, created_at=now, updated_at=now)
        .returning(baskets.c.id)
    )
    return created.scalar_one(), token


async def account_of(conn: AsyncConnection, session_token: str, now: datetime) -> int | None:
    """The account of a live session; None for none, ended, expired or malformed."""
    token = plausible_token(session_token)
    if not token:
        return None
    user_id: int | None = await conn.scalar(
        select(sessions.c.user_id).where(
            sessions.c.token == token, sessions.c.ended_at.is_(None), sessions.c.expires_at > now
        )
    )
    return user_id


async def touch_account_basket(conn: AsyncConnection, user_id: int, now: datetime) -> AnyRow | None:
    """The account's basket (id, token), locked by writing it first; None when it has none."""
    return (
        await conn.execute(
            update(baskets)
            .where(baskets.c.user_id == user_id)
            .values(updated_at=now)
            .returning(baskets.c.id, baskets.c.token)
        )
    ).one_or_none()


async def set_quantity(
    ctx: CallContext, request: basket_pb2.SetQuantityRequest
) -> basket_pb2.BasketContents:
    """Quantity 0 removes the line, and removing a line that is not there is not an error (a
    double-clicked "remove"); any other quantity needs the line to be in the basket."""
    quantity = request.quantity
    if quantity > MAX_LINE_QUANTITY:
        raise Invalid(f"quantity must be from 0 to {MAX_LINE_QUANTITY}, not {quantity}")
    token = plausible_token(request.token)
    key, change = _write_key(request)

    async def apply() -> basket_pb2.BasketContents:
        async with ctx.db.connect() as conn:
            async with conn.begin():
                basket_id = await touch_basket(conn, token, ctx.now)
                if basket_id is None:
                    if quantity:
                        raise NotFound("no such basket line")
                    return basket_contents("", [])
                await _set(conn, basket_id, request)
                await _commit_once(conn, ctx, key, basket_id, change)
            return basket_contents(token, await line_rows(conn, basket_id))

    return await _applied_once(ctx, key, change, apply)


async def _set(
    conn: AsyncConnection, basket_id: int, request: basket_pb2.SetQuantityRequest
) -> None:
    quantity = request.quantity
    if validation.known_id(request.variant_id):
        target = await _line_target(conn, basket_id, request.variant_id)
    else:
        target = None
    if target is None or target.in_basket is None:
        if quantity:
            raise NotFound("no such basket line")
    elif quantity == 0:
        await conn.execute(basket_lines.delete().where(line_key(basket_id, request.variant_id)))
    else:
        _check_can_hold(target, quantity, in_basket=0)
        await conn.execute(
            update(basket_lines)
            .where(line_key(basket_id, request.variant_id))
            .values(quantity=quantity)
        )


def plausible_token(value: str) -> str:
    """The token, or "" when it cannot be one of ours (Auth checks session tokens the same way)."""
    if len(value) > _MAX_TOKEN_LENGTH or not _TOKEN_ALPHABET.issuperset(value):
        return ""
    return value


async def touch_basket(conn: AsyncConnection, token: str, now: datetime) -> int | None:
    """The basket's id, marked changed now and locked until the transaction ends (see the
    module's docstring); None for an empty or unknown token."""
    if not token:
        return None
    basket_id: int | None = await conn.scalar(
        update(baskets)
        .where(baskets.c.token == token)
        .values(updated_at=now)
        .returning(baskets.c.id)
    )
    return basket_id


def line_key(basket_id: int, variant_id: int) -> ColumnElement[bool]:
    return and_(basket_lines.c.basket_id == basket_id, basket_lines.c.variant_id == variant_id)


async def _line_target(conn: AsyncConnection, basket_id: int, variant_id: int) -> AnyRow | None:
    """The variant, its product, how many the basket holds (None: no line) and when the
    basket's newest line was added: all a change needs, in one query."""
    newest = basket_lines.alias("newest")
    latest_added_at = (
        select(func.max(newest.c.added_at)).where(newest.c.basket_id == basket_id).scalar_subquery()
    )
    query = (
        select(
            variants.c.size,
            variants.c.colour,
            variants.c.stock,
            products.c.name,
            products.c.discontinued,
            basket_lines.c.quantity.label("in_basket"),
            latest_added_at.label("latest_added_at"),
        )
        .select_from(
            variants.join(products, products.c.id == variants.c.product_id).outerjoin(
                basket_lines,
                and_(
                    basket_lines.c.basket_id == basket_id,
                    basket_lines.c.variant_id == variants.c.id,
                ),
            )
        )
        .where(variants.c.id == variant_id)
    )
    return (await conn.execute(query)).one_or_none()


def _check_can_hold(target: AnyRow, wanted: int, *, in_basket: int) -> None:
    """FAILED_PRECONDITION, in words a shopper understands, when a line cannot hold `wanted`."""
    title = target.name
    if label := variant_label(target):
        title = f"{title}, {label}"
    if target.discontinued:
        raise FailedPrecondition(f"{title} is no longer available")
    if target.stock <= 0:
        raise FailedPrecondition(f"{title} is out of stock")
    already = f" (your basket already holds {in_basket})" if in_basket else ""
    if wanted > target.stock:
        raise FailedPrecondition(f"Only {target.stock} left of {title}{already}")
    if wanted > MAX_LINE_QUANTITY:
        raise FailedPrecondition(
            f"A basket can hold at most {MAX_LINE_QUANTITY} of {title}{already}"
        )


def variant_label(row: AnyRow) -> str:
    return " / ".join(part for part in (row.size, row.colour) if part)


def next_added_at(now: datetime, latest: datetime | None) -> datetime:
    """When a line added now is stamped, so that it sorts after the basket's newest line."""
    if latest is None:
        return now
    # SQLite hands datetimes back without a zone; everything is stored in UTC.
    if latest.tzinfo is None:
        latest = latest.replace(tzinfo=UTC)
    return max(now, latest + _ADDED_AT_STEP)


async def line_rows(conn: AsyncConnection, basket_id: int) -> list[AnyRow]:
    """The basket's lines with their variant, product and picture (the first of the variant's
    colour, else the product's first): one query for any count."""
    images = product_images.alias("images")
    first_position = select(func.min(images.c.position)).where(images.c.product_id == products.c.id)
    first_image_position = func.coalesce(
        first_position.where(images.c.colour == variants.c.colour).scalar_subquery(),
        first_position.scalar_subquery(),
    )
    query = (
        select(
            basket_lines.c.variant_id,
            basket_lines.c.quantity,
            variants.c.size,
            variants.c.colour,
            variants.c.stock,
            products.c.id.label("product_id"),
            products.c.slug,
            products.c.name,
            products.c.price,
            products.c.currency,
            products.c.discontinued,
            product_images.c.url,
            product_images.c.alt,
            product_images.c.width,
            product_images.c.height,
        )
        .select_from(
            basket_lines.join(variants, variants.c.id == basket_lines.c.variant_id)
            .join(products, products.c.id == variants.c.product_id)
            .outerjoin(
                product_images,
                and_(
                    product_images.c.product_id == products.c.id,
                    product_images.c.position == first_image_position,
                ),
            )
        )
        .where(basket_lines.c.basket_id == basket_id)
        .order_by(basket_lines.c.added_at, basket_lines.c.variant_id)
    )
    return list((await conn.execute(query)).all())


def basket_contents(
    token: str, rows: list[AnyRow], *, shipping: int | None = None
) -> basket_pb2.BasketContents:
    """The lines and totals; shipping is the estimate unless a chosen method's price is given."""
    lines = [_line(row) for row in rows]
    # Single-currency catalogue (see CURRENCY): the lines' currency is the totals' currency.
    currency = rows[0].currency if rows else CURRENCY
    subtotal = sum(line.line_total.amount for line in lines)
    if shipping is None:
        shipping = 0 if not lines or subtotal >= FREE_SHIPPING_FROM else FLAT_SHIPPING
    return basket_pb2.BasketContents(
        token=token,
        lines=lines,
        totals=basket_pb2.BasketTotals(
            subtotal=messages.money(subtotal, currency),
            shipping_estimate=messages.money(shipping, currency),
            total=messages.money(subtotal + shipping, currency),
        ),
    )


def _line(row: AnyRow) -> basket_pb2.BasketLine:
    line = basket_pb2.BasketLine(
        variant_id=row.variant_id,
        product_id=row.product_id,
        product_slug=row.slug,
        name=row.name,
        variant_label=variant_label(row),
        quantity=row.quantity,
        unit_price=messages.money(row.price, row.currency),
        line_total=messages.money(row.price * row.quantity, row.currency),
        # A line that can no longer be bought still shows; the page says why.
        stock=0 if row.discontinued else max(row.stock, 0),
    )
    if row.url is not None:
        line.image.CopyFrom(messages.image(row))
    return line
