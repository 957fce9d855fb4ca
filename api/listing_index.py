"""Keeps the listing index (category_ancestors, category_products, category_facet_values,
category_facet_counts in api/schema.py) in step with categories, products and variants.

Every write that changes a product's category, sort columns, live state, brand, price or
variants' colours and sizes calls `refresh_products` in its own transaction (one that deletes
products calls `remove_products` first); a seed or an import
that replaces the catalogue calls `rebuild` once at its end. Stock is not indexed: listings read
it from variants when they show a page.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, delete, func, insert, literal, select, text, union, union_all, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.facets import BRAND, COLOUR, PRICE_BAND, SIZE, price_band_of
from api.queries import is_live
from api.schema import (
    categories,
    category_ancestors,
    category_facet_counts,
    category_facet_values,
    category_products,
    products,
    variants,
)

# category_facet_counts' row for a category's total of live products.
TOTAL = ""
# Products refreshed per statement: bound parameters stay well under SQLite's limit.
REFRESH_CHUNK = 500

_INDEX_TABLES = (
    category_ancestors,
    category_products,
    category_facet_values,
    category_facet_counts,
)
_listed = category_products.c
_values = category_facet_values.c
_counts = category_facet_counts.c


async def rebuild(conn: AsyncConnection) -> None:
    """The whole index again from the catalogue, inside the caller's transaction."""
    for table in (category_facet_counts, category_facet_values, category_products):
        await conn.execute(delete(table))
    await conn.execute(delete(category_ancestors))
    await conn.execute(
        insert(category_ancestors).from_select(["category_id", "ancestor_id"], _closure())
    )
    await conn.execute(_insert_listed(None))
    await conn.execute(_insert_values(None))
    counted = union_all(
        select(_values.category_id, _values.facet, _values.value, func.count()).group_by(
            _values.category_id, _values.facet, _values.value
        ),
        select(_listed.category_id, literal(TOTAL), literal(TOTAL), func.count()).group_by(
            _listed.category_id
        ),
    )
    await conn.execute(
        insert(category_facet_counts).from_select(
            ["category_id", "facet", "value", "count"], counted
        )
    )
    # The planners' statistics of the new rows now, not at autovacuum's next pass: the
    # filtered listings' plans depend on how many rows a facet value has.
    for table in _INDEX_TABLES:
        await conn.execute(text(f"ANALYZE {table.name}"))


async def vacuum(engine: AsyncEngine) -> None:
    """After a bulk load on PostgreSQL, mark the index tables' pages all-visible, outside any
    transaction: until then (or autovacuum's next pass) an index-only scan of a listing also
    reads every row it returns from the table, measured 3-10x slower. SQLite has no need."""
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in _INDEX_TABLES:
            await autocommit.execute(text(f"VACUUM (ANALYZE) {table.name}"))


async def refresh_products(conn: AsyncConnection, product_ids: Iterable[int]) -> None:
    """Re-index these products after a write changed them (or their variants), and move the
    counts by the difference: a product's old rows are read back from the index itself."""
    await _reindex(conn, product_ids, again=True)


async def remove_products(conn: AsyncConnection, product_ids: Iterable[int]) -> None:
    """Take these products out of the index, before a write deletes them (the index's rows
    refer to them), and their share out of the counts."""
    await _reindex(conn, product_ids, again=False)


async def _reindex(conn: AsyncConnection, product_ids: Iterable[int], *, again: bool) -> None:
    ids = sorted(set(product_ids))
    for start in range(0, len(ids), REFRESH_CHUNK):
        chunk = ids[start : start + REFRESH_CHUNK]
        before = await _contributions(conn, chunk)
        await conn.execute(delete(category_facet_values).where(_values.product_id.in_(chunk)))
        await conn.execute(delete(category_products).where(_listed.product_id.in_(chunk)))
        if again:
            await conn.execute(_insert_listed(chunk))
            await conn.execute(_insert_values(chunk))
        after = await _contributions(conn, chunk)
        after.subtract(before)
        await _move_counts(conn, after)


def _closure() -> Select[Any]:
    # UNION, not UNION ALL: a cycle in bad data ends the recursion instead of looping.
    parent = categories.alias("parent")
    walk = select(categories.c.id.label("category_id"), categories.c.id.label("ancestor_id")).cte(
        "walk", recursive=True
    )
    walk = walk.union(
        select(walk.c.category_id, parent.c.parent_id)
        .join(parent, parent.c.id == walk.c.ancestor_id)
        .where(parent.c.parent_id.is_not(None))
    )
    return select(walk.c.category_id, walk.c.ancestor_id)


def _insert_listed(product_ids: Sequence[int] | None) -> Any:
    rows = (
        select(
            category_ancestors.c.ancestor_id,
            products.c.id,
            products.c.position,
            products.c.price,
            products.c.created_at,
            products.c.name,
        )
        .join(category_ancestors, category_ancestors.c.category_id == products.c.category_id)
        .where(is_live())
    )
    if product_ids is not None:
        rows = rows.where(products.c.id.in_(product_ids))
    return insert(category_products).from_select(
        ["category_id", "product_id", "position", "price", "created_at", "name"], rows
    )


def _insert_values(product_ids: Sequence[int] | None) -> Any:
    """Each listed product's brand, price band, colours and sizes, under each of its categories."""
    listed = category_products.join(products, products.c.id == _listed.product_id)
    with_variants = category_products.join(variants, variants.c.product_id == _listed.product_id)
    parts = [
        select(_listed.category_id, literal(BRAND), products.c.brand, _listed.product_id)
        .select_from(listed)
        .where(products.c.brand != ""),
        select(
            _listed.category_id, literal(PRICE_BAND), price_band_of(), _listed.product_id
        ).select_from(listed),
        *(
            select(_listed.category_id, literal(facet), variants.c[facet], _listed.product_id)
            .select_from(with_variants)
            .where(variants.c[facet] != "")
            for facet in (COLOUR, SIZE)
        ),
    ]
    if product_ids is not None:
        parts = [part.where(_listed.product_id.in_(product_ids)) for part in parts]
    # UNION drops the repeats of a colour that several of a product's sizes share.
    return insert(category_facet_values).from_select(
        ["category_id", "facet", "value", "product_id"], union(*parts)
    )


async def _contributions(conn: AsyncConnection, product_ids: Sequence[int]) -> Counter[Any]:
    """What these products add to category_facet_counts: {(category, facet, value): count}."""
    counted = union_all(
        select(_values.category_id, _values.facet, _values.value, func.count())
        .where(_values.product_id.in_(product_ids))
        .group_by(_values.category_id, _values.facet, _values.value),
        select(_listed.category_id, literal(TOTAL), literal(TOTAL), func.count())
        .where(_listed.product_id.in_(product_ids))
        .group_by(_listed.category_id),
    )
    result = await conn.execute(counted)
    return Counter({(row[0], row[1], row[2]): row[3] for row in result})


async def _move_counts(conn: AsyncConnection, changes: Counter[Any]) -> None:
    # count = count + change keeps concurrent refreshes of other products from losing updates.
    for (category_id, facet, value), change in changes.items():
        if change == 0:
            continue
        key = (_counts.category_id == category_id, _counts.facet == facet, _counts.value == value)
        moved = await conn.execute(
            update(category_facet_counts).where(*key).values(count=_counts.count + change)
        )
        if moved.rowcount == 0:
            await conn.execute(
                insert(category_facet_counts).values(
                    category_id=category_id, facet=facet, value=value, count=change
                )
            )
        elif change < 0:
            await conn.execute(delete(category_facet_counts).where(*key, _counts.count <= 0))
