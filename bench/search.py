"""p50/p99 of shop.v1.Search's two methods over a seeded catalogue, called in this process.

    VITRINE_DATABASE_URL=... [VITRINE_DATABASE_SCHEMA=...] .venv/bin/python bench/search.py \
        [--rounds 5]

The methods are called directly, as a worker's dispatcher would, so the answer cache of the
worker (VITRINE_API_ANSWER_CACHE) plays no part: every call reaches the database. Each query is
called once to warm the connection pool and the category tree, then `--rounds` times.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from api.cache import TtlCache
from api.context import CallContext
from api.db import create_engine
from api.services import search
from contract import search_pb2
from vitrine.config import load_settings

# Words of the demo catalogue, common and rare, several words, a misspelling or two and
# nothing at all: what the search box meets.
QUERIES = (
    "cardigan",
    "cardigans",
    "cardigna",
    "linen shirt",
    "dress",
    "wrap dresses",
    "leather boots",
    "wool",
    "merino jumper",
    "black trainers",
    "suede",
    "tent",
    "backpack",
    "jeans",
    "corduroy trousers",
    "silk scarf",
    "fleece gilet",
    "ripstop",
    "blazer",
    "xyzzy",
)
PREFIXES = (
    "c",
    "ca",
    "car",
    "card",
    "li",
    "lin",
    "linen s",
    "dr",
    "wra",
    "le",
    "bo",
    "mer",
    "tr",
    "su",
    "te",
    "back",
    "je",
    "cor",
    "si",
    "zz",
)


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def _time(call: Callable[[], Awaitable[Any]], rounds: int) -> list[float]:
    await call()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def main(rounds: int) -> None:
    settings = load_settings()
    engine = create_engine(settings)
    ctx = CallContext(
        db=engine, settings=settings, cache=TtlCache(), trace_id="bench", now=datetime.now(UTC)
    )
    try:
        searches: list[float] = []
        for query in QUERIES:
            request = search_pb2.SearchProductsRequest(query=query)
            samples = await _time(lambda r=request: search.search_products(ctx, r), rounds)
            searches += samples
            print(f"  search  {query!r:22} p50 {statistics.median(samples):7.1f} ms")
        suggests: list[float] = []
        for prefix in PREFIXES:
            suggest = search_pb2.SuggestRequest(prefix=prefix)
            samples = await _time(lambda r=suggest: search.suggest(ctx, r), rounds)
            suggests += samples
            print(f"  suggest {prefix!r:22} p50 {statistics.median(samples):7.1f} ms")
    finally:
        await engine.dispose()
    for name, samples in (("SearchProducts", searches), ("Suggest", suggests)):
        print(
            f"{name:15} p50 {_percentile(samples, 0.5):7.1f} ms   "
            f"p99 {_percentile(samples, 0.99):7.1f} ms   ({len(samples)} calls)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(main(parser.parse_args().rounds))
