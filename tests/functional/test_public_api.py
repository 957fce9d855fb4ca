"""The JSON API's public face as an attacker, an app and an operator meet it: through the
repository's nginx.conf under /api/v1/, in front of real workers.

Each test calls from loopback addresses of its own (127.0.0.x as the connection's source):
nginx passes that address as X-Real-IP, the per-address limits count it, and tests do not lock
each other out.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.functional.pages import confirmation_path, wait_for_registration_mail
from tests.processes import Process, Processes, WorkerProcess, free_port

PASSWORD = "correct horse battery"
INTERNAL_METHODS = (
    "operations/Ping",
    "operations/CheckDatabase",
    "operations/ListWorkers",
    "catalog/ListProductLinks",
    "catalog/ListFeedItems",
)


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: dict[str, Any]


def call(
    base: str,
    method: str,
    request: dict[str, Any],
    *,
    source: str = "127.0.0.1",
    headers: dict[str, str] | None = None,
) -> Answer:
    """POST one JSON call to `base`/api/v1/`method`, connecting from the address `source`."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port, timeout=15, source_address=(source, 0)
    )
    try:
        connection.request(
            "POST",
            f"/api/v1/{method}",
            body=json.dumps(request),
            # Hashing a password takes a while on a busy test machine: past the default 1 s.
            headers={
                "Content-Type": "application/json",
                "X-Deadline-Ms": "10000",
                **(headers or {}),
            },
        )
        response = connection.getresponse()
        return Answer(response.status, response.headers, json.loads(response.read() or b"{}"))
    finally:
        connection.close()


@dataclass
class Edge:
    """nginx in front of a front and of workers' public face; the workers behind it."""

    nginx: Process
    worker: WorkerProcess
    outbox: Path

    def call(self, method: str, request: dict[str, Any], **kwargs: Any) -> Answer:
        return call(self.nginx.url, method, request, **kwargs)

    def account(self, email: str, source: str) -> str:
        """Register `email` through the public face, follow the emailed link; its session."""
        asked = self.call(
            "auth/Register", {"email": email, "password": PASSWORD, "name": "Ada"}, source=source
        )
        assert (asked.status, asked.body) == (200, {})
        token = confirmation_path(wait_for_registration_mail(self.outbox, email)).split("/")[-1]
        confirmed = self.call("auth/ConfirmRegistration", {"token": token}, source=source)
        assert confirmed.status == 200, confirmed.body
        return str(confirmed.body["session"]["token"])


def start_edge(processes: Processes, outbox: Path, *, public_port: int = 0) -> Edge:
    trusted = {"VITRINE_TRUSTED_PROXIES": "127.0.0.1"}
    worker = processes.start_worker(env=trusted, public_port=public_port)
    front = processes.start_front(worker, env=trusted)
    return Edge(processes.start_nginx(front, api=worker), worker, outbox)


@pytest.fixture(scope="module")
def processes(
    database: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Processes, Path]]:
    tmp = tmp_path_factory.mktemp("public-api")
    outbox = tmp / "outbox"
    started = Processes({**database, "VITRINE_OUTBOX_DIR": str(outbox)}, tmp)
    try:
        yield started, outbox
    finally:
        started.stop_all()


@pytest.fixture(scope="module")
def edge(processes: tuple[Processes, Path]) -> Edge:
    return start_edge(*processes)


def test_public_methods_answer_through_nginx(edge):
    tree = edge.call("catalog/GetCategoryTree", {})
    assert tree.status == 200
    assert tree.body["roots"]
    assert tree.headers["Content-Type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize("method", INTERNAL_METHODS)
def test_internal_methods_are_refused_through_nginx_as_unknown_ones(edge, method):
    refused = edge.call(method, {})
    unknown = edge.call("operations/NoSuchMethod", {})
    assert refused.status == unknown.status == 404
    assert refused.body == {"error": {"status": "UNIMPLEMENTED", "message": f"no method {method}"}}
    assert unknown.body["error"]["status"] == "UNIMPLEMENTED"
    # The workers' internal listener, never proxied, still answers them (fronts, operators).
    assert call(edge.worker.http_url, method, {}).status == 200


def test_other_paths_under_the_api_answer_json_404(edge):
    parts = urlsplit(edge.nginx.url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=15)
    connection.request("GET", "/api/v1/")
    response = connection.getresponse()
    assert response.status == 404
    assert json.loads(response.read())["error"]["status"] == "NOT_FOUND"
    connection.close()


def test_rotating_client_address_in_the_body_does_not_skip_the_log_in_limit(edge):
    for n in range(5):
        failed = edge.call(
            "auth/LogIn",
            {
                "email": f"guess{n}@example.com",
                "password": "wrong one!",
                "clientAddress": f"10.9.{n}.1",
            },
            source="127.0.0.2",
        )
        assert failed.status == 401
    for body_address in ("10.9.99.1", ""):
        refused = edge.call(
            "auth/LogIn",
            {
                "email": "guess9@example.com",
                "password": "wrong one!",
                "clientAddress": body_address,
            },
            source="127.0.0.2",
        )
        assert refused.status == 429
        assert refused.body["error"]["status"] == "RESOURCE_EXHAUSTED"
        assert "Too many failed log-ins" in refused.body["error"]["message"]
        assert 800 < int(refused.headers["Retry-After"]) <= 900
    # Another caller, whatever address its body claims, is not held.
    other = edge.call(
        "auth/LogIn",
        {"email": "guess0@example.com", "password": "wrong one!", "clientAddress": "127.0.0.2"},
        source="127.0.0.3",
    )
    assert other.status == 401


def test_x_real_ip_is_believed_from_nginx_only(edge):
    """A caller reaching the public face directly (not from VITRINE_TRUSTED_PROXIES) cannot
    name its address in X-Real-IP either."""
    for n in range(5):
        failed = call(
            edge.worker.public_url,
            "auth/LogIn",
            {"email": f"direct{n}@example.com", "password": "wrong one!"},
            source="127.0.0.4",
            headers={"X-Real-IP": f"10.7.{n}.1"},
        )
        assert failed.status == 401
    refused = call(
        edge.worker.public_url,
        "auth/LogIn",
        {"email": "direct9@example.com", "password": "wrong one!"},
        source="127.0.0.4",
        headers={"X-Real-IP": "10.7.99.1"},
    )
    assert refused.status == 429


def test_five_failures_for_one_account_answer_429_with_retry_after(edge):
    email = "locked-account@example.com"
    edge.account(email, source="127.0.0.10")
    for n in range(5):  # from five addresses
        wrong = {"email": email, "password": "not the password"}
        assert edge.call("auth/LogIn", wrong, source=f"127.0.0.{11 + n}").status == 401
    right = edge.call("auth/LogIn", {"email": email, "password": PASSWORD}, source="127.0.0.16")
    assert right.status == 429
    assert int(right.headers["Retry-After"]) > 0


def test_the_limit_holds_across_two_workers_behind_two_edges(processes, edge):
    """Two nginx, each in front of its own worker, over one database: failures spread over
    both still count as one."""
    other = start_edge(*processes, public_port=free_port())
    email = "two-edges@example.com"
    edge.account(email, source="127.0.0.30")
    for n in range(5):
        through = (edge, other)[n % 2]
        wrong = {"email": email, "password": "not the password"}
        assert through.call("auth/LogIn", wrong, source=f"127.0.0.{31 + n}").status == 401
    for through in (edge, other):
        right = {"email": email, "password": PASSWORD}
        assert through.call("auth/LogIn", right, source="127.0.0.36").status == 429


def test_registration_answers_the_same_for_a_taken_email(edge):
    edge.account("taken@example.com", source="127.0.0.40")
    taken = edge.call(
        "auth/Register",
        {"email": "TAKEN@example.com", "password": "another long one", "name": "Eve"},
        source="127.0.0.41",
    )
    new = edge.call(
        "auth/Register",
        {"email": "brand-new@example.com", "password": "another long one", "name": "Eve"},
        source="127.0.0.41",
    )
    assert (taken.status, taken.body) == (new.status, new.body) == (200, {})


def test_common_passwords_are_refused_with_a_message(edge):
    answer = edge.call(
        "auth/Register",
        {"email": "common@example.com", "password": "password123", "name": "Ada"},
        source="127.0.0.50",
    )
    assert answer.status == 200
    assert answer.body["fieldErrors"] == [
        {
            "field": "password",
            "message": "This is one of the most common passwords, so it is among the first to "
            "be guessed. Choose another.",
        }
    ]


def test_registrations_from_one_caller_are_limited_whatever_the_body_says(edge):
    for n in range(5):
        asked = edge.call(
            "auth/Register",
            {
                "email": f"many{n}@example.com",
                "password": PASSWORD,
                "name": "Ada",
                "clientAddress": f"10.8.{n}.1",
            },
            source="127.0.0.60",
        )
        assert asked.status == 200
    refused = edge.call(
        "auth/Register",
        {"email": "many9@example.com", "password": PASSWORD, "name": "Ada"},
        source="127.0.0.60",
    )
    assert refused.status == 429
    assert "Too many registrations" in refused.body["error"]["message"]
    assert 3500 < int(refused.headers["Retry-After"]) <= 3600


def test_the_session_comes_from_the_bearer_header_never_the_body(edge):
    token = edge.account("bearer@example.com", source="127.0.0.70")
    bearer = {"Authorization": f"Bearer {token}"}

    mine = edge.call("auth/GetSession", {}, headers=bearer)
    assert mine.status == 200
    assert mine.body["user"]["email"] == "bearer@example.com"
    in_body = edge.call("auth/GetSession", {"sessionToken": token})
    assert in_body.status == 401
    assert in_body.body["error"]["status"] == "UNAUTHENTICATED"
    malformed = edge.call("auth/GetSession", {}, headers={"Authorization": f"Basic {token}"})
    assert malformed.status == 401
    assert malformed.headers["WWW-Authenticate"] == "Bearer"
    orders = edge.call("orders/ListOrders", {}, headers=bearer)
    assert orders.status == 200
