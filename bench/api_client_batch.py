"""Times one call and a batch of 5 calls through api_client against a real API worker, over ZeroMQ
and, in the same run and interleaved, the same 5 calls over the HTTP JSON transport.

    make bench                      # or: .venv/bin/python bench/api_client_batch.py --rounds 2000

Writes bench/results/api_client_batch-<timestamp>.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.db import create_engine  # noqa: E402
from api.demo import seed_demo  # noqa: E402
from api_client import ApiClient  # noqa: E402
from api_client.http_transport import HttpTransport  # noqa: E402
from api_client.zmq_transport import ZmqTransport  # noqa: E402
from ops import harness  # noqa: E402
from vitrine.config import Settings  # noqa: E402

RESULTS = ROOT / "bench" / "results"
WARMUP_ROUNDS = 100
BLOCK_ROUNDS = 50
ZMQ_ENDPOINT = "tcp://127.0.0.1:5655"
HTTP_URL = "http://127.0.0.1:8655"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def seed(database_url: str) -> None:
    engine = create_engine(Settings(database_url=database_url))
    try:
        await seed_demo(engine)
    finally:
        await engine.dispose()


def start_worker(
    database_url: str, core: int | None, *, answer_cache: bool
) -> subprocess.Popen[bytes]:
    """The worker, once it accepts connections on its endpoint (it binds after warming up)."""
    env = {
        "VITRINE_DATABASE_URL": database_url,
        "VITRINE_API_HTTP": HTTP_URL,
        "VITRINE_LOG_LEVEL": "WARNING",
        "VITRINE_API_ANSWER_CACHE": "on" if answer_cache else "off",
    }
    argv = harness.vitrine("api-worker", "--bind", ZMQ_ENDPOINT)
    worker = harness.spawn(argv, env=env, log=sys.stderr.buffer, core=core)
    port = int(ZMQ_ENDPOINT.rpartition(":")[2])
    harness.wait_until(
        lambda: harness.accepts_connections("127.0.0.1", port), worker, what="the worker"
    )
    return worker


def five_calls(client: ApiClient) -> Callable[[], Awaitable[None]]:
    """What a product page asks for, as one batch."""

    async def run() -> None:
        batch = client.batch()
        batch.catalog.GetProductBySlug(slug=SLUG)
        batch.catalog.GetRelatedProducts(product_id=PRODUCT_ID)
        batch.catalog.GetCategoryTree()
        batch.search.Suggest(prefix="lin")
        batch.landings.ListLandingPages()
        await batch

    return run


def one_call(client: ApiClient) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        await client.catalog.GetProduct(id=PRODUCT_ID)

    return run


PRODUCT_ID = 17
SLUG = ""


async def measure(rounds: int) -> dict[str, list[float]]:
    global SLUG  # noqa: PLW0603 - filled once from the live catalogue before timing
    zmq = ApiClient(lambda d: ZmqTransport([ZMQ_ENDPOINT], d), default_deadline_ms=5000)
    http = ApiClient(lambda d: HttpTransport(HTTP_URL, d), default_deadline_ms=5000)
    SLUG = (await zmq.catalog.GetProduct(id=PRODUCT_ID)).product.slug
    scenarios = {
        "zmq: 1 call": one_call(zmq),
        "zmq: batch of 5": five_calls(zmq),
        "http: 1 call": one_call(http),
        "http: 5 calls": five_calls(http),
    }
    timings: dict[str, list[float]] = {name: [] for name in scenarios}
    for run in scenarios.values():
        for _ in range(WARMUP_ROUNDS):
            await run()
    # Blocks of rounds, taking turns: a noisy moment on the machine hits every scenario alike,
    # while round-by-round alternation (which slowed whichever call followed an HTTP one by
    # several ms, in either process) does not leak one transport's cost into the other's.
    for _ in range(max(1, rounds // BLOCK_ROUNDS)):
        for name, run in scenarios.items():
            for _ in range(BLOCK_ROUNDS):
                started = time.perf_counter()
                await run()
                timings[name].append((time.perf_counter() - started) * 1000)
    await zmq.close()
    await http.close()
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument(
        "--no-answer-cache",
        action="store_true",
        help="every call reaches the database (VITRINE_API_ANSWER_CACHE=off)",
    )
    args = parser.parse_args()
    pin = (os.cpu_count() or 1) > 1
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        asyncio.run(seed(database_url))
        worker = start_worker(
            database_url, core=1 if pin else None, answer_cache=not args.no_answer_cache
        )
        try:
            if pin:
                os.sched_setaffinity(0, {0})  # the client on the other core
            timings = asyncio.run(measure(args.rounds))
        finally:
            harness.stop(worker)
    rows = {
        name: {
            "median_ms": round(statistics.median(values), 3),
            "p99_ms": round(percentile(values, 0.99), 3),
            "n": len(values),
        }
        for name, values in timings.items()
    }
    ratio = rows["zmq: batch of 5"]["median_ms"] / rows["http: 5 calls"]["median_ms"]
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "rounds": args.rounds,
        "pinned": pin,
        "answer_cache": not args.no_answer_cache,
        "scenarios": rows,
        "zmq_batch_over_http_batch_median": round(ratio, 3),
        "target": "zmq batch of 5 <= 0.25 x http 5 calls",
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"api_client_batch-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print("| scenario | median ms | p99 ms |\n|---|---:|---:|")
    for name, row in rows.items():
        print(f"| {name} | {row['median_ms']:.3f} | {row['p99_ms']:.3f} |")
    print(f"\nzmq batch / http batch (median): {ratio:.3f} (target <= 0.25); written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
