"""Serving every sitemap and the product feed of a 1,000,000-product catalogue: the front's peak
memory and the time.

    .venv/bin/python bench/sitemaps.py    # --products 1000000 --sitemap-urls 50000 (defaults)

Seeds the catalogue once into var/bench/sitemaps-<N>.sqlite3 with `vitrine seed` (about 8
minutes for a million products; reused afterwards), starts one API worker and one front, reads
the front's RSS from /proc (psutil) every 20 ms while a client fetches /sitemap.xml and then
every child one after another, counting URLs and bytes as they stream (nothing is kept), then
/feeds/products.xml the same way, counting its items, with a peak of its own. The front's RSS
when idle is measured in the same run, so the figure to read is the ratio of the peak to it. Writes
bench/results/sitemaps-<timestamp>.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

import psutil
from sqlalchemy import false, func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The process helpers of the pages benchmark, beside this file.

from api.db import create_engine  # noqa: E402
from api.schema import products  # noqa: E402
from ops import harness  # noqa: E402
from ops.harness import free_port, status_of  # noqa: E402
from vitrine.config import Settings  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TARGET_PEAK_RSS_MB = 200
SAMPLE_SECONDS = 0.02
# A child of 50,000 URLs streams in a few seconds; a stuck one ends the run instead of hanging.
FETCH_TIMEOUT_SECONDS = 300
LOC = re.compile(rb"<loc>([^<]+)</loc>")
FEED = "/feeds/products.xml"
FEED_ITEM = re.compile(rb"<item>")


async def live_products(url: str) -> int:
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.connect() as conn:
            total = await conn.scalar(select(func.count()).select_from(products))
            live = await conn.scalar(select(func.count()).where(products.c.discontinued == false()))
    except Exception:  # no file yet, or no table yet: seed it
        return -1
    finally:
        await engine.dispose()
    return live if total else -1


def seeded_database(count: int) -> tuple[str, int]:
    path = ROOT / "var" / "bench" / f"sitemaps-{count}.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    live = asyncio.run(live_products(url)) if path.exists() else -1
    if live < 0:
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"seeding {count} products into {path} (once)...", flush=True)
        subprocess.run(
            harness.vitrine("seed", "--products", str(count)),
            cwd=ROOT,
            env={**os.environ, "VITRINE_DATABASE_URL": url},
            check=True,
        )
        live = asyncio.run(live_products(url))
    return url, live


class PeakRss:
    """Samples a process's resident memory on a thread until stopped; keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            self.samples += 1
            time.sleep(SAMPLE_SECONDS)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def fetch_counting(base: str, path: str, entry: re.Pattern[bytes] = LOC) -> dict[str, Any]:
    """GET path, reading the body in pieces: its size, its entries (<loc> URLs, or the feed's
    items), the seconds it took."""
    parts = urlsplit(base)
    started = time.perf_counter()
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=FETCH_TIMEOUT_SECONDS)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        if response.status != 200:
            raise SystemExit(f"{path} answered {response.status}")
        size, urls, tail = 0, 0, b""
        while chunk := response.read(64 * 1024):
            size += len(chunk)
            text = tail + chunk
            found = list(entry.finditer(text))
            urls += len(found)
            # An entry cut in two by the chunk boundary is counted with the next chunk.
            tail = text[found[-1].end() :] if found else text[-4096:]
        return {"path": path, "bytes": size, "urls": urls, "seconds": time.perf_counter() - started}
    finally:
        conn.close()


def child_paths(base: str) -> list[str]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=FETCH_TIMEOUT_SECONDS)
    try:
        conn.request("GET", "/sitemap.xml")
        body = conn.getresponse().read()
    finally:
        conn.close()
    return [urlsplit(loc.decode()).path for loc in LOC.findall(body)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--sitemap-urls", type=int, default=50_000)
    args = parser.parse_args()

    database_url, live = seeded_database(args.products)
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    base = f"http://127.0.0.1:{free_port()}"
    api_http = f"http://127.0.0.1:{free_port()}"
    env = {
        "VITRINE_DATABASE_URL": database_url,
        "VITRINE_API_HTTP": api_http,
        "VITRINE_LOG_LEVEL": "WARNING",
        "VITRINE_SITEMAP_URLS": str(args.sitemap_urls),
    }
    started: list[subprocess.Popen[bytes]] = []
    log_path = ROOT / "var" / "bench" / "sitemaps.log"
    try:
        with log_path.open("wb") as log:
            worker_argv = harness.vitrine("api-worker", "--bind", endpoint)
            started.append(worker := harness.spawn(worker_argv, env=env, log=log))
            front_env = {**env, "VITRINE_FRONT": base, "VITRINE_API_ENDPOINTS": endpoint}
            front_env["VITRINE_STATIC_DIR"] = str(ROOT / "var" / "bench" / "static")
            started.append(front := harness.spawn(harness.vitrine("front"), env=front_env, log=log))
        tree = f"{api_http}/api/v1/catalog/GetCategoryTree"
        harness.wait_until(lambda: status_of(tree, b"{}") == 200, worker, what="the worker")
        harness.wait_until(lambda: status_of(f"{base}/robots.txt") == 200, front, what="the front")
        time.sleep(1)
        idle_rss = psutil.Process(front.pid).memory_info().rss

        with PeakRss(front.pid) as rss:
            run_started = time.perf_counter()
            index = fetch_counting(base, "/sitemap.xml")
            children = [fetch_counting(base, path) for path in child_paths(base)]
            total_seconds = time.perf_counter() - run_started
        with PeakRss(front.pid) as feed_rss:
            feed = fetch_counting(base, FEED, FEED_ITEM)
    finally:
        harness.stop_all(started)

    product_children = [c for c in children if "/products-" in c["path"]]
    product_urls = sum(c["urls"] for c in product_children)
    result = {
        "benchmark": "sitemaps",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "products": args.products,
        "live_products": live,
        "sitemap_urls": args.sitemap_urls,
        "children": len(children),
        "product_urls_listed": product_urls,
        "all_urls_listed": sum(c["urls"] for c in children),
        "bytes": index["bytes"] + sum(c["bytes"] for c in children),
        "largest_child_bytes": max(c["bytes"] for c in children),
        "largest_child_urls": max(c["urls"] for c in children),
        "total_seconds": round(total_seconds, 2),
        "index_seconds": round(index["seconds"], 3),
        "slowest_child_seconds": round(max(c["seconds"] for c in children), 2),
        "front_idle_rss_mb": round(idle_rss / 2**20, 1),
        "front_peak_rss_mb": round(rss.peak / 2**20, 1),
        "peak_over_idle": round(rss.peak / idle_rss, 2),
        "rss_samples": rss.samples,
        "feed_items": feed["urls"],
        "feed_bytes": feed["bytes"],
        "feed_seconds": round(feed["seconds"], 2),
        "feed_front_peak_rss_mb": round(feed_rss.peak / 2**20, 1),
        "target_peak_rss_mb": TARGET_PEAK_RSS_MB,
        "every_live_product_listed": product_urls == live,
        "per_child": [
            {k: (round(v, 3) if isinstance(v, float) else v) for k, v in c.items()}
            for c in children
        ],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"sitemaps-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(
        "| products | children | URLs | MB | total s | front idle RSS MB | front peak RSS MB "
        "| peak/idle |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        f"| {args.products} | {len(children)} | {result['all_urls_listed']} "
        f"| {result['bytes'] / 2**20:.1f} | {result['total_seconds']} "
        f"| {result['front_idle_rss_mb']} | {result['front_peak_rss_mb']} "
        f"| {result['peak_over_idle']} |"
    )
    print(
        f"\nproduct feed: {feed['urls']} items, {feed['bytes'] / 2**20:.1f} MB in "
        f"{result['feed_seconds']} s, front peak RSS {result['feed_front_peak_rss_mb']} MB"
    )
    print(f"written: {path.relative_to(ROOT)}")
    if not result["every_live_product_listed"]:
        raise SystemExit(f"listed {product_urls} product URLs, but {live} products are live")
    if feed["urls"] != live:
        raise SystemExit(f"the feed has {feed['urls']} items, but {live} products are live")
    if max(rss.peak, feed_rss.peak) / 2**20 > TARGET_PEAK_RSS_MB:
        raise SystemExit(f"peak RSS over the {TARGET_PEAK_RSS_MB} MB target")


if __name__ == "__main__":
    main()
