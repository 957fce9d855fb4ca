"""The real stack for benchmarks: a seeded demo catalogue, API workers, fronts and Tornado's hello
world, each a process pinned with taskset when the machine has two cores or more, started in
order, awaited until it answers, and stopped by its PID. Processes are started, awaited and
stopped by ops/harness.py, as the tests' are. Also wrk, and the figures /proc gives about a
server process.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.db import create_engine  # noqa: E402
from api.demo import seed_demo  # noqa: E402
from ops import harness  # noqa: E402
from ops.harness import free_port, status_of  # noqa: E402
from vitrine.config import Settings  # noqa: E402

SERVER_CORE = 0  # the measured server: a front, or hello world
CLIENT_CORE = 1  # wrk and the API workers
READY_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 10
# Everything logs at WARNING: the front's access log (one INFO line per request, ~38 µs) is not
# part of the figures, and hello world logs nothing either.
LOG_LEVEL = "WARNING"

# Cycles over the paths (pausing `pause_ms` before each request when set, to offer a fixed load),
# and reports what a run needs as one JSON line (latencies in µs). wrk counts 4xx/5xx answers in
# errors.status.
WRK_SCRIPT = """\
local paths = {%(paths)s}
local pause_ms = %(pause_ms)d
local headers = {%(headers)s}
local n = 0
request = function()
  n = n %% #paths + 1
  return wrk.format("GET", paths[n], headers)
end
if pause_ms > 0 then
  delay = function() return pause_ms end
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


def api_json(api_http: str, method: str, request: dict[str, Any]) -> dict[str, Any] | None:
    """One call of the HTTP JSON API (`catalog/GetProduct`); None when it answers an error."""
    post = urllib.request.Request(
        f"{api_http}/api/v1/{method}", data=json.dumps(request).encode(), method="POST"
    )
    try:
        with urllib.request.urlopen(post, timeout=5) as answer:
            found: dict[str, Any] = json.load(answer)
            return found
    except urllib.error.HTTPError:
        return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def queued_seconds(pid: int) -> float:
    """Time the process's main thread (the event loop) was ready to run but waited for its core."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9


@dataclass(frozen=True)
class Wrk:
    """wrk with fixed threads, on the client core when pinning."""

    threads: int
    core: int | None

    def run(self, script: Path, url: str, seconds: int, connections: int) -> dict[str, Any]:
        argv = ["wrk", f"-t{self.threads}", f"-c{connections}", f"-d{seconds}s", "-s", str(script)]
        argv.append(url)
        if self.core is not None:
            argv = ["taskset", "-c", str(self.core), *argv]
        output = subprocess.run(
            argv, capture_output=True, text=True, check=True, timeout=seconds + 30
        ).stdout
        line = next(line for line in output.splitlines() if line.startswith("BENCH "))
        figures: dict[str, Any] = json.loads(line.removeprefix("BENCH "))
        return figures


# What a browser sends that changes the answer: it accepts gzip, so a front compresses each page
# it sends (once for a page it reuses), and nginx's microcache keeps the gzip copy.
BROWSER_HEADERS = {"Accept-Encoding": "gzip"}


def wrk_script(
    directory: Path,
    name: str,
    paths: list[str],
    pause_ms: int = 0,
    headers: dict[str, str] | None = None,
) -> Path:
    script = directory / f"{re.sub(r'[^a-z0-9]+', '-', name.lower())}-{pause_ms}.lua"
    quoted = ", ".join(json.dumps(path) for path in paths)
    lua_headers = ", ".join(
        f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in (headers or {}).items()
    )
    script.write_text(WRK_SCRIPT % {"paths": quoted, "pause_ms": pause_ms, "headers": lua_headers})
    return script


@dataclass
class Stack:
    """Every process a benchmark started, in order; `stop()` ends them all, newest first.

    with Stack(tmp, pin=True) as stack:
        database = stack.seed(2000)
        worker = stack.api_worker(database)
        front = stack.front([worker])
    """

    tmp: Path
    pin: bool
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    log_path: Path = ROOT / "bench" / "results" / "last-run.log"

    def __enter__(self) -> Self:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = self.log_path.open("wb")
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
        self.log.close()

    def core(self, core: int) -> int | None:
        return core if self.pin else None

    def seed(self, products: int) -> str:
        """A fresh SQLite demo catalogue; its database URL."""
        database_url = f"sqlite+aiosqlite:///{self.tmp}/bench.sqlite3"

        async def seed() -> None:
            engine = create_engine(Settings(database_url=database_url))
            try:
                await seed_demo(engine, products=products)
            finally:
                await engine.dispose()

        asyncio.run(seed())
        return database_url

    def start(
        self, argv: list[str], core: int | None, env: dict[str, str], cwd: Path = ROOT
    ) -> Process:
        # Their logs (warnings of a saturated front: retries, late optional calls) go to a
        # file, not over the figures: bench/results/last-run.log.
        process = harness.spawn(
            argv, env={"VITRINE_LOG_LEVEL": LOG_LEVEL, **env}, log=self.log, cwd=cwd, core=core
        )
        self.processes.append(process)
        return Process(process)

    def api_worker(
        self, database_url: str, env: dict[str, str] | None = None, code: Path = ROOT
    ) -> ApiWorker:
        """One `vitrine api-worker` on the client core, with its own ZeroMQ and HTTP ports;
        `code` is the tree it runs from (bench/compare.py runs an earlier commit's)."""
        zmq_endpoint = f"tcp://127.0.0.1:{free_port()}"
        api_http = f"http://127.0.0.1:{free_port()}"
        argv = harness.vitrine("api-worker", "--bind", zmq_endpoint)
        worker_env = {"VITRINE_DATABASE_URL": database_url, "VITRINE_API_HTTP": api_http}
        process = self.start(argv, self.core(CLIENT_CORE), {**worker_env, **(env or {})}, cwd=code)
        wait_until_ready(f"{api_http}/api/v1/catalog/GetProduct", process, b'{"id": 1}')
        return ApiWorker(process, zmq_endpoint, api_http)

    def front(
        self,
        workers: list[ApiWorker],
        *,
        transport: str = "zmq",
        env: dict[str, str] | None = None,
        code: Path = ROOT,
    ) -> Process:
        """One `vitrine front` on the server core, reaching `workers` over `transport`; `code`
        is the tree it runs from (bench/compare.py runs an earlier commit's)."""
        url = f"http://127.0.0.1:{free_port()}"
        front_env = {
            "VITRINE_FRONT": url,
            "VITRINE_API_ENDPOINTS": ",".join(worker.zmq_endpoint for worker in workers),
            "VITRINE_API_HTTP": workers[0].api_http,
            "VITRINE_API_TRANSPORT": transport,
            "VITRINE_STATIC_DIR": str(self.tmp / "static"),
        }
        argv = harness.vitrine("front")
        process = self.start(argv, self.core(SERVER_CORE), {**front_env, **(env or {})}, cwd=code)
        process.url = url
        wait_until_ready(f"{url}/", process)
        return process

    def hello(self) -> Process:
        """Tornado's hello world (bench/hello.py) on the server core: the ceiling."""
        port = free_port()
        argv = [sys.executable, str(ROOT / "bench" / "hello.py"), "--port", str(port)]
        process = self.start(argv, self.core(SERVER_CORE), {})
        process.url = f"http://127.0.0.1:{port}"
        wait_until_ready(f"{process.url}/", process)
        return process

    def stop(self) -> None:
        while self.processes:
            stop(self.processes.pop())


@dataclass
class Process:
    """A started server: its Popen (its PID is the server's own), and its URL once known."""

    popen: subprocess.Popen[bytes]
    url: str = ""

    @property
    def pid(self) -> int:
        return self.popen.pid


@dataclass(frozen=True)
class ApiWorker:
    process: Process
    zmq_endpoint: str
    api_http: str


def wait_until_ready(url: str, process: Process, body: bytes | None = None) -> None:
    """Until `url` answers 200 (to a POST of `body` when given); RuntimeError if it never does."""
    harness.wait_until(
        lambda: status_of(url, body) == 200, process.popen, what=" ".join(process.popen.args)
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    harness.stop(process)
