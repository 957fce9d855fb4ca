"""Real Vitrine processes for tests: API workers, fronts and nginx on random loopback ports,
started and stopped by the harness the benchmarks use too (ops/harness.py)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ops import harness
from ops.harness import free_consecutive_ports, free_port
from ops.nginx import NginxParams, nginx_command, render_nginx_conf

__all__ = ["Process", "Processes", "WorkerProcess", "free_consecutive_ports", "free_port"]


@dataclass
class Process:
    """One `vitrine` subprocess, its log file, and the address it serves."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    @property
    def endpoint(self) -> str:
        return self.url

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


@dataclass
class WorkerProcess(Process):
    http_url: str = ""  # the JSON API's internal listener
    public_url: str = ""  # its public face


@dataclass
class Processes:
    """Starts API workers and fronts; every one is stopped when the test ends."""

    env: dict[str, str]
    tmp_path: Path
    http_port: int = field(default_factory=free_port)
    public_http_port: int = field(default_factory=free_port)
    started: list[Process] = field(default_factory=list)

    def _spawn(
        self, name: str, argv: list[str], env: dict[str, str], ready: str
    ) -> tuple[subprocess.Popen[bytes], Path]:
        """`vitrine <argv>`, with its log in the test's folder, once the log says `ready`."""
        log_path = self.tmp_path / f"{name}-{len(self.started)}.log"
        with log_path.open("wb") as log:
            process = harness.spawn(
                harness.vitrine(*argv),
                env={**self.env, "VITRINE_LOG_LEVEL": "INFO", **env},
                log=log,
            )
        self._wait(name, process, lambda: ready in read(log_path), log_path)
        return process, log_path

    @staticmethod
    def _wait(
        name: str, process: subprocess.Popen[bytes], ready: Callable[[], bool], log_path: Path
    ) -> None:
        try:
            harness.wait_until(ready, process, what=name, log=lambda: read(log_path))
        except harness.StartError as error:
            harness.stop(process)
            pytest.fail(str(error))

    def start_worker(
        self,
        *,
        delays: str = "",
        faults: str = "",
        env: dict[str, str] | None = None,
        endpoint: str = "",
        public_port: int = 0,
    ) -> WorkerProcess:
        """One `vitrine api-worker` on `endpoint` (a new random port by default); `delays` and
        `faults` are its VITRINE_API_* test knobs. Its JSON API's public face is on the port
        all workers share, or on `public_port`."""
        endpoint = endpoint or f"tcp://127.0.0.1:{free_port()}"
        http_url = f"http://127.0.0.1:{self.http_port}"
        public_url = f"http://127.0.0.1:{public_port or self.public_http_port}"
        process, log_path = self._spawn(
            "worker",
            ["api-worker", "--bind", endpoint],
            {
                "VITRINE_API_HTTP": http_url,
                "VITRINE_API_PUBLIC_HTTP": public_url,
                "VITRINE_API_DELAYS": delays,
                "VITRINE_API_FAULTS": faults,
                **(env or {}),
            },
            "worker ready",
        )
        worker = WorkerProcess("worker", endpoint, process, log_path, http_url, public_url)
        self.started.append(worker)
        return worker

    def start_front(
        self,
        *workers: WorkerProcess,
        endpoints: str = "",
        transport: str = "zmq",
        env: dict[str, str] | None = None,
        url: str = "",
    ) -> Process:
        """One `vitrine front` reaching the given workers (or `endpoints`), on `url` (a new
        random port by default)."""
        url = url or f"http://127.0.0.1:{free_port()}"
        process, log_path = self._spawn(
            "front",
            ["front"],
            {
                "VITRINE_FRONT": url,
                "VITRINE_API_ENDPOINTS": endpoints or ",".join(w.endpoint for w in workers),
                "VITRINE_API_HTTP": workers[0].http_url if workers else "",
                "VITRINE_API_TRANSPORT": transport,
                "VITRINE_STATIC_DIR": str(self.tmp_path / "static"),
                **(env or {}),
            },
            "front ready",
        )
        front = Process("front", url, process, log_path)
        self.started.append(front)
        return front

    def start_nginx(
        self, *fronts: Process, microcache: bool = True, api: WorkerProcess | None = None
    ) -> Process:
        """nginx on a random port with the repository's nginx.conf, in front of `fronts` (and
        of `api`'s public face under /api/v1/)."""
        if shutil.which("nginx") is None:
            if os.environ.get("CI") == "true":
                pytest.fail("CI=true but nginx is not installed (scripts/bootstrap)")
            pytest.skip("nginx is not installed")
        port = free_port()
        params = NginxParams(
            listen=f"127.0.0.1:{port}",
            fronts=[front.url.removeprefix("http://") for front in fronts],
            static_dir=self.tmp_path / "static",
            microcache=microcache,
            api=(
                api.public_url if api else f"http://127.0.0.1:{self.public_http_port}"
            ).removeprefix("http://"),
        )
        conf = render_nginx_conf(params, self.tmp_path / f"nginx-{len(self.started)}")
        log_path = conf.parent / "logs" / "error.log"
        process = subprocess.Popen(nginx_command(conf), stderr=subprocess.STDOUT)
        self._wait(
            "nginx", process, lambda: harness.accepts_connections("127.0.0.1", port), log_path
        )
        nginx = Process("nginx", f"http://127.0.0.1:{port}", process, log_path)
        self.started.append(nginx)
        return nginx

    def stop_all(self) -> None:
        harness.stop_all(started.process for started in self.started)


def read(log_path: Path) -> str:
    return log_path.read_text(errors="replace") if log_path.exists() else ""
