"""Listings from the listing index show what counting over the products showed, on both databases.

The reference is the way listings were read before the index: every query over `products`, a
category's subtree as an IN list, facets counted by api/facets.py's count_facet. Over a generated
demo catalogue, every category, sort and a spread of facet combinations must give the same
products in the same order, the same totals and the same counts; and the index kept in step by
refresh_products after writes must equal one rebuilt from scratch.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from api import listing_index
from api.cache import TtlCache
from api.category_tree import load_category_tree
from api.context import CallContext
from api.db import alembic_config, create_engine, migrate
from api.demo import seed_demo
from api.facets import FACETS, FacetSelection, count_facet, facet_messages
from api.queries import in_categories, is_live, sort_order
from api.schema import (
    category_facet_combinations,
    category_facet_counts,
    category_facet_sets,
    category_facet_values,
    category_products,
    landing_rail_products,
    product_attributes,
    product_images,
    product_old_slugs,
    products,
    variants,
)
from api.services import catalog, landings
from contract import catalog_pb2, common_pb2, landings_pb2
from tests.conftest import fresh_schema
from tests.integration.statements import statements_run
from vitrine.config import Settings

PRODUCTS = 600
PAGE_SIZE = 7  # small, so categories have several pages and the last one is partly full
SORTS = (
    catalog_pb2.PRODUCT_SORT_UNSPECIFIED,
    catalog_pb2.PRODUCT_SORT_PRICE_ASC,
    catalog_pb2.PRODUCT_SORT_PRICE_DESC,
    catalog_pb2.PRODUCT_SORT_NEWEST,
    catalog_pb2.PRODUCT_SORT_NAME,
)


@dataclass
class Catalogue:
    runner: asyncio.Runner
    ctx: CallContext

    def run(self, coroutine: Any) -> Any:
        async def wrapped() -> Any:
            return await coroutine

        return self.runner.run(wrapped())


@contextlib.contextmanager
def _catalogue(settings: Settings) -> Iterator[Catalogue]:
    with asyncio.Runner() as runner:
        engine = create_engine(settings)
        try:
            runner.run(seed_demo(engine, products=PRODUCTS, seed=7))
            ctx = CallContext(
                db=engine,
                settings=settings,
                cache=TtlCache(),
                trace_id="test",
                now=datetime.now(UTC),
            )
            yield Catalogue(runner, ctx)
        finally:
            runner.run(engine.dispose())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def catalogue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Catalogue]:
    if request.param == "sqlite":
        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'demo.sqlite3'}")
        with _catalogue(settings) as catalogue:
            yield catalogue
        return
    url = request.getfixturevalue("postgres_url")
    with (
        fresh_schema(url) as schema,
        _catalogue(Settings(database_url=url, database_schema=schema)) as catalogue,
    ):
        yield catalogue


async def _reference(
    ctx: CallContext,
    subtree: list[int],
    sort: int,
    selection: FacetSelection,
    page: int,
) -> tuple[list[int], int, list[catalog_pb2.Facet]]:
    """Product ids of the page, the total and the facets, as listings were read before."""
    async with ctx.db.connect() as conn:
        return await _read_before(conn, subtree, sort, selection, page)


async def _read_before(
    conn: AsyncConnection,
    subtree: list[int],
    sort: int,
    selection: FacetSelection,
    page: int,
) -> tuple[list[int], int, list[catalog_pb2.Facet]]:
    scope = [is_live(), in_categories(subtree)]
    total = await conn.scalar(
        select(func.count()).select_from(products).where(*scope, *selection.conditions())
    )
    counts = {facet: await count_facet(conn, facet, scope, selection) for facet in FACETS}
    ids = await conn.scalars(
        select(products.c.id)
        .where(*scope, *selection.conditions())
        .order_by(*sort_order(sort))
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    return list(ids), total or 0, facet_messages(counts, selection)


def _selections(facets: list[catalog_pb2.Facet]) -> list[catalog_pb2.FacetFilter]:
    """Unfiltered, one facet, two, three, several values of one (a facet a product has one
    value of, read from pair counts, and one it may have several of, counted), and a value with
    no product."""
    values = {f.name: [v.value for v in f.values] for f in facets}

    def some(name: str, index: int) -> list[str]:
        found = values.get(name, [])
        return [found[index % len(found)]] if found else []

    return [
        catalog_pb2.FacetFilter(),
        catalog_pb2.FacetFilter(colours=some("colour", 1)),
        catalog_pb2.FacetFilter(brands=some("brand", 0) + some("brand", 1)),
        catalog_pb2.FacetFilter(colours=some("colour", 0) + some("colour", 3)),
        catalog_pb2.FacetFilter(colours=some("colour", 0), sizes=some("size", 1)),
        catalog_pb2.FacetFilter(brands=some("brand", 2), price_bands=some("price_band", 1)),
        catalog_pb2.FacetFilter(
            brands=some("brand", 0) + some("brand", 1),
            colours=some("colour", 2),
            sizes=some("size", 0),
        ),
        catalog_pb2.FacetFilter(price_bands=["0-25", "250-"], colours=["No Such Colour"]),
        # Several colours and several sizes at once (counted from category_facet_sets), with
        # a brand, and with a colour no product has among them.
        catalog_pb2.FacetFilter(
            colours=some("colour", 0) + some("colour", 1),
            sizes=some("size", 0) + some("size", 2),
            brands=some("brand", 1),
        ),
        catalog_pb2.FacetFilter(
            colours=[*some("colour", 2), "No Such Colour"], price_bands=some("price_band", 0)
        ),
    ]


def test_every_listing_shows_the_products_order_and_counts_it_showed_before(catalogue):
    ctx = catalogue.ctx
    tree = catalogue.run(load_category_tree(ctx.db))
    compared = 0
    for node in tree.walk():
        first = catalogue.run(
            catalog.list_category_products(
                ctx, catalog_pb2.ListCategoryProductsRequest(category_id=node.id)
            )
        )
        for facet_filter in _selections(list(first.facets)):
            selection = FacetSelection.from_filter(facet_filter)
            # Filtered: both price sorts, which walk only the prices of the bands that hold
            # matches (api/listings.py).
            sorts = SORTS if selection.is_empty() else SORTS[:3]
            for sort in sorts:
                for page in (1, 2, 9):
                    request = catalog_pb2.ListCategoryProductsRequest(
                        category_id=node.id,
                        sort=sort,
                        filter=facet_filter,
                        page=common_pb2.PageRequest(page=page, page_size=PAGE_SIZE),
                    )
                    response = catalogue.run(catalog.list_category_products(ctx, request))

                    subtree = tree.subtree_ids(node.id)
                    ids, total, facets = catalogue.run(
                        _reference(ctx, subtree, sort, selection, page)
                    )
                    where = (node.slug, sort, facet_filter, page)
                    assert [p.id for p in response.products] == ids, where
                    assert response.page.total_items == total, where
                    assert list(response.facets) == facets, where
                    compared += 1
    assert compared > 1000


async def _index(conn: AsyncConnection) -> dict[str, list[Any]]:
    tables = (
        category_products,
        category_facet_values,
        category_facet_counts,
        category_facet_combinations,
        category_facet_sets,
    )
    snapshot = {}
    for table in tables:
        rows = await conn.execute(select(table).order_by(*table.primary_key.columns))
        snapshot[table.name] = [tuple(row) for row in rows]
    return snapshot


def test_writes_that_refresh_their_products_keep_the_index_as_a_rebuild_makes_it(catalogue):
    rng = random.Random(3)
    ctx = catalogue.ctx

    async def write_and_refresh() -> list[int]:
        async with ctx.db.begin() as conn:
            ids = list(await conn.scalars(select(products.c.id).order_by(products.c.id)))
            leaves = list(
                await conn.scalars(
                    select(products.c.category_id).distinct().order_by(products.c.category_id)
                )
            )
            changed = rng.sample(ids, 40)
            for n, product_id in enumerate(changed):
                if n % 5 == 0:
                    values: dict[str, Any] = {"category_id": rng.choice(leaves)}
                elif n % 5 == 1:
                    values = {"price": rng.choice([100, 2_500, 9_999, 30_000]), "name": "Zed"}
                elif n % 5 == 2:
                    values = {"discontinued": not n % 2}
                elif n % 5 == 3:
                    values = {"brand": "Newbrand", "position": 0}
                else:
                    await conn.execute(
                        update(variants)
                        .where(variants.c.product_id == product_id)
                        .values(colour="Mauve")
                    )
                    first = await conn.scalar(
                        select(func.min(variants.c.id)).where(variants.c.product_id == product_id)
                    )
                    await conn.execute(
                        delete(variants).where(
                            variants.c.id != first,
                            variants.c.product_id == product_id,
                            variants.c.size == "M",
                        )
                    )
                    continue
                await conn.execute(
                    update(products).where(products.c.id == product_id).values(**values)
                )
            # A product added, with variants of a new colour and an existing one.
            added = max(ids) + 1
            now = datetime(2025, 1, 2, tzinfo=UTC)
            await conn.execute(
                products.insert().values(
                    id=added,
                    slug=f"added-{added}",
                    sku=f"ADDED-{added}",
                    name="Added Jacket",
                    brand="Newbrand",
                    description="Added.",
                    category_id=leaves[0],
                    price=4_999,
                    currency="EUR",
                    discontinued=False,
                    position=3,
                    search_text="added jacket",
                    created_at=now,
                    updated_at=now,
                )
            )
            await conn.execute(
                variants.insert(),
                [
                    {
                        "product_id": added,
                        "sku": f"ADDED-{added}-{n}",
                        "size": size,
                        "colour": colour,
                        "stock": n,
                        "position": n,
                    }
                    for n, (colour, size) in enumerate([("Mauve", "M"), ("Black", "S")])
                ],
            )
            changed.append(added)
            await listing_index.refresh_products(conn, changed)
            # Stock is not indexed: a stock change (a checkout) needs no refresh.
            await conn.execute(
                update(variants).where(variants.c.product_id.in_(ids[:50])).values(stock=0)
            )
            # Deleted products leave the index first, and their share of the counts with them.
            picked = select(landing_rail_products.c.product_id)
            gone = list(
                await conn.scalars(
                    select(products.c.id)
                    .where(products.c.id.not_in(picked), products.c.id.not_in(changed))
                    .order_by(products.c.id)
                    .limit(3)
                )
            )
            await listing_index.remove_products(conn, gone)
            for table in (variants, product_images, product_attributes, product_old_slugs):
                await conn.execute(delete(table).where(table.c.product_id.in_(gone)))
            await conn.execute(delete(products).where(products.c.id.in_(gone)))
        return changed

    catalogue.run(write_and_refresh())

    async def snapshots() -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
        async with ctx.db.begin() as conn:
            kept = await _index(conn)
            await listing_index.rebuild(conn)
            rebuilt = await _index(conn)
        return kept, rebuilt

    kept, rebuilt = catalogue.run(snapshots())
    assert kept["category_facet_counts"] == rebuilt["category_facet_counts"]
    assert kept["category_facet_combinations"] == rebuilt["category_facet_combinations"]
    assert kept["category_facet_sets"] == rebuilt["category_facet_sets"]
    assert kept == rebuilt


@pytest.mark.postgres
def test_postgres_answers_listings_and_products_from_indexes(postgres_url: str) -> None:
    with (
        fresh_schema(postgres_url) as schema,
        _catalogue(Settings(database_url=postgres_url, database_schema=schema)) as catalogue,
    ):
        _assert_seed_vacuumed(catalogue, schema)
        _explain_reads(catalogue)


def _assert_seed_vacuumed(catalogue: Catalogue, schema: str) -> None:
    """The seed marks every page of the bulk-loaded tables all-visible (VACUUM): index-only
    scans read the index alone from the first request, not the table for each row."""

    async def visibility() -> dict[str, tuple[int, int]]:
        async with catalogue.ctx.db.connect() as conn:
            rows = await conn.exec_driver_sql(
                "SELECT c.relname, c.relpages, c.relallvisible FROM pg_class AS c"
                " JOIN pg_namespace AS n ON n.oid = c.relnamespace"
                f" WHERE n.nspname = '{schema}' AND c.relkind = 'r'"  # the test's own schema
            )
            return {name: (pages, visible) for name, pages, visible in rows}

    found = catalogue.run(visibility())
    for table in ("products", "variants", "product_images", "category_products"):
        pages, visible = found[table]
        assert pages > 0, (table, found[table])
        assert visible == pages, (table, found[table])


def _explain_reads(catalogue: Catalogue) -> None:
    ctx = catalogue.ctx
    tree = catalogue.run(load_category_tree(ctx.db))
    biggest = max(tree.roots, key=lambda root: root.product_count)
    reads = {
        "category page": catalog_pb2.ListCategoryProductsRequest(category_id=biggest.id),
        "filtered page": catalog_pb2.ListCategoryProductsRequest(
            category_id=biggest.id,
            sort=catalog_pb2.PRODUCT_SORT_PRICE_DESC,
            filter=catalog_pb2.FacetFilter(colours=["Black"], sizes=["M"]),
        ),
        "deep page": catalog_pb2.ListCategoryProductsRequest(
            category_id=biggest.id,
            sort=catalog_pb2.PRODUCT_SORT_NEWEST,
            page=common_pb2.PageRequest(page=5, page_size=24),
        ),
        "last page": catalog_pb2.ListCategoryProductsRequest(
            category_id=biggest.id,
            sort=catalog_pb2.PRODUCT_SORT_PRICE_DESC,
            page=common_pb2.PageRequest(page=-(-biggest.product_count // 24), page_size=24),
        ),
        "filtered page, three facets": catalog_pb2.ListCategoryProductsRequest(
            category_id=biggest.id,
            filter=catalog_pb2.FacetFilter(
                colours=["Black"], sizes=["M"], price_bands=["25-50", "50-100"]
            ),
        ),
        "filtered page, two colours": catalog_pb2.ListCategoryProductsRequest(
            category_id=biggest.id,
            filter=catalog_pb2.FacetFilter(colours=["Black", "Navy"]),
        ),
    }
    plans: dict[str, list[str]] = {}
    with statements_run(ctx.db) as statements:
        for name, request in reads.items():
            statements.clear()
            response = catalogue.run(catalog.list_category_products(ctx, request))
            assert response.products, name
            plans[name] = catalogue.run(_plans(ctx, list(statements)))
        statements.clear()
        catalogue.run(catalog.get_product(ctx, catalog_pb2.GetProductRequest(id=5)))
        catalogue.run(
            catalog.get_product_by_slug(
                ctx, catalog_pb2.GetProductBySlugRequest(slug=response.products[0].slug)
            )
        )
        catalogue.run(
            catalog.get_related_products(ctx, catalog_pb2.GetRelatedProductsRequest(product_id=5))
        )
        plans["GetProduct, GetProductBySlug, GetRelatedProducts"] = catalogue.run(
            _plans(ctx, list(statements))
        )
        statements.clear()
        home = catalogue.run(landings.get_home_page(ctx, landings_pb2.GetHomePageRequest()))
        assert any(block.rail.products for block in home.blocks)
        plans["GetHomePage (its rails)"] = catalogue.run(_plans(ctx, list(statements)))
        statements.clear()
        links = catalogue.run(
            catalog.list_category_links(ctx, catalog_pb2.ListCategoryLinksRequest())
        )
        assert links.categories
        plans["ListCategoryLinks"] = catalogue.run(_plans(ctx, list(statements)))
    # The category tree (a few hundred rows, read once per worker) may be read whole.
    scanned = re.compile(r"Seq Scan on (products|variants|product_\w+|category_(?!ancestors)\w+)")
    for name, explained in plans.items():
        assert explained, name
        for plan in explained:
            assert not scanned.search(plan), f"{name}:\n{plan}"
    assert any("category_products_created" in plan for plan in plans["deep page"]), plans[
        "deep page"
    ]
    # The last page walks the price index from its end, reading the index alone.
    assert any(
        "Index Only Scan Backward using category_products_price_desc" in plan
        for plan in plans["last page"]
    ), plans["last page"]
    # Counts of one value per facet are primary-key ranges of the combinations.
    assert any(
        "category_facet_combinations_pkey" in plan for plan in plans["filtered page, three facets"]
    )
    # Counts with several colours selected are primary-key ranges of the facet sets.
    assert any(
        "category_facet_sets_pkey" in plan for plan in plans["filtered page, two colours"]
    ), plans["filtered page, two colours"]
    # Rails walk the listing index; category links probe products_category_updated.
    assert any("category_products_" in plan for plan in plans["GetHomePage (its rails)"])
    assert any("products_category_updated" in plan for plan in plans["ListCategoryLinks"])


async def _plans(ctx: CallContext, statements: list[tuple[str, Any]]) -> list[str]:
    plans = []
    async with ctx.db.connect() as conn:
        # The demo's 600 products fit in a few pages, where a sequential scan is rightly the
        # cheapest plan; with it priced out, a plan without one shows an index serves each read.
        # So is a bitmap scan then a sort of a category's ~170 rows, whose planner choice
        # hinges on the demo's data: priced out too, the plan shows which index keeps the order.
        await conn.exec_driver_sql("SET enable_seqscan = off")
        await conn.exec_driver_sql("SET enable_bitmapscan = off")
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue  # SET, BEGIN and the like: nothing to plan
            result = await conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
            plans.append("\n".join(row[0] for row in result))
        await conn.exec_driver_sql("RESET enable_seqscan")
        await conn.exec_driver_sql("RESET enable_bitmapscan")
    return plans


@pytest.mark.parametrize(
    ("revision", "table"),
    [("0011", category_facet_combinations), ("0013", category_facet_sets)],
    ids=["0011 combinations", "0013 sets"],
)
def test_migration_fills_the_rows_a_rebuild_makes(catalogue, revision, table):
    """A catalogue with its listing index, taken back to before the revision and migrated
    again: the rows the migration's frozen backfill writes are the ones listing_index writes."""
    engine = catalogue.ctx.db

    async def rows() -> list[Any]:
        async with engine.connect() as conn:
            found = await conn.execute(select(table).order_by(*table.primary_key.columns))
            return [tuple(row) for row in found]

    def downgrade(connection: Any) -> None:
        config = alembic_config(connection)
        before = ScriptDirectory.from_config(config).get_revision(revision).down_revision
        command.downgrade(config, str(before))

    async def back_and_forth() -> None:
        async with engine.begin() as conn:
            await conn.run_sync(downgrade)
        await migrate(engine)

    rebuilt = catalogue.run(rows())
    assert len(rebuilt) > 1000
    catalogue.run(back_and_forth())
    assert catalogue.run(rows()) == rebuilt
