"""`vitrine run`, as `make run` starts it: seeds an empty database, serves, Ctrl-C stops it all."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests.functional.pages import fetch
from tests.processes import free_consecutive_ports, free_port
from vitrine.config import PROJECT_ROOT

START_TIMEOUT_SECONDS = 60


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; only its parent has not collected it yet.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "zombie" not in status.read_text()


def start_in_group(
    arguments: list[str], env: dict[str, str], log_path: Path
) -> subprocess.Popen[bytes]:
    """`vitrine <arguments>` in a process group of its own, like a shell's foreground job:
    Ctrl-C (SIGINT to the group) reaches every process it starts."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "ops.cli", *arguments],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@contextlib.contextmanager
def running_in_group(
    arguments: list[str], env: dict[str, str], log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """`start_in_group`, and whatever the test does, nothing of it left running afterwards."""
    process = start_in_group(arguments, env, log_path)
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def category_tree(http_url: str) -> dict | None:
    request = urllib.request.Request(
        f"{http_url}/api/v1/catalog/GetCategoryTree", data=b"{}", method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, ConnectionError):
        return None


def front_page(front_url: str) -> str | None:
    try:
        with urllib.request.urlopen(front_url + "/", timeout=5) as response:
            return response.read().decode()
    except (urllib.error.URLError, ConnectionError):
        return None


def wait_for_home(url: str, process: subprocess.Popen[bytes], deadline: float) -> str | None:
    """The home page at `url` once the site started by `process` serves it."""
    home = None
    while home is None and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
        home = front_page(url)
    return home


def test_run_seeds_an_empty_database_serves_and_ctrl_c_stops_every_process(tmp_path):
    http_port, front_port, public_port = free_port(), free_port(), free_port()
    http_url = f"http://127.0.0.1:{http_port}"
    front_url = f"http://127.0.0.1:{front_port}"
    endpoint_port = free_consecutive_ports(2, avoid=(http_port, front_port, public_port))
    env = {
        **os.environ,
        "VITRINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/fresh.sqlite3",
        "VITRINE_API_ENDPOINT": f"tcp://127.0.0.1:{endpoint_port}",
        "VITRINE_API_WORKERS": "2",
        "VITRINE_API_HTTP": http_url,
        "VITRINE_API_PUBLIC_HTTP": f"http://127.0.0.1:{free_port()}",
        "VITRINE_FRONT": front_url,
        "VITRINE_STATIC_DIR": str(tmp_path / "static"),
        "VITRINE_DEMO_PRODUCTS": "150",
    }
    log_path = tmp_path / "run.log"
    with running_in_group(["run"], env, log_path) as run:
        home = wait_for_home(front_url, run, time.monotonic() + START_TIMEOUT_SECONDS)
        assert home is not None, log_path.read_text()
        assert "<h2" in home
        tree = category_tree(http_url)
        assert tree is not None
        assert len(tree["roots"]) >= 3
        children = children_of(run.pid)
        assert len(children) == 3  # two API workers and the front

        os.killpg(run.pid, signal.SIGINT)
        run.wait(timeout=30)
    assert run.returncode == 0
    assert "seeding the demo catalogue (150 products)" in log_path.read_text()
    assert not [pid for pid in children if alive(pid)]
    assert category_tree(http_url) is None
    assert front_page(front_url) is None


def test_the_supervisor_restarts_a_worker_that_dies(tmp_path):
    http_port, public_port = free_port(), free_port()
    endpoint_port = free_consecutive_ports(2, avoid=(http_port, public_port))
    env = {
        **os.environ,
        "VITRINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/fresh.sqlite3",
        "VITRINE_API_ENDPOINT": f"tcp://127.0.0.1:{endpoint_port}",
        "VITRINE_API_HTTP": f"http://127.0.0.1:{http_port}",
        "VITRINE_API_PUBLIC_HTTP": f"http://127.0.0.1:{public_port}",
        "VITRINE_DEMO_PRODUCTS": "100",
    }
    log_path = tmp_path / "api.log"
    with running_in_group(["api", "--workers", "2"], env, log_path) as api:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while log_path.read_text().count("worker ready") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        first, second = children_of(api.pid)
        os.kill(first, signal.SIGKILL)
        while log_path.read_text().count("worker ready") < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = children_of(api.pid)
        assert len(workers) == 2
        assert second in workers
        assert first not in workers
        assert re.search(
            r"api-worker-\d exited with -9 after .* restarting in", log_path.read_text()
        )
        os.killpg(api.pid, signal.SIGTERM)
        api.wait(timeout=30)
    assert not [pid for pid in workers if alive(pid)]


def test_the_first_page_after_the_front_says_ready_is_served_and_the_log_is_quiet(tmp_path):
    front_port, http_port = free_port(), free_port()
    front_url = f"http://127.0.0.1:{front_port}"
    endpoint_port = free_consecutive_ports(2, avoid=(front_port, http_port))
    env = {
        **os.environ,
        "VITRINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/fresh.sqlite3",
        "VITRINE_API_ENDPOINT": f"tcp://127.0.0.1:{endpoint_port}",
        "VITRINE_API_HTTP": f"http://127.0.0.1:{http_port}",
        "VITRINE_FRONT": front_url,
        "VITRINE_STATIC_DIR": str(tmp_path / "static"),
        "VITRINE_DEMO_PRODUCTS": "100",
        "VITRINE_LOG_FORMAT": "text",
    }
    log_path = tmp_path / "run.log"
    with running_in_group(["run"], env, log_path) as run:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while "front ready" not in log_path.read_text() and time.monotonic() < deadline:
            assert run.poll() is None, log_path.read_text()
            time.sleep(0.05)
        # The workers started first and were waited for: the very first page is the shop.
        assert fetch(front_url + "/").status == 200, log_path.read_text()
        assert fetch(front_url + "/no-such-page").status == 404
        os.killpg(run.pid, signal.SIGINT)
        run.wait(timeout=30)
    log = log_path.read_text()
    assert log.index("worker ready") < log.index("front ready")
    # One line per request (the access line), not a second warning for an answered 404.
    assert [line for line in log.splitlines() if "/no-such-page" in line] == [
        line for line in log.splitlines() if "vitrine.access" in line and "/no-such-page" in line
    ]
    assert log.count("/no-such-page") == 1
    # Alembic's plugin and dialect chatter is gone; the migration itself is one line.
    assert "alembic" not in log
    assert "database schema migrated from nothing to" in log


def test_preview_on_a_busy_port_says_which_setting_to_change(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = {**os.environ, "VITRINE_FRONT": f"http://127.0.0.1:{port}"}
        done = subprocess.run(
            [sys.executable, "-m", "ops.cli", "preview"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"vitrine: http://127.0.0.1:{port} is in use" in done.stderr
    assert "VITRINE_FRONT" in done.stderr


def occupied_port_pair() -> tuple[int, socket.socket]:
    """A free port whose next one this test holds (listening), so a worker told to bind it
    exits at once with "Address already in use"."""
    while True:
        port = free_port()
        holder = socket.socket()
        try:
            holder.bind(("127.0.0.1", port + 1))
        except OSError:
            holder.close()
            continue
        holder.listen()
        return port, holder


# Exits of the bad worker the test waits for: one more than the old supervisor allowed before
# it stopped the whole site.
CRASH_LOOP_EXITS = 7
CRASH_LOOP_SECONDS = 60


def test_a_crash_looping_worker_is_retried_with_growing_delays_while_the_site_serves(tmp_path):
    port, holder = occupied_port_pair()
    front_url = f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "VITRINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/fresh.sqlite3",
        "VITRINE_API_ENDPOINT": f"tcp://127.0.0.1:{port}",  # worker 1 gets port + 1: taken
        "VITRINE_API_WORKERS": "2",
        "VITRINE_API_HTTP": f"http://127.0.0.1:{free_port()}",
        "VITRINE_FRONT": front_url,
        "VITRINE_STATIC_DIR": str(tmp_path / "static"),
        "VITRINE_DEMO_PRODUCTS": "100",
        "VITRINE_LOG_FORMAT": "text",
    }
    log_path = tmp_path / "run.log"
    pages: list[bool] = []
    with holder, running_in_group(["run"], env, log_path) as run:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS + CRASH_LOOP_SECONDS
        assert wait_for_home(front_url, run, deadline) is not None, log_path.read_text()
        while (
            log_path.read_text().count("api-worker-1 exited") < CRASH_LOOP_EXITS
            and time.monotonic() < deadline
            and run.poll() is None
        ):
            pages.append(front_page(front_url) is not None)
            time.sleep(0.5)
        log = log_path.read_text()
        still_running = run.poll() is None
        os.killpg(run.pid, signal.SIGINT)
        run.wait(timeout=30)
    assert still_running, log
    assert pages, log
    assert all(pages), f"{pages.count(False)} of {len(pages)} home pages failed\n{log}"
    delays = [
        float(delay)
        for delay in re.findall(
            r"api-worker-1 exited with 1 after .* restarting in ([\d.]+) s", log
        )
    ]
    assert len(delays) >= CRASH_LOOP_EXITS, log
    assert delays[:6] == [0.0, 0.5, 1.0, 2.0, 4.0, 8.0], delays
    assert "api-worker-0 exited" not in log
    assert "front exited" not in log
    assert run.returncode == 0
