"""`make profile`: where a product page's CPU goes. Starts the stack as `make bench` does (one
API worker, one front pinned to core 0), loads the front with wrk on product pages, and samples
it with py-spy meanwhile. Writes the collapsed stacks to bench/results/profile-<timestamp>.txt
(open them with speedscope or flamegraph.pl) and prints the functions with the largest inclusive
share of the samples.

    .venv/bin/python bench/profile.py [--seconds 15] [--rate 200] [--top 40] [--process worker]
        [--render-every-time] [--zipf]

`--process worker` samples the API worker under the same load instead (it shares core 1 with
wrk: when it is the slower of the two, the front waits for it). `--zipf` loads it with issue
#15's product pages instead: Zipf(s=1.0) over bench/million.py's million-product SQLite catalogue,
caches on, each URL asked once.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import million
from run import URLS_PER_SCENARIO, product_paths
from stack import BROWSER_HEADERS, CLIENT_CORE, ROOT, Stack, Wrk, wrk_script

CONNECTIONS = 32


def inclusive_shares(collapsed: Path, top: int) -> list[tuple[float, str]]:
    """Each function's share of the samples whose stack holds it (counted once per stack)."""
    counts: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if not samples.isdigit():
            continue
        total += int(samples)
        for frame in set(stack.split(";")):
            counts[frame] += int(samples)
    return [(count / max(1, total), frame) for frame, count in counts.most_common(top)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--process", choices=("front", "worker"), default="front")
    parser.add_argument(
        "--render-every-time",
        action="store_true",
        help="the front reuses no page (VITRINE_RENDERED_PAGES_MB=0): where rendering goes",
    )
    parser.add_argument(
        "--zipf", action="store_true", help="Zipf product pages over a million products"
    )
    args = parser.parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists() or shutil.which("wrk") is None:
        print("needs py-spy (pip install -e '.[bench]') and wrk", file=sys.stderr)
        return 2
    suffix = "" if args.process == "front" else "-worker"
    out = ROOT / "bench" / "results" / f"profile{suffix}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.txt"
    with tempfile.TemporaryDirectory() as tmp, Stack(Path(tmp), pin=True) as stack:
        database = (
            million.ensure_database("sqlite", 1_000_000) if args.zipf else stack.seed(args.products)
        )
        worker = stack.api_worker(database)
        front = stack.front(
            [worker], env={"VITRINE_RENDERED_PAGES_MB": "0"} if args.render_every_time else None
        )
        # Zipf pages as browsers ask for them, with gzip (compare.py and make bench do the same).
        headers = BROWSER_HEADERS if args.zipf else None
        if args.zipf:
            zipf, hot = million.product_page_paths(database, 1_000_000)
            paths = zipf[million.ZIPF_PATHS :]  # the first slice warms (as in make bench)
            Wrk(1, CLIENT_CORE).run(
                wrk_script(Path(tmp), "warm", hot + zipf[: million.ZIPF_PATHS], headers=headers),
                front.url,
                5,
                CONNECTIONS,
            )
        else:
            paths = product_paths(worker.api_http, front.url, args.products)[:URLS_PER_SCENARIO]
        script = wrk_script(Path(tmp), "profile", paths, headers=headers)
        wrk = Wrk(1, CLIENT_CORE)
        load = threading.Thread(
            target=wrk.run, args=(script, front.url, args.seconds + 4, CONNECTIONS)
        )
        load.start()
        subprocess.run(
            [
                py_spy,
                "record",
                "--pid",
                str(front.pid if args.process == "front" else worker.process.pid),
                "--duration",
                str(args.seconds),
                "--rate",
                str(args.rate),
                "--format",
                "raw",
                "--output",
                str(out),
                "--nonblocking",
            ],
            check=True,
            capture_output=True,
        )
        load.join()
    for share, frame in inclusive_shares(out, args.top):
        print(f"{share:6.1%}  {frame}")
    print(f"collapsed stacks: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
