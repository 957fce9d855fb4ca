"""SIGTERM to a front: it stops accepting, finishes what is in flight, exits; so the fronts can
be restarted one at a time behind nginx without a shopper seeing an error."""

from __future__ import annotations

import http.client
import re
import signal
import socket
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from api_client.zmq_transport import RECONNECT_IVL_MAX_MS
from ops.nginx import FAIL_TIMEOUT_SECONDS
from tests.functional.load import Load
from tests.functional.pages import fetch, first_in_stock
from tests.processes import Process, Processes, WorkerProcess

EXIT_SECONDS = 12  # the 10 s grace and a little
# A long API deadline: a slow moment of this shared machine is not what is tested here.
PATIENT = {"VITRINE_API_DEADLINE_MS": "5000"}
# Bodies over the front's limit (1 MiB), and over Tornado's default (100 MB) as well.
OVERSIZED_BODIES = (2_000_000, 200_000_000)


def wait_until_ready(front: Process) -> None:
    """The rolling restart's rule (docs/operations.md): the next front goes only once this one
    is ready and nginx has had its fail_timeout to take it back."""
    deadline = time.monotonic() + 10
    while fetch(front.url + "/readyz").status != 200:
        assert time.monotonic() < deadline, "the restarted front never became ready"
        time.sleep(0.1)
    time.sleep(FAIL_TIMEOUT_SECONDS + 1)


def listener_closes(front: Process, timeout: float = 5) -> bool:
    """Whether the front stops accepting connections within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        probe = http.client.HTTPConnection("127.0.0.1", urlsplit(front.url).port, timeout=2)
        try:
            probe.connect()
        except ConnectionRefusedError:
            return True
        finally:
            probe.close()
        time.sleep(0.02)
    return False


def terminate(front: Process) -> int:
    front.process.send_signal(signal.SIGTERM)
    return front.process.wait(timeout=EXIT_SECONDS)


def test_sigterm_lets_the_request_in_flight_finish_and_refuses_new_ones(workers: Processes):
    worker = workers.start_worker(delays="shop.v1.Search/SearchProducts=1500")
    front = workers.start_front(worker, env={"VITRINE_API_DEADLINE_MS": "5000"})
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(fetch, front.url + "/search?q=shirt")
        time.sleep(0.5)  # the search is now waiting on the worker
        front.process.send_signal(signal.SIGTERM)
        assert listener_closes(front), "the stopping front still accepts connections"
        page = slow.result(timeout=10)
    assert page.status == 200
    assert "shirt" in page.body.lower()
    assert front.process.wait(timeout=EXIT_SECONDS) == 0
    assert "front stopped" in front.log


def test_restarting_the_fronts_one_at_a_time_under_load_gives_no_5xx(workers: Processes):
    worker = workers.start_worker()
    # A long API deadline: a slow moment of this shared machine is not what is tested here.
    patient = {"VITRINE_API_DEADLINE_MS": "5000"}
    fronts = [workers.start_front(worker, env=patient), workers.start_front(worker, env=patient)]
    # No microcache: every request reaches a front.
    nginx = workers.start_nginx(*fronts, microcache=False)
    load = Load(nginx.url, ("/", "/search?q=shirt", "/search?q=dress", "/nowhere"))
    try:
        load.wait_for(answered=20)  # the site is busy before the first restart
        for n, front in enumerate(fronts):
            assert terminate(front) == 0
            fronts[n] = workers.start_front(worker, url=front.url, env=patient)
            wait_until_ready(fronts[n])
    finally:
        statuses = load.stop()
    assert load.errors == []
    served = sum(statuses.values())
    assert served >= 100, statuses
    assert {status for status in statuses if status >= 500} == set(), statuses
    assert statuses[200] > 0
    assert statuses[404] > 0
    for front in fronts:
        assert "front ready" in front.log


# The documented rolling restart, all of it, more than once: 3 rounds of every worker then
# every front, under GETs and add-to-basket POSTs through nginx.
ROLLING_ROUNDS = 3
ROLLING_LOAD_SECONDS = 150
ROLLING_LOAD_REQUESTS = 20_000


def a_variant_to_add(site: str) -> str:
    """An add-to-basket form's fields for a product the search lists."""
    listing = fetch(site + "/search?q=shirt").body
    product = re.search(r'href="(/p/\d+/[\w-]+)"', listing)
    assert product is not None, listing[:500]
    page = fetch(site + product.group(1))
    return f"variant_id={first_in_stock(page)}&quantity=1"


def restart_worker(workers: Processes, worker: WorkerProcess) -> WorkerProcess:
    """The documented rule: SIGTERM a worker, start it on the same endpoint, and go on once it
    is ready and the fronts have had their reconnect interval to find it again."""
    assert terminate(worker) == 0
    restarted = workers.start_worker(endpoint=worker.endpoint, env=PATIENT)
    time.sleep(RECONNECT_IVL_MAX_MS / 1000)
    return restarted


def test_rolling_restarts_of_every_worker_and_front_under_gets_and_posts_give_no_5xx(
    workers: Processes,
):
    api = [workers.start_worker(env=PATIENT), workers.start_worker(env=PATIENT)]
    fronts = [workers.start_front(*api, env=PATIENT), workers.start_front(*api, env=PATIENT)]
    nginx = workers.start_nginx(*fronts, microcache=False)
    form = a_variant_to_add(nginx.url)
    load = Load(
        nginx.url,
        ("/", "/search?q=shirt", "/search?q=dress", "/nowhere"),
        posts=[("/basket/lines", form)],
        max_seconds=ROLLING_LOAD_SECONDS,
        max_requests=ROLLING_LOAD_REQUESTS,
    )
    rounds = []
    try:
        load.wait_for(answered=20)  # the site is busy before the first restart
        for _round in range(ROLLING_ROUNDS):
            before = Counter(load.by_method)
            for n, worker in enumerate(api):
                api[n] = restart_worker(workers, worker)
            for n, front in enumerate(fronts):
                assert terminate(front) == 0
                fronts[n] = workers.start_front(*api, url=front.url, env=PATIENT)
                wait_until_ready(fronts[n])
            rounds.append(dict(Counter(load.by_method) - before))
    finally:
        load.stop()
        print(f"\nrolling restarts, answers by round (method, status): {rounds}")
    assert load.errors == []
    assert len(rounds) == ROLLING_ROUNDS
    for answers in rounds:
        assert {key for key in answers if key[1] >= 500} == set(), rounds
        assert answers.get(("GET", 200), 0) > 0, rounds
        assert answers.get(("POST", 303), 0) > 0, rounds


def dropped_before_a_handler(front: Process) -> None:
    """Requests the front drops before any handler runs: a body over its size limit, and a
    client that goes away halfway through sending its body."""
    address = ("127.0.0.1", urlsplit(front.url).port)
    for size in OVERSIZED_BODIES:
        with socket.create_connection(address, timeout=5) as oversized:
            oversized.sendall(
                b"POST /basket/lines HTTP/1.1\r\nHost: shop\r\nContent-Length: %d\r\n\r\n" % size
            )
            assert oversized.recv(100).startswith(b"HTTP/1.1 400")
        with socket.create_connection(address, timeout=5) as gone:
            gone.sendall(
                b"POST /account/login HTTP/1.1\r\nHost: shop\r\nContent-Length: 1000\r\n\r\nemail="
            )
            time.sleep(0.05)  # the front has read the headers, and waits for the rest


def test_requests_dropped_before_a_handler_do_not_hold_up_a_graceful_stop(workers: Processes):
    front = workers.start_front(workers.start_worker())
    dropped_before_a_handler(front)
    assert fetch(front.url + "/healthz").status == 200
    time.sleep(0.2)  # the front has seen the half-sent bodies' connections close
    started = time.monotonic()
    assert terminate(front) == 0
    assert time.monotonic() - started < 3, "the front waited for requests that were dropped"
    assert "still running" not in front.log
