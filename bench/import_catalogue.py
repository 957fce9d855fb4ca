"""`vitrine import` of a 1,000,000-row catalogue: the time and the command's peak memory, on
SQLite and on PostgreSQL (issue #15: at most 300 MB RSS).

    .venv/bin/python bench/import_catalogue.py    # --rows 1000000 --databases sqlite,postgres

Generates the file once into var/bench/import-<rows>.csv (four variants a product, the demo
shop's leaf categories, one image a product; reused afterwards). For each database, an empty shop
(the demo categories, no product): a SQLite file under var/bench/, and on PostgreSQL the database
`vitrine_bench_import` on --postgres-server, dropped and created again. Then, each timed, the real
command in a process of its own whose RSS is sampled every 50 ms (psutil): the first import
(everything created, the listing index rebuilt), the same file again (everything unchanged:
nothing written), and a stock feed of every variant (--stock-only, a tenth of them changed).
Writes bench/results/import-<timestamp>.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import psutil
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import listing_index, schema  # noqa: E402
from api.catalogue_import.fields import COLUMNS, PRODUCT_CODE, PRODUCT_COLUMNS  # noqa: E402
from api.db import create_engine, migrate  # noqa: E402
from api.demo.categories import generate_categories  # noqa: E402
from ops import harness  # noqa: E402
from vitrine.config import Settings  # noqa: E402

RESULTS = ROOT / "bench" / "results"
WORK = ROOT / "var" / "bench"
TARGET_PEAK_RSS_MB = 300
SAMPLE_SECONDS = 0.05
VARIANTS_PER_PRODUCT = 4
SIZES = ("XS", "S", "M", "L", "XL", "XXL")
COLOURS = ("Black", "Navy", "Oat", "Sage", "Rust", "Grey", "White", "Olive")
BRANDS = ("Kestrel", "Northwind", "Fjordline", "Pinecrest", "Marlowe", "Tidewater")
WORDS = ("Relaxed", "Classic", "Merino", "Linen", "Waxed", "Quilted", "Ribbed", "Organic")
NOUNS = ("Jumper", "Shirt", "Jacket", "Boot", "Scarf", "Throw", "Mug", "Tee")
POSTGRES_DATABASE = "vitrine_bench_import"
IMPORT_TIMEOUT_SECONDS = 4 * 3600
RUNS = {
    "first": "the first import into an empty shop",
    "again": "the same file again: nothing to write",
    "stock": "a stock feed of every variant, a tenth changed",
}


def generated_file(rows: int) -> Path:
    """The import file of `rows` rows, written once and reused."""
    path = WORK / f"import-{rows}.csv"
    if path.exists():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"writing {rows:,} rows to {path} (once)...", flush=True)
    leaves = [c.slug for c in generate_categories() if c.leaf is not None]
    rng = random.Random(15)
    partial = path.with_suffix(".partial")
    with partial.open("w", newline="") as stream:
        out = csv.writer(stream)
        out.writerow(COLUMNS)
        for index in range(0, rows, VARIANTS_PER_PRODUCT):
            number = index // VARIANTS_PER_PRODUCT + 1
            name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(NOUNS)} {number}"
            code = f"BENCH-{number:07d}"
            product = {
                "product_code": code,
                "name": name,
                "slug": name.lower().replace(" ", "-"),
                "brand": rng.choice(BRANDS),
                "description": f"{name}: made to last, in a shop of a million rows.",
                "category": rng.choice(leaves),
                "price": f"{rng.randrange(500, 30000) / 100:.2f}",
                "compare_at_price": "",
                "currency": "EUR",
                "status": "active",
                "position": str(number),
                "image_urls": f"/media/demo/products/bench-{number}.svg",
                "image_alts": name,
                "image_width": "800",
                "image_height": "1000",
            }
            colours = rng.sample(COLOURS, 2)
            for n in range(min(VARIANTS_PER_PRODUCT, rows - index)):
                # Product columns on a product's first row only, as Shopify exports them.
                first = n == 0
                out.writerow(
                    [
                        *(
                            product[c] if first or c == PRODUCT_CODE else ""
                            for c in PRODUCT_COLUMNS
                        ),
                        f"{code}-{n + 1}",
                        SIZES[n % len(SIZES)],
                        colours[n % 2],
                        str(rng.randrange(0, 40)),
                    ]
                )
    partial.rename(path)
    return path


def stock_file(rows: int) -> Path:
    """sku,stock for every variant of the generated file, a tenth of them changed."""
    path = WORK / f"import-{rows}-stock.csv"
    if path.exists():
        return path
    with generated_file(rows).open(newline="") as source, path.open("w", newline="") as stream:
        reader = csv.DictReader(source)
        out = csv.writer(stream)
        out.writerow(("sku", "stock"))
        for n, row in enumerate(reader):
            stock = int(row["stock"]) + (1 if n % 10 == 0 else 0)
            out.writerow((row["sku"], stock))
    return path


async def empty_shop(settings: Settings) -> None:
    """The schema, the demo categories (and their closure in the listing index), no product."""
    engine = create_engine(settings)
    try:
        await migrate(engine)
        async with engine.begin() as conn:
            for table in reversed(schema.metadata.sorted_tables):
                await conn.execute(table.delete())
            await conn.execute(schema.categories.insert(), [c.row() for c in generate_categories()])
            await listing_index.rebuild(conn)
    finally:
        await engine.dispose()


async def fresh_postgres(server: str) -> str:
    admin = create_async_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE}"))
            await conn.execute(text(f"CREATE DATABASE {POSTGRES_DATABASE}"))
    finally:
        await admin.dispose()
    return f"{server}/{POSTGRES_DATABASE}"


class PeakRss:
    """Samples a process's resident memory on a thread until stopped; keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
            except psutil.NoSuchProcess:
                return
            time.sleep(SAMPLE_SECONDS)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def timed_import(url: str, path: Path, *options: str) -> dict[str, Any]:
    env = {**os.environ, "VITRINE_DATABASE_URL": url, "VITRINE_LOG_LEVEL": "WARNING"}
    log = WORK / "import-bench.log"
    started = time.perf_counter()
    with log.open("ab") as output:
        process = subprocess.Popen(
            harness.vitrine("import", str(path), "--quiet", *options),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=output,
        )
        with PeakRss(process.pid) as rss:
            stdout, _ = process.communicate(timeout=IMPORT_TIMEOUT_SECONDS)
    seconds = time.perf_counter() - started
    said = stdout.decode()
    if process.returncode != 0:
        raise SystemExit(f"vitrine import {path} exited {process.returncode}: {said}")
    rows = sum(1 for _ in path.open("rb")) - 1
    # The command's own figure: from opening the file to the commit, without starting Python.
    reported = re.search(r"rows in ([\d.]+) s", said)
    return {
        "seconds": round(seconds, 1),
        "import_seconds": float(reported.group(1)) if reported else None,
        "rows_per_second": round(rows / seconds),
        "peak_rss_mb": round(rss.peak / 2**20, 1),
        "said": said.strip().splitlines(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--postgres-server",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432",
        help=f"where to make the database {POSTGRES_DATABASE} (dropped first)",
    )
    parser.add_argument(
        "--runs", default=",".join(RUNS), help=f"which of {', '.join(RUNS)} (default: all)"
    )
    args = parser.parse_args()
    path = generated_file(args.rows)
    stock = stock_file(args.rows)
    runs = {
        "first": (path, ()),
        "again": (path, ()),
        "stock": (stock, ("--stock-only",)),
    }
    chosen = args.runs.split(",")
    results: dict[str, Any] = {}
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"import-{stamp}.json"
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "benchmark": "import",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": args.rows,
        "products": -(-args.rows // VARIANTS_PER_PRODUCT),
        "file_mb": round(path.stat().st_size / 2**20, 1),
        "target_peak_rss_mb": TARGET_PEAK_RSS_MB,
        "results": results,
    }
    for database in args.databases.split(","):
        if database == "sqlite":
            db_path = WORK / f"import-{args.rows}.sqlite3"
            for leftover in WORK.glob(f"import-{args.rows}.sqlite3*"):
                leftover.unlink()
            url = f"sqlite+aiosqlite:///{db_path}"
        elif database == "postgres":
            url = asyncio.run(fresh_postgres(args.postgres_server))
        else:
            raise SystemExit(f"--databases: {database!r} is neither sqlite nor postgres")
        asyncio.run(empty_shop(Settings(database_url=url)))
        results[database] = {}
        for run in chosen:
            file, options = runs[run]
            print(f"{database}: {run} ({RUNS[run]}), {args.rows:,} rows...", flush=True)
            figures = timed_import(url, file, *options)
            results[database][run] = figures
            print(f"  {figures}", flush=True)
            # Kept as the runs end: a long run cut short still leaves what it measured.
            out.write_text(json.dumps(result, indent=2) + "\n")

    print(f"\n{args.rows:,} rows ({result['products']:,} products, {result['file_mb']} MB)\n")
    print("| database | run | command's time | import's own time | rows/s | peak RSS |")
    print("|---|---|---:|---:|---:|---:|")
    for database, runs in results.items():
        for run, figures in runs.items():
            print(
                f"| {database} | {run} | {figures['seconds']} s | {figures['import_seconds']} s "
                f"| {figures['rows_per_second']:,} | {figures['peak_rss_mb']} MB |"
            )
    worst = max(f["peak_rss_mb"] for runs in results.values() for f in runs.values())
    verdict = "PASS" if worst <= TARGET_PEAK_RSS_MB else "FAIL"
    print(f"\n{verdict}: peak RSS {worst} MB, target <= {TARGET_PEAK_RSS_MB} MB; {out}")


if __name__ == "__main__":
    main()
