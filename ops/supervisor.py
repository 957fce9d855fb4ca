"""Starts the site's processes, restarts one that dies, stops them all on Ctrl-C or SIGTERM.

A child that keeps exiting is restarted after a delay that doubles with each quick exit, up to
a cap: it costs no CPU to speak of and its log stays readable, while the healthy children go on
serving (one crash-looping worker never takes the site down)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from types import FrameType

log = logging.getLogger("vitrine.supervisor")

POLL_SECONDS = 0.2
# A child is given this long to finish its work after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 10.0
# A child that exits within this long of its start exited "quickly": it is restarted at once
# the first time, then after BACKOFF_FIRST_SECONDS, doubled for each further quick exit in a
# row, at most BACKOFF_MAX_SECONDS.
# One that ran longer is restarted at once (a crash after hours of serving is not a loop).
QUICK_EXIT_SECONDS = 30.0
BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0
# At start, a child that names the address it serves is waited for (it accepts a connection)
# before the next starts, so a front never answers before the workers it calls: at most this long.
READY_WAIT_SECONDS = 60.0


def backoff_seconds(quick_exits: int) -> float:
    """The wait before restarting a child that has exited quickly `quick_exits` times in a
    row: none for the first (a one-off crash, such as a race at start, costs no extra time),
    then 0.5, 1, 2, 4... seconds, never more than BACKOFF_MAX_SECONDS."""
    if quick_exits <= 1:
        return 0.0
    return min(BACKOFF_FIRST_SECONDS * 2 ** (quick_exits - 2), BACKOFF_MAX_SECONDS)


@dataclass
class Child:
    name: str
    argv: list[str]
    # Settings of this child's own, on top of the supervisor's environment.
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    # Exits within QUICK_EXIT_SECONDS of a start, in a row; and when the next start is due
    # (0: running, or not to be restarted).
    quick_exits: int = 0
    restart_at: float = 0.0
    # (host, port) that accepts connections once the child is ready; None: ready when started.
    ready_address: tuple[str, int] | None = None

    def start(self) -> None:
        env = {**os.environ, **self.env} if self.env else None
        self.process = subprocess.Popen(self.argv, env=env)  # noqa: S603 - our own commands
        self.started_at = time.monotonic()
        self.restart_at = 0.0
        log.info("started %s pid=%d", self.name, self.process.pid)


class Supervisor:
    def __init__(self, children: list[Child]) -> None:
        self.children = children
        self._stopping = False

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        self._stopping = True

    def run(self) -> int:
        """Block until told to stop; return the exit status."""
        previous = {s: signal.signal(s, self._stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for child in self.children:
                if self._stopping:
                    break
                child.start()
                self._wait_ready(child)
            while not self._stopping:
                time.sleep(POLL_SECONDS)
                if not self._stopping:
                    self._restart_dead(time.monotonic())
        finally:
            self._stop_all()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return 0

    def _wait_ready(self, child: Child) -> None:
        """Wait until `child` accepts a connection on its ready address, it exits, we are told to
        stop, or READY_WAIT_SECONDS pass (then go on: the loop restarts a child that died)."""
        if child.ready_address is None or child.process is None:
            return
        deadline = time.monotonic() + READY_WAIT_SECONDS
        while not self._stopping and child.process.poll() is None:
            try:
                socket.create_connection(child.ready_address, timeout=POLL_SECONDS).close()
            except OSError:
                if time.monotonic() > deadline:
                    log.warning(
                        "%s is not ready after %.0f s; going on", child.name, READY_WAIT_SECONDS
                    )
                    return
                time.sleep(POLL_SECONDS)
            else:
                return

    def _restart_dead(self, now: float) -> None:
        for child in self.children:
            if child.process is None:
                continue
            if child.restart_at:
                if now >= child.restart_at:
                    child.start()
                continue
            if child.process.poll() is None:
                continue
            ran = now - child.started_at
            child.quick_exits = child.quick_exits + 1 if ran < QUICK_EXIT_SECONDS else 0
            delay = backoff_seconds(child.quick_exits)
            log.warning(
                "%s exited with %s after %.1f s (%d quick exits in a row); restarting in %.1f s",
                child.name,
                child.process.returncode,
                ran,
                child.quick_exits,
                delay,
            )
            if delay:
                child.restart_at = now + delay
            else:
                child.start()

    def _stop_all(self) -> None:
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("pid %d did not stop in time; killing it", process.pid)
                process.kill()
                process.wait()
