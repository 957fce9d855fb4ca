"""`vitrine import` on SQLite and PostgreSQL: a demo shop imports the sample files and changed
copies of them, and what the API then answers (products, listings, facets, search, sitemap links,
the feed, old slugs) is what the files say, the listing index equal to a rebuilt one."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from api import listing_index
from api.cache import TtlCache
from api.catalogue_import.options import ImportOptions
from api.catalogue_import.run import ImportReport, import_catalogue
from api.context import CallContext
from api.db import create_engine
from api.demo import seed_demo
from api.schema import (
    basket_lines,
    baskets,
    category_facet_counts,
    category_facet_values,
    category_products,
    product_images,
    products,
    stock_alerts,
    variants,
)
from api.services import catalog, search
from contract import catalog_pb2, search_pb2
from contract.errors import NotFound
from tests.conftest import fresh_schema
from vitrine.config import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"
SAMPLE_CSV = DOCS / "import-sample.csv"
SAMPLE_JSONL = DOCS / "import-sample.jsonl"
DEMO_PRODUCTS = 40
HEADER = (
    "product_code,name,slug,brand,category,price,compare_at_price,status,image_urls,"
    "sku,size,colour,stock\n"
)


@dataclass
class Shop:
    runner: asyncio.Runner
    settings: Settings
    tmp_path: Path

    def run(self, coroutine: Any) -> Any:
        async def wrapped() -> Any:
            return await coroutine

        return self.runner.run(wrapped())

    def ctx(self) -> CallContext:
        # A fresh cache every call: what the database holds now, not what a worker kept.
        return CallContext(
            db=self.engine,
            settings=self.settings,
            cache=TtlCache(),
            trace_id="test",
            now=datetime.now(UTC),
        )

    engine: Any = None

    def load(self, source: Path | str, name: str = "feed.csv", **options: Any) -> ImportReport:
        path = source if isinstance(source, Path) else self.tmp_path / name
        if isinstance(source, str):
            path.write_text(source)
        return self.run(import_catalogue(self.engine, path, ImportOptions(**options)))

    def product(self, slug: str) -> catalog_pb2.ProductResponse:
        return self.run(
            catalog.get_product_by_slug(self.ctx(), catalog_pb2.GetProductBySlugRequest(slug=slug))
        )

    def listing(self, category: str, **filters: Any) -> catalog_pb2.ListCategoryProductsResponse:
        request = catalog_pb2.ListCategoryProductsRequest(
            category_slug=category, filter=catalog_pb2.FacetFilter(**filters)
        )
        request.page.page_size = 96
        return self.run(catalog.list_category_products(self.ctx(), request))

    def search(self, query: str) -> search_pb2.SearchProductsResponse:
        request = search_pb2.SearchProductsRequest(query=query, exact=True)
        request.page.page_size = 96
        return self.run(search.search_products(self.ctx(), request))

    def scalar(self, statement: Any) -> Any:
        async def read() -> Any:
            async with self.engine.connect() as conn:
                return await conn.scalar(statement)

        return self.run(read())

    def rows(self, statement: Any) -> list[Any]:
        async def read() -> list[Any]:
            async with self.engine.connect() as conn:
                return list(await conn.execute(statement))

        return self.run(read())


@contextlib.contextmanager
def _shop(settings: Settings, tmp_path: Path) -> Iterator[Shop]:
    with asyncio.Runner() as runner:
        shop = Shop(runner, settings, tmp_path)
        shop.engine = create_engine(settings)
        try:
            runner.run(seed_demo(shop.engine, products=DEMO_PRODUCTS, seed=3))
            yield shop
        finally:
            runner.run(shop.engine.dispose())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Shop]:
    if request.param == "sqlite":
        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'shop.sqlite3'}")
        with _shop(settings, tmp_path) as shop:
            yield shop
        return
    url = request.getfixturevalue("postgres_url")
    with (
        fresh_schema(url) as schema,
        _shop(Settings(database_url=url, database_schema=schema), tmp_path) as shop,
    ):
        yield shop


def counts(report: ImportReport) -> tuple[int, ...]:
    c = report.counts
    return (c.created, c.updated, c.unchanged, c.discontinued)


def variant_counts(report: ImportReport) -> tuple[int, ...]:
    c = report.counts
    return (c.variants_created, c.variants_updated, c.variants_unchanged, c.variants_removed)


async def _index(engine: Any) -> dict[str, list[Any]]:
    snapshot = {}
    async with engine.connect() as conn:
        for table in (category_products, category_facet_values, category_facet_counts):
            rows = await conn.execute(select(table).order_by(*table.primary_key.columns))
            snapshot[table.name] = [tuple(row) for row in rows]
    return snapshot


def assert_index_as_rebuilt(shop: Shop) -> None:
    kept = shop.run(_index(shop.engine))

    async def rebuild() -> None:
        async with shop.engine.begin() as conn:
            await listing_index.rebuild(conn)

    shop.run(rebuild())
    assert kept == shop.run(_index(shop.engine))


def test_the_sample_files_create_products_a_shopper_finds_and_a_rerun_changes_nothing(shop):
    before = shop.scalar(select(func.count()).select_from(products))
    report = shop.load(SAMPLE_CSV)
    assert report.committed
    assert (report.rows, report.bad_rows) == (9, 0)
    assert counts(report) == (4, 0, 0, 0)
    assert variant_counts(report) == (9, 0, 0, 0)
    report = shop.load(SAMPLE_JSONL)
    assert counts(report) == (3, 0, 0, 0)
    assert shop.scalar(select(func.count()).select_from(products)) == before + 7

    tee = shop.product("organic-cotton-tee").product
    assert (tee.name, tee.brand, tee.sku, tee.price.amount, tee.price.currency) == (
        "Organic Cotton Tee",
        "Kestrel",
        "SMP-TEE-01",
        2495,
        "EUR",
    )
    assert [(v.sku, v.size, v.colour, v.stock) for v in tee.variants] == [
        ("SMP-TEE-01-WHT-S", "S", "White", 12),
        ("SMP-TEE-01-WHT-M", "M", "White", 8),
        ("SMP-TEE-01-BLK-M", "M", "Black", 0),
        ("SMP-TEE-01-BLK-L", "L", "Black", 5),
    ]
    assert [(i.url, i.alt, i.width, i.height) for i in tee.images] == [
        ("/media/demo/products/sample-tee-1.svg", "Organic Cotton Tee in white", 800, 1000),
        ("/media/demo/products/sample-tee-2.svg", "Organic Cotton Tee in white, back", 800, 1000),
    ]
    boot = shop.product("waxed-leather-chelsea-boot").product
    assert (boot.price.amount, boot.compare_at_price.amount) == (14900, 18900)
    shell = shop.product("packable-rain-shell").product
    assert [i.alt for i in shell.images] == [
        "Packable Rain Shell in moss",
        "Packable Rain Shell, hood up",
    ]
    # No slug in the file: made from the name.
    bottle = shop.product("insulated-steel-bottle").product
    assert [v.size for v in bottle.variants] == ["500 ml", "750 ml"]

    stamps = dict(shop.rows(select(products.c.sku, products.c.updated_at)))
    again = shop.load(SAMPLE_CSV)
    assert counts(again) == (0, 0, 4, 0)
    assert variant_counts(again) == (0, 0, 9, 0)
    assert counts(shop.load(SAMPLE_JSONL)) == (0, 0, 3, 0)
    assert dict(shop.rows(select(products.c.sku, products.c.updated_at))) == stamps
    assert_index_as_rebuilt(shop)


def test_listings_facets_search_links_and_feed_show_the_imported_products(shop):
    shop.load(SAMPLE_CSV)
    tee = shop.product("organic-cotton-tee").product
    for category in ("women-clothing-tops", "women-clothing", "women"):
        listing = shop.listing(category)
        assert tee.id in [p.id for p in listing.products], category
    brands = {f.name: {v.value: v.count for v in f.values} for f in shop.listing("women").facets}
    assert brands["brand"]["Kestrel"] >= 1
    assert "Black" in brands["colour"]
    black = shop.listing("women-clothing-tops", colours=["Black"])
    assert tee.id in [p.id for p in black.products]

    found = shop.search("organic cotton tee")
    assert [p.slug for p in found.products][:1] == ["organic-cotton-tee"]
    assert "speckled-stoneware-mug" in [p.slug for p in shop.search("speckled mug").products]

    links = shop.run(
        catalog.list_product_links(
            shop.ctx(), catalog_pb2.ListProductLinksRequest(after_id=tee.id - 1, limit=10)
        )
    )
    assert (links.links[0].id, links.links[0].slug) == (tee.id, "organic-cotton-tee")
    feed = shop.run(
        catalog.list_feed_items(
            shop.ctx(), catalog_pb2.ListFeedItemsRequest(after_id=tee.id - 1, limit=10)
        )
    )
    assert feed.items[0].sku == "SMP-TEE-01"
    # The scarf is discontinued in the sample: it has its page (410) and nothing else.
    scarf = shop.product("lambswool-check-scarf").product
    assert scarf.discontinued
    assert scarf.id not in [p.id for p in shop.listing("women").products]
    assert shop.search("lambswool").page.total_items == 0
    assert scarf.id not in [item.summary.id for item in feed.items]
    assert_index_as_rebuilt(shop)


def test_an_update_writes_only_what_changed(shop):
    shop.load(SAMPLE_CSV)
    stamps = dict(shop.rows(select(products.c.sku, products.c.updated_at)))
    changed = SAMPLE_CSV.read_text()
    # The tee: a new price, one stock changed, the black medium gone, an extra large added.
    changed = changed.replace("women-clothing-tops,24.95", "women-clothing-tops,19.95")
    changed = changed.replace("SMP-TEE-01-WHT-M,M,White,8", "SMP-TEE-01-WHT-M,M,White,3")
    changed = changed.replace("SMP-TEE-01,,,,,,,,,,,,SMP-TEE-01-BLK-M,M,Black,0\n", "")
    changed = changed.replace(
        "SMP-TEE-01-BLK-L,L,Black,5\n",
        "SMP-TEE-01-BLK-L,L,Black,5\nSMP-TEE-01,,,,,,,,,,,,SMP-TEE-01-BLK-XL,XL,Black,2\n",
    )
    report = shop.load(changed, "changed.csv")
    assert report.committed
    assert counts(report) == (0, 1, 3, 0)
    assert variant_counts(report) == (1, 2, 6, 1)  # BLK-L moved up a position
    tee = shop.product("organic-cotton-tee").product
    assert tee.price.amount == 1995
    assert [(v.sku, v.stock) for v in tee.variants] == [
        ("SMP-TEE-01-WHT-S", 12),
        ("SMP-TEE-01-WHT-M", 3),
        ("SMP-TEE-01-BLK-L", 5),
        ("SMP-TEE-01-BLK-XL", 2),
    ]
    after = dict(shop.rows(select(products.c.sku, products.c.updated_at)))
    assert after.pop("SMP-TEE-01") > stamps.pop("SMP-TEE-01")
    assert after == stamps
    prices = {p.id: p.price.amount for p in shop.listing("women-clothing-tops").products}
    assert prices[tee.id] == 1995
    assert_index_as_rebuilt(shop)


def test_a_variant_in_a_basket_or_an_order_is_dropped_safely(shop):
    shop.load(SAMPLE_CSV)
    variant_id = shop.scalar(select(variants.c.id).where(variants.c.sku == "SMP-MUG-03"))

    async def put_in_basket() -> None:
        async with shop.engine.begin() as conn:
            now = datetime.now(UTC)
            basket = await conn.execute(
                insert(baskets).values(token="t" * 64, created_at=now, updated_at=now)
            )
            await conn.execute(
                insert(basket_lines).values(
                    basket_id=basket.inserted_primary_key[0],
                    variant_id=variant_id,
                    quantity=1,
                    added_at=now,
                )
            )

    shop.run(put_in_basket())
    feed = HEADER + (
        "SMP-MUG-03,Speckled Stoneware Mug,speckled-stoneware-mug,Hearth & Co,home-kitchen-mugs,"
        "18.50,,active,/media/demo/products/sample-mug-1.svg,SMP-MUG-03-BLUE,,Blue,4\n"
    )
    report = shop.load(feed)
    assert variant_counts(report) == (1, 0, 0, 1)
    assert shop.scalar(select(func.count()).select_from(basket_lines)) == 0
    mug = shop.product("speckled-stoneware-mug").product
    assert [v.sku for v in mug.variants] == ["SMP-MUG-03-BLUE"]


def test_one_bad_row_and_nothing_is_written(shop):
    before = shop.rows(select(products).order_by(products.c.id))
    feed = HEADER + (
        "NEW-1,New One,,Acme,women-clothing-tops,10.00,,active,,NEW-1-S,S,Red,1\n"
        "NEW-2,New Two,,Acme,women-clothing-tops,abc,,active,,NEW-2-S,S,Red,1\n"
        "NEW-3,New Three,,Acme,no-such-category,10.00,,active,,NEW-3-S,S,Red,1\n"
        "NEW-4,New Four,,Acme,women-clothing-tops,10.00,12.00,,,NEW-4-S,S,Red,x\n"
    )
    report = shop.load(feed)
    assert not report.committed
    assert report.bad_rows == 3
    assert [str(problem) for problem in report.problems] == [
        "line 3: price 'abc' is not a number",
        "line 5: stock 'x' is not a whole number of 0 or more",
        "line 4: category 'no-such-category' is not a category of the shop",
    ]
    assert "nothing was imported" in report.outcome()
    assert shop.rows(select(products).order_by(products.c.id)) == before
    with pytest.raises(NotFound):
        shop.product("new-one")


def test_skip_bad_rows_imports_the_good_ones_and_reports_the_rest(shop):
    feed = HEADER + (
        "NEW-1,New One,,Acme,women-clothing-tops,10.00,,active,,NEW-1-S,S,Red,1\n"
        "NEW-2,New Two,,Acme,women-clothing-tops,abc,,active,,NEW-2-S,S,Red,1\n"
        "NEW-2,,,,,,,,,NEW-2-M,M,Red,1\n"
        "NEW-3,New Three,new-one,Acme,women-clothing-tops,10.00,,active,,NEW-3-S,S,Red,1\n"
        "NEW-4,New Four,,Acme,women-clothing-tops,10.00,9.00,active,,NEW-4-S,S,Red,1\n"
        "NEW-5,New Five,,Acme,women-clothing-tops,10.00,,active,,NEW-1-S,S,Red,1\n"
    )
    report = shop.load(feed, skip_bad_rows=True)
    assert report.committed
    assert (report.bad_rows, report.skipped_rows) == (4, 5)
    assert [str(problem) for problem in sorted(report.problems, key=lambda p: p.line)] == [
        "line 3: price 'abc' is not a number",
        "line 5: slug new-one is another product's",
        (
            "line 6: compare_at_price 9.00 is not above the price (10.00): it is the price before "
            "a reduction"
        ),
        "line 7: sku NEW-1-S is also on line 2",
    ]
    assert shop.product("new-one").product.sku == "NEW-1"
    for missing in ("new-two", "new-three", "new-four", "new-five"):
        with pytest.raises(NotFound):
            shop.product(missing)
    assert_index_as_rebuilt(shop)


def test_a_stock_feed_changes_stock_and_nothing_else(shop):
    shop.load(SAMPLE_CSV)
    before = shop.rows(select(products).order_by(products.c.id))
    report = shop.load(
        "sku,stock\nSMP-TEE-01-WHT-S,0\nSMP-MUG-03,40\nSMP-BOOT-02-40,7\n",
        "stock.csv",
        stock_only=True,
    )
    assert report.committed
    c = report.counts
    assert (c.variants_updated, c.variants_unchanged) == (2, 1)
    stock = dict(shop.rows(select(variants.c.sku, variants.c.stock)))
    assert (stock["SMP-TEE-01-WHT-S"], stock["SMP-MUG-03"], stock["SMP-BOOT-02-40"]) == (0, 40, 7)
    assert shop.rows(select(products).order_by(products.c.id)) == before

    # A full file read as a stock feed: its stock column only.
    full = SAMPLE_CSV.read_text().replace(
        "SMP-TEE-01-WHT-S,S,White,12", "SMP-TEE-01-WHT-S,S,White,6"
    )
    report = shop.load(full, "full.csv", stock_only=True)
    assert report.counts.variants_updated == 2  # the tee (0 -> 6) and the boot (7 -> 0)
    assert shop.rows(select(products).order_by(products.c.id)) == before

    report = shop.load("sku,stock\nSMP-MUG-03,1\nNO-SUCH-SKU,3\n", "bad.csv", stock_only=True)
    assert not report.committed
    assert [str(p) for p in report.problems] == ["line 3: no variant has sku NO-SUCH-SKU"]
    assert shop.scalar(select(variants.c.stock).where(variants.c.sku == "SMP-MUG-03")) == 40


def test_stock_that_returns_through_an_import_makes_waiting_back_in_stock_requests_due(shop):
    shop.load(SAMPLE_CSV)
    shop.load("sku,stock\nSMP-TEE-01-WHT-S,0\nSMP-MUG-03,0\n", "out.csv", stock_only=True)
    ids = dict(shop.rows(select(variants.c.sku, variants.c.id)))

    def ask(sku: str) -> None:
        async def write() -> None:
            async with shop.engine.begin() as conn:
                await conn.execute(
                    insert(stock_alerts).values(
                        variant_id=ids[sku],
                        email=f"{sku.lower()}@example.com",
                        client_address="127.0.0.1",
                        created_at=datetime.now(UTC),
                        attempts=0,
                    )
                )

        shop.run(write())

    def due() -> set[str]:
        made_due = (
            select(variants.c.sku)
            .join(stock_alerts, stock_alerts.c.variant_id == variants.c.id)
            .where(stock_alerts.c.due_at.is_not(None))
        )
        return {row.sku for row in shop.rows(made_due)}

    ask("SMP-TEE-01-WHT-S")
    ask("SMP-MUG-03")
    shop.load("sku,stock\nSMP-MUG-03,5\nSMP-TEE-01-WHT-S,0\n", "back.csv", stock_only=True)
    assert due() == {"SMP-MUG-03"}  # the tee is still sold out: its request keeps waiting

    report = shop.load(SAMPLE_CSV)  # the full file brings the tee's 12 back
    assert report.committed
    assert due() == {"SMP-MUG-03", "SMP-TEE-01-WHT-S"}


def test_discontinuing_takes_a_product_out_and_back(shop):
    shop.load(SAMPLE_CSV)
    tee = shop.product("organic-cotton-tee").product
    gone = SAMPLE_CSV.read_text().replace('EUR,active,"A soft', 'EUR,discontinued,"A soft')
    report = shop.load(gone, "gone.csv")
    assert counts(report) == (0, 0, 3, 1)
    assert shop.product("organic-cotton-tee").product.discontinued
    assert tee.id not in [p.id for p in shop.listing("women-clothing-tops").products]
    assert shop.search("organic cotton").page.total_items == 0
    assert_index_as_rebuilt(shop)

    report = shop.load(SAMPLE_CSV)
    assert counts(report) == (0, 1, 3, 0)
    assert not shop.product("organic-cotton-tee").product.discontinued
    assert tee.id in [p.id for p in shop.listing("women-clothing-tops").products]


def test_discontinue_missing_discontinues_every_live_product_the_full_feed_leaves_out(shop):
    live = shop.scalar(select(func.count()).where(products.c.discontinued.is_(False)))
    report = shop.load(SAMPLE_CSV, discontinue_missing=True)
    assert report.counts.discontinued == live
    still = set(shop.rows(select(products.c.sku).where(products.c.discontinued.is_(False))))
    assert still == {("SMP-TEE-01",), ("SMP-BOOT-02",), ("SMP-MUG-03",)}
    women = shop.listing("women")
    assert {p.slug for p in women.products} == {"organic-cotton-tee", "waxed-leather-chelsea-boot"}
    assert_index_as_rebuilt(shop)

    # Once more: nothing more to discontinue.
    assert shop.load(SAMPLE_CSV, discontinue_missing=True).counts.discontinued == 0


def test_a_changed_slug_keeps_the_old_one_as_a_redirect(shop):
    shop.load(SAMPLE_CSV)
    tee_id = shop.product("organic-cotton-tee").product.id
    renamed = SAMPLE_CSV.read_text().replace(",organic-cotton-tee,", ",organic-tee,")
    report = shop.load(renamed, "renamed.csv")
    assert counts(report) == (0, 1, 3, 0)
    moved = shop.product("organic-cotton-tee")
    assert moved.HasField("moved")
    assert (moved.moved.product_id, moved.moved.canonical_slug) == (tee_id, "organic-tee")
    assert shop.product("organic-tee").product.id == tee_id

    # And back: the slug is current again, the other one old.
    shop.load(SAMPLE_CSV)
    assert shop.product("organic-cotton-tee").product.id == tee_id
    assert shop.product("organic-tee").moved.canonical_slug == "organic-cotton-tee"


def test_a_dry_run_counts_and_writes_nothing(shop):
    before = shop.scalar(select(func.count()).select_from(product_images))
    report = shop.load(SAMPLE_CSV, dry_run=True)
    assert counts(report) == (4, 0, 0, 0)
    assert not report.committed
    assert report.outcome() == "dry run: nothing was written"
    assert shop.scalar(select(func.count()).select_from(product_images)) == before
    with pytest.raises(NotFound):
        shop.product("organic-cotton-tee")


def test_many_batches_and_an_index_rebuild(shop):
    """More rows than one batch, and more changed products than a refresh is worth."""
    rows = [HEADER.rstrip("\n")]
    rows.extend(
        f"BULK-{n:04d},Bulk Jumper {n},bulk-jumper-{n},Acme,women-clothing-knitwear,"
        f"{20 + n % 7}.00,,active,/media/demo/products/bulk-{n}.svg,BULK-{n:04d}-{size},"
        f"{size},{'Red' if n % 2 else 'Blue'},{n % 3}"
        for n in range(300)
        for size in ("S", "M")
    )
    report = shop.load("\n".join(rows) + "\n", "bulk.csv", batch_rows=64)
    assert counts(report) == (300, 0, 0, 0)
    assert report.index.startswith("rebuilt")
    knitwear = shop.listing("women-clothing-knitwear", colours=["Red"])
    assert knitwear.page.total_items >= 150
    assert_index_as_rebuilt(shop)
    assert counts(shop.load("\n".join(rows) + "\n", "bulk.csv", batch_rows=50)) == (0, 0, 300, 0)


def test_an_empty_full_feed_discontinues_nothing(shop):
    live = shop.scalar(select(func.count()).where(products.c.discontinued.is_(False)))
    report = shop.load(HEADER, "empty.csv", discontinue_missing=True)
    assert report.committed
    assert report.counts.discontinued == 0
    assert report.notes == ["--discontinue-missing: not done, since the file lists no product"]
    assert shop.scalar(select(func.count()).where(products.c.discontinued.is_(False))) == live


def test_a_variants_problem_is_reported_on_its_own_line(shop):
    shop.load(SAMPLE_CSV)
    feed = HEADER + (
        "NEW-1,New One,,Acme,women-clothing-tops,10.00,,active,,NEW-1-S,S,Red,1\n"
        "NEW-1,,,,,,,,,NEW-1-M,M,Red,\n"
        "NEW-1,,,,,,,,,SMP-MUG-03,L,Red,1\n"
    )
    report = shop.load(feed)
    assert [str(problem) for problem in report.problems] == [
        "line 3: new variant NEW-1-M has no stock"
    ]
    report = shop.load(feed.replace("NEW-1-M,M,Red,", "NEW-1-M,M,Red,2"))
    assert [str(problem) for problem in report.problems] == [
        "line 4: sku SMP-MUG-03 is a variant of product SMP-MUG-03"
    ]


def test_new_products_without_a_slug_get_their_names_numbered_when_it_is_taken(shop):
    row = "{code},Plain Tote,,Acme,women-accessories-bags,15.00,,active,,{code}-1,,Natural,3\n"
    report = shop.load(HEADER + row.format(code="TOTE-A") + row.format(code="TOTE-B"))
    assert counts(report) == (2, 0, 0, 0)
    report = shop.load(HEADER + row.format(code="TOTE-C"), "more.csv")
    slugs = dict(
        shop.rows(select(products.c.sku, products.c.slug).where(products.c.name == "Plain Tote"))
    )
    assert slugs == {"TOTE-A": "plain-tote", "TOTE-B": "plain-tote-2", "TOTE-C": "plain-tote-3"}
    # A re-run keeps each product's slug, whatever its name makes.
    assert counts(shop.load(HEADER + row.format(code="TOTE-B"), "again.csv")) == (0, 0, 1, 0)
