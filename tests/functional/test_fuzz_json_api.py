"""The workers' HTTP JSON API, fuzzed: every method of the contract (read from it, so a new one
is fuzzed too) with hostile JSON built on its request's own field names, garbage bodies and
odd headers, gets a JSON answer below 500, and the worker lives on."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract import METHODS_BY_SERVICE_ATTR, Method
from tests.functional.fuzzing import (
    HEADER_TEXT,
    HOSTILE_TEXT,
    Tally,
    fuzz_settings,
    report,
    seeded_database,
    send,
)
from tests.processes import Processes, WorkerProcess

EXAMPLES_PER_METHOD = 8
EXAMPLES_OF_UNKNOWN_PATHS = 20
METHODS = [method for methods in METHODS_BY_SERVICE_ATTR.values() for method in methods.values()]
PATHS = {
    method.full_name: f"/api/v1/{service}/{name}"
    for service, methods in METHODS_BY_SERVICE_ATTR.items()
    for name, method in methods.items()
}


@dataclass
class Stack:
    worker: WorkerProcess
    tally: Tally


@pytest.fixture(scope="module")
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    directory = tmp_path_factory.mktemp("fuzz-json-api")
    processes = Processes(seeded_database(directory), directory)
    tally = Tally("json api")
    try:
        yield Stack(processes.start_worker(), tally)
    finally:
        report(request, tally)
        processes.stop_all()


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    HOSTILE_TEXT,
    st.sampled_from(["1", "-1", "18446744073709551616", "NaN", "Infinity", "1e400", "\u00b2"]),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def field_names(method: Method) -> list[str]:
    fields = method.request_class.DESCRIPTOR.fields
    return [f.json_name for f in fields] + [f.name for f in fields] or ["x"]


def bodies(method: Method) -> st.SearchStrategy[bytes]:
    shaped = st.dictionaries(st.sampled_from(field_names(method)), JSON_VALUES, max_size=5)
    return st.one_of(
        shaped.map(lambda value: json.dumps(value).encode()),
        JSON_VALUES.map(lambda value: json.dumps(value).encode()),
        st.binary(max_size=200),
        st.sampled_from([b"", b"{", b"[]", b"null", b'{"a":' * 200, b"\xff\xfe{}"]),
    )


# Deadlines a client might send, but none so short that a busy machine would make a correct
# answer a 504: this suite looks for crashes, not for timeouts.
NOT_A_NUMBER = HEADER_TEXT.filter(lambda value: not re.fullmatch(r"[ \t]*[0-9]+[ \t]*", value))
DEADLINES = st.one_of(NOT_A_NUMBER, st.integers(2000, 2**70).map(str))
HEADERS = st.lists(
    st.one_of(
        st.tuples(st.just("X-Deadline-Ms"), DEADLINES),
        # A deadline as a wall-clock time (a worker may read one): only what is no number.
        st.tuples(st.just("X-Deadline-At-Ms"), NOT_A_NUMBER),
        st.tuples(
            st.sampled_from(["X-Trace-Id", "Content-Type", "Accept", "Content-Encoding"]),
            HEADER_TEXT,
        ),
    ),
    max_size=3,
)


def check(stack: Stack, target: str, headers: list, body: bytes, *, known: bool = True) -> None:
    answer = send(stack.worker.http_url, "POST", target, headers, body)
    stack.tally.count(answer.status)
    assert answer.status < 500, (
        target,
        headers,
        body[:300],
        answer.body[:300],
        stack.worker.log[-3000:],
    )
    if known:  # an unknown path gets Tornado's plain 404 page (left as it is)
        assert answer.headers.get("Content-Type", "").startswith("application/json")
        json.loads(answer.body)


@pytest.mark.parametrize("method", METHODS, ids=lambda method: method.full_name)
def test_fuzzed_calls_to_every_json_api_method_get_no_5xx(stack, method):
    @fuzz_settings(EXAMPLES_PER_METHOD)
    @given(body=bodies(method), headers=HEADERS)
    def fuzz(body: bytes, headers: list) -> None:
        check(stack, PATHS[method.full_name], headers, body)

    fuzz()
    assert stack.worker.process.poll() is None


@fuzz_settings(EXAMPLES_OF_UNKNOWN_PATHS)
@given(
    service=st.sampled_from([*METHODS_BY_SERVICE_ATTR, "x"]) | HOSTILE_TEXT,
    name=HOSTILE_TEXT,
    body=st.binary(max_size=100),
)
def test_fuzzed_paths_of_the_json_api_get_no_5xx(stack, service, name, body):
    target = f"/api/v1/{quote(service, safe='')}/{quote(name, safe='')}"
    check(stack, target, [], body, known=bool(re.fullmatch(r"/api/v1/[a-z_]+/[A-Za-z]+", target)))


def test_the_worker_outlives_the_fuzzing(stack):
    assert stack.worker.process.poll() is None
    answer = send(stack.worker.http_url, "POST", "/api/v1/catalog/GetCategoryTree", [], b"{}")
    assert answer.status == 200
    assert json.loads(answer.body)["roots"]
