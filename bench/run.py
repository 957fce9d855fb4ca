"""`make bench`: every scenario of issue #8 in one run of the real stack, side by side.

    .venv/bin/python bench/run.py        # --duration 8 --rounds 2 --connections 32 (~4 minutes)

Starts two API workers (one delays three calls), four fronts (ZeroMQ; the HTTP JSON transport;
ZeroMQ with no reuse of rendered pages; ZeroMQ to the delaying worker) and Tornado's hello world.
Measured servers are pinned to core 0, wrk and the workers to core 1; one server is loaded at a
time. Throughput scenarios take turns in blocks (hello, product, product rendered every time,
category, home, search, product over HTTP, then again), so a noisy moment on the shared machine
hits them all. Then the latency scenarios: composition of delayed calls, p50 and p99 at half of
the product page's measured peak, and nginx's microcache (bench/nginx.py).

Writes bench/results/<timestamp>.json, .md (the table and a pass/fail line per target) and .svg
(throughput, and latency percentiles, per scenario).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import million
from chart import write_chart
from nginx import measure_microcache
from stack import (
    BROWSER_HEADERS,
    CLIENT_CORE,
    ROOT,
    SERVER_CORE,
    Process,
    Stack,
    Wrk,
    api_json,
    cpu_seconds,
    queued_seconds,
    status_of,
    wrk_script,
)

RESULTS = ROOT / "bench" / "results"
URLS_PER_SCENARIO = 50
WARMUP_SECONDS = 3
# Before each recorded block, the same load unrecorded for this long: blocks take turns, and a
# server idle through the others' blocks finds its API worker's answers expired (5 s), so its
# first requests would all go to the database at once. Each block measures the steady state.
SETTLE_SECONDS = 1
WRK_THREADS = 1
# Scenario 4: three of the product page's calls, delayed on a worker of their own.
DELAYS = {
    "shop.v1.Catalog/GetCategoryTree": 20,
    "shop.v1.Catalog/GetProduct": 40,
    "shop.v1.Catalog/GetRelatedProducts": 60,
}
COMPOSITION_CONNECTIONS = 4
HALF_LOAD_CONNECTIONS = 8
CALIBRATION_SECONDS = 3
TARGETS = {
    "product_over_hello": 1 / 3,
    "zmq_over_http": 2.0,
    "composition_p50_ms": 70.0,
    "half_load_p99_ms": 25.0,
    "microcache_speedup": 10.0,
}


def product_paths(api_http: str, front: str, products: int) -> list[str]:
    """~50 product URLs spread over the catalogue that answer 200 (not gone, not redirected)."""
    paths = []
    for product_id in range(1, products + 1, max(1, products // (URLS_PER_SCENARIO + 10))):
        found = api_json(api_http, "catalog/GetProduct", {"id": product_id})
        if found is None:
            continue
        product = found["product"]
        path = f"/p/{product['id']}/{product['slug']}"
        if not product.get("discontinued") and status_of(front + path) == 200:
            paths.append(path)
        if len(paths) == URLS_PER_SCENARIO:
            break
    return paths


def category_paths(api_http: str, front: str) -> list[str]:
    tree = api_json(api_http, "catalog/GetCategoryTree", {}) or {}
    slugs = [
        node["slug"] for root in tree.get("roots", []) for node in [root, *root.get("children", [])]
    ]
    paths = [f"/c/{slug}" for slug in slugs[:URLS_PER_SCENARIO]]
    return [path for path in paths if status_of(front + path) == 200]


def search_paths(front: str, product_urls: list[str]) -> list[str]:
    """Searches for the words of product slugs: queries that find something."""
    words = dict.fromkeys(
        word for path in product_urls for word in path.rsplit("/", 1)[1].split("-")[:2]
    )
    paths = [f"/search?{urllib.parse.urlencode({'q': word})}" for word in words]
    return [path for path in paths[:URLS_PER_SCENARIO] if status_of(front + path) == 200]


class Bench:
    """Runs wrk blocks against servers and keeps every block's figures."""

    def __init__(self, wrk: Wrk, tmp: Path, connections: int) -> None:
        self.wrk = wrk
        self.tmp = tmp
        self.connections = connections
        self.blocks: list[dict[str, Any]] = []

    def block(
        self,
        scenario: str,
        server: Process,
        paths: list[str],
        seconds: int,
        *,
        connections: int | None = None,
        pause_ms: int = 0,
        headers: dict[str, str] | None = None,
        url: str = "",
    ) -> dict[str, Any]:
        script = wrk_script(self.tmp, scenario.replace(" ", "-"), paths, pause_ms, headers)
        self.wrk.run(script, url or server.url, SETTLE_SECONDS, connections or self.connections)
        pid = server.pid
        cpu_before, queued_before = cpu_seconds(pid), queued_seconds(pid)
        figures = self.wrk.run(script, url or server.url, seconds, connections or self.connections)
        cpu = cpu_seconds(pid) - cpu_before
        queued = queued_seconds(pid) - queued_before
        wall = figures["duration_us"] / 1e6
        block = {
            "scenario": scenario,
            "paths": len(paths),
            "connections": connections or self.connections,
            "pause_ms": pause_ms,
            "rps": round(figures["requests"] / wall, 1),
            "p50_ms": figures["p50_us"] / 1000,
            "p90_ms": figures["p90_us"] / 1000,
            "p99_ms": figures["p99_us"] / 1000,
            "max_ms": figures["max_us"] / 1000,
            "requests": figures["requests"],
            "seconds": round(wall, 3),
            "bytes_per_response": round(figures["bytes"] / max(1, figures["requests"])),
            "non_2xx": figures["non_2xx"],
            "socket_errors": figures["socket_errors"],
            # Near 1.0: the server's core was the bottleneck, as intended (not wrk, not the API).
            "server_cpu_share": round(cpu / wall, 3),
            # Other processes took the server's core this share of the time.
            "server_queued_share": round(queued / wall, 3),
            "server_cpu_us": round(cpu * 1e6),
        }
        self.blocks.append(block)
        print(
            f"  {scenario}: {block['rps']:.0f} req/s, p50 {block['p50_ms']:.1f} ms, "
            f"p99 {block['p99_ms']:.1f} ms",
            flush=True,
        )
        return block

    def warm(
        self,
        server: Process,
        paths: list[str],
        url: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        script = wrk_script(self.tmp, "warm", paths, headers=headers)
        self.wrk.run(script, url or server.url, WARMUP_SECONDS, self.connections)


def summarise(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    requests = sum(b["requests"] for b in blocks)
    return {
        "blocks": len(blocks),
        "paths": blocks[0]["paths"],
        "connections": blocks[0]["connections"],
        "rps": round(requests / sum(b["seconds"] for b in blocks), 1),
        # Percentiles do not pool: the mean of the blocks' p50, and the worst block's p99.
        "p50_ms": round(statistics.mean(b["p50_ms"] for b in blocks), 2),
        "p90_ms": round(max(b["p90_ms"] for b in blocks), 2),
        "p99_ms": round(max(b["p99_ms"] for b in blocks), 2),
        "requests": requests,
        "non_2xx": sum(b["non_2xx"] for b in blocks),
        "socket_errors": sum(b["socket_errors"] for b in blocks),
        "bytes_per_response": blocks[0]["bytes_per_response"],
        "server_cpu_share": round(statistics.mean(b["server_cpu_share"] for b in blocks), 3),
        "server_queued_share": round(statistics.mean(b["server_queued_share"] for b in blocks), 3),
        # CPU time per request: what one request costs the server, whatever else shared its core.
        "cpu_us_per_request": round(sum(b["server_cpu_us"] for b in blocks) / max(1, requests)),
    }


def verdicts(
    scenarios: dict[str, dict[str, Any]], microcache: dict[str, Any]
) -> list[dict[str, Any]]:
    hello, product = scenarios["hello world"], scenarios["product page"]
    checks = [
        (
            "product page req/s / hello world req/s, one process each on one core",
            product["rps"] / hello["rps"],
            ">=",
            TARGETS["product_over_hello"],
        ),
        (
            "product page req/s over ZeroMQ / over the HTTP JSON transport",
            product["rps"] / scenarios["product page, HTTP JSON transport"]["rps"],
            ">=",
            TARGETS["zmq_over_http"],
        ),
        (
            "p50 ms of a product page whose calls take 20, 40 and 60 ms",
            scenarios["composition 20/40/60 ms"]["p50_ms"],
            "<=",
            TARGETS["composition_p50_ms"],
        ),
        (
            "p99 ms of the product page at half its measured peak",
            scenarios["product page at half load"]["p99_ms"],
            "<=",
            TARGETS["half_load_p99_ms"],
        ),
    ]
    rows = [
        {
            "target": name,
            "measured": round(value, 3),
            "goal": f"{op} {goal:g}",
            "met": value >= goal if op == ">=" else value <= goal,
        }
        for name, value, op, goal in checks
    ]
    goal = f">= {TARGETS['microcache_speedup']:g}"
    name = "category pages through nginx: req/s with the microcache / without"
    if microcache.get("measured"):
        speedup = microcache["speedup"]
        rows.append(
            {
                "target": name,
                "measured": speedup,
                "goal": goal,
                "met": speedup >= TARGETS["microcache_speedup"],
            }
        )
    else:
        rows.append(
            {
                "target": name,
                "measured": None,
                "goal": goal,
                "met": None,
                "note": f"not measured: {microcache['reason']}",
            }
        )
    return rows


def git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        (
            f"# make bench, {result['when']} (commit {result['code']['commit']}"
            f"{', uncommitted changes' if result['code']['dirty'] else ''})"
        ),
        "",
        (
            "| scenario | conns | req/s | p50 ms | p90 ms | p99 ms | bytes/resp | errors "
            "| CPU µs/req | server on CPU |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in result["scenarios"].items():
        lines.append(
            f"| {name} | {row['connections']} | {row['rps']:.0f} | {row['p50_ms']:.2f} "
            f"| {row['p90_ms']:.2f} | {row['p99_ms']:.2f} | {row['bytes_per_response']} "
            f"| {row['non_2xx'] + row['socket_errors']} | {row['cpu_us_per_request']} "
            f"| {row['server_cpu_share']:.0%} |"
        )
    lines += ["", "| target | measured | goal | verdict |", "|---|---:|---|---|"]
    for row in result["targets"]:
        verdict = {True: "PASS", False: "FAIL", None: row.get("note", "not measured")}[row["met"]]
        measured = "" if row["measured"] is None else f"{row['measured']:.3f}"
        lines.append(f"| {row['target']} | {measured} | {row['goal']} | {verdict} |")
    lines.append(
        f"\nproduct page / hello world per round: {result['product_over_hello_per_round']}; "
        f"in CPU per request: {result['product_over_hello_cpu_per_request']}; "
        f"half load was {result['half_load_over_peak']:.0%} of the peak "
        f"({result['peak_product_rps']:.0f} req/s)"
    )
    return "\n".join(lines) + "\n"


def half_load_pause(bench: Bench, front: Process, paths: list[str], rate: float) -> int:
    """The pause before each request that makes HALF_LOAD_CONNECTIONS offer `rate` req/s.

    A connection's period is its pause plus the page's latency, so a short unrecorded run at the
    naive pause measures that latency and the pause is corrected by it."""
    period_ms = HALF_LOAD_CONNECTIONS * 1000 / rate
    naive = max(1, round(period_ms))
    script = wrk_script(bench.tmp, "calibrate", paths, naive)
    figures = bench.wrk.run(script, front.url, CALIBRATION_SECONDS, HALF_LOAD_CONNECTIONS)
    achieved = figures["requests"] / (figures["duration_us"] / 1e6)
    latency_ms = max(0.0, HALF_LOAD_CONNECTIONS * 1000 / max(1.0, achieved) - naive)
    # A noisy calibration (the machine is shared) must not double the load: at most half the
    # period is taken for latency.
    latency_ms = min(latency_ms, period_ms / 2)
    return max(1, round(period_ms - latency_ms))


def half_load_blocks(
    bench: Bench,
    servers: list[tuple[str, Process, list[str]]],
    rounds: int,
    seconds: int,
    pause_ms: int,
) -> None:
    """`rounds` blocks of each (scenario, server, paths), taking turns, at the paced load."""
    for _ in range(rounds):
        for name, server, paths in servers:
            bench.block(
                name, server, paths, seconds, connections=HALF_LOAD_CONNECTIONS, pause_ms=pause_ms
            )


def run(args: argparse.Namespace, stack: Stack, tmp: Path) -> tuple[Bench, dict[str, Any]]:
    pin = stack.pin
    bench = Bench(Wrk(WRK_THREADS, CLIENT_CORE if pin else None), tmp, args.connections)
    database = stack.seed(args.products)
    worker = stack.api_worker(database)
    delayed = stack.api_worker(
        database, {"VITRINE_API_DELAYS": ",".join(f"{m}={ms}" for m, ms in DELAYS.items())}
    )
    hello = stack.hello()
    front = stack.front([worker])
    front_http = stack.front([worker], transport="http")
    # The same front rendering every page (no reuse of rendered pages): the before of the after.
    front_rendering = stack.front([worker], env={"VITRINE_RENDERED_PAGES_MB": "0"})
    front_delayed = stack.front([delayed])
    products = product_paths(worker.api_http, front.url, args.products)
    categories = category_paths(worker.api_http, front.url)
    pages = {
        "hello world": (hello, ["/"]),
        "product page": (front, products),
        "product page, every page rendered": (front_rendering, products),
        "category page": (front, categories),
        "home page": (front, ["/"]),
        "search page": (front, search_paths(front.url, products)),
        "product page, HTTP JSON transport": (front_http, products),
    }
    for name, (server, paths) in pages.items():
        if len(paths) < 5 and name not in {"hello world", "home page"}:
            raise RuntimeError(f"only {len(paths)} URLs of the {name} answered 200")
        print(f"warming up: {name}", flush=True)
        bench.warm(server, paths)
    for round_number in range(args.rounds):
        print(f"round {round_number + 1} of {args.rounds}", flush=True)
        for name, (server, paths) in pages.items():
            bench.block(name, server, paths, args.duration)
    bench.warm(front_delayed, products)
    bench.block(
        "composition 20/40/60 ms",
        front_delayed,
        products,
        args.duration,
        connections=COMPOSITION_CONNECTIONS,
    )
    peak = summarise([b for b in bench.blocks if b["scenario"] == "product page"])["rps"]
    pause_ms = half_load_pause(bench, front, products, peak / 2)
    # Half load takes turns with hello world at the same offered load: how much of the tail is
    # this machine's (other work, scheduling), not the storefront's.
    half_load_blocks(
        bench,
        [
            ("product page at half load", front, products),
            ("hello world at the same load", hello, ["/"]),
        ],
        args.rounds,
        args.duration,
        pause_ms,
    )
    microcache = measure_microcache(stack, bench, front, categories, args.duration)
    extra = {"peak_product_rps": peak, "half_load_pause_ms": pause_ms, **microcache}
    if args.million:
        extra["million"] = measure_million(args, stack, bench)
    return bench, extra


def measure_million(
    args: argparse.Namespace, stack: Stack, bench: Bench, *, reads: bool = True
) -> dict[str, Any]:
    """Issue #15 at args.million products: each engine's uncached reads against their targets
    (bench/million.py, in a fresh process), and product pages Zipf(s=1.0) over the catalogue
    against 50 hot ones, caches on, through one front and one worker (on SQLite, the default)."""
    figures: dict[str, Any] = {}
    verdict_rows: list[dict[str, Any]] = []
    urls: dict[str, str] = {}
    for engine in args.million_engines.split(","):
        try:
            urls[engine] = million.ensure_database(engine, args.million)
        except (OSError, subprocess.CalledProcessError) as error:
            figures[engine] = {"skipped": str(error)}
            verdict_rows.append(
                {
                    "target": f"{engine}, {args.million:,} products: uncached reads",
                    "measured": None,
                    "goal": "",
                    "met": None,
                    "note": f"not measured: {error}",
                }
            )
            continue
        if not reads:
            continue
        print(f"{engine}, {args.million:,} products: uncached reads", flush=True)
        figures[engine] = million.measure_in_fresh_process(urls[engine], args.million_rounds)
        verdict_rows += million.read_verdicts(engine, args.million, figures[engine])
    engine = next(iter(urls), None)
    zipf_result: dict[str, Any] = {}
    if engine is not None:
        worker = stack.api_worker(urls[engine])
        front = stack.front([worker])
        zipf, hot = million.product_page_paths(urls[engine], args.million)
        slices = [zipf[i : i + million.ZIPF_PATHS] for i in range(0, len(zipf), million.ZIPF_PATHS)]
        # As browsers ask: a page the front renders, it also compresses.
        bench.warm(front, hot, headers=BROWSER_HEADERS)
        bench.warm(front, slices[0], headers=BROWSER_HEADERS)
        for round_number in range(args.rounds):
            bench.block(
                f"product page, Zipf over {args.million:,}",
                front,
                slices[1 + round_number % (len(slices) - 1)],
                args.duration,
                headers=BROWSER_HEADERS,
            )
            bench.block(
                f"product page, 50 hot of {args.million:,}",
                front,
                hot,
                args.duration,
                headers=BROWSER_HEADERS,
            )
        spread = summarise(
            [b for b in bench.blocks if b["scenario"].startswith("product page, Zipf")]
        )
        hot_rps = summarise(
            [b for b in bench.blocks if b["scenario"].startswith("product page, 50 hot")]
        )
        ratio = spread["rps"] / hot_rps["rps"]
        zipf_result = {"engine": engine, "zipf_rps": spread["rps"], "hot_rps": hot_rps["rps"]}
        verdict_rows.append(
            {
                "target": (
                    f"{engine}, {args.million:,} products: product pages Zipf(s=1.0) req/s / "
                    "50 hot products req/s, caches on, one front and one worker"
                ),
                "measured": round(ratio, 3),
                "goal": f">= {million.ZIPF_OVER_HOT:g}",
                "met": ratio >= million.ZIPF_OVER_HOT,
            }
        )
    return {
        "products": args.million,
        "reads": figures,
        "zipf": zipf_result,
        "targets": verdict_rows,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk block")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--rounds", type=int, default=2, help="blocks of each throughput scenario")
    parser.add_argument("--products", type=int, default=2000, help="demo catalogue size")
    parser.add_argument(
        "--million",
        type=int,
        default=1_000_000,
        help="catalogue size of issue #15's scenarios, seeded once per engine (0: skip them)",
    )
    parser.add_argument("--million-engines", default="sqlite,postgresql")
    parser.add_argument(
        "--million-rounds", type=int, default=60, help="calls of each read kind per engine"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: make bootstrap (or apt-get install wrk)", file=sys.stderr)
        return 2
    # A SIGTERM ends the run like Ctrl-C does: through the `with` that stops every process.
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    pin = (os.cpu_count() or 1) > 1 and shutil.which("taskset") is not None
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp, Stack(Path(tmp), pin) as stack:
        bench, extra = run(args, stack, Path(tmp))
    names = list(dict.fromkeys(b["scenario"] for b in bench.blocks))
    scenarios = {n: summarise([b for b in bench.blocks if b["scenario"] == n]) for n in names}
    hello_blocks = [b for b in bench.blocks if b["scenario"] == "hello world"]
    product_blocks = [b for b in bench.blocks if b["scenario"] == "product page"]
    result = {
        "when": started.isoformat(timespec="seconds"),
        "code": git_state(),
        "pinned": pin,
        "cores": {"servers": SERVER_CORE, "wrk_and_api_workers": CLIENT_CORE} if pin else None,
        "wrk": f"wrk -t{WRK_THREADS} -c<conns> -d{args.duration}s -s <script>",
        "rounds": args.rounds,
        "catalogue_products": args.products,
        "delays_ms": DELAYS,
        "scenarios": scenarios,
        "product_over_hello_per_round": [
            round(p["rps"] / h["rps"], 3) for h, p in zip(hello_blocks, product_blocks, strict=True)
        ],
        "product_over_hello_cpu_per_request": round(
            scenarios["hello world"]["cpu_us_per_request"]
            / scenarios["product page"]["cpu_us_per_request"],
            3,
        ),
        **extra,
        "half_load_over_peak": round(
            scenarios["product page at half load"]["rps"] / extra["peak_product_rps"], 3
        ),
        "targets": verdicts(scenarios, extra) + extra.get("million", {}).get("targets", []),
        "blocks": bench.blocks,
        "seconds": round((datetime.now(UTC) - started).total_seconds()),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{started:%Y%m%dT%H%M%SZ}"
    out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    table = markdown(result)
    out.with_suffix(".md").write_text(table)
    write_chart(out.with_suffix(".svg"), scenarios)
    print(table)
    print(f"written to {out}.json, .md and .svg in {result['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
