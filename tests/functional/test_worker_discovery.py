"""Workers register their endpoints; a worker started under load gets calls from a front that
was never told about it and was not restarted."""

from __future__ import annotations

import re
import time

from tests.functional.load import Load
from tests.processes import Processes

# Heartbeats and the fronts' look-ups every 300 ms, so the test waits a second, not six.
DISCOVERY = {"VITRINE_API_DISCOVERY": "on", "VITRINE_API_DISCOVERY_MS": "300"}
FRONT_BATCH = re.compile(r"batch trace=[0-9a-f]{16,32} ")


def test_a_worker_added_under_load_receives_calls_without_restarting_the_front(
    workers: Processes,
):
    first = workers.start_worker(env=DISCOVERY)
    front = workers.start_front(first, env=DISCOVERY)  # configured with the first worker only
    load = Load(front.url, ("/", "/search?q=shirt", "/c/nowhere"))
    try:
        load.wait_for(answered=20)  # the front is busy before the new worker appears
        added = workers.start_worker(env=DISCOVERY)
        deadline = time.monotonic() + 15
        while len(FRONT_BATCH.findall(added.log)) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        statuses = load.stop()
    assert load.errors == []
    assert {status for status in statuses if status >= 500} == set(), statuses
    assert len(FRONT_BATCH.findall(added.log)) >= 5  # pages' batches reached the new worker
    assert f"connecting to discovered worker {added.endpoint}" in front.log
    assert front.process.poll() is None  # the same front process all along


def test_a_stopped_worker_leaves_the_registry(workers: Processes):
    first = workers.start_worker(env=DISCOVERY)
    second = workers.start_worker(env=DISCOVERY)
    front = workers.start_front(first, env=DISCOVERY)
    deadline = time.monotonic() + 10
    while second.endpoint not in front.log and time.monotonic() < deadline:
        time.sleep(0.1)
    assert f"connecting to discovered worker {second.endpoint}" in front.log
    second.process.terminate()
    assert second.process.wait(timeout=12) == 0
    while "no longer registered" not in front.log and time.monotonic() < deadline + 10:
        time.sleep(0.1)
    assert f"dropping worker {second.endpoint}: no longer registered" in front.log
