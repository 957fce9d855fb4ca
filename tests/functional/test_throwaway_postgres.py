"""The suite's own PostgreSQL: on a fresh machine `make test` runs the PostgreSQL tests too.

What a developer sees who sets no VITRINE_TEST_POSTGRES_URL: the tests run (not skip) against a
cluster of their own, which is gone afterwards; and what CI sees when no server can be had.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.postgres_cluster import (
    BIN_ENV,
    ServerNotInstalled,
    ThrowawayCluster,
    postgres_missing,
    process_running,
)

ROOT = Path(__file__).resolve().parents[2]
# One PostgreSQL test that is quick: the migrated schema against the declared tables.
A_POSTGRES_TEST = (
    "tests/integration/test_migrations.py::"
    "test_migrated_postgres_schema_matches_the_tables_the_code_declares"
)
RUN_SECONDS = 180


@pytest.fixture
def cluster() -> Iterator[ThrowawayCluster]:
    try:
        cluster = ThrowawayCluster()
    except ServerNotInstalled as error:
        postgres_missing(str(error))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A temporary folder the server's unprivileged user can reach (pytest's own is private)."""
    folder = Path(tempfile.mkdtemp(prefix="vitrine-test-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        subprocess.run(["rm", "-rf", str(folder)], check=True)


async def _server_facts(url: str) -> tuple[str, str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            data_dir = (await conn.execute(text("SHOW data_directory"))).scalar_one()
            port = (await conn.execute(text("SHOW port"))).scalar_one()
    finally:
        await engine.dispose()
    return str(data_dir), str(port)


def _pytest(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
        check=False,
    )


def test_the_throwaway_cluster_is_a_server_of_its_own_and_gone_once_stopped(
    cluster: ThrowawayCluster,
) -> None:
    url = cluster.start()
    data_dir, port = asyncio.run(_server_facts(url))
    pid = cluster.postmaster_pid()

    assert port == str(cluster.port) != "5432"  # not the machine's own server
    assert Path(data_dir) == cluster.data_dir
    assert data_dir.startswith(tempfile.gettempdir())
    assert pid is not None
    assert process_running(pid)

    folder = cluster.data_dir.parent
    cluster.stop()

    assert not process_running(pid)
    assert not folder.exists()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", int(port)), timeout=2).close()


def test_without_a_url_the_postgres_tests_run_against_their_own_cluster(
    shared_tmp: Path,
) -> None:
    try:
        ThrowawayCluster()
    except ServerNotInstalled as error:
        postgres_missing(str(error))
    env = {**os.environ, "TMPDIR": str(shared_tmp)}
    env.pop("VITRINE_TEST_POSTGRES_URL", None)

    run = _pytest(A_POSTGRES_TEST, "-q", env=env)

    assert run.returncode == 0, run.stdout + run.stderr
    summary = run.stdout.strip().splitlines()[-1]
    assert "1 passed" in summary
    assert "skipped" not in summary
    assert not list(shared_tmp.glob("vitrine-pg-*"))  # the cluster's folder is gone


def test_in_ci_no_postgresql_server_fails_the_run_instead_of_skipping() -> None:
    env = {**os.environ, "CI": "true", BIN_ENV: "/nonexistent/postgresql/bin"}
    env.pop("VITRINE_TEST_POSTGRES_URL", None)

    run = _pytest(A_POSTGRES_TEST, "-q", env=env)

    summary = run.stdout.strip().splitlines()[-1]
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 error" in summary
    assert "skipped" not in summary
    assert "CI=true and PostgreSQL tests cannot run" in run.stdout
    assert "install Debian's postgresql package" in run.stdout
