"""A throwaway PostgreSQL cluster, so the suite needs no server set up beforehand.

When VITRINE_TEST_POSTGRES_URL names no server, the suite runs Debian's server binaries (the
`postgresql` package scripts/bootstrap installs) on a random loopback port, with its data in a
temporary folder of its own, and stops it and deletes the folder at the end of the session.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, NoReturn

import pytest

BIN_ENV = "VITRINE_TEST_POSTGRES_BIN"
# Debian installs each major version's server here, off the PATH; the newest one is taken.
DEBIAN_BIN_DIRS = "/usr/lib/postgresql/*/bin"
# initdb and postgres refuse to run as root; Debian's package creates this user.
UNPRIVILEGED_USER = "postgres"
START_SECONDS = 60
STOP_SECONDS = 30
# A free port can be taken between our look and the server's bind: try a few.
PORT_ATTEMPTS = 3
# Nothing here outlives the session, so durability is traded for speed. Not with
# synchronous_commit off: a commit's WAL is then flushed a moment later, and a VACUUM before
# that cannot mark the rows' pages all-visible (the seed's VACUUM right after its bulk load left
# product_images with none, and test_listing_index's check of it failed on this cluster only).
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}


def postgres_missing(reason: str) -> NoReturn:
    """Without PostgreSQL its tests are skipped locally, and fail the run in CI."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and PostgreSQL tests cannot run: {reason}")
    pytest.skip(reason)


class ServerNotInstalled(Exception):
    """No PostgreSQL server binaries (or no user to run them as) on this machine."""


def server_bin_dir() -> Path:
    """The folder holding initdb, pg_ctl and postgres."""
    named = os.environ.get(BIN_ENV, "")
    candidates = [Path(named)] if named else _debian_bin_dirs()
    if not named and (initdb := shutil.which("initdb")):
        candidates.append(Path(initdb).parent)
    for folder in candidates:
        if all((folder / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return folder
    where = named or f"{DEBIAN_BIN_DIRS} or on the PATH"
    raise ServerNotInstalled(
        f"no PostgreSQL server in {where}: install Debian's postgresql package "
        "(scripts/bootstrap does as root) or set VITRINE_TEST_POSTGRES_URL"
    )


def _debian_bin_dirs() -> list[Path]:
    def major(folder: Path) -> int:
        version = folder.parent.name
        return int(version) if version.isdigit() else 0

    return sorted(Path("/").glob(DEBIAN_BIN_DIRS.lstrip("/")), key=major, reverse=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThrowawayCluster:
    """One cluster's whole life: initdb, start, the URL to reach it, stop, delete."""

    def __init__(self) -> None:
        self.bin_dir = server_bin_dir()
        self.run_as = _unprivileged_user()
        self.folder: Path | None = None
        self.port = 0

    @property
    def data_dir(self) -> Path:
        assert self.folder is not None, "the cluster is not started"
        return self.folder / "data"

    @property
    def log_file(self) -> Path:
        return self.data_dir.parent / "server.log"

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> str:
        """Make and start the cluster; its SQLAlchemy URL."""
        # Not under pytest's temporary folders: they are private to the user running pytest,
        # and the server may run as another one.
        self.folder = Path(tempfile.mkdtemp(prefix="vitrine-pg-"))
        try:
            if self.run_as is not None:
                os.chown(self.folder, self.run_as.pw_uid, self.run_as.pw_gid)
            self._run(
                "initdb",
                "--pgdata",
                str(self.data_dir),
                "--username",
                "postgres",
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C.UTF-8",
                "--no-sync",
                "--no-instructions",
            )
            settings = {**SETTINGS, "unix_socket_directories": f"'{self.folder}'"}
            with (self.data_dir / "postgresql.conf").open("a") as conf:
                conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
            self._start_on_a_free_port()
        except BaseException:
            self.stop()
            raise
        return self.url

    def _start_on_a_free_port(self) -> None:
        for attempt in range(PORT_ATTEMPTS):
            self.port = _free_port()
            started = self._run(
                "pg_ctl",
                "start",
                "--pgdata",
                str(self.data_dir),
                "--wait",
                "--timeout",
                str(START_SECONDS),
                "--log",
                str(self.log_file),
                "-o",
                f"-p {self.port}",
                check=attempt == PORT_ATTEMPTS - 1,
            )
            if started.returncode == 0:
                return

    def postmaster_pid(self) -> int | None:
        """The running server's PID, from the lock file it keeps in its data folder."""
        with contextlib.suppress(FileNotFoundError, ValueError, IndexError):
            return int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])
        return None

    def stop(self) -> None:
        """Stop this cluster's server (only it: pg_ctl signals the PID in its data folder)."""
        if self.folder is None:
            return
        pid = self.postmaster_pid()
        if pid is not None:
            stopped = self._run(
                "pg_ctl",
                "stop",
                "--pgdata",
                str(self.data_dir),
                "--mode",
                "fast",
                "--wait",
                "--timeout",
                str(STOP_SECONDS),
                check=False,
            )
            # pg_ctl returns once the lock file is gone, a moment before the process is.
            if stopped.returncode != 0 or not _gone(pid, STOP_SECONDS):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGQUIT)  # immediate shutdown of our postmaster
                _gone(pid, STOP_SECONDS)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        options: dict[str, Any] = {}
        if self.run_as is not None:
            options = {
                "user": self.run_as.pw_uid,
                "group": self.run_as.pw_gid,
                "extra_groups": [],
            }
        done = subprocess.run(
            [str(self.bin_dir / tool), *args],
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=START_SECONDS + 30,
            check=False,
            **options,
        )
        if check and done.returncode != 0:
            log = self.log_file if self.folder else None
            tail = log.read_text()[-2000:] if log and log.is_file() else ""
            raise RuntimeError(
                f"{tool} {' '.join(args)} failed ({done.returncode}):\n"
                f"{done.stdout}{done.stderr}{tail}"
            )
        return done


def process_running(pid: int) -> bool:
    """Whether the process runs (a zombie waiting for its parent to reap it does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in {"Z", "X"}


def _gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while process_running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _unprivileged_user() -> pwd.struct_passwd | None:
    """The user to run the server as: None when we are not root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        raise ServerNotInstalled(
            f"running as root, and PostgreSQL refuses root: no {UNPRIVILEGED_USER!r} user to run "
            "it as (Debian's postgresql package creates one)"
        ) from None
