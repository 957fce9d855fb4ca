"""Keeps the listing index (category_ancestors, category_products, category_facet_values,
category_facet_counts, category_facet_pairs in api/schema.py) in step with categories, products
and variants.

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

from sqlalchemy import (
    Select,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    union,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.facets import BRAND, COLOUR, PRICE_BAND, SIZE, price_band_of
from api.queries import is_live
from api.schema import (
    categories,
    category_ancestors,
    category_facet_counts,
    category_facet_pairs,
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
    category_facet_pairs,
)
_listed = category_products.c
_values = category_facet_values.c
_counts = category_facet_counts.c
_pairs = category_facet_pairs.c
# The aggregates, each with the columns of its key: what _contributions counts and
# _move_counts moves.
_COUNT_KEYS = {
    category_facet_counts: ("category_id", "facet", "value"),
    category_facet_pairs: ("category_id", "facet", "value", "other_facet", "other_value"),
}


async def rebuild(conn: AsyncConnection) -> None:
    """The whole index again from the catalogue, inside the caller's transaction."""
    for table in (category_facet_pairs, category_facet_counts, category_facet_values):
        await conn.execute(delete(table))
    await conn.execute(delete(category_products))
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
    await conn.execute(_insert_pairs())
    # The planners' statistics of the new rows now, not at autovacuum's next pass: the
    # filtered listings' plans depend on how many rows a facet value has.
    for table in _INDEX_TABLES:
        await conn.execute(text(f"ANALYZE {table.name}"))


def _pairs_of(leaf_only: bool, product_ids: Sequence[int] | None = None) -> Select[Any]:
    """(category, facet, value, other facet, other value, products) of the index's values,
    with facet < other facet (each pair once).

    `leaf_only` counts in each product's own category alone (a rebuild rolls those up through
    category_ancestors: a third of the rows to pair)."""
    mine, other = category_facet_values.alias("mine"), category_facet_values.alias("other")
    statement = select(
        mine.c.category_id,
        mine.c.facet,
        mine.c.value,
        other.c.facet.label("other_facet"),
        other.c.value.label("other_value"),
        func.count().label("products"),
    ).join(
        other,
        and_(
            other.c.product_id == mine.c.product_id,
            other.c.category_id == mine.c.category_id,
            other.c.facet > mine.c.facet,
        ),
    )
    if leaf_only:
        statement = statement.join(
            products,
            and_(products.c.id == mine.c.product_id, products.c.category_id == mine.c.category_id),
        )
    if product_ids is not None:
        statement = statement.where(mine.c.product_id.in_(product_ids))
    return statement.group_by(
        mine.c.category_id, mine.c.facet, mine.c.value, other.c.facet, other.c.value
    )


def _insert_pairs() -> Any:
    """Every category's pairs, both ways round: each product's own category's, rolled up."""
    leaf = _pairs_of(leaf_only=True).subquery("leaf")
    up = category_ancestors.c
    rolled = (
        select(
            up.ancestor_id,
            leaf.c.facet,
            leaf.c.value,
            leaf.c.other_facet,
            leaf.c.other_value,
            func.sum(leaf.c.products).label("products"),
        )
        .join(category_ancestors, up.category_id == leaf.c.category_id)
        .group_by(
            up.ancestor_id, leaf.c.facet, leaf.c.value, leaf.c.other_facet, leaf.c.other_value
        )
        .cte("rolled")
    )
    both_ways = union_all(
        select(rolled),
        select(
            rolled.c.ancestor_id,
            rolled.c.other_facet,
            rolled.c.other_value,
            rolled.c.facet,
            rolled.c.value,
            rolled.c.products,
        ),
    )
    return insert(category_facet_pairs).from_select(
        ["category_id", "facet", "value", "other_facet", "other_value", "count"], both_ways
    )


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
        for table, counted in after.items():
            counted.subtract(before[table])
            await _move_counts(conn, table, counted)


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


async def _contributions(
    conn: AsyncConnection, product_ids: Sequence[int]
) -> dict[Table, Counter[Any]]:
    """What these products add to each aggregate: {table: {key: count}}."""
    counted = union_all(
        select(_values.category_id, _values.facet, _values.value, func.count())
        .where(_values.product_id.in_(product_ids))
        .group_by(_values.category_id, _values.facet, _values.value),
        select(_listed.category_id, literal(TOTAL), literal(TOTAL), func.count())
        .where(_listed.product_id.in_(product_ids))
        .group_by(_listed.category_id),
    )
    counts = Counter({tuple(row[:3]): row[3] for row in await conn.execute(counted)})
    pairs: Counter[Any] = Counter()
    for category_id, facet, value, other_facet, other_value, n in await conn.execute(
        _pairs_of(leaf_only=False, product_ids=product_ids)
    ):
        pairs[(category_id, facet, value, other_facet, other_value)] += n
        pairs[(category_id, other_facet, other_value, facet, value)] += n
    return {category_facet_counts: counts, category_facet_pairs: pairs}


async def _move_counts(conn: AsyncConnection, table: Table, changes: Counter[Any]) -> None:
    """Add each change to its row (made at the change when missing), then drop the rows
    brought to zero. count = count + change, in one upsert per row batched in one executemany,
    keeps concurrent refreshes of other products from losing each other's updates."""
    keys = _COUNT_KEYS[table]
    moved = [dict(zip(keys, key, strict=True)) | {"count": n} for key, n in changes.items() if n]
    if not moved:
        return
    upsert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)
    await conn.execute(
        upsert.on_conflict_do_update(
            index_elements=list(keys), set_={"count": table.c.count + upsert.excluded.count}
        ),
        moved,
    )
    emptied = [row for row in moved if row["count"] < 0]
    if emptied:
        key_of = and_(*(table.c[k] == bindparam(f"key_{k}") for k in keys))
        await conn.execute(
            delete(table).where(key_of, table.c.count <= 0),
            [{f"key_{k}": row[k] for k in keys} for row in emptied],
        )
