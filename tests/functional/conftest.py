"""Real API worker processes on random loopback ports, over a seeded SQLite file or PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from api.db import create_engine
from api.demo import seed_demo
from tests.conftest import fresh_schema
from web.config import PROJECT_ROOT, Settings

# Small enough to seed in a second or two, large enough for several pages per category.
DEMO_PRODUCTS = 300
READY_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _seed(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        await seed_demo(engine, products=DEMO_PRODUCTS, seed=7)
    finally:
        await engine.dispose()


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def database(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, str]]:
    """The environment that points a process at a seeded demo database."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "vitrine.sqlite3"
        env = {"VITRINE_DATABASE_URL": f"sqlite+aiosqlite:///{path}"}
        asyncio.run(_seed(Settings(database_url=env["VITRINE_DATABASE_URL"])))
        yield env
        return
    url = request.getfixturevalue("postgres_url")
    with fresh_schema(url) as schema:
        asyncio.run(_seed(Settings(database_url=url, database_schema=schema)))
        yield {"VITRINE_DATABASE_URL": url, "VITRINE_DATABASE_SCHEMA": schema}


@dataclass
class WorkerProcess:
    endpoint: str
    http_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


@dataclass
class Workers:
    """Starts `vitrine api-worker` processes; every one is stopped when the test ends."""

    env: dict[str, str]
    tmp_path: Path
    http_port: int = field(default_factory=free_port)
    started: list[WorkerProcess] = field(default_factory=list)

    def start(self, *, delays: str = "") -> WorkerProcess:
        endpoint = f"tcp://127.0.0.1:{free_port()}"
        http_url = f"http://127.0.0.1:{self.http_port}"
        env = {
            **os.environ,
            **self.env,
            "VITRINE_API_HTTP": http_url,
            "VITRINE_API_DELAYS": delays,
            "VITRINE_LOG_LEVEL": "INFO",
        }
        log_path = self.tmp_path / f"worker-{len(self.started)}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "web.cli", "api-worker", "--bind", endpoint],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        worker = WorkerProcess(endpoint, http_url, process, log_path)
        self.started.append(worker)
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while "worker ready" not in worker.log:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"worker did not start:\n{worker.log}")
            time.sleep(0.05)
        return worker

    def stop_all(self) -> None:
        for worker in self.started:
            if worker.process.poll() is None:
                worker.process.terminate()
        for worker in self.started:
            try:
                worker.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()


@pytest.fixture
def workers(database: dict[str, str], tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(database, tmp_path)
    yield pool
    pool.stop_all()
