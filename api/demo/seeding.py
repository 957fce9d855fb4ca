"""Writes a generated catalogue into the database, replacing the one there."""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Table, func, literal, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from tqdm import tqdm

from api import listing_index, schema
from api.db import migrate
from api.demo.categories import generate_categories
from api.demo.landings import generate_landings
from api.demo.products import generate_products, live_product_ids
from api.demo.promotions import seed_promotions
from api.demo.reviews import ReviewWriter
from api.demo.rows import ProductChunk, Row

DEFAULT_PRODUCTS = 2000
DEFAULT_SEED = 42
# Hand-picked rails choose among this many live products of the first chunk.
RAIL_CANDIDATES = 200


@dataclass(frozen=True)
class SeedSummary:
    categories: int
    products: int
    variants: int
    images: int
    landing_pages: int
    discontinued: int
    moved: int
    reviews: int = 0
    reviewed_products: int = 0


def seeded_rng(seed: int, part: str) -> random.Random:
    """The random stream of one part of the catalogue ("products", "landings")."""
    # One stream per part, so that changing how landings are drawn leaves products unchanged.
    # String seeds are hashed with SHA-512, the same in every process (not hash()).
    return random.Random(f"{seed}:{part}")  # noqa: S311 - demo data, not secrets


async def seed_demo(
    engine: AsyncEngine,
    *,
    products: int = DEFAULT_PRODUCTS,
    seed: int = DEFAULT_SEED,
    progress: bool = False,
) -> SeedSummary:
    """Replace the whole catalogue (every table of api.schema) with a generated one."""
    await migrate(engine)
    await _delete_everything(engine)
    categories = generate_categories()
    async with engine.begin() as conn:
        await conn.execute(schema.categories.insert(), [c.row() for c in categories])

    variants = images = discontinued = moved = reviews = reviewed = 0
    review_writer = ReviewWriter(seeded_rng(seed, "reviews"), categories)
    rail_candidates: list[int] = []
    chunks = generate_products(seeded_rng(seed, "products"), categories, products)
    with tqdm(total=products, unit=" products", file=sys.stderr, disable=not progress) as bar:
        for chunk in chunks:
            # One transaction per chunk: memory stays flat and the SQLite WAL is checkpointed
            # as we go instead of growing to the size of the database.
            review_rows = review_writer.rows(chunk)
            async with engine.begin() as conn:
                await _insert_chunk(conn, chunk)
                await _insert(conn, schema.reviews, review_rows.reviews)
                await _insert(conn, schema.product_ratings, review_rows.ratings)
            reviews += len(review_rows.reviews)
            reviewed += len(review_rows.ratings)
            if not rail_candidates:
                rail_candidates = live_product_ids(chunk)[:RAIL_CANDIDATES]
            variants += len(chunk.variants)
            images += len(chunk.images)
            discontinued += sum(1 for p in chunk.products if p["discontinued"])
            moved += len(chunk.old_slugs)
            bar.update(len(chunk.products))

    landings = generate_landings(seeded_rng(seed, "landings"), categories, rail_candidates)
    async with engine.begin() as conn:
        await listing_index.rebuild(conn)
        await _insert(conn, schema.landing_pages, landings.pages)
        await _insert(conn, schema.landing_blocks, landings.blocks)
        await _insert(conn, schema.banners, landings.banners)
        await _insert(conn, schema.landing_rail_products, landings.rail_products)
        await seed_promotions(conn, categories, datetime.now(UTC))
        await _advance_postgres_sequences(conn)
    await _vacuum_postgres(engine)
    return SeedSummary(
        categories=len(categories),
        products=products,
        variants=variants,
        images=images,
        landing_pages=len(landings.pages),
        discontinued=discontinued,
        moved=moved,
        reviews=reviews,
        reviewed_products=reviewed,
    )


async def _delete_everything(engine: AsyncEngine) -> None:
    # Children before parents, so foreign keys hold at every step on both databases.
    async with engine.begin() as conn:
        for table in reversed(schema.metadata.sorted_tables):
            await conn.execute(table.delete())


async def _vacuum_postgres(engine: AsyncEngine) -> None:
    """VACUUM (ANALYZE) every table after the bulk load, outside any transaction.

    The planner's statistics of the new rows now: without them (autovacuum may be slow or
    off) a product read's generic plan was seen to guess hundreds of rows per product. And
    every page marked all-visible: until then an index-only scan also reads the table for
    each row it returns (the listing index's walks, a card's first picture from
    product_images' primary key, the sitemaps' and category links' covering indexes on
    products); autovacuum does not visit tables that were only inserted into for a while.
    """
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in schema.metadata.sorted_tables:
            await autocommit.execute(text(f"VACUUM (ANALYZE) {table.name}"))


async def _advance_postgres_sequences(conn: AsyncConnection) -> None:
    # Rows were written with explicit ids, which PostgreSQL sequences do not see: move each
    # sequence past its table's highest id so that later inserts do not collide. (SQLite
    # takes the next rowid from the table itself.) setval() of an empty table's NULL is a no-op.
    if conn.dialect.name != "postgresql":
        return
    for table in schema.metadata.sorted_tables:
        column = table.autoincrement_column
        if column is not None:
            highest = select(func.max(column)).scalar_subquery()
            sequence = func.pg_get_serial_sequence(table.name, column.name)
            await conn.execute(select(func.setval(sequence, highest)))


async def _insert_chunk(conn: AsyncConnection, chunk: ProductChunk) -> None:
    insert_rows = _insert
    if conn.dialect.name == "postgresql":
        insert_rows = _copy
        # A statement first: SQLAlchemy's asyncpg adapter begins its transaction with the first
        # statement it runs, and a COPY straight on the driver would commit on its own.
        await conn.execute(select(literal(1)))
    await insert_rows(conn, schema.products, chunk.products)
    await insert_rows(conn, schema.product_old_slugs, chunk.old_slugs)
    await insert_rows(conn, schema.product_images, chunk.images)
    await insert_rows(conn, schema.variants, chunk.variants)
    await insert_rows(conn, schema.product_attributes, chunk.attributes)


async def _copy(conn: AsyncConnection, table: Table, rows: list[Row]) -> None:
    """PostgreSQL's COPY through asyncpg, in the connection's transaction: the rows travel in
    one binary stream instead of one bound statement each (executemany). Every row of a
    generated table has the same keys, each a column; the table is found by the search path
    (VITRINE_DATABASE_SCHEMA)."""
    if not rows:
        return
    columns = list(rows[0])
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table(
        table.name, records=[tuple(row[c] for c in columns) for row in rows], columns=columns
    )


async def _insert(conn: AsyncConnection, table: Table, rows: list[Row]) -> None:
    # executemany; an empty list would instead run one INSERT with no values.
    if rows:
        await conn.execute(table.insert(), rows)
