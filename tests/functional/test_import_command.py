"""The real `vitrine import` command on the sample files of docs/, then the shop as shoppers and
crawlers see it: the imported products' pages, a discontinued one's 410, an old slug's 301, the
category page, search, the sitemap and the product feed; and what the command says and exits with
when rows are bad."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from api.db import create_engine
from api.demo import seed_demo
from ops import harness
from tests.conftest import fresh_schema
from tests.functional.pages import fetch
from tests.processes import Process, Processes
from vitrine.config import PROJECT_ROOT, Settings

DOCS = PROJECT_ROOT / "docs"
DEMO_PRODUCTS = 30
IMPORT_TIMEOUT_SECONDS = 120


async def _seed(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        await seed_demo(engine, products=DEMO_PRODUCTS, seed=5)
    finally:
        await engine.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def shop_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """A demo shop of its own: imports change it, and other modules share theirs."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("import") / "shop.sqlite3"
        env = {"VITRINE_DATABASE_URL": f"sqlite+aiosqlite:///{path}"}
        asyncio.run(_seed(Settings(database_url=env["VITRINE_DATABASE_URL"])))
        yield env
        return
    url = request.getfixturevalue("postgres_url")
    with fresh_schema(url) as schema:
        asyncio.run(_seed(Settings(database_url=url, database_schema=schema)))
        yield {"VITRINE_DATABASE_URL": url, "VITRINE_DATABASE_SCHEMA": schema}


def vitrine_import(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        harness.vitrine("import", *arguments),
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=IMPORT_TIMEOUT_SECONDS,
        check=False,
    )


@dataclass
class ImportedShop:
    front: Process
    outputs: list[subprocess.CompletedProcess[str]]

    def get(self, path: str) -> tuple[int, str, str]:
        page = fetch(self.front.url + path)
        return page.status, page.headers.get("Location", ""), page.body


@pytest.fixture(scope="module")
def imported(
    shop_database: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ImportedShop]:
    """Both samples imported, the CSV one twice, then once more with the tee's slug changed;
    a worker and a front started afterwards, so no answer kept from before is shown."""
    renamed = tmp_path_factory.mktemp("feeds") / "renamed.csv"
    renamed.write_text(
        (DOCS / "import-sample.csv").read_text().replace(",organic-cotton-tee,", ",organic-tee,")
    )
    outputs = [
        vitrine_import(shop_database, str(DOCS / "import-sample.csv")),
        vitrine_import(shop_database, str(DOCS / "import-sample.jsonl")),
        vitrine_import(shop_database, str(DOCS / "import-sample.csv"), "--quiet"),
        vitrine_import(shop_database, str(renamed), "--quiet"),
    ]
    processes = Processes(shop_database, tmp_path_factory.mktemp("processes"))
    try:
        worker = processes.start_worker()
        front = processes.start_front(worker, env={"VITRINE_PUBLIC_URL": ""})
        yield ImportedShop(front, outputs)
    finally:
        processes.stop_all()


def test_the_command_reports_what_it_did_and_a_rerun_changes_nothing(imported):
    first, jsonl, again, renamed = imported.outputs
    for done in imported.outputs:
        assert done.returncode == 0, done.stderr
    assert "products: 4 created, 0 updated, 0 unchanged, 0 discontinued" in first.stdout
    assert "variants: 9 created, 0 updated, 0 unchanged, 0 removed" in first.stdout
    assert "9 rows in" in first.stdout
    # The progress bar, on stderr: how far, and rows per second.
    assert re.search(r"import: 100%.*9 rows, [\d,]+ rows/s", first.stderr), first.stderr
    assert "products: 3 created" in jsonl.stdout
    assert "products: 0 created, 0 updated, 4 unchanged, 0 discontinued" in again.stdout
    assert "variants: 0 created, 0 updated, 9 unchanged, 0 removed" in again.stdout
    assert again.stderr == ""  # --quiet: no bar
    assert "products: 0 created, 1 updated, 3 unchanged" in renamed.stdout


def test_imported_products_have_their_pages(imported):
    status, location, _ = imported.get("/p/waxed-leather-chelsea-boot")
    assert status == 301
    status, _, body = imported.get(location.removeprefix(imported.front.url))
    assert status == 200
    assert "Waxed Leather Chelsea Boot" in body
    assert "€149.00" in body
    assert "Fernhill" in body
    status, location, _ = imported.get("/p/insulated-steel-bottle")
    status, _, body = imported.get(location.removeprefix(imported.front.url))
    assert (status, "500 ml" in body) == (200, True)


def test_a_discontinued_product_answers_410(imported):
    status, location, _ = imported.get("/p/lambswool-check-scarf")
    assert status == 301
    status, _, body = imported.get(location.removeprefix(imported.front.url))
    assert status == 410
    assert "Lambswool Check Scarf" in body


def test_a_changed_slug_answers_301_from_the_old_urls(imported):
    status, location, _ = imported.get("/p/organic-cotton-tee")
    assert status == 301
    assert re.fullmatch(r".*/p/\d+/organic-tee", location), location
    product_path = location.removeprefix(imported.front.url)
    old_path = product_path.replace("organic-tee", "organic-cotton-tee")
    assert imported.get(old_path)[:2] == (301, location)
    assert imported.get(product_path)[0] == 200


def test_category_search_sitemap_and_feed_show_the_imported_catalogue(imported):
    status, _, body = imported.get("/c/women-clothing-tops")
    assert status == 200
    assert "Organic Cotton Tee" in body
    status, _, body = imported.get("/search?q=stoneware+mug")
    assert status == 200
    assert "Speckled Stoneware Mug" in body
    status, _, body = imported.get("/search?q=lambswool")
    assert "Lambswool Check Scarf" not in body

    _, _, index = imported.get("/sitemap.xml")
    children = re.findall(r"<loc>([^<]*/sitemaps/products-[^<]*)</loc>", index)
    assert children
    products = "".join(fetch(loc).body for loc in children)
    assert "/organic-tee</loc>" in products
    assert "/lambswool-check-scarf" not in products
    _, _, feed = imported.get("/feeds/products.xml")
    assert "<g:id>SMP-MUG-03</g:id>" in feed
    assert "Lambswool" not in feed


def test_bad_rows_are_reported_by_line_and_nothing_is_written(shop_database, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "product_code,name,category,price,sku,stock\n"
        "CLI-1,Cli One,women-clothing-tops,10.00,CLI-1-S,1\n"
        "CLI-2,Cli Two,women-clothing-tops,abc,CLI-2-S,1\n"
    )
    done = vitrine_import(shop_database, str(bad), "--quiet")
    assert done.returncode == 1
    assert "line 3: price 'abc' is not a number" in done.stderr
    assert "1 bad row: nothing was imported" in done.stderr
    assert "products (not written): 1 created" in done.stdout

    done = vitrine_import(shop_database, str(bad), "--quiet", "--skip-bad-rows")
    assert done.returncode == 1
    assert "line 3: price 'abc' is not a number" in done.stderr
    assert "products: 1 created" in done.stdout
    done = vitrine_import(shop_database, str(bad), "--quiet", "--skip-bad-rows")
    assert "products: 0 created, 0 updated, 1 unchanged" in done.stdout


def test_a_file_the_command_cannot_read_exits_2(shop_database, tmp_path):
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("product_code,sku,pric\nA,A-1,1\n")
    done = vitrine_import(shop_database, str(unknown))
    assert done.returncode == 2
    assert "unknown column pric" in done.stderr
    assert "nothing was imported" in done.stderr
    done = vitrine_import(shop_database, str(tmp_path / "missing.csv"))
    assert (done.returncode, "cannot read" in done.stderr) == (2, True)
    done = vitrine_import(shop_database, str(Path(unknown).with_suffix(".txt")))
    assert (done.returncode, "--format" in done.stderr) == (2, True)


def test_a_stock_feed_through_the_command(shop_database, tmp_path):
    feed = tmp_path / "stock.jsonl"
    feed.write_text('{"sku": "SMP-MUG-03", "stock": 3}\n{"sku": "SMP-THROW-11", "stock": 14}\n')
    done = vitrine_import(shop_database, str(feed), "--stock-only", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "variants: 1 updated, 1 unchanged" in done.stdout


def test_a_database_that_stays_locked_fails_the_import_with_nothing_written(
    shop_database, tmp_path
):
    url = shop_database["VITRINE_DATABASE_URL"]
    if not url.startswith("sqlite"):
        pytest.skip("SQLite's write lock: PostgreSQL locks rows, not the database")
    feed = tmp_path / "locked.csv"
    feed.write_text(
        "product_code,name,category,price,sku,stock\n"
        "LOCK-1,Locked Out,women-clothing-tops,10.00,LOCK-1-S,1\n"
    )
    holder = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer, for longer than SQLite waits
        done = vitrine_import(shop_database, str(feed), "--quiet")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert done.returncode == 1
    assert "the database failed" in done.stderr
    assert "database is locked" in done.stderr
    assert "nothing was imported" in done.stderr
    assert "Traceback" not in done.stderr
    done = vitrine_import(shop_database, str(feed), "--quiet", "--dry-run")
    assert "products (not written): 1 created" in done.stdout
