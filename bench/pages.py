"""Product-page throughput of ONE front process, measured with wrk beside Tornado's hello world
(bench/hello.py) in the same run. Both servers are pinned to core 0; wrk and the API worker
share core 1, so each server has one core to itself and the ratio compares like with like.

    .venv/bin/python bench/pages.py       # --duration 10 --connections 32 --rounds 2 (defaults)

wrk cycles over ~50 live product URLs (/p/<id>/<slug>, each checked to answer 200 first), and
hits hello world through the same Lua script, so the client does the same work for both. The
scenarios run in alternating blocks (hello, product, hello, product, ...): a noisy moment on the
machine hits both. Everything logs at WARNING, so the access log is not part of the figures.
Writes bench/results/pages-<timestamp>.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.db import create_engine  # noqa: E402
from api.demo import seed_demo  # noqa: E402
from web.config import Settings  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SERVER_CORE = 0  # the measured server: the front, or hello world
CLIENT_CORE = 1  # wrk and the API worker
TARGET_RATIO = 1 / 3  # product page req/s over hello-world req/s
PRODUCT_URLS = 50
WARMUP_SECONDS = 3
READY_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 10
WRK_THREADS = 1

# Cycles over the paths, and reports what this run needs as one JSON line (latencies in µs).
# wrk counts 4xx/5xx answers in errors.status; 3xx cannot happen: every path answered 200 first.
WRK_SCRIPT = """\
local paths = {%(paths)s}
local n = 0
request = function()
  n = n %% #paths + 1
  return wrk.format("GET", paths[n])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%%d,"duration_us":%%d,"bytes":%%d,"non_2xx":%%d,"socket_errors":%%d,'
    .. '"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,"max_us":%%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def seed(database_url: str, products: int) -> None:
    engine = create_engine(Settings(database_url=database_url))
    try:
        await seed_demo(engine, products=products)
    finally:
        await engine.dispose()


def start(argv: list[str], core: int | None, env: dict[str, str]) -> subprocess.Popen[bytes]:
    # taskset execs the command, so the Popen pid is the server's own (read for its CPU time).
    if core is not None:
        argv = ["taskset", "-c", str(core), *argv]
    return subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **env})


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def status_of(url: str, body: bytes | None = None) -> int:
    """The HTTP status of one GET (or POST of `body`), redirects not followed; 0 if unreachable."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
    try:
        connection.request("POST" if body is not None else "GET", parts.path, body=body)
        return connection.getresponse().status
    except OSError:
        return 0
    finally:
        connection.close()


def wait_until_ready(url: str, process: subprocess.Popen[bytes], body: bytes | None = None) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while status_of(url, body) != 200:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} not ready after {READY_TIMEOUT_SECONDS} s")
        time.sleep(0.1)


def live_product_paths(api_http: str, front: str, products: int) -> list[str]:
    """~50 product URLs spread over the catalogue that answer 200 (not gone, not redirected)."""
    paths = []
    for product_id in range(1, products + 1, max(1, products // (PRODUCT_URLS + 10))):
        request = urllib.request.Request(
            f"{api_http}/api/v1/catalog/GetProduct",
            data=json.dumps({"id": product_id}).encode(),
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                product = json.load(answer)["product"]
        except urllib.error.HTTPError:
            continue
        path = f"/p/{product['id']}/{product['slug']}"
        if not product.get("discontinued") and status_of(front + path) == 200:
            paths.append(path)
        if len(paths) == PRODUCT_URLS:
            break
    return paths


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def queued_seconds(pid: int) -> float:
    """Time the process's main thread (the event loop) was ready to run but waited for its core."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9


@dataclass(frozen=True)
class Wrk:
    """wrk with fixed threads and connections, on the client core when pinning."""

    args: list[str]
    core: int | None

    def run(self, script: Path, url: str, seconds: int) -> dict[str, Any]:
        argv = ["wrk", *self.args, f"-d{seconds}s", "-s", str(script), url]
        if self.core is not None:
            argv = ["taskset", "-c", str(self.core), *argv]
        output = subprocess.run(
            argv, capture_output=True, text=True, check=True, timeout=seconds + 30
        ).stdout
        line = next(line for line in output.splitlines() if line.startswith("BENCH "))
        return json.loads(line.removeprefix("BENCH "))


@dataclass(frozen=True)
class Server:
    """A measured server: its process, its URL, and the wrk script that cycles over its paths."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    script: Path
    paths: int


def measure_block(wrk: Wrk, server: Server, seconds: int) -> dict[str, Any]:
    pid = server.process.pid
    cpu_before, queued_before = cpu_seconds(pid), queued_seconds(pid)
    figures = wrk.run(server.script, server.url, seconds)
    cpu = cpu_seconds(pid) - cpu_before
    queued = queued_seconds(pid) - queued_before
    wall = figures["duration_us"] / 1e6
    return {
        "scenario": server.name,
        "paths": server.paths,
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
        # Other processes took core 0 this share of the time: req/s understates the server.
        # (CPU + queued well under 1.0: the server was idle, waiting on the API or on wrk.)
        "server_queued_share": round(queued / wall, 3),
        "server_cpu_us": round(cpu * 1e6),
    }


def summarise(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    requests = sum(b["requests"] for b in blocks)
    return {
        "paths": blocks[0]["paths"],
        "rps": round(requests / sum(b["seconds"] for b in blocks), 1),
        # Percentiles do not pool: the mean of the blocks' p50, and the worst block's p99.
        "p50_ms": round(statistics.mean(b["p50_ms"] for b in blocks), 2),
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


def git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def start_stack(
    tmp: Path, products: int, pin: bool, started: list[subprocess.Popen[bytes]]
) -> list[Server]:
    """Seed, start the API worker, the front and hello world; each process lands in `started`
    as soon as it exists, so the caller stops it whatever fails next."""
    server_core = SERVER_CORE if pin else None
    client_core = CLIENT_CORE if pin else None
    ports = {name: free_port() for name in ("zmq", "api_http", "front", "hello")}
    zmq_endpoint = f"tcp://127.0.0.1:{ports['zmq']}"
    api_http, front, hello = (
        f"http://127.0.0.1:{ports[name]}" for name in ("api_http", "front", "hello")
    )
    database_url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
    asyncio.run(seed(database_url, products))
    worker_env = {
        "VITRINE_DATABASE_URL": database_url,
        "VITRINE_API_HTTP": api_http,
        "VITRINE_LOG_LEVEL": "WARNING",
    }
    front_env = {
        "VITRINE_FRONT": front,
        "VITRINE_API_ENDPOINTS": zmq_endpoint,
        "VITRINE_STATIC_DIR": str(tmp / "static"),
        "VITRINE_LOG_LEVEL": "WARNING",
    }
    worker_argv = [sys.executable, "-m", "web.cli", "api-worker", "--bind", zmq_endpoint]
    started.append(worker := start(worker_argv, client_core, worker_env))
    started.append(
        front_process := start([sys.executable, "-m", "web.cli", "front"], server_core, front_env)
    )
    hello_argv = [sys.executable, str(ROOT / "bench" / "hello.py"), "--port", str(ports["hello"])]
    started.append(hello_process := start(hello_argv, server_core, {}))
    wait_until_ready(f"{api_http}/api/v1/catalog/GetProduct", worker, b'{"id": 1}')
    wait_until_ready(f"{front}/", front_process)
    wait_until_ready(f"{hello}/", hello_process)
    paths = live_product_paths(api_http, front, products)
    if len(paths) < PRODUCT_URLS // 2:
        raise RuntimeError(f"only {len(paths)} product pages answered 200; is the front broken?")
    servers = []
    for name, process, url, scenario_paths in (
        ("hello world", hello_process, hello, ["/"]),
        ("product page", front_process, front, paths),
    ):
        script = tmp / f"{name.replace(' ', '-')}.lua"
        quoted = ", ".join(json.dumps(path) for path in scenario_paths)
        script.write_text(WRK_SCRIPT % {"paths": quoted})
        servers.append(Server(name, process, url, script, len(scenario_paths)))
    return servers


def report(args: argparse.Namespace, pin: bool, wrk: Wrk, blocks: list[dict[str, Any]]) -> None:
    names = list(dict.fromkeys(b["scenario"] for b in blocks))
    scenarios = {name: summarise([b for b in blocks if b["scenario"] == name]) for name in names}
    hello, product = scenarios["hello world"], scenarios["product page"]
    ratio = product["rps"] / hello["rps"]
    # The same ratio from CPU time per request: steadier when other work shares core 0.
    cpu_ratio = hello["cpu_us_per_request"] / product["cpu_us_per_request"]
    # Each product block over the hello block just before it: how steady the ratio was.
    block_ratios = [
        round(blocks[i + 1]["rps"] / blocks[i]["rps"], 3) for i in range(0, len(blocks), 2)
    ]
    cores = {
        "server": SERVER_CORE if pin else None,
        "wrk": CLIENT_CORE if pin else None,
        "api_worker": CLIENT_CORE if pin else None,
    }
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": git_state(),
        "pinned": pin,
        "cores": cores,
        "wrk_args": [*wrk.args, f"-d{args.duration}s", "-s <script cycling over the paths>"],
        "rounds": args.rounds,
        "warmup_seconds": WARMUP_SECONDS,
        "catalogue_products": args.products,
        "log_level": "WARNING",
        "scenarios": scenarios,
        "blocks": blocks,
        "product_over_hello_rps": round(ratio, 3),
        "product_over_hello_cpu_per_request": round(cpu_ratio, 3),
        "block_ratios": block_ratios,
        "target": "product page rps >= 1/3 x hello world rps, one process each on one core",
        "target_met": ratio >= TARGET_RATIO,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"pages-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        "| scenario | req/s | p50 ms | p99 ms | bytes/resp | non-2xx | CPU µs/req "
        "| server on CPU | server queued |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    for name, row in scenarios.items():
        print(
            f"| {name} | {row['rps']:.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} "
            f"| {row['bytes_per_response']} | {row['non_2xx'] + row['socket_errors']} "
            f"| {row['cpu_us_per_request']} | {row['server_cpu_share']:.0%} "
            f"| {row['server_queued_share']:.0%} |"
        )
    verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
    print(
        f"\nproduct page / hello world: {ratio:.3f} in req/s (target >= {TARGET_RATIO:.3f}: "
        f"{verdict}; per round {block_ratios}), {cpu_ratio:.3f} in CPU per request. "
        f"{args.connections} connections, {args.rounds} x {args.duration} s blocks each; "
        f"written to {out}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk block")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--rounds", type=int, default=2, help="blocks of each scenario")
    parser.add_argument("--products", type=int, default=2000, help="demo catalogue size")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: make bootstrap (or apt-get install wrk)", file=sys.stderr)
        return 2
    # A SIGTERM ends the run like Ctrl-C does: through the `finally` that stops the servers.
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    pin = (os.cpu_count() or 1) > 1
    wrk = Wrk([f"-t{WRK_THREADS}", f"-c{args.connections}"], CLIENT_CORE if pin else None)
    started: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            servers = start_stack(Path(tmp), args.products, pin, started)
            for server in servers:
                wrk.run(server.script, server.url, WARMUP_SECONDS)
            blocks = [
                measure_block(wrk, server, args.duration)
                for _ in range(args.rounds)
                for server in servers
            ]
        finally:
            for process in reversed(started):
                stop(process)
    report(args, pin, wrk, blocks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
