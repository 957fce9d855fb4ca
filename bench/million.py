"""The million-product scenarios of issue #15: uncached read latency per kind against its target,
on SQLite and PostgreSQL, and product pages drawn Zipf(s=1.0) over the catalogue against 50 hot
ones, through one front and one worker.

    .venv/bin/python bench/million.py [--products 1000000] [--engines sqlite,postgresql] \
        [--rounds 40] [--zipf-seconds 8]

Each engine's catalogue is seeded once (`vitrine seed --products N`) into a cached database
(SQLite: var/bench-<N>.sqlite3; PostgreSQL: the database vitrine_bench_<N>, or
VITRINE_BENCH_POSTGRES_URL) and reused while var/bench-<N>.<engine>.json says it holds that
seed and count. The reads are timed in a fresh process per engine (`--measure`), calling the
services as a worker's dispatcher does with the answer cache off: its first call of each kind is
that kind's cold start. `bench/run.py` (make bench) runs this after its own scenarios and adds
its verdicts; run alone it prints them.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
SEED = 42
POSTGRES_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
PAGE_SIZE = 24
# p99 targets in ms (issue #15), and the Zipf/hot throughput ratio.
TARGETS_MS = {
    "category page": 50.0,
    "filtered category page": 50.0,
    "deep page": 50.0,
    "SearchProducts": 50.0,
    "Suggest": 15.0,
    "GetProduct": 3.0,
    "cold start": 200.0,
}
ZIPF_OVER_HOT = 0.6
ZIPF_PATHS = 20_000
HOT_PRODUCTS = 50
QUERIES = (
    "cardigan",
    "cardigans",
    "cardigna",
    "linen shirt",
    "dress",
    "leather boots",
    "wool",
    "black trainers",
    "suede",
    "tent",
    "backpack",
    "silk scarf",
)
PREFIXES = ("c", "ca", "car", "card", "li", "lin", "linen s", "dr", "bo", "mer", "back", "zz")


def database_url(engine: str, products: int) -> str:
    if engine == "sqlite":
        return f"sqlite+aiosqlite:///{VAR / f'bench-{products}.sqlite3'}"
    return os.environ.get(
        "VITRINE_BENCH_POSTGRES_URL", f"{POSTGRES_SERVER}/vitrine_bench_{products}"
    )


def ensure_database(engine: str, products: int) -> str:
    """The engine's cached catalogue of `products`, seeded when missing or of another seed."""
    url = database_url(engine, products)
    marker = VAR / f"bench-{products}.{engine}.json"
    wanted = {"products": products, "seed": SEED, "url": url}
    if marker.is_file() and json.loads(marker.read_text()) == wanted:
        # This tree's migrations (a new one backfills from the catalogue there, once).
        subprocess.run(
            [str(ROOT / ".venv" / "bin" / "vitrine"), "migrate"],
            env=_env(url),
            check=True,
            cwd=ROOT,
        )
        return url
    VAR.mkdir(exist_ok=True)
    marker.unlink(missing_ok=True)
    if engine == "postgresql":
        asyncio.run(_create_postgres_database(url))
    print(f"seeding {products} products into {url} (once; reused while {marker.name} says so)")
    started = time.monotonic()
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "vitrine"), "seed", "--products", str(products)],
        env=_env(url),
        check=True,
        cwd=ROOT,
    )
    print(f"seeded in {time.monotonic() - started:.0f} s")
    marker.write_text(json.dumps(wanted) + "\n")
    return url


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "VITRINE_DATABASE_URL": url, "VITRINE_DATABASE_SCHEMA": ""}


async def _create_postgres_database(url: str) -> None:
    import asyncpg  # noqa: PLC0415 - only when PostgreSQL is measured

    server, _, name = url.replace("postgresql+asyncpg", "postgresql").rpartition("/")
    conn = await asyncpg.connect(f"{server}/postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


# -- reads, in a fresh process -----------------------------------------------------------------

Call = Callable[[], Awaitable[Any]]


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


async def measure(url: str, rounds: int) -> dict[str, Any]:
    """Cold start and p50/p99 per read kind, answer cache off, in this (fresh) process."""
    sys.path.insert(0, str(ROOT))
    from api.cache import TtlCache  # noqa: PLC0415
    from api.context import CallContext  # noqa: PLC0415
    from api.db import create_engine  # noqa: PLC0415
    from api.services import catalog, search  # noqa: PLC0415
    from contract import catalog_pb2, common_pb2, search_pb2  # noqa: PLC0415
    from vitrine.config import Settings  # noqa: PLC0415

    engine = create_engine(Settings(database_url=url))
    ctx = CallContext(
        db=engine,
        settings=Settings(database_url=url),
        cache=TtlCache(),
        trace_id="bench",
        now=datetime.now(UTC),
    )
    rng = random.Random(15)

    def listing(slug: str, page: int = 1, sort: int = 0, **filters: list[str]) -> Call:
        request = catalog_pb2.ListCategoryProductsRequest(
            category_slug=slug,
            sort=sort,
            page=common_pb2.PageRequest(page=page, page_size=PAGE_SIZE),
            filter=catalog_pb2.FacetFilter(**filters),
        )
        return lambda: catalog.list_category_products(ctx, request)

    def get_product(product_id: int) -> Call:
        request = catalog_pb2.GetProductRequest(id=product_id)
        return lambda: catalog.get_product(ctx, request)

    def searching(query: str) -> Call:
        request = search_pb2.SearchProductsRequest(query=query)
        return lambda: search.search_products(ctx, request)

    def suggesting(prefix: str) -> Call:
        request = search_pb2.SuggestRequest(prefix=prefix)
        return lambda: search.suggest(ctx, request)

    cold: dict[str, float] = {}

    async def timed(call: Call) -> float:
        began = time.perf_counter()
        await call()
        return (time.perf_counter() - began) * 1000

    # A fresh worker's first request of each kind: connections, the category tree, statements.
    cold["GetProduct"] = await timed(get_product(1))
    tree = await catalog.get_category_tree(ctx, catalog_pb2.GetCategoryTreeRequest())
    nodes = [node for root in tree.roots for node in _walk(root)]
    biggest = max(tree.roots, key=lambda root: root.product_count)
    cold["category page"] = await timed(listing(biggest.slug))
    cold["SearchProducts"] = await timed(searching("cardigan"))
    cold["Suggest"] = await timed(suggesting("car"))
    highest = sum(root.product_count for root in tree.roots)
    facets: dict[str, dict[str, list[str]]] = {}
    for node in nodes:
        answer = await listing(node.slug)()
        facets[node.slug] = {f.name: [v.value for v in f.values] for f in answer.facets}
    fields = {"brand": "brands", "colour": "colours", "size": "sizes", "price_band": "price_bands"}

    def any_combination() -> Call:
        """A category and one to three facets, one or two values each, drawn at random."""
        node = rng.choice(nodes)
        available = [name for name, values in facets[node.slug].items() if values]
        chosen = rng.sample(available, rng.randint(1, min(3, len(available))))
        filters = {
            fields[name]: rng.sample(
                facets[node.slug][name], min(rng.randint(1, 2), len(facets[node.slug][name]))
            )
            for name in chosen
        }
        return listing(node.slug, 1, rng.choice(range(5)), **filters)

    def deep() -> Call:
        node = rng.choice(nodes)
        last = max(1, -(-node.product_count // PAGE_SIZE))
        return listing(node.slug, rng.randint(max(1, last - 50), last), rng.choice(range(5)))

    kinds: dict[str, Callable[[], Call]] = {
        "category page": lambda: listing(
            rng.choice(nodes).slug, rng.randint(1, 3), rng.choice(range(5))
        ),
        "filtered category page": any_combination,
        "deep page": deep,
        "SearchProducts": lambda: searching(rng.choice(QUERIES)),
        "Suggest": lambda: suggesting(rng.choice(PREFIXES)),
        "GetProduct": lambda: get_product(rng.randint(1, highest)),
    }
    samples: dict[str, list[float]] = {name: [] for name in kinds}
    cpu: dict[str, float] = dict.fromkeys(kinds, 0.0)
    for _ in range(rounds):
        for name, make in kinds.items():
            call = make()
            began_cpu = time.process_time()
            samples[name].append(await timed(call))
            cpu[name] += time.process_time() - began_cpu
    await engine.dispose()
    return {
        "cold_ms": {name: round(ms, 1) for name, ms in cold.items()},
        "reads": {
            name: {
                "calls": len(times),
                "p50_ms": round(statistics.median(times), 2),
                "p99_ms": round(_p99(times), 2),
                "cpu_ms_per_call": round(cpu[name] / len(times) * 1000, 2),
            }
            for name, times in samples.items()
        },
    }


def _walk(node: Any) -> list[Any]:
    return [node, *itertools.chain.from_iterable(_walk(child) for child in node.children)]


def read_verdicts(engine: str, products: int, figures: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, read in figures["reads"].items():
        goal = TARGETS_MS[name]
        rows.append(
            {
                "target": f"{engine}, {products:,} products, answer cache off: p99 ms of {name}",
                "measured": read["p99_ms"],
                "goal": f"<= {goal:g}",
                "met": read["p99_ms"] <= goal,
            }
        )
    worst = max(figures["cold_ms"].values())
    goal = TARGETS_MS["cold start"]
    rows.append(
        {
            "target": f"{engine}, {products:,} products: cold start, slowest first kind (ms)",
            "measured": worst,
            "goal": f"<= {goal:g}",
            "met": worst <= goal,
        }
    )
    return rows


# -- product pages, Zipf against hot ---------------------------------------------------------


def zipf_ranks(count: int, draws: int, rng: random.Random) -> list[int]:
    """`draws` ranks in 1..count drawn with probability proportional to 1/rank (s = 1.0)."""
    cumulative = list(itertools.accumulate(1.0 / rank for rank in range(1, count + 1)))
    total = cumulative[-1]
    return [bisect.bisect_left(cumulative, rng.random() * total) + 1 for _ in range(draws)]


def product_page_paths(url: str, products: int) -> tuple[list[str], list[str]]:
    """(Zipf paths, hot paths): ranks map to live products through a fixed shuffle, so the most
    popular products are spread over the catalogue, not the first ids."""
    return asyncio.run(_product_page_paths(url, products))


async def _product_page_paths(url: str, products: int) -> tuple[list[str], list[str]]:
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import select  # noqa: PLC0415

    from api.db import create_engine  # noqa: PLC0415
    from api.queries import is_live  # noqa: PLC0415
    from api.schema import products as table  # noqa: PLC0415
    from vitrine.config import Settings  # noqa: PLC0415

    rng = random.Random(1)
    order = list(range(1, products + 1))
    rng.shuffle(order)
    ranks = zipf_ranks(products, ZIPF_PATHS, rng)
    wanted = sorted({order[rank - 1] for rank in ranks} | set(order[: HOT_PRODUCTS * 2]))
    engine = create_engine(Settings(database_url=url))
    slugs: dict[int, str] = {}
    try:
        async with engine.connect() as conn:
            for start in range(0, len(wanted), 5000):
                chunk = wanted[start : start + 5000]
                rows = await conn.execute(
                    select(table.c.id, table.c.slug).where(table.c.id.in_(chunk), is_live())
                )
                slugs.update({row.id: row.slug for row in rows})
    finally:
        await engine.dispose()

    def path(product_id: int) -> str:
        return f"/p/{product_id}/{slugs[product_id]}"

    zipf = [path(order[rank - 1]) for rank in ranks if order[rank - 1] in slugs]
    hot = [path(i) for i in order if i in slugs][:HOT_PRODUCTS]
    return zipf, hot


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--measure", help="(internal) time the reads of this database URL")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.measure, args.rounds))))
        return 0
    rows = []
    for engine in args.engines.split(","):
        figures = measure_in_fresh_process(ensure_database(engine, args.products), args.rounds)
        print(json.dumps(figures, indent=2))
        rows += read_verdicts(engine, args.products, figures)
    for row in rows:
        verdict = "PASS" if row["met"] else "FAIL"
        print(f"{verdict}  {row['target']}: {row['measured']} ({row['goal']})")
    return 0


def measure_in_fresh_process(url: str, rounds: int) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, "--measure", url, "--rounds", str(rounds)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "VITRINE_DATABASE_SCHEMA": ""},
    ).stdout
    figures: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return figures


if __name__ == "__main__":
    sys.exit(main())
