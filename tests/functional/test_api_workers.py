"""The API service as the fronts meet it: real worker processes, real sockets, a real database."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.error
import urllib.request

import pytest
import zmq

from api_client import ApiClient, NotFound
from api_client.http_transport import HttpTransport
from api_client.zmq_transport import ZmqTransport
from contract import catalog_pb2, envelope_pb2

SLOW = "shop.v1.Catalog/GetRelatedProducts"


def zmq_client(*workers) -> ApiClient:
    endpoints = [w.endpoint for w in workers]
    return ApiClient(lambda deliver: ZmqTransport(endpoints, deliver), default_deadline_ms=2000)


def http_client(worker) -> ApiClient:
    return ApiClient(
        lambda deliver: HttpTransport(worker.http_url, deliver), default_deadline_ms=2000
    )


async def first_leaf_slug(client: ApiClient) -> str:
    tree = await client.catalog.GetCategoryTree()
    node = tree.roots[0]
    while node.children:
        node = node.children[0]
    return node.slug


def test_a_slow_call_does_not_hold_back_the_other_four_of_its_batch(workers):
    worker = workers.start_worker(delays=f"{SLOW}=200")

    async def five_calls(client: ApiClient, slug: str):
        batch = client.batch()
        calls = [
            batch.catalog.GetCategoryTree(),
            batch.catalog.ListCategoryProducts(category_slug=slug),
            batch.catalog.GetProduct(id=1),
            batch.search.Suggest(prefix="a"),
        ]
        slow = batch.catalog.GetRelatedProducts(product_id=1)
        await batch
        return calls, slow

    async def scenario():
        client = zmq_client(worker)
        slug = await first_leaf_slug(client)
        # Once to prepare each query on a fresh worker (asyncpg prepares on first use), then
        # measured: what is under test is that no reply waits for another.
        await five_calls(client, slug)
        measured = await five_calls(client, slug)
        await client.close()
        return measured

    calls, slow = asyncio.run(scenario())
    assert all(call.ok for call in [*calls, slow])
    assert slow.duration >= 0.2
    # Each fast reply arrived while the slow call was still running on the worker.
    assert max(call.duration for call in calls) < slow.duration - 0.05
    assert calls[2].result().product.id == 1


def raw_dealer(worker) -> tuple[zmq.Context, zmq.Socket]:
    """A bare DEALER connected to `worker`, as a client of the wire protocol sees it."""
    context = zmq.Context()
    sock = context.socket(zmq.DEALER)
    sock.linger = 0
    sock.rcvtimeo = 5000
    sock.connect(worker.endpoint)
    return context, sock


def test_replies_finished_together_travel_as_one_message_and_a_slow_one_on_its_own(workers):
    worker = workers.start_worker(delays=f"{SLOW}=200")
    get_product = "shop.v1.Catalog/GetProduct"

    def call(call_id: int, method: str = get_product) -> envelope_pb2.Call:
        request = catalog_pb2.GetProductRequest(id=call_id % 5 + 1)
        if method == SLOW:
            request = catalog_pb2.GetRelatedProductsRequest(product_id=1)
        return envelope_pb2.Call(
            id=call_id, method=method, request=request.SerializeToString(), deadline_ms=2000
        )

    def messages(calls: list[envelope_pb2.Call]) -> list[list[tuple[int, int]]]:
        """Send one batch; each message that comes back, as the (call id, status) it holds."""
        sock.send(envelope_pb2.Batch(trace_id="coalesce", calls=calls).SerializeToString())
        received: list[list[tuple[int, int]]] = []
        while sum(len(message) for message in received) < len(calls):
            frames = [envelope_pb2.Reply.FromString(f) for f in sock.recv_multipart()]
            received.append([(reply.call_id, reply.status) for reply in frames])
        return received

    context, sock = raw_dealer(worker)
    try:
        fast = [call(n) for n in range(1, 6)]
        messages(fast)  # the first time from the database: each read may end in its own turn
        # Then from the worker's answer cache: all five are done in one turn of its event loop,
        # so they come back as one message of five frames.
        again = messages([call(n) for n in range(11, 16)])
        assert [sorted(message) for message in again] == [
            [(n, envelope_pb2.OK) for n in range(11, 16)]
        ]
        # A slow call is not waited for: the fast ones come first, the slow one on its own.
        mixed = messages([call(21, SLOW), *(call(n) for n in range(22, 25))])
        assert mixed[-1] == [(21, envelope_pb2.OK)]
        assert sorted(r for message in mixed[:-1] for r in message) == [
            (n, envelope_pb2.OK) for n in range(22, 25)
        ]
    finally:
        sock.close()
        context.term()


def test_killing_one_of_two_workers_leaves_no_call_waiting_past_its_deadline(workers):
    doomed, survivor = workers.start_worker(), workers.start_worker()
    deadline = 0.5

    async def scenario():
        client = zmq_client(doomed, survivor)
        outcomes: list[tuple[float, list[tuple[bool, float]]]] = []
        killed_at = None
        started = time.monotonic()
        while time.monotonic() - started < 2.0:
            if killed_at is None and time.monotonic() - started > 0.5:
                doomed.kill()
                killed_at = time.monotonic()
            batch = client.batch()
            calls = [
                batch.catalog.GetProduct(id=n, deadline_ms=int(deadline * 1000)) for n in (1, 2, 3)
            ]
            sent_at = time.monotonic()
            with __import__("contextlib").suppress(Exception):
                await batch
            outcomes.append((sent_at, [(c.ok, c.duration) for c in calls]))
        await client.close()
        return outcomes, killed_at

    outcomes, killed_at = asyncio.run(scenario())
    assert killed_at is not None
    durations = [duration for _, calls in outcomes for _, duration in calls]
    assert max(durations) < deadline + 0.1, "a call waited past its deadline"
    after_kill = [calls for sent_at, calls in outcomes if sent_at > killed_at]
    assert len(after_kill) > 5
    # Idempotent reads lost with the dead worker were retried on the survivor: nothing failed.
    assert all(ok for calls in after_kill for ok, _ in calls)
    assert all(ok for _, calls in outcomes for ok, _ in calls)


def test_malformed_input_gets_error_replies_and_the_worker_keeps_serving(workers):
    worker = workers.start_worker()
    get_product = "shop.v1.Catalog/GetProduct"
    good_request = catalog_pb2.GetProductRequest(id=1).SerializeToString()

    def batch(*calls):
        return envelope_pb2.Batch(trace_id="evil", calls=calls).SerializeToString()

    sends = [
        ([b"not protobuf \xff\xff"], [(0, envelope_pb2.INVALID_ARGUMENT)]),
        # Each frame of a message is a batch on its own: the bad one is refused, the good served.
        (
            [b"one", batch(envelope_pb2.Call(id=4, method=get_product, request=b"\xff\xff"))],
            [(0, envelope_pb2.INVALID_ARGUMENT), (4, envelope_pb2.INVALID_ARGUMENT)],
        ),
        ([batch()] * 65, [(0, envelope_pb2.INVALID_ARGUMENT)]),
        # (A frame over MAX_FRAME_BYTES gets no reply at all: test_worker_socket.py.)
        (
            [batch(envelope_pb2.Call(id=1, method="shop.v1.Catalog/Explode"))],
            [(1, envelope_pb2.UNIMPLEMENTED)],
        ),
        (
            [batch(envelope_pb2.Call(id=2, method=get_product, request=b"\xff\xff"))],
            [(2, envelope_pb2.INVALID_ARGUMENT)],
        ),
        (
            [
                batch(
                    *[
                        envelope_pb2.Call(id=n, method=get_product, request=good_request)
                        for n in range(10, 110)
                    ]
                )
            ],
            [(n, envelope_pb2.RESOURCE_EXHAUSTED) for n in range(10, 110)],
        ),
        (
            [
                batch(
                    envelope_pb2.Call(
                        id=3,
                        method=get_product,
                        request=catalog_pb2.GetProductRequest(id=10**9).SerializeToString(),
                    )
                )
            ],
            [(3, envelope_pb2.NOT_FOUND)],
        ),
    ]
    context, sock = raw_dealer(worker)
    try:
        for frames, expected in sends:
            sock.send_multipart(frames)
            replies = []
            while len(replies) < len(expected):
                replies += [envelope_pb2.Reply.FromString(f) for f in sock.recv_multipart()]
            assert sorted((r.call_id, r.status) for r in replies) == expected
            assert all(r.error for r in replies)
    finally:
        sock.close()
        context.term()

    async def still_serving():
        client = zmq_client(worker)
        response = await client.catalog.GetProduct(id=1)
        await client.close()
        return response

    assert asyncio.run(still_serving()).product.id == 1
    assert worker.process.poll() is None
    assert worker.log.count("refused") == 4  # one line per bad envelope or batch


def test_the_http_json_transport_gives_the_same_results_as_zeromq(workers):
    worker = workers.start_worker()

    async def fetch(client: ApiClient):
        slug = await first_leaf_slug(client)
        batch = client.batch()
        calls = [
            batch.catalog.GetCategoryTree(),
            batch.catalog.ListCategoryProducts(
                category_slug=slug,
                sort=catalog_pb2.PRODUCT_SORT_PRICE_DESC,
                page={"page": 2, "page_size": 5},
            ),
            batch.catalog.GetProduct(id=3),
            batch.search.SearchProducts(query="a"),
            batch.landings.GetHomePage(at={"seconds": 1_790_000_000}),
        ]
        await batch
        missing = None
        try:
            await client.catalog.GetProduct(id=10**9)
        except NotFound as error:
            missing = error
        await client.close()
        return [call.result() for call in calls], missing

    over_zmq, zmq_missing = asyncio.run(fetch(zmq_client(worker)))
    over_http, http_missing = asyncio.run(fetch(http_client(worker)))
    assert over_zmq == over_http
    assert over_zmq[1].page.page == 2
    assert type(zmq_missing) is type(http_missing) is NotFound
    assert str(zmq_missing) == str(http_missing)


def post_json(url: str, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize(
    ("path", "body", "status", "error_status"),
    [
        ("/api/v1/catalog/GetProduct", b'{"id": "1000000000"}', 404, "NOT_FOUND"),
        ("/api/v1/catalog/GetProduct", b'{"id": "one"}', 400, "INVALID_ARGUMENT"),
        ("/api/v1/catalog/GetProduct", b'{"colour": 1}', 400, "INVALID_ARGUMENT"),
        ("/api/v1/catalog/GetProduct", b"\xff\xfe", 400, "INVALID_ARGUMENT"),
        ("/api/v1/catalog/Explode", b"{}", 404, "UNIMPLEMENTED"),
        ("/api/v1/nothing/GetProduct", b"{}", 404, "UNIMPLEMENTED"),
        (
            "/api/v1/catalog/ListCategoryProducts",
            b'{"categorySlug": "no-such-category"}',
            404,
            "NOT_FOUND",
        ),
    ],
)
def test_the_http_json_api_answers_bad_requests_with_a_status_and_a_message(
    workers, path, body, status, error_status
):
    worker = workers.start_worker()
    code, document = post_json(worker.http_url + path, body)
    assert code == status
    assert document["error"]["status"] == error_status
    assert document["error"]["message"]


def test_the_http_json_api_uses_protobufs_json_mapping(workers):
    worker = workers.start_worker()
    code, document = post_json(worker.http_url + "/api/v1/catalog/GetProduct", b'{"id": 1}')
    assert code == 200
    product = document["product"]
    assert product["id"] == "1"  # uint64 travels as a string in protobuf's JSON mapping
    assert set(product["price"]) == {"amount", "currency"}
    assert "categoryId" in product


def test_a_trace_id_travels_with_the_batch_into_both_sides_logs(workers, caplog):
    caplog.set_level(logging.DEBUG, "vitrine.api_client")
    worker = workers.start_worker()

    async def scenario():
        client = zmq_client(worker)
        batch = client.batch("feedc0ffee123456")
        batch.catalog.GetProduct(id=1)
        batch.catalog.GetCategoryTree()
        await batch
        await client.close()

    asyncio.run(scenario())
    assert "send trace=feedc0ffee123456 calls=GetProduct,GetCategoryTree" in caplog.text
    deadline = time.monotonic() + 5
    while "trace=feedc0ffee123456" not in worker.log and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "batch trace=feedc0ffee123456 calls=2 statuses=OK:2" in worker.log
