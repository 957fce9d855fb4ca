"""Before and after, side by side: the product page of the front at an earlier commit against
the front of the working tree, and hello world, in one run.

    .venv/bin/python bench/compare.py --base <commit> [--duration 6] [--rounds 3]

The earlier commit's tree is exported with `git archive` into a temporary directory (its
protobuf modules, which git does not hold, generated there from its own .proto files), and its
front runs from there with the same Python and packages, beside an API worker of the same
tree (both workers read the same seeded catalogue). Both fronts reach their worker over ZeroMQ,
are pinned to core 0 like every measured server of `make bench` (wrk and the workers on core
1), and take turns with hello world in blocks of the same wrk script, so a noisy moment on the
shared machine hits all three. Then the same two fronts at half of the current front's peak,
taking turns again. The figure to read is CPU per request (bench/README.md).

    .venv/bin/python bench/compare.py --base <commit> --zipf [--products 1000000]

`--zipf` compares issue #15's product pages instead: each tree's front and worker on the
million-product SQLite catalogue of bench/million.py, caches on, taking turns on the same fresh
slice of Zipf(s=1.0) product URLs each round, then on the 50 hot products; the figures to read are
req/s and each tree's Zipf / hot ratio (the front of a Zipf page is mostly not the bottleneck:
the worker is, on core 1 with wrk).

Writes bench/results/compare-<timestamp>.json and .md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import million
from run import (
    RESULTS,
    URLS_PER_SCENARIO,
    WRK_THREADS,
    Bench,
    git_state,
    half_load_blocks,
    half_load_pause,
    product_paths,
    summarise,
)
from stack import BROWSER_HEADERS, CLIENT_CORE, ROOT, Stack, Wrk


def export(commit: str, into: Path) -> Path:
    """The tree at `commit`, runnable: `git archive` plus its generated protobuf modules."""
    tree = into / "base"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    # Its own protobuf modules, from its own .proto files (the contract may differ).
    generated = tree / "contract" / "gen"
    generated.mkdir(parents=True, exist_ok=True)
    protos = sorted(
        str(path.relative_to(tree / "protos")) for path in tree.glob("protos/**/*.proto")
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            "-I",
            "protos",
            "--python_out=contract/gen",
            *protos,
        ],
        cwd=tree,
        check=True,
    )
    return tree


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", required=True, help="the commit to compare against")
    parser.add_argument("--duration", type=int, default=6, help="seconds per wrk block")
    parser.add_argument("--rounds", type=int, default=3, help="blocks of each scenario")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--products", type=int, default=None, help="2,000; --zipf: 1,000,000")
    parser.add_argument("--zipf", action="store_true", help="Zipf product pages (issue #15)")
    args = parser.parse_args()
    if shutil.which("wrk") is None or shutil.which("taskset") is None:
        print("needs wrk and taskset", file=sys.stderr)
        return 2
    base = subprocess.run(
        ["git", "rev-parse", "--short", args.base],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp_name, Stack(Path(tmp_name), pin=True) as stack:
        tmp = Path(tmp_name)
        bench = Bench(Wrk(WRK_THREADS, CLIENT_CORE), tmp, args.connections)
        if args.zipf:
            result = compare_zipf(args, stack, bench, export(args.base, tmp), base)
            return write_zipf(result, bench, base, started)
        # Each front talks to a worker of its own tree: the wire between them may have changed.
        database = stack.seed(args.products or 2000)
        base_tree = export(args.base, tmp)
        worker = stack.api_worker(database)
        base_worker = stack.api_worker(database, code=base_tree)
        hello = stack.hello()
        before = stack.front([base_worker], code=base_tree)
        after = stack.front([worker])
        paths = product_paths(worker.api_http, after.url, args.products or 2000)
        paths = paths[:URLS_PER_SCENARIO]
        servers = {
            "hello world": (hello, ["/"]),
            f"product page, {base}": (before, paths),
            "product page, this tree": (after, paths),
        }
        for server, server_paths in servers.values():
            bench.warm(server, server_paths)
        for round_number in range(args.rounds):
            print(f"round {round_number + 1} of {args.rounds}", flush=True)
            for name, (server, server_paths) in servers.items():
                bench.block(name, server, server_paths, args.duration)
        peak = summarise([b for b in bench.blocks if b["scenario"] == "product page, this tree"])
        pause_ms = half_load_pause(bench, after, paths, peak["rps"] / 2)
        half_load_blocks(
            bench,
            [(f"half load, {base}", before, paths), ("half load, this tree", after, paths)],
            args.rounds,
            args.duration,
            pause_ms,
        )
    names = list(dict.fromkeys(b["scenario"] for b in bench.blocks))
    scenarios = {n: summarise([b for b in bench.blocks if b["scenario"] == n]) for n in names}
    hello_cpu = scenarios["hello world"]["cpu_us_per_request"]
    result: dict[str, Any] = {
        "when": started.isoformat(timespec="seconds"),
        "code": git_state(),
        "base": base,
        "half_load_pause_ms": pause_ms,
        "scenarios": scenarios,
        "hello_over_product_cpu_per_request": {
            name: round(hello_cpu / scenarios[name]["cpu_us_per_request"], 3)
            for name in (f"product page, {base}", "product page, this tree")
        },
        "blocks": bench.blocks,
    }
    lines = [
        heading("bench/compare.py", result),
        "",
        "| scenario | req/s | p50 ms | p99 ms (worst) | CPU µs/req | on CPU | hello / this, CPU |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in scenarios.items():
        ratio = result["hello_over_product_cpu_per_request"].get(name)
        lines.append(
            f"| {name} | {row['rps']:.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} "
            f"| {row['cpu_us_per_request']} | {row['server_cpu_share']:.0%} "
            f"| {'' if ratio is None else f'{ratio:.3f}'} |"
        )
    return save(f"compare-{started:%Y%m%dT%H%M%SZ}", result, lines)


def compare_zipf(
    args: argparse.Namespace, stack: Stack, bench: Bench, base_tree: Path, base: str
) -> dict[str, Any]:
    """Each tree's Zipf and hot product-page blocks, taking turns (see the module's text)."""
    products = args.products or 1_000_000
    database = million.ensure_database("sqlite", products)
    zipf, hot = million.product_page_paths(database, products)
    slices = [zipf[i : i + million.ZIPF_PATHS] for i in range(0, len(zipf), million.ZIPF_PATHS)]
    fronts = {
        base: stack.front([stack.api_worker(database, code=base_tree)], code=base_tree),
        "this tree": stack.front([stack.api_worker(database)]),
    }
    for front in fronts.values():  # as browsers ask: with gzip
        bench.warm(front, hot, headers=BROWSER_HEADERS)
        bench.warm(front, slices[0], headers=BROWSER_HEADERS)
    for round_number in range(args.rounds):
        print(f"round {round_number + 1} of {args.rounds}", flush=True)
        fresh = slices[1 + round_number % (len(slices) - 1)]
        for name, front in fronts.items():
            bench.block(
                f"Zipf over {products:,}, {name}",
                front,
                fresh,
                args.duration,
                headers=BROWSER_HEADERS,
            )
        for name, front in fronts.items():
            bench.block(f"50 hot, {name}", front, hot, args.duration, headers=BROWSER_HEADERS)
    names = list(dict.fromkeys(b["scenario"] for b in bench.blocks))
    scenarios = {n: summarise([b for b in bench.blocks if b["scenario"] == n]) for n in names}
    return {
        "products": products,
        "scenarios": scenarios,
        "zipf_over_hot": {
            name: round(
                scenarios[f"Zipf over {products:,}, {name}"]["rps"]
                / scenarios[f"50 hot, {name}"]["rps"],
                3,
            )
            for name in fronts
        },
    }


def write_zipf(result: dict[str, Any], bench: Bench, base: str, started: datetime) -> int:
    result = {
        "when": started.isoformat(timespec="seconds"),
        "code": git_state(),
        "base": base,
        **result,
        "blocks": bench.blocks,
    }
    lines = [
        heading("bench/compare.py --zipf", result),
        "",
        "| scenario | req/s | p50 ms | p99 ms (worst) |",
        "|---|---:|---:|---:|",
        *(
            f"| {name} | {row['rps']:.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} |"
            for name, row in result["scenarios"].items()
        ),
        "",
        *(f"Zipf / hot, {name}: {ratio}" for name, ratio in result["zipf_over_hot"].items()),
    ]
    return save(f"compare-zipf-{started:%Y%m%dT%H%M%SZ}", result, lines)


def heading(command: str, result: dict[str, Any]) -> str:
    dirty = " + uncommitted changes" if result["code"]["dirty"] else ""
    commit = result["code"]["commit"]
    return f"# {command}, {result['when']}: {result['base']} against {commit}{dirty}"


def save(stem: str, result: dict[str, Any], lines: list[str]) -> int:
    """results/<stem>.json (every block) and .md (the table, printed too)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / stem
    out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    table = "\n".join(lines) + "\n"
    out.with_suffix(".md").write_text(table)
    print(table)
    print(f"written to {out}.json and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
