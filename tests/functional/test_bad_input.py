"""What an attacker's odd input gets: a 400 that says what was wrong, never a 500.

Numbers a browser never sends (`²` passes `str.isdigit()` and fails `int()`; `٣` is a 3 to
`int()`), a NUL in a file name, a deadline header no client writes; and a script that asks for
JSON gets its errors in JSON, not an HTML page."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import pytest

from tests.functional.pages import Facts, Shopper, catalogue_facts, product_option, xsrf_field
from tests.functional.test_basket import basket_quantities
from tests.processes import Process, Processes, WorkerProcess

# Superscript two, Arabic-Indic three, fullwidth one, and more digits than int() takes.
ODD_NUMBERS = ["\u00b2", "\u0663", "\uff11", "1" * 5000]


@dataclass
class Stack:
    front: Process
    worker: WorkerProcess
    facts: Facts

    def shopper(self) -> Shopper:
        return Shopper(self.front.url)


@pytest.fixture(scope="module")
def stack(database: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    processes = Processes(database, tmp_path_factory.mktemp("bad-input"))
    try:
        worker = processes.start_worker()
        yield Stack(processes.start_front(worker), worker, catalogue_facts(database))
    finally:
        processes.stop_all()


def raw_request(
    url: str, method: str, path: str, headers: dict[str, bytes | str], body: bytes = b""
) -> tuple[int, str, str]:
    """Status, Content-Type and body, with header values sent byte for byte as given."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.putrequest(method, path)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read().decode()
    finally:
        connection.close()


@pytest.mark.parametrize("number", ODD_NUMBERS)
@pytest.mark.parametrize("listing", ["/search?q=shirt&", "/c/{leaf}?", "/filter/{leaf}?colour=x&"])
def test_an_odd_page_number_is_a_400_with_a_message(stack, listing, number):
    path = listing.format(leaf=stack.facts.leaf_slug) + f"page={quote(number)}"
    page = stack.shopper().request(path)
    assert page.status == 400
    assert "Page must be a whole number from 1 to 10000." in page.body


@pytest.mark.parametrize("number", ODD_NUMBERS)
@pytest.mark.parametrize("field", ["quantity", "variant_id"])
def test_an_odd_number_in_the_basket_form_is_a_400_and_changes_nothing(stack, field, number):
    shopper = stack.shopper()
    variant = product_option(shopper, stack.facts)
    shopper.request("/basket/lines", {"variant_id": variant, "quantity": "1"})
    form = {"variant_id": variant, "quantity": "1", field: number}
    answer = shopper.request("/basket/lines", form)
    assert answer.status == 400
    assert "Quantity must be a whole number" in answer.body or "Choose an option" in answer.body
    changed = shopper.request(f"/basket/lines/{variant}", {"quantity": form[field]})
    assert changed.status in (400, 403)
    assert basket_quantities(shopper) == [1]


def test_a_script_gets_a_bad_quantity_refused_in_json(stack):
    shopper = stack.shopper()
    variant = product_option(shopper, stack.facts)
    answer = shopper.request(
        "/basket/lines",
        {"variant_id": variant, "quantity": "\u00b2"},
        headers={"Accept": "application/json"},
    )
    assert answer.status == 400
    assert answer.headers["Content-Type"].startswith("application/json")
    assert json.loads(answer.body)["error"] == "Quantity must be a whole number from 1 to 99."


@pytest.mark.parametrize(
    "headers",
    [{"Accept": "application/json"}, {"Content-Type": "application/json"}],
    ids=["accept", "json-body"],
)
def test_a_json_request_gets_its_errors_in_json(stack, headers):
    shopper = stack.shopper()
    refused = shopper.request("/account/login", {"email": "a@example.com"}, headers=headers)
    assert refused.status == 403
    assert refused.headers["Content-Type"].startswith("application/json")
    assert json.loads(refused.body)["status"] == 403
    bad_page = shopper.request("/search?q=shirt&page=%C2%B2", headers=headers)
    assert bad_page.status == 400
    assert json.loads(bad_page.body)["error"].startswith("Page must be a whole number")


@pytest.mark.parametrize("path", ["/static/site.css%00", "/static/%00", "/static/a%00b/c.js"])
def test_a_nul_in_a_file_name_is_a_400(stack, path):
    status, _, body = raw_request(stack.front.url, "GET", path, {})
    assert status == 400
    assert "Traceback" not in body


@pytest.mark.parametrize("deadline", [b"\xb2", b"\xd9\xa3", b"1" * 5000, b"-5", b"1e3"])
def test_the_json_api_refuses_an_odd_deadline_header_with_a_400(stack, deadline):
    status, content_type, body = raw_request(
        stack.worker.http_url,
        "POST",
        "/api/v1/catalog/GetCategoryTree",
        {"Content-Type": "application/json", "X-Deadline-Ms": deadline},
        b"{}",
    )
    assert status == 400
    assert content_type.startswith("application/json")
    error = json.loads(body)["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert "X-Deadline-Ms" in error["message"]


def test_the_json_api_still_takes_a_plain_deadline(stack):
    status, _, body = raw_request(
        stack.worker.http_url,
        "POST",
        "/api/v1/catalog/GetCategoryTree",
        {"Content-Type": "application/json", "X-Deadline-Ms": b" 900 "},
        b"{}",
    )
    assert status == 200
    assert json.loads(body)["roots"]


@pytest.mark.parametrize("path", ["/checkout", "/checkout/review"])
def test_a_post_to_a_checkout_page_without_a_form_is_a_405(stack, path):
    """Found by the fuzz suite: these pages have no form, and a POST to them was a 500."""
    shopper = stack.shopper()
    token = xsrf_field(shopper.request("/account/login"))
    answer = shopper.request(path, {"_xsrf": token})
    assert answer.status == 405
