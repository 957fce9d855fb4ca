"""What an operator sees of each process: /healthz, /readyz, Prometheus metrics, JSON logs."""

from __future__ import annotations

import json
import re
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.functional.pages import catalogue_facts, fetch
from tests.processes import Process, Processes, free_port


def metrics_port() -> tuple[dict[str, str], str]:
    """The environment that gives a process its own metrics port, and that page's URL."""
    port = free_port()
    return {"VITRINE_METRICS_PORT": str(port)}, f"http://127.0.0.1:{port}/metrics"


def metric(url: str, name: str, **labels: str) -> float:
    """One sample from a Prometheus text page (0 when it is not there yet)."""
    text = fetch(url).body
    for line in text.splitlines():
        sample, _, value = line.rpartition(" ")
        if sample.split("{")[0] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', sample))
        if all(found.get(key) == wanted for key, wanted in labels.items()):
            return float(value)
    return 0.0


def json_lines(process: Process) -> list[dict[str, Any]]:
    return [json.loads(line) for line in process.log.splitlines() if line.startswith("{")]


def test_healthz_answers_without_the_api_and_readyz_asks_it(workers: Processes):
    front = workers.start_front(endpoints=f"tcp://127.0.0.1:{free_port()}")  # no worker there
    health = fetch(front.url + "/healthz")
    assert (health.status, json.loads(health.body)) == (200, {"status": "ok"})
    started = time.monotonic()
    ready = fetch(front.url + "/readyz")
    # Fails fast: its calls have a 500 ms deadline, far below the 10 s the fetch would wait.
    assert time.monotonic() - started < 5
    assert ready.status == 503
    assert json.loads(ready.body) == {
        "status": "not ready",
        "api": "UNAVAILABLE",
        "database": "UNAVAILABLE",
    }
    assert ready.headers["Cache-Control"] == "no-store"


def test_readyz_is_ready_when_a_worker_and_its_database_answer(workers: Processes):
    front = workers.start_front(workers.start_worker())
    ready = fetch(front.url + "/readyz")
    assert (ready.status, json.loads(ready.body)) == (
        200,
        {"status": "ready", "api": "ok", "database": "ok"},
    )


def test_the_in_flight_gauge_counts_a_request_while_it_is_being_answered(workers: Processes):
    front_env, front_metrics = metrics_port()
    worker = workers.start_worker(delays="shop.v1.Landings/GetHomePage=700")
    front = workers.start_front(worker, env=front_env)
    gauge = "vitrine_front_requests_in_flight"
    assert metric(front_metrics, gauge) == 0
    with ThreadPoolExecutor(max_workers=1) as pool:
        home = pool.submit(fetch, front.url + "/")
        deadline = time.monotonic() + 0.6  # the home page's call takes 0.7 s
        while metric(front_metrics, gauge) != 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert metric(front_metrics, gauge) == 1
        assert home.result().status == 200
    assert metric(front_metrics, gauge) == 0


def test_readyz_says_when_the_database_does_not_answer(workers: Processes):
    worker = workers.start_worker(faults="shop.v1.Operations/CheckDatabase=UNAVAILABLE")
    ready = fetch(workers.start_front(worker).url + "/readyz")
    assert ready.status == 503
    assert json.loads(ready.body)["database"] == "UNAVAILABLE"
    assert json.loads(ready.body)["api"] == "ok"


def test_fronts_and_workers_export_prometheus_metrics_on_their_own_ports(workers: Processes):
    worker_env, worker_metrics = metrics_port()
    front_env, front_metrics = metrics_port()
    front = workers.start_front(workers.start_worker(env=worker_env), env=front_env)
    for _ in range(2):
        assert fetch(front.url + "/").status == 200
    assert fetch(front.url + "/metrics").status == 404  # never on the public port
    requests = metric(
        front_metrics,
        "vitrine_front_requests_total",
        route="HomePageHandler",
        method="GET",
        status="200",
    )
    assert requests == 2
    assert (
        metric(front_metrics, "vitrine_front_request_seconds_count", route="HomePageHandler") == 2
    )
    home = "shop.v1.Landings/GetHomePage"
    assert metric(front_metrics, "vitrine_api_calls_total", method=home, status="OK") == 2
    assert metric(front_metrics, "vitrine_api_call_seconds_count", method=home) == 2
    assert metric(front_metrics, "vitrine_api_batch_calls_count") >= 2
    assert metric(worker_metrics, "vitrine_worker_calls_total", method=home, status="OK") == 2
    # The second home page came from the worker's answer cache.
    assert (
        metric(worker_metrics, "vitrine_worker_answer_cache_total", method=home, result="hit") == 1
    )
    assert metric(worker_metrics, "vitrine_worker_batch_calls_count") >= 2
    # The second home page had the same replies: its HTML was reused, not rendered again.
    pages = "vitrine_front_rendered_pages_total"
    assert metric(front_metrics, pages, result="rendered") == 1
    assert metric(front_metrics, pages, result="reused") == 1
    assert metric(front_metrics, "vitrine_front_rendered_pages_kept") == 1
    assert 1_000 < metric(front_metrics, "vitrine_front_rendered_pages_kept_bytes") < 100_000


def test_a_retry_on_another_worker_is_counted(workers: Processes, database: dict[str, str]):
    front_env, front_metrics = metrics_port()
    # An optional call the front does not keep (SharedAnswers keeps the navigation once it
    # has it): a page never fails with it, whichever worker its retry finds connected.
    related = "shop.v1.Catalog/GetRelatedProducts"
    failing = workers.start_worker(faults=f"{related}=UNAVAILABLE")
    front = workers.start_front(failing, workers.start_worker(), env=front_env)
    facts = catalogue_facts(database)
    product = f"{front.url}/p/{facts.product_id}/{facts.product_slug}"
    for _ in range(6):
        assert fetch(product).status == 200
    assert (
        metric(front_metrics, "vitrine_api_retries_total", method=related, reason="unavailable")
        >= 1
    )


def test_one_json_line_per_request_and_the_same_trace_id_in_the_workers_lines(
    workers: Processes,
):
    worker = workers.start_worker()
    front = workers.start_front(worker)
    trace = secrets.token_hex(16)
    assert fetch(front.url + "/search?q=shirt", {"X-Request-Id": trace}).status == 200
    deadline = time.monotonic() + 5
    # Each process writes its line just after answering: wait for both.
    while not (trace in worker.log and trace in front.log) and time.monotonic() < deadline:
        time.sleep(0.05)
    requests = [line for line in json_lines(front) if line.get("trace") == trace]
    assert len(requests) == 1
    assert requests[0]["logger"] == "vitrine.access"
    assert requests[0]["status"] == 200
    assert requests[0]["path"] == "/search?q=shirt"
    assert requests[0]["route"] == "SearchPageHandler"
    assert requests[0]["ms"] > 0
    batches = [line for line in json_lines(worker) if line.get("trace") == trace]
    assert len(batches) == 1
    assert batches[0]["calls"] >= 2
    assert "shop.v1.Search/SearchProducts" in batches[0]["methods"]
