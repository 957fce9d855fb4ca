"""ZeroMQ CURVE between fronts and workers: with keys, only a front holding an allowed key gets
answers; any other peer gets nothing and the worker logs it; discovery still finds workers."""

from __future__ import annotations

import stat
import subprocess
import sys
import time
from pathlib import Path

import zmq
import zmq.auth

from contract import envelope_pb2
from tests.functional.pages import fetch
from tests.functional.zmq_peer import RawPeer, ping_batch
from tests.processes import Processes
from vitrine.config import PROJECT_ROOT

NO_ANSWER_SECONDS = 1.5
LOG_WAIT_SECONDS = 5
DISCOVERY = {"VITRINE_API_DISCOVERY": "on", "VITRINE_API_DISCOVERY_MS": "300"}


def vitrine_keys(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", "keys", *arguments],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def make_keys(tmp_path: Path) -> Path:
    keys = tmp_path / "keys"
    made = vitrine_keys("--dir", str(keys))
    assert made.returncode == 0, made.stderr
    return keys


def test_vitrine_keys_writes_certificates_with_secrets_only_the_owner_reads(tmp_path: Path):
    keys = make_keys(tmp_path)
    mode = {
        path.relative_to(keys).as_posix(): stat.S_IMODE(path.stat().st_mode)
        for path in keys.rglob("*")
    }
    assert mode == {
        "worker.key": 0o644,
        "worker.key_secret": 0o600,
        "front.key": 0o644,
        "front.key_secret": 0o600,
        "allowed_fronts": 0o700,
        "allowed_fronts/front.key": 0o644,
    }
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    front_public, front_secret = zmq.auth.load_certificate(keys / "front.key_secret")
    assert front_secret is not None
    assert zmq.auth.load_certificates(keys / "allowed_fronts") == {front_public: True}
    before = (keys / "worker.key_secret").read_bytes()
    again = vitrine_keys("--dir", str(keys))
    assert again.returncode == 2
    assert "never overwritten" in again.stderr
    assert (keys / "worker.key_secret").read_bytes() == before
    another = vitrine_keys("--dir", str(keys), "--front", "front-2")
    assert another.returncode == 0, another.stderr
    assert len(zmq.auth.load_certificates(keys / "allowed_fronts")) == 2


def test_with_keys_only_a_front_with_an_allowed_key_is_answered(workers: Processes, tmp_path: Path):
    keys = make_keys(tmp_path)
    curve = {"VITRINE_CURVE_KEYS": str(keys)}
    worker = workers.start_worker(env=curve)
    front = workers.start_front(worker, env=curve)
    page = fetch(front.url + "/")
    assert page.status == 200
    assert "<h2" in page.body
    assert "CURVE on: 1 allowed front keys" in worker.log

    worker_public, _ = zmq.auth.load_certificate(keys / "worker.key")
    stranger_public, stranger_secret = zmq.curve_keypair()
    with RawPeer(worker.endpoint) as plain:
        assert plain.ask(ping_batch(), wait_seconds=NO_ANSWER_SECONDS) == []
    with RawPeer(worker.endpoint, (stranger_public, stranger_secret, worker_public)) as stranger:
        assert stranger.ask(ping_batch(), wait_seconds=NO_ANSWER_SECONDS) == []
    front_public, front_secret = zmq.auth.load_certificate(keys / "front.key_secret")
    assert front_secret is not None
    with RawPeer(worker.endpoint, (front_public, front_secret, worker_public)) as allowed:
        replies = allowed.ask(ping_batch(call_id=3))
    assert [(r.call_id, r.status) for r in replies] == [(3, envelope_pb2.OK)]

    deadline = time.monotonic() + LOG_WAIT_SECONDS
    while time.monotonic() < deadline and not (
        worker.log.count("refused a peer on") >= 2 and "batch trace=raw-peer" in worker.log
    ):
        time.sleep(0.1)
    log = worker.log
    assert f"CURVE key {stranger_public.decode()} is not among the allowed fronts" in log
    # A line for each refused connection: the plain peer's (its handshake failed: no CURVE, or
    # a broken pipe, as libzmq happens to see it) and the stranger's (ZAP said no).
    assert "handshake failed: not authorised (ZAP status)" in log
    assert log.count("refused a peer on") >= 2
    assert log.count("batch trace=raw-peer") == 1  # only the allowed peer's Ping ran


def test_discovery_finds_a_curve_worker_the_front_was_not_told_about(
    workers: Processes, tmp_path: Path
):
    keys = make_keys(tmp_path)
    env = {"VITRINE_CURVE_KEYS": str(keys), **DISCOVERY}
    first = workers.start_worker(env=env)
    front = workers.start_front(first, env=env)  # configured with the first worker only
    added = workers.start_worker(env=env)
    deadline = time.monotonic() + 15
    statuses = []
    while added.log.count("batch trace=") < 3 and time.monotonic() < deadline:
        statuses.append(fetch(front.url + "/search?q=shirt").status)
    assert added.log.count("batch trace=") >= 3, front.log
    assert f"connecting to discovered worker {added.endpoint}" in front.log
    assert set(statuses) == {200}
    assert "refused" not in added.log
