"""Real processes on loopback for the tests and the benchmarks, in one place: a free port, a
process started with its output in a log (pinned to a core when asked), waited for until it is
ready or has exited, and stopped by its PID, never by name: other programs of the same name may
run on the machine. tests/processes.py and bench/stack.py build their stacks on it."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import IO

from vitrine.config import PROJECT_ROOT

READY_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 10
POLL_SECONDS = 0.05


class StartError(RuntimeError):
    """A process exited, or was not ready in time; the message ends with its log."""


def free_port() -> int:
    """A loopback port nobody listens on now (the kernel's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def free_consecutive_ports(count: int, avoid: Collection[int] = ()) -> int:
    """The first of `count` consecutive loopback ports nobody listens on now: `vitrine api` and
    `serve` bind worker N to the first endpoint's port + N. (free_port's picks often follow one
    another, so a port chosen next to another pick may be the one a second worker needs: name
    the ports already picked in `avoid`.)"""
    while True:
        first = free_port()
        ports = range(first, first + count)
        if not set(ports) & set(avoid) and all(_bindable(port) for port in ports[1:]):
            return first


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def vitrine(*arguments: str) -> list[str]:
    """The argv of a `vitrine` command run by this interpreter from the tree it is run in."""
    return [sys.executable, "-m", "ops.cli", *arguments]


def spawn(
    argv: list[str],
    *,
    env: dict[str, str],
    log: IO[bytes],
    cwd: Path = PROJECT_ROOT,
    core: int | None = None,
) -> subprocess.Popen[bytes]:
    """Start `argv` with `env` over ours, its output in `log`; on `core` when given (taskset
    execs the command, so the PID is the server's own, for reading its CPU time)."""
    if core is not None:
        argv = ["taskset", "-c", str(core), *argv]
    return subprocess.Popen(  # noqa: S603 - our own commands
        argv, cwd=cwd, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
    )


def wait_until(
    ready: Callable[[], bool],
    process: subprocess.Popen[bytes],
    *,
    what: str,
    log: Callable[[], str] = lambda: "",
    timeout: float = READY_TIMEOUT_SECONDS,
) -> None:
    """Until `ready()` holds; StartError (and the process stopped) if it exits or time runs out."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            raise StartError(f"{what} exited with {process.returncode}:\n{log()}")
        if time.monotonic() > deadline:
            stop(process)
            raise StartError(f"{what} was not ready after {timeout:.0f} s:\n{log()}")
        time.sleep(POLL_SECONDS)


def accepts_connections(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        return False
    return True


def status_of(url: str, body: bytes | None = None) -> int:
    """The HTTP status of one GET (or POST of `body`), redirects not followed; 0 if unreachable."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST" if body is not None else "GET", target, body=body)
        return connection.getresponse().status
    except OSError:
        return 0
    finally:
        connection.close()


def stop(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    """SIGTERM this one process (by its PID), then SIGKILL it if it lingers."""
    stop_all([process], timeout)


def stop_all(
    processes: Iterable[subprocess.Popen[bytes]], timeout: float = STOP_TIMEOUT_SECONDS
) -> None:
    """SIGTERM every one first (they stop side by side), then wait for each; SIGKILL stragglers."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.terminate()
    for process in running:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
