"""Starts the site's processes, restarts one that dies, stops them all on Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import time
from collections import deque
from dataclasses import dataclass, field
from types import FrameType

log = logging.getLogger("vitrine.supervisor")

POLL_SECONDS = 0.2
# A child is given this long to finish its work after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 10.0
# More restarts of one child than this within the window means it cannot run: give up.
MAX_RESTARTS = 5
RESTART_WINDOW_SECONDS = 60.0
# At start, a child that names the address it serves is waited for (it accepts a connection)
# before the next starts, so a front never answers before the workers it calls: at most this long.
READY_WAIT_SECONDS = 60.0


@dataclass
class Child:
    name: str
    argv: list[str]
    # Settings of this child's own, on top of the supervisor's environment.
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    restarts: deque[float] = field(default_factory=deque)
    # (host, port) that accepts connections once the child is ready; None: ready when started.
    ready_address: tuple[str, int] | None = None

    def start(self) -> None:
        env = {**os.environ, **self.env} if self.env else None
        self.process = subprocess.Popen(self.argv, env=env)  # noqa: S603 - our own commands
        log.info("started %s pid=%d", self.name, self.process.pid)


class Supervisor:
    def __init__(self, children: list[Child]) -> None:
        self.children = children
        self._stopping = False

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        self._stopping = True

    def run(self) -> int:
        """Block until told to stop (or a child keeps dying); return the exit status."""
        previous = {s: signal.signal(s, self._stop) for s in (signal.SIGINT, signal.SIGTERM)}
        status = 0
        try:
            for child in self.children:
                if self._stopping:
                    break
                child.start()
                self._wait_ready(child)
            while not self._stopping:
                time.sleep(POLL_SECONDS)
                if not self._stopping and not self._restart_dead():
                    status = 1
                    break
        finally:
            self._stop_all()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return status

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

    def _restart_dead(self) -> bool:
        now = time.monotonic()
        for child in self.children:
            if child.process is None or child.process.poll() is None:
                continue
            log.warning("%s exited with %s; restarting", child.name, child.process.returncode)
            while child.restarts and now - child.restarts[0] > RESTART_WINDOW_SECONDS:
                child.restarts.popleft()
            if len(child.restarts) >= MAX_RESTARTS:
                log.error("%s keeps exiting; giving up", child.name)
                return False
            child.restarts.append(now)
            child.start()
        return True

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
