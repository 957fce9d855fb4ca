"""shop.v1.StockAlerts: "email me when it is back" requests, and the stock counts that answer them
(api/back_in_stock.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from api import mail, validation
from api.back_in_stock import stock_returned
from api.context import CallContext
from api.rate_limits import Limit, in_words, take_turn
from api.schema import products, stock_alerts, variants
from api.services.auth import checked_email, client_address
from contract import stock_alerts_pb2
from contract.errors import FailedPrecondition, Invalid, NotFound, ResourceExhausted

ALERT_WINDOW = timedelta(hours=1)
ALERT_LIMITS = (
    Limit(stock_alerts.c.client_address, stock_alerts.c.created_at, 10, ALERT_WINDOW),
    Limit(stock_alerts.c.email, stock_alerts.c.created_at, 20, ALERT_WINDOW),
)
TOO_MANY = "You have asked for many alerts in a short time. Please try again in {}."
IN_STOCK = "This option is in stock: you can order it now."
NOT_SOLD = "This product is no longer sold."
MAX_LEVELS = 1000
MAX_SKU_LENGTH = 60  # the column's size
MAX_STOCK = 1_000_000  # a count, far below the column's 32-bit limit


async def request_stock_alert(
    ctx: CallContext, request: stock_alerts_pb2.RequestStockAlertRequest
) -> stock_alerts_pb2.RequestStockAlertResponse:
    email, problem = checked_email(request.email)
    if problem:
        raise Invalid(problem)
    address = client_address(request.client_address)
    if not validation.known_id(request.variant_id):
        raise NotFound(f"no variant has id {request.variant_id}")
    async with ctx.db.connect() as conn:
        variant = (
            await conn.execute(
                select(
                    variants.c.stock,
                    variants.c.size,
                    variants.c.colour,
                    products.c.id,
                    products.c.slug,
                    products.c.name,
                    products.c.discontinued,
                )
                .join(products, products.c.id == variants.c.product_id)
                .where(variants.c.id == request.variant_id)
            )
        ).one_or_none()
        if variant is None:
            raise NotFound(f"no variant has id {request.variant_id}")
        if variant.discontinued:
            raise FailedPrecondition(NOT_SOLD)
        if variant.stock > 0:
            raise FailedPrecondition(IN_STOCK)
        answer = stock_alerts_pb2.RequestStockAlertResponse(
            email=email,
            product_name=variant.name,
            product_id=variant.id,
            product_slug=variant.slug,
            variant_label=" / ".join(part for part in (variant.size, variant.colour) if part),
        )
        if await _waiting(conn, request.variant_id, email):
            return answer

    row = {
        "variant_id": request.variant_id,
        "email": email,
        "client_address": address,
        "created_at": ctx.now,
        "attempts": 0,
    }
    limits = [(ALERT_LIMITS[0], address), (ALERT_LIMITS[1], email)]
    try:
        _, wait = await take_turn(ctx.db, stock_alerts, row, limits, ctx.now)
    except IntegrityError:
        # The same request, sent twice at once: the other one is stored.
        return answer
    if wait:
        raise ResourceExhausted(TOO_MANY.format(in_words(wait)), retry_after_seconds=wait)
    # Stock that came back between the check above and the request's row makes it due now.
    async with ctx.db.begin() as conn:
        due = await stock_returned(conn, [request.variant_id], now=ctx.now)
    if due:
        mail.send_soon(ctx.db, ctx.settings)
    return answer


async def _waiting(conn: AsyncConnection, variant_id: int, email: str) -> bool:
    found = await conn.scalar(
        select(stock_alerts.c.id).where(
            stock_alerts.c.variant_id == variant_id,
            stock_alerts.c.email == email,
            stock_alerts.c.sent_at.is_(None),
        )
    )
    return found is not None


async def set_stock(
    ctx: CallContext, request: stock_alerts_pb2.SetStockRequest
) -> stock_alerts_pb2.SetStockResponse:
    levels = {level.sku: level.stock for level in request.levels}
    if not 1 <= len(request.levels) <= MAX_LEVELS:
        raise Invalid(f"levels holds {len(request.levels)} entries; send 1 to {MAX_LEVELS}")
    if len(levels) != len(request.levels):
        raise Invalid("levels names a SKU more than once")
    if any(not sku or len(sku) > MAX_SKU_LENGTH or "\x00" in sku for sku in levels):
        raise Invalid(f"every SKU is 1 to {MAX_SKU_LENGTH} characters, without NUL")
    if any(stock > MAX_STOCK for stock in levels.values()):
        raise Invalid(f"a stock count is at most {MAX_STOCK}")
    async with ctx.db.begin() as conn:
        rows = (
            await conn.execute(
                select(variants.c.id, variants.c.sku, variants.c.stock)
                .where(variants.c.sku.in_(sorted(levels)))
                .order_by(variants.c.id)  # rows locked in one order: no deadlock between counts
                .with_for_update()
            )
        ).all()
        unknown = sorted(set(levels) - {row.sku for row in rows})
        if unknown:
            raise Invalid(f"no variant has SKU {', '.join(unknown[:5])}")
        changed = [row for row in rows if row.stock != levels[row.sku]]
        if changed:
            await conn.execute(
                update(variants)
                .where(variants.c.id == bindparam("variant_id"))
                .values(stock=bindparam("new_stock")),
                [{"variant_id": row.id, "new_stock": levels[row.sku]} for row in changed],
            )
        returned = [row.id for row in changed if row.stock == 0]
        due = await stock_returned(conn, returned, now=ctx.now)
        ctx.check_deadline()
    if due:
        mail.send_soon(ctx.db, ctx.settings)
    return stock_alerts_pb2.SetStockResponse(updated=len(changed), alerts_due=due)
