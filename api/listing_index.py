"""Keeps the listing index (category_ancestors, category_products, category_facet_values,
category_facet_counts, category_facet_combinations, category_facet_sets in api/schema.py) in
step with categories, products and variants.

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
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api import facet_combinations
from api.facets import BRAND, COLOUR, PRICE_BAND, SIZE, price_band_of
from api.queries import is_live
from api.schema import (
    categories,
    category_ancestors,
    category_facet_combinations,
    category_facet_counts,
    category_facet_sets,
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
    category_facet_combinations,
    category_facet_sets,
)
_listed = category_products.c
_values = category_facet_values.c
_counts = category_facet_counts.c
# The aggregates, each with the columns of its key: what _contributions counts and
# _move_counts moves.
_COUNT_KEYS = {
    category_facet_counts: ("category_id", "facet", "value"),
    category_facet_combinations: ("category_id", "facets", BRAND, COLOUR, SIZE, PRICE_BAND),
    category_facet_sets: ("category_id", "facets", BRAND, COLOUR, SIZE, PRICE_BAND),
}
# How a product's values expand into each table's keys (api/facet_combinations.py).
_EXPAND = {
    category_facet_combinations: facet_combinations.keys,
    category_facet_sets: facet_combinations.set_keys,
}
# Rows of category_facet_combinations (or _sets) written per statement by a rebuild.
INSERT_BATCH = 20_000
# A separator no facet value holds, to join a product's colours (or sizes) into one text.
_SEPARATOR = "\x1f"


async def rebuild(conn: AsyncConnection) -> None:
    """The whole index again from the catalogue, inside the caller's transaction."""
    for table in (
        category_facet_sets,
        category_facet_combinations,
        category_facet_counts,
        category_facet_values,
    ):
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
    await _insert_combinations(conn)
    # The planners' statistics of the new rows now, not at autovacuum's next pass: the
    # filtered listings' plans depend on how many rows a facet value has.
    for table in _INDEX_TABLES:
        await conn.execute(text(f"ANALYZE {table.name}"))


async def _insert_combinations(conn: AsyncConnection) -> None:
    """Every category's facet combinations and facet sets: the live products grouped by their
    own category and facet values (one row per distinct group, read once), each group's rows
    counted in its category and every ancestor."""
    ancestors: dict[int, list[int]] = {}
    for category_id, ancestor_id in await conn.execute(select(category_ancestors)):
        ancestors.setdefault(category_id, []).append(ancestor_id)
    # Counted in each product's own category first, then rolled up: a third of the work.
    own: dict[Table, Counter[Any]] = {table: Counter() for table in _EXPAND}
    result = await conn.stream(_product_groups(conn.dialect.name))
    async for category_id, brand, band, colours, sizes, grouped in result:
        values = {
            BRAND: (brand,) if brand else (),
            PRICE_BAND: (band,),
            COLOUR: _split(colours),
            SIZE: _split(sizes),
        }
        for table, expand in _EXPAND.items():
            facet_combinations.add_product(own[table], (category_id,), values, grouped, expand)
    for table, counted in own.items():
        counts: Counter[Any] = Counter()
        for (category_id, *key), n in counted.items():
            for ancestor_id in ancestors.get(category_id, ()):
                counts[(ancestor_id, *key)] += n
        keys = _COUNT_KEYS[table]
        # In the key's order: SQLite's WITHOUT ROWID table appends instead of splitting pages.
        ordered = sorted(counts.items())
        rows = [dict(zip(keys, key, strict=True)) | {"count": n} for key, n in ordered]
        for start in range(0, len(rows), INSERT_BATCH):
            await conn.execute(insert(table), rows[start : start + INSERT_BATCH])


def _split(joined: str | None) -> tuple[str, ...]:
    return tuple(value for value in (joined or "").split(_SEPARATOR) if value)


def _product_groups(dialect: str) -> Select[Any]:
    """(category, brand, price band, colours, sizes, products) of live products, a row per
    distinct group; colours and sizes each joined into one text (in any order: the groups are
    made canonical in Python, so an order that differs only makes more groups)."""

    def joined(column: str) -> Any:
        distinct = (
            select(variants.c.product_id, variants.c[column].label("value"))
            .where(variants.c[column] != "")
            .distinct()
            .subquery()
        )
        # string_agg(value, separator ORDER BY value) on PostgreSQL: without the ORDER BY, the
        # grouping of a million products spilled hash aggregates to disk for over 10 minutes
        # (migration 0013's backfill, the same statement); with it, 10 seconds.
        aggregate = (
            func.string_agg(
                distinct.c.value, aggregate_order_by(literal(_SEPARATOR), distinct.c.value)
            )
            if dialect == "postgresql"
            else func.group_concat(distinct.c.value, _SEPARATOR)
        )
        return (
            select(distinct.c.product_id, aggregate.label("joined"))
            .group_by(distinct.c.product_id)
            .subquery(column)
        )

    colours, sizes = joined(COLOUR), joined(SIZE)
    # The band named in a subquery and grouped outside: PostgreSQL would not accept GROUP BY on
    # a CASE whose bound parameters are numbered apart from the SELECT's (api/facets.py).
    listed = (
        select(
            products.c.id,
            products.c.category_id,
            products.c.brand,
            price_band_of().label("band"),
        )
        .where(is_live())
        .subquery("listed")
    )
    group = (listed.c.category_id, listed.c.brand, listed.c.band, colours.c.joined, sizes.c.joined)
    return (
        select(*group, func.count())
        .select_from(
            listed.outerjoin(colours, colours.c.product_id == listed.c.id).outerjoin(
                sizes, sizes.c.product_id == listed.c.id
            )
        )
        .group_by(*group)
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
    """Each listed product's brand, price band, colours and sizes, under each of its categories.

    Each part is distinct by itself (a product's distinct colours and sizes are taken from its
    variants first) and the parts hold different facets, so UNION ALL joins them: no sort of
    every row to drop repeats (22 million rows for a million products)."""
    listed = category_products.join(products, products.c.id == _listed.product_id)
    parts = [
        select(_listed.category_id, literal(BRAND), products.c.brand, _listed.product_id)
        .select_from(listed)
        .where(products.c.brand != ""),
        select(
            _listed.category_id, literal(PRICE_BAND), price_band_of(), _listed.product_id
        ).select_from(listed),
    ]
    for facet in (COLOUR, SIZE):
        distinct = select(variants.c.product_id, variants.c[facet].label("value")).where(
            variants.c[facet] != ""
        )
        if product_ids is not None:
            distinct = distinct.where(variants.c.product_id.in_(product_ids))
        held = distinct.distinct().subquery(facet)
        parts.append(
            select(_listed.category_id, literal(facet), held.c.value, _listed.product_id).join(
                held, held.c.product_id == _listed.product_id
            )
        )
    if product_ids is not None:
        parts = [part.where(_listed.product_id.in_(product_ids)) for part in parts]
    return insert(category_facet_values).from_select(
        ["category_id", "facet", "value", "product_id"], union_all(*parts)
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
    # Each product's values in each of its categories, from the index's own rows (before a
    # refresh, what the index held; after it, what it holds now).
    held: dict[tuple[int, int], dict[str, set[str]]] = {}
    for category_id, product_id, facet, value in await conn.execute(
        select(_values.category_id, _values.product_id, _values.facet, _values.value).where(
            _values.product_id.in_(product_ids)
        )
    ):
        held.setdefault((category_id, product_id), {}).setdefault(facet, set()).add(value)
    expanded: dict[Table, Counter[Any]] = {table: Counter() for table in _EXPAND}
    for (category_id, _product_id), values in held.items():
        for table, expand in _EXPAND.items():
            facet_combinations.add_product(expanded[table], (category_id,), values, 1, expand)
    return {category_facet_counts: counts, **expanded}


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
            index_elements=list(keys), set_={"count": table.c["count"] + upsert.excluded["count"]}
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
