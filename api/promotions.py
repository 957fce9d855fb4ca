"""Promotions in the database: the offers and a basket's codes read for the pricing rules
(api/pricing.py), who the customer is, and the uses an order counts in its own transaction.

Limits hold under racing orders because each use is a conditional update inside the order's
transaction (`times_used = times_used + 1 WHERE times_used < max_uses`, and the same on the
customer's row of promotion_customer_uses): on PostgreSQL the second of two racing updates waits
for the first's row lock and then sees its count; on SQLite the writers queue for the database
lock. An update that finds the limit reached refuses the order, which then rolls back whole.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.messages import AnyRow
from api.pricing import Benefit, Code, Customer, Line, Offer, Priced, price_basket
from api.schema import (
    basket_vouchers,
    category_ancestors,
    orders,
    promotion_customer_uses,
    promotion_targets,
    promotions,
    voucher_attempts,
    voucher_codes,
)

MAX_CODE_LENGTH = 40  # the column's size
# Codes tried are kept this long (the limits on tries look back minutes).
ATTEMPTS_KEPT_FOR = timedelta(days=1)
# What a code is made of; anything else typed is no code of ours, answered without a query.
CODE = re.compile(r"[A-Z0-9_-]{1,40}")


def normalised_code(typed: str) -> str:
    """A code as the shop stores it: no surrounding spaces, upper-case."""
    return typed.strip().upper()


def _offer(row: AnyRow, product_ids: Iterable[int], category_ids: Iterable[int]) -> Offer:
    return Offer(
        id=row.id,
        name=row.name,
        benefit=Benefit(row.benefit),
        currency=row.currency,
        percent_off=row.percent_off,
        amount_off=row.amount_off,
        buy_quantity=row.buy_quantity,
        free_quantity=row.free_quantity,
        min_subtotal=row.min_subtotal,
        product_ids=frozenset(product_ids),
        category_ids=frozenset(category_ids),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        needs_code=row.needs_code,
        combinable=row.combinable,
        first_order_only=row.first_order_only,
        max_uses=row.max_uses,
        times_used=row.times_used,
        max_uses_per_customer=row.max_uses_per_customer,
    )


def _with_targets(query: Select[Any]) -> Select[Any]:
    """`query` (over promotions) with one row per target of each promotion (one with NULLs for
    a promotion without any); a category target once per category of its subtree (products
    sit in leaves), from the category closure. One statement, whatever the targets."""
    return query.add_columns(
        promotion_targets.c.kind,
        promotion_targets.c.target_id,
        category_ancestors.c.category_id.label("covered_category_id"),
    ).outerjoin(
        promotion_targets.outerjoin(
            category_ancestors,
            and_(
                promotion_targets.c.kind == "category",
                category_ancestors.c.ancestor_id == promotion_targets.c.target_id,
            ),
        ),
        promotion_targets.c.promotion_id == promotions.c.id,
    )


def _offers(rows: Sequence[AnyRow], key: str = "id") -> dict[int, tuple[AnyRow, Offer]]:
    """Each promotion's (or code's, with key "code_id") first row and offer, from
    _with_targets rows, in their order."""
    firsts: dict[int, AnyRow] = {}
    products: dict[int, set[int]] = defaultdict(set)
    categories: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        which = getattr(row, key)
        firsts.setdefault(which, row)
        if row.kind == "product":
            products[which].add(row.target_id)
        elif row.kind == "category":
            # A category with no closure rows yet (just made) still stands for itself.
            categories[which].add(row.covered_category_id or row.target_id)
    return {
        which: (row, _offer(row, products[which], categories[which]))
        for which, row in firsts.items()
    }


async def automatic_offers(
    conn: AsyncConnection, now: datetime, *, sales_only: bool = False
) -> list[Offer]:
    """The promotions that need no code and have not ended (sales and basket promotions; only
    sales with `sales_only`)."""
    query = select(promotions).where(
        promotions.c.needs_code == False,  # noqa: E712 - SQL, and indexed so
        or_(promotions.c.ends_at.is_(None), promotions.c.ends_at > now),
    )
    if sales_only:
        query = query.where(
            promotions.c.benefit.in_([Benefit.PERCENT_OFF, Benefit.AMOUNT_OFF]),
            promotions.c.min_subtotal == 0,
        )
    rows = (await conn.execute(_with_targets(query).order_by(promotions.c.id))).all()
    return [offer for _row, offer in _offers(rows).values()]


def _code_query() -> Select[Any]:
    return _with_targets(
        select(
            promotions,
            voucher_codes.c.id.label("code_id"),
            voucher_codes.c.code,
            voucher_codes.c.max_uses.label("code_max_uses"),
            voucher_codes.c.times_used.label("code_times_used"),
        ).select_from(
            voucher_codes.join(promotions, promotions.c.id == voucher_codes.c.promotion_id)
        )
    )


def _codes(rows: Sequence[AnyRow]) -> list[tuple[int, Code]]:
    """(code id, code) of _code_query rows, in their order (one promotion per code)."""
    return [
        (row.code_id, Code(row.code, offer, row.code_max_uses, row.code_times_used))
        for row, offer in _offers(rows, key="code_id").values()
    ]


async def basket_codes(conn: AsyncConnection, basket_id: int | None) -> list[Code]:
    """The basket's codes, in the order they were added."""
    if basket_id is None:
        return []
    query = (
        _code_query()
        .join(basket_vouchers, basket_vouchers.c.code_id == voucher_codes.c.id)
        .where(basket_vouchers.c.basket_id == basket_id)
        .order_by(basket_vouchers.c.added_at, voucher_codes.c.id)
    )
    return [code for _id, code in _codes((await conn.execute(query)).all())]


async def code_named(conn: AsyncConnection, code: str) -> tuple[int, Code] | None:
    """The code's id and the code, when the shop has it."""
    if not CODE.fullmatch(code):
        return None
    rows = (await conn.execute(_code_query().where(voucher_codes.c.code == code))).all()
    found = _codes(rows)
    return found[0] if found else None


def customer_keys(user_id: int | None, email: str) -> list[str]:
    """The keys a customer's uses are counted under: the account, and the email address."""
    keys = [f"user:{user_id}"] if user_id is not None else []
    if email:
        keys.append(f"email:{email.lower()}")
    return keys


async def customer(conn: AsyncConnection, user_id: int | None, email: str) -> Customer:
    """What the rules need to know of a customer: whether an order would be their first, and
    their uses of each promotion. Unknown (rules about the customer not checked) without an
    account or an email."""
    keys = customer_keys(user_id, email)
    if not keys:
        return Customer()
    who = []
    if user_id is not None:
        who.append(orders.c.user_id == user_id)
    if email:
        who.append(orders.c.email == email.lower())
    earlier = await conn.scalar(select(orders.c.id).where(or_(*who)).limit(1))
    uses = await conn.execute(
        select(promotion_customer_uses.c.promotion_id, func.max(promotion_customer_uses.c.uses))
        .where(promotion_customer_uses.c.customer.in_(keys))
        .group_by(promotion_customer_uses.c.promotion_id)
    )
    return Customer(known=True, first_order=earlier is None, uses=dict(uses.all()))


def lines_of(rows: Sequence[AnyRow]) -> list[Line]:
    """Pricing's lines from api/services/basket.py line_rows."""
    return [
        Line(
            key=row.variant_id,
            product_id=row.product_id,
            category_id=row.category_id,
            quantity=row.quantity,
            price=row.price,
        )
        for row in rows
    ]


async def price(
    conn: AsyncConnection,
    rows: Sequence[AnyRow],
    basket_id: int | None,
    now: datetime,
    who: Customer | None = None,
) -> Priced:
    """The basket's lines priced with the promotions as the database holds them now."""
    return price_basket(
        lines_of(rows),
        await automatic_offers(conn, now) if rows else [],
        await basket_codes(conn, basket_id),
        now,
        who or Customer(),
    )


class UsedUp(Exception):
    """A limit of a promotion the order would use was reached meanwhile."""

    def __init__(self, code: str, name: str) -> None:
        super().__init__(code or name)
        self.code = code
        self.name = name


async def count_uses(
    conn: AsyncConnection, priced: Priced, user_id: int | None, email: str
) -> None:
    """In the order's transaction: one more use of each promotion and code the order takes, each
    within its limits, or UsedUp (the caller rolls the order back)."""
    keys = customer_keys(user_id, email)
    for applied in priced.applied:
        offer = applied.offer
        within = promotions.c.max_uses.is_(None) | (promotions.c.times_used < promotions.c.max_uses)
        counted = await conn.scalar(
            update(promotions)
            .where(promotions.c.id == offer.id, within)
            .values(times_used=promotions.c.times_used + 1)
            .returning(promotions.c.id)
        )
        if counted is None:
            raise UsedUp(applied.code, offer.name)
        if applied.code:
            code_within = voucher_codes.c.max_uses.is_(None) | (
                voucher_codes.c.times_used < voucher_codes.c.max_uses
            )
            counted = await conn.scalar(
                update(voucher_codes)
                .where(voucher_codes.c.code == applied.code, code_within)
                .values(times_used=voucher_codes.c.times_used + 1)
                .returning(voucher_codes.c.id)
            )
            if counted is None:
                raise UsedUp(applied.code, offer.name)
        for key in keys:
            if not await _one_more_use(conn, offer, key):
                raise UsedUp(applied.code, offer.name)


async def _one_more_use(conn: AsyncConnection, offer: Offer, key: str) -> bool:
    """The customer's row counted up, within the per-customer limit (made at 0 if new)."""
    dialect_insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    await conn.execute(
        dialect_insert(promotion_customer_uses)
        .values(promotion_id=offer.id, customer=key, uses=0)
        .on_conflict_do_nothing()
    )
    condition = [
        promotion_customer_uses.c.promotion_id == offer.id,
        promotion_customer_uses.c.customer == key,
    ]
    if offer.max_uses_per_customer is not None:
        condition.append(promotion_customer_uses.c.uses < offer.max_uses_per_customer)
    counted = await conn.scalar(
        update(promotion_customer_uses)
        .where(*condition)
        .values(uses=promotion_customer_uses.c.uses + 1)
        .returning(promotion_customer_uses.c.uses)
    )
    return counted is not None


async def forget_old_attempts(engine: AsyncEngine, now: datetime) -> int:
    """Drop the codes tried longer ago than any limit looks back (a day); how many."""
    async with engine.begin() as conn:
        gone = await conn.execute(
            delete(voucher_attempts).where(voucher_attempts.c.at < now - ATTEMPTS_KEPT_FOR)
        )
    return int(gone.rowcount)


async def add_code(conn: AsyncConnection, basket_id: int, code_id: int, now: datetime) -> None:
    await conn.execute(
        insert(basket_vouchers).values(basket_id=basket_id, code_id=code_id, added_at=now)
    )


async def remove_code(conn: AsyncConnection, basket_id: int, code: str) -> bool:
    """Whether the basket held the code."""
    removed = await conn.execute(
        basket_vouchers.delete().where(
            basket_vouchers.c.basket_id == basket_id,
            basket_vouchers.c.code_id.in_(
                select(voucher_codes.c.id).where(voucher_codes.c.code == code)
            ),
        )
    )
    return bool(removed.rowcount)


async def move_codes(conn: AsyncConnection, from_basket: int, to_basket: int) -> None:
    """At log-in, a guest basket's codes go to the account's basket (those it lacks)."""
    held = select(basket_vouchers.c.code_id).where(basket_vouchers.c.basket_id == to_basket)
    await conn.execute(
        update(basket_vouchers)
        .where(basket_vouchers.c.basket_id == from_basket, basket_vouchers.c.code_id.not_in(held))
        .values(basket_id=to_basket)
    )


async def create_promotion(
    conn: AsyncConnection,
    *,
    name: str,
    benefit: Benefit,
    now: datetime,
    codes: Iterable[tuple[str, int | None]] = (),
    products: Iterable[int] = (),
    categories: Iterable[int] = (),
    **fields: Any,
) -> int:
    """Writes a promotion, what it covers and its codes (code, its own limit or None); its id.
    A promotion with codes needs one of them; one without applies by itself. `fields` are
    the other columns of `promotions` (percent_off, min_subtotal, ends_at, max_uses...)."""
    codes = [(normalised_code(text), limit) for text, limit in codes]
    if bad := [text for text, _limit in codes if not CODE.fullmatch(text)]:
        raise ValueError(f"codes are letters, digits, - and _ (at most 40): not {bad}")
    promotion_id: int = (
        await conn.execute(
            insert(promotions)
            .values(
                name=name,
                benefit=str(benefit),
                needs_code=bool(codes),
                currency=fields.pop("currency", "EUR"),
                created_at=now,
                updated_at=now,
                **fields,
            )
            .returning(promotions.c.id)
        )
    ).scalar_one()
    targets = [{"kind": "product", "target_id": i} for i in products]
    targets += [{"kind": "category", "target_id": i} for i in categories]
    if targets:
        await conn.execute(
            insert(promotion_targets), [{"promotion_id": promotion_id, **t} for t in targets]
        )
    if codes:
        await conn.execute(
            insert(voucher_codes),
            [
                {"promotion_id": promotion_id, "code": text, "max_uses": limit}
                for text, limit in codes
            ],
        )
    return promotion_id


async def free_delivery_from(conn: AsyncConnection, now: datetime) -> int | None:
    """The basket value (minor units) from which a running promotion that needs no code makes
    delivery free for any basket, the lowest if several do; None when none does. The help
    pages and product offers state it, so they promise what checkout applies."""
    thresholds = [
        offer.min_subtotal
        for offer in await automatic_offers(conn, now)
        if offer.benefit == Benefit.FREE_DELIVERY and offer.everything and offer.is_live(now)
    ]
    return min(thresholds, default=None)
