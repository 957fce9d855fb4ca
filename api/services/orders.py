"""shop.v1.Orders: an order for its shopper, and an account's order history.

An order is shown to the account that placed it, or to whoever holds its access token (the
guest's confirmation link, also in the confirmation email). Anyone else gets NOT_FOUND, the same
answer as for a number that does not exist, so numbers cannot be probed.
"""

from __future__ import annotations

import secrets

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from api import validation
from api.context import CallContext
from api.messages import AnyRow, money, timestamp
from api.schema import order_discounts, order_lines, orders
from api.services.basket import account_of, plausible_token
from contract import basket_pb2, orders_pb2, promotions_pb2
from contract.errors import NotFound, Unauthenticated

MAX_NUMBER_LENGTH = 20  # the column's size
NO_SUCH_ORDER = "no such order"


async def get_order(ctx: CallContext, request: orders_pb2.GetOrderRequest) -> orders_pb2.Order:
    number = request.number.strip().upper()
    if not number or len(number) > MAX_NUMBER_LENGTH or not number.isalnum():
        raise NotFound(NO_SUCH_ORDER)
    async with ctx.db.connect() as conn:
        row = (await conn.execute(select(orders).where(orders.c.number == number))).one_or_none()
        if row is None or not await _may_see(conn, ctx, row, request):
            raise NotFound(NO_SUCH_ORDER)
        lines = await _lines(conn, row.id)
        discounts = await _discounts(conn, row.id)
    return order_message(row, lines, discounts)


async def _may_see(
    conn: AsyncConnection, ctx: CallContext, row: AnyRow, request: orders_pb2.GetOrderRequest
) -> bool:
    token = plausible_token(request.access_token)
    if token and secrets.compare_digest(token, row.access_token):
        return True
    if row.user_id is None:
        return False
    return await account_of(conn, request.session_token, ctx.now) == row.user_id


async def list_orders(
    ctx: CallContext, request: orders_pb2.ListOrdersRequest
) -> orders_pb2.ListOrdersResponse:
    page = validation.Page.from_request(request.page)
    async with ctx.db.connect() as conn:
        user_id = await account_of(conn, request.session_token, ctx.now)
        if user_id is None:
            raise Unauthenticated("not logged in")
        total = await conn.scalar(
            select(func.count()).select_from(orders).where(orders.c.user_id == user_id)
        )
        rows = (
            await conn.execute(
                select(orders)
                .where(orders.c.user_id == user_id)
                .order_by(orders.c.placed_at.desc(), orders.c.id.desc())
                .limit(page.size)
                .offset(page.offset)
            )
        ).all()
        quantities = await conn.execute(
            select(order_lines.c.order_id, func.sum(order_lines.c.quantity))
            .where(order_lines.c.order_id.in_([row.id for row in rows]))
            .group_by(order_lines.c.order_id)
        )
        counts = {order_id: int(total) for order_id, total in quantities}
    listed = []
    for row in rows:
        order = order_message(row, [])
        order.access_token = ""  # the history is the account's: no link needs the token
        order.item_count = int(counts.get(row.id, 0))
        listed.append(order)
    return orders_pb2.ListOrdersResponse(orders=listed, page=page.info(int(total or 0)))


async def load_order(conn: AsyncConnection, where: ColumnElement[bool]) -> orders_pb2.Order | None:
    """The one order matching `where`, with its lines; None when there is none."""
    row = (await conn.execute(select(orders).where(where))).one_or_none()
    if row is None:
        return None
    return order_message(row, await _lines(conn, row.id), await _discounts(conn, row.id))


async def _lines(conn: AsyncConnection, order_id: int) -> list[AnyRow]:
    query = (
        select(order_lines)
        .where(order_lines.c.order_id == order_id)
        .order_by(order_lines.c.position)
    )
    return list((await conn.execute(query)).all())


async def _discounts(conn: AsyncConnection, order_id: int) -> list[AnyRow]:
    query = (
        select(order_discounts)
        .where(order_discounts.c.order_id == order_id)
        .order_by(order_discounts.c.position)
    )
    return list((await conn.execute(query)).all())


def order_message(
    row: AnyRow, lines: list[AnyRow], discounts: list[AnyRow] | None = None
) -> orders_pb2.Order:
    currency = row.currency
    order = orders_pb2.Order(
        id=row.id,
        number=row.number,
        status=row.status,
        email=row.email,
        shipping_address=address_message(row),
        shipping_method=orders_pb2.ShippingMethod(
            code=row.shipping_method,
            label=row.shipping_label,
            price=money(row.shipping, currency),
            min_days=row.shipping_min_days,
            max_days=row.shipping_max_days,
        ),
        subtotal=money(row.subtotal, currency),
        discount=money(row.discount, currency),
        shipping=money(row.shipping, currency),
        total=money(row.total, currency),
        placed_at=timestamp(row.placed_at),
        access_token=row.access_token,
        payment=card_message(row),
        payment_reference=row.payment_reference,
    )
    for line in lines:
        message = basket_pb2.BasketLine(
            variant_id=line.variant_id,
            product_id=line.product_id,
            product_slug=line.product_slug,
            name=line.name,
            variant_label=line.variant_label,
            quantity=line.quantity,
            unit_price=money(line.unit_price, currency),
            line_total=money(line.line_total, currency),
            discount=money(line.discount, currency),
        )
        if line.compare_at_unit_price is not None:
            message.compare_at_unit_price.CopyFrom(money(line.compare_at_unit_price, currency))
            message.sale.name = line.sale_name
        order.lines.append(message)
    for discount in discounts or []:
        order.discounts.add(
            promotion_id=discount.promotion_id,
            name=discount.name,
            code=discount.code,
            amount=money(discount.amount, currency),
            target=(
                promotions_pb2.DISCOUNT_TARGET_DELIVERY
                if discount.target == "delivery"
                else promotions_pb2.DISCOUNT_TARGET_ITEMS
            ),
        )
    order.item_count = sum(line.quantity for line in order.lines)
    return order


# Checkouts and orders store an address and a card in the same columns (api/schema.py).
def address_message(row: AnyRow) -> orders_pb2.Address:
    return orders_pb2.Address(
        name=row.ship_name,
        line1=row.ship_line1,
        line2=row.ship_line2,
        city=row.ship_city,
        postcode=row.ship_postcode,
        country=row.ship_country,
        phone=row.ship_phone,
    )


def card_message(row: AnyRow) -> orders_pb2.PaymentCard:
    return orders_pb2.PaymentCard(
        brand=row.card_brand,
        last4=row.card_last4,
        exp_month=row.card_exp_month,
        exp_year=row.card_exp_year,
        holder=row.card_holder,
    )
