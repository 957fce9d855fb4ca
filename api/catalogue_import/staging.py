"""What one import has seen so far, kept in temporary tables of its own connection rather than in
memory: a million product codes and SKUs would not fit the import's memory bound, and the
database answers "seen before?" for a whole batch in one statement.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence

from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    MetaData,
    String,
    Table,
    exists,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from api.catalogue_import.fields import MAX_LENGTHS, PRODUCT_CODE, SKU

_metadata = MetaData()

# Every product code of the file with the line its rows began on: rows of one product must be
# consecutive, and --discontinue-missing discontinues the products not here.
seen_products = Table(
    "import_seen_products",
    _metadata,
    Column("code", String(MAX_LENGTHS[PRODUCT_CODE]), primary_key=True),
    Column("line", Integer, nullable=False),
    prefixes=["TEMPORARY"],
)
# Every SKU of the file with its line: a SKU is one variant, given once.
seen_skus = Table(
    "import_seen_skus",
    _metadata,
    Column("sku", String(MAX_LENGTHS[SKU]), primary_key=True),
    Column("line", Integer, nullable=False),
    prefixes=["TEMPORARY"],
)
# Products whose listing-index rows the import changed (api/listing_index.py), refreshed at
# the end in one pass.
changed_products = Table(
    "import_changed_products",
    _metadata,
    Column("product_id", Integer, primary_key=True, autoincrement=False),
    prefixes=["TEMPORARY"],
)
_TABLES = (seen_products, seen_skus, changed_products)


async def create(conn: AsyncConnection) -> None:
    await drop(conn)
    await conn.run_sync(lambda sync: _metadata.create_all(sync, checkfirst=False))


async def drop(conn: AsyncConnection) -> None:
    """Once the import's transaction has ended, whichever way: the connection goes back to the
    pool, and a rollback may have undone an earlier drop (or, on SQLite, not the create)."""
    for table in _TABLES:
        await conn.execute(text(f"DROP TABLE IF EXISTS {table.name}"))


async def lines_seen(conn: AsyncConnection, table: Table, keys: Sequence[str]) -> dict[str, int]:
    """Which of these keys (codes or SKUs) were seen already, with their first line."""
    if not keys:
        return {}
    key = table.c[table.primary_key.columns.keys()[0]]
    rows = await conn.execute(select(key, table.c.line).where(key.in_(keys)))
    return {row[0]: row[1] for row in rows}


async def note(conn: AsyncConnection, table: Table, lines: dict[str, int]) -> None:
    if lines:
        name = table.primary_key.columns.keys()[0]
        await conn.execute(
            insert(table), [{name: key, "line": line} for key, line in lines.items()]
        )


async def mark_changed(conn: AsyncConnection, product_ids: Iterable[int]) -> None:
    rows = [{"product_id": product_id} for product_id in sorted(set(product_ids))]
    if rows:
        await conn.execute(insert(changed_products), rows)


def not_changed(product_id: ColumnElement[int]) -> ColumnElement[bool]:
    """A condition: this product is not marked changed yet."""
    return ~exists().where(changed_products.c.product_id == product_id)


async def changed_count(conn: AsyncConnection) -> int:
    return await conn.scalar(select(func.count()).select_from(changed_products)) or 0


async def changed_ids(conn: AsyncConnection, chunk: int) -> AsyncIterator[list[int]]:
    """The changed products' ids, a chunk at a time (keyset), never all in memory."""
    after = 0
    while True:
        ids = list(
            await conn.scalars(
                select(changed_products.c.product_id)
                .where(changed_products.c.product_id > after)
                .order_by(changed_products.c.product_id)
                .limit(chunk)
            )
        )
        if not ids:
            return
        yield ids
        after = ids[-1]
