"""The million-product scenarios of issue #15: uncached read latency per kind against its target,
on SQLite and PostgreSQL, and product pages drawn Zipf(s=1.0) over the catalogue against 50 hot
ones, through one front and one worker.

    .venv/bin/python bench/million.py [--products 1000000] [--engines sqlite,postgresql] \
        [--rounds 40] [--zipf-seconds 8]

Each engine's catalogue is seeded once (`vitrine seed --products N`) into a cached database
(SQLite: var/bench-1m.sqlite3; PostgreSQL: the database vitrine_bench_1m on 127.0.0.1:5432, or
VITRINE_BENCH_POSTGRES_URL) and reused while var/bench-1m.<engine>.json says it holds that
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
    "deep filtered page": 50.0,
    "SearchProducts": 50.0,
    "Suggest": 15.0,
    "GetProduct": 3.0,
    "cold start": 200.0,
}
ZIPF_OVER_HOT = 0.6
# Zipf paths per wrk run: each run (warm-up, each block) takes a slice of its own, since wrk
# walks its list from the start and a replayed slice would find every page cached.
ZIPF_PATHS = 15_000
ZIPF_SLICES = 6
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


def size_name(products: int) -> str:
    """1m for a million, 20k for 20,000: the cached databases' names."""
    for unit, name in ((1_000_000, "m"), (1_000, "k")):
        if products % unit == 0:
            return f"{products // unit}{name}"
    return str(products)


def database_url(engine: str, products: int) -> str:
    if engine == "sqlite":
        return f"sqlite+aiosqlite:///{VAR / f'bench-{size_name(products)}.sqlite3'}"
    return os.environ.get(
        "VITRINE_BENCH_POSTGRES_URL", f"{POSTGRES_SERVER}/vitrine_bench_{size_name(products)}"
    )


def ensure_database(engine: str, products: int) -> str:
    """The engine's cached catalogue of `products`, seeded when missing or of another seed."""
    url = database_url(engine, products)
    marker = VAR / f"bench-{size_name(products)}.{engine}.json"
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


async def measure(url: str, rounds: int, slowest: int = 0) -> dict[str, Any]:
    """Cold start and p50/p99 per read kind, answer cache off, in this (fresh) process.
    `slowest`: also the slowest calls of each kind, with what they asked (--verbose)."""
    sys.path.insert(0, str(ROOT))
    from api.cache import TtlCache  # noqa: PLC0415
    from api.context import CallContext  # noqa: PLC0415
    from api.db import create_engine  # noqa: PLC0415
    from vitrine.config import Settings  # noqa: PLC0415

    settings = Settings(database_url=url)
    engine = create_engine(settings)
    ctx = CallContext(
        db=engine, settings=settings, cache=TtlCache(), trace_id="bench", now=datetime.now(UTC)
    )
    reads = _Reads(ctx)
    # A fresh worker's first request of each kind: connections, the category tree, statements.
    cold = {
        "GetProduct": await _timed(reads.get_product(1)),
        "category page": await _timed(reads.listing("")),
        "SearchProducts": await _timed(reads.searching("cardigan")),
        "Suggest": await _timed(reads.suggesting("car")),
    }
    await reads.explore()
    kinds = reads.kinds()
    samples: dict[str, list[float]] = {name: [] for name in kinds}
    cpu: dict[str, float] = dict.fromkeys(kinds, 0.0)
    asked: dict[str, list[tuple[float, str]]] = {name: [] for name in kinds}
    for _ in range(rounds):
        for name, make in kinds.items():
            call = make()
            began_cpu = time.process_time()
            samples[name].append(await _timed(call))
            cpu[name] += time.process_time() - began_cpu
            asked[name].append((samples[name][-1], getattr(call, "asked", "")))
    await engine.dispose()
    slow = {
        name: [f"{ms:.1f} ms {what}" for ms, what in sorted(calls, reverse=True)[:slowest]]
        for name, calls in asked.items()
    }
    return {
        **({"slowest": slow} if slowest else {}),
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


async def _timed(call: Call) -> float:
    began = time.perf_counter()
    await call()
    return (time.perf_counter() - began) * 1000


_FILTER_FIELDS = {
    "brand": "brands",
    "colour": "colours",
    "size": "sizes",
    "price_band": "price_bands",
}


class _Reads:
    """Requests of each kind, drawn at random, as calls of the service functions."""

    def __init__(self, ctx: Any) -> None:
        from api.services import catalog, search  # noqa: PLC0415
        from contract import catalog_pb2, common_pb2, search_pb2  # noqa: PLC0415

        self.ctx, self.catalog, self.search = ctx, catalog, search
        self.catalog_pb2, self.common_pb2, self.search_pb2 = catalog_pb2, common_pb2, search_pb2
        self.rng = random.Random(15)
        self.nodes: list[Any] = []
        self.facets: dict[str, dict[str, list[str]]] = {}
        # Each category's unfiltered counts, per facet and value (for deep filtered pages).
        self.counts: dict[str, dict[str, dict[str, int]]] = {}
        self.products = 1

    def listing(self, slug: str, page: int = 1, sort: int = 0, **filters: list[str]) -> Call:
        """A category page; slug "" is the largest top-level category (after explore)."""
        pb = self.catalog_pb2

        async def call() -> Any:
            if not slug:
                tree = await self.catalog.get_category_tree(self.ctx, pb.GetCategoryTreeRequest())
                chosen = max(tree.roots, key=lambda root: root.product_count).slug
            else:
                chosen = slug
            request = pb.ListCategoryProductsRequest(
                category_slug=chosen,
                sort=sort,
                page=self.common_pb2.PageRequest(page=page, page_size=PAGE_SIZE),
                filter=pb.FacetFilter(**filters),
            )
            return await self.catalog.list_category_products(self.ctx, request)

        # What was asked, for --verbose: the category, page, sort and filters.
        call.asked = f"{slug or 'largest'} page={page} sort={sort} {filters}"  # type: ignore[attr-defined]
        return call

    def get_product(self, product_id: int) -> Call:
        request = self.catalog_pb2.GetProductRequest(id=product_id)
        return lambda: self.catalog.get_product(self.ctx, request)

    def searching(self, query: str) -> Call:
        request = self.search_pb2.SearchProductsRequest(query=query)

        async def call() -> Any:
            return await self.search.search_products(self.ctx, request)

        call.asked = repr(query)  # type: ignore[attr-defined]
        return call

    def suggesting(self, prefix: str) -> Call:
        request = self.search_pb2.SuggestRequest(prefix=prefix)

        async def call() -> Any:
            return await self.search.suggest(self.ctx, request)

        call.asked = repr(prefix)  # type: ignore[attr-defined]
        return call

    async def explore(self) -> None:
        """Every category and the facet values of its unfiltered page."""
        pb = self.catalog_pb2
        tree = await self.catalog.get_category_tree(self.ctx, pb.GetCategoryTreeRequest())
        self.nodes = [node for root in tree.roots for node in _walk(root)]
        self.products = sum(root.product_count for root in tree.roots)
        for node in self.nodes:
            answer = await self.listing(node.slug)()
            self.facets[node.slug] = {f.name: [v.value for v in f.values] for f in answer.facets}
            self.counts[node.slug] = {
                f.name: {v.value: v.count for v in f.values} for f in answer.facets
            }

    def any_combination(self) -> Call:
        """A category, a sort and one to three facets, one or two values each, at random."""
        rng, node = self.rng, self.rng.choice(self.nodes)
        values = self.facets[node.slug]
        available = [name for name, found in values.items() if found]
        chosen = rng.sample(available, rng.randint(1, min(3, len(available))))
        filters = {
            _FILTER_FIELDS[name]: rng.sample(
                values[name], min(rng.randint(1, 2), len(values[name]))
            )
            for name in chosen
        }
        return self.listing(node.slug, 1, rng.choice(range(5)), **filters)

    def deep(self) -> Call:
        node = self.rng.choice(self.nodes)
        last = max(1, -(-node.product_count // PAGE_SIZE))
        page = self.rng.randint(max(1, last // 4), max(1, last * 3 // 4))
        return self.listing(node.slug, page, self.rng.choice(range(5)))

    def deep_filtered(self) -> Call:
        """A late page of a broad filter (one facet, one or two of its values) in a category of
        a thousand products or more: the pages a walk of the sort's index reaches last. Pages
        of filtered listings reach FILTERED_LISTED_MAX products (api/services/catalog.py)."""
        from api.services.catalog import FILTERED_LISTED_MAX  # noqa: PLC0415

        rng = self.rng
        node = rng.choice([n for n in self.nodes if n.product_count >= 1000] or self.nodes)
        counts = self.counts[node.slug]
        facet = rng.choice([name for name, found in counts.items() if found])
        chosen = rng.sample(sorted(counts[facet]), min(rng.randint(1, 2), len(counts[facet])))
        # The most of one value: at least that many products match (a product may have both).
        matching = min(FILTERED_LISTED_MAX, max(counts[facet][value] for value in chosen))
        last = max(1, matching // PAGE_SIZE)
        page = rng.randint(max(1, last // 2), last)
        filters = {_FILTER_FIELDS[facet]: chosen}
        return self.listing(node.slug, page, rng.choice(range(5)), **filters)

    def kinds(self) -> dict[str, Callable[[], Call]]:
        rng = self.rng
        return {
            "category page": lambda: self.listing(
                rng.choice(self.nodes).slug, rng.randint(1, 3), rng.choice(range(5))
            ),
            "filtered category page": self.any_combination,
            "deep page": self.deep,
            "deep filtered page": self.deep_filtered,
            "SearchProducts": lambda: self.searching(rng.choice(QUERIES)),
            "Suggest": lambda: self.suggesting(rng.choice(PREFIXES)),
            "GetProduct": lambda: self.get_product(rng.randint(1, self.products)),
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
    """(Zipf paths, ZIPF_SLICES slices of ZIPF_PATHS; hot paths): ranks map to live products
    through a fixed shuffle, so the most popular products are spread over the catalogue."""
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
    ranks = zipf_ranks(products, ZIPF_PATHS * ZIPF_SLICES, rng)
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
    parser.add_argument(
        "--verbose",
        type=int,
        default=0,
        metavar="N",
        help="also print the N slowest calls of each kind, with their category, sort and filters",
    )
    parser.add_argument(
        "--zipf", action="store_true", help="only the Zipf product pages (as make bench runs them)"
    )
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk block (--zipf)")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.measure, args.rounds, args.verbose))))
        return 0
    if args.zipf:
        return _zipf_alone(args)
    rows = []
    for engine in args.engines.split(","):
        figures = measure_in_fresh_process(
            ensure_database(engine, args.products), args.rounds, args.verbose
        )
        print(json.dumps(figures, indent=2))
        rows += read_verdicts(engine, args.products, figures)
    for row in rows:
        verdict = "PASS" if row["met"] else "FAIL"
        print(f"{verdict}  {row['target']}: {row['measured']} ({row['goal']})")
    return 0


def _zipf_alone(args: argparse.Namespace) -> int:
    """The Zipf scenario of make bench alone, on the first engine: bench/run.py's blocks."""
    import shutil  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    import run  # noqa: PLC0415 - bench/run.py, which imports this module

    pin = (os.cpu_count() or 1) > 1 and shutil.which("taskset") is not None
    options = argparse.Namespace(
        million=args.products,
        million_engines=args.engines.split(",")[0],
        million_rounds=args.rounds,
        rounds=2,
        duration=args.duration,
    )
    with tempfile.TemporaryDirectory() as tmp, run.Stack(Path(tmp), pin) as stack:
        bench = run.Bench(run.Wrk(run.WRK_THREADS, run.CLIENT_CORE if pin else None), Path(tmp), 32)
        result = run.measure_million(options, stack, bench, reads=False)
    print(json.dumps(result, indent=2))
    return 0


def measure_in_fresh_process(url: str, rounds: int, slowest: int = 0) -> dict[str, Any]:
    output = subprocess.run(
        [
            sys.executable,
            __file__,
            *("--measure", url, "--rounds", str(rounds), "--verbose", str(slowest)),
        ],
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
