"""Descriptor-driven dispatch, deadlines and envelope framing, without sockets."""

from __future__ import annotations

import asyncio
import time
import types
from datetime import UTC, datetime

import prometheus_client
import pytest

from api.answers import Answer, AnswerCache
from api.cache import TtlCache
from api.context import CallContext
from api.dispatch import Dispatcher, MissingImplementationError, find_implementations
from api.router import MAX_CALLS_PER_BATCH, RouterServer
from api_client import NotFound
from contract import MAX_BATCHES_PER_MESSAGE, METHODS, catalog_pb2, envelope_pb2
from vitrine.config import Settings

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
GET_PRODUCT = "shop.v1.Catalog/GetProduct"


def context(trace_id: str, now: datetime, expires_at: float) -> CallContext:
    return CallContext(
        db=None,
        settings=Settings(),
        cache=TtlCache(),  # type: ignore[arg-type]
        trace_id=trace_id,
        now=now,
        expires_at=expires_at,
    )


async def get_product(ctx: CallContext, request: catalog_pb2.GetProductRequest) -> object:
    if request.id == 404:
        raise NotFound(f"no product {request.id}")
    if request.id == 500:
        raise RuntimeError("secret internals")
    if request.id == 999:
        await asyncio.sleep(5)
    if request.id == 13:
        return catalog_pb2.GetRelatedProductsResponse()  # the wrong type
    return catalog_pb2.ProductResponse(product=catalog_pb2.Product(id=request.id, sku=ctx.trace_id))


def dispatcher(**kwargs: object) -> Dispatcher:
    return Dispatcher({GET_PRODUCT: get_product}, context, default_deadline_ms=100, **kwargs)


def run_call(d: Dispatcher, method: str, request: bytes, deadline_ms: int = 0) -> object:
    call = envelope_pb2.Call(id=5, method=method, request=request, deadline_ms=deadline_ms)
    return asyncio.run(d.run_call(call, trace_id="t-1", now=NOW))


def product_request(product_id: int) -> bytes:
    return catalog_pb2.GetProductRequest(id=product_id).SerializeToString()


def test_every_declared_method_has_an_implementation_found_by_name():
    found = find_implementations()
    assert set(found) == set(METHODS)
    assert found[GET_PRODUCT].__module__ == "api.services.catalog"
    assert found[GET_PRODUCT].__name__ == "get_product"


def test_a_declared_method_without_implementation_stops_the_worker_from_starting():
    method = METHODS[GET_PRODUCT]
    ghost = types.SimpleNamespace(
        full_name="shop.v1.Catalog/GetGhost", service_attr="catalog", function_name="get_ghost"
    )
    with pytest.raises(
        MissingImplementationError, match=r"GetGhost -> api\.services\.catalog\.get_ghost"
    ):
        find_implementations({GET_PRODUCT: method, "ghost": ghost})  # type: ignore[dict-item]


def test_a_call_is_decoded_run_and_answered_with_the_trace_id():
    reply = run_call(dispatcher(), GET_PRODUCT, product_request(7))
    assert reply.status == envelope_pb2.OK
    assert reply.call_id == 5
    assert reply.trace_id == "t-1"
    product = catalog_pb2.ProductResponse.FromString(reply.response).product
    assert (product.id, product.sku) == (7, "t-1")


@pytest.mark.parametrize(
    ("method", "request_bytes", "status", "error"),
    [
        (
            "shop.v1.Catalog/Nope",
            b"",
            envelope_pb2.UNIMPLEMENTED,
            "unknown method 'shop.v1.Catalog/Nope'",
        ),
        (
            GET_PRODUCT,
            b"\xff\xff\xff",
            envelope_pb2.INVALID_ARGUMENT,
            "request does not parse as shop.v1.GetProductRequest",
        ),
        (GET_PRODUCT, product_request(404), envelope_pb2.NOT_FOUND, "no product 404"),
        (GET_PRODUCT, product_request(500), envelope_pb2.INTERNAL, "internal error (trace t-1)"),
        (GET_PRODUCT, product_request(13), envelope_pb2.INTERNAL, "internal error (trace t-1)"),
    ],
)
def test_bad_calls_get_a_status_and_a_reason_never_a_traceback(
    method, request_bytes, status, error
):
    reply = run_call(dispatcher(), method, request_bytes)
    assert (reply.status, reply.error) == (status, error)
    assert reply.response == b""


def test_a_slow_method_is_cut_off_at_the_callers_deadline():
    async def scenario():
        d = dispatcher()
        call = envelope_pb2.Call(
            id=1, method=GET_PRODUCT, request=product_request(999), deadline_ms=50
        )
        loop = asyncio.get_running_loop()
        started = loop.time()
        reply = await d.run_call(call, trace_id="t", now=NOW)
        return reply, loop.time() - started

    reply, took = asyncio.run(scenario())
    assert reply.status == envelope_pb2.DEADLINE_EXCEEDED
    assert 0.05 <= took < 1


def test_a_call_whose_caller_already_gave_up_is_not_run():
    """A worker stalled (SIGSTOP) past a caller's deadline finds the call in its queue when it
    resumes: it answers DEADLINE_EXCEEDED without running it (a write would land unseen)."""
    ran: list[int] = []

    async def record(ctx: CallContext, request: catalog_pb2.GetProductRequest) -> object:
        ran.append(request.id)
        return catalog_pb2.ProductResponse()

    d = Dispatcher({GET_PRODUCT: record}, context, default_deadline_ms=100)
    late = envelope_pb2.Call(
        id=1,
        method=GET_PRODUCT,
        request=product_request(7),
        deadline_ms=5000,  # relative: would still look fresh to the resumed worker
        deadline_unix_ms=int(time.time() * 1000) - 1,
    )
    reply = asyncio.run(d.run_call(late, trace_id="t", now=NOW))
    assert reply.status == envelope_pb2.DEADLINE_EXCEEDED
    assert "deadline had passed" in reply.error
    assert ran == []
    on_time = envelope_pb2.Call(
        id=2,
        method=GET_PRODUCT,
        request=product_request(8),
        deadline_ms=5000,
        deadline_unix_ms=int(time.time() * 1000) + 5000,
    )
    assert asyncio.run(d.run_call(on_time, trace_id="t", now=NOW)).status == envelope_pb2.OK
    assert ran == [8]


def test_the_delay_knob_slows_one_method_within_its_deadline():
    reply = run_call(
        dispatcher(delays_ms={GET_PRODUCT: 200}), GET_PRODUCT, product_request(1), deadline_ms=100
    )
    assert reply.status == envelope_pb2.DEADLINE_EXCEEDED
    reply = run_call(dispatcher(delays_ms={GET_PRODUCT: 20}), GET_PRODUCT, product_request(1))
    assert reply.status == envelope_pb2.OK


class FakeRouterSocket:
    linger = 0

    def __init__(self) -> None:
        self.sent: list[list[bytes]] = []
        self.options: dict[int, object] = {}

    def setsockopt(self, option: int, value: object) -> None:
        self.options[option] = value

    def get_monitor_socket(self, _events: int) -> None:
        return None

    def bind(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def getsockopt_string(self, _option: int) -> str:
        return self.endpoint

    def send_multipart(self, frames: list[bytes]) -> asyncio.Future[None]:
        self.sent.append(frames)
        sent: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        sent.set_result(None)
        return sent

    def close(self, linger: int = 0) -> None:
        pass


def framing(frames: list[bytes]) -> list[tuple[bytes, object]]:
    """Feed one incoming ZeroMQ message to a ROUTER server and collect what it answers."""
    sock = FakeRouterSocket()
    fake_context = types.SimpleNamespace(socket=lambda _kind: sock)

    async def scenario():
        server = RouterServer(dispatcher(), "tcp://127.0.0.1:1", fake_context)  # type: ignore[arg-type]
        server._take_message(frames)
        await server.close()

    asyncio.run(scenario())
    return [
        (identity, envelope_pb2.Reply.FromString(body))
        for identity, *bodies in sock.sent
        for body in bodies
    ]


def batch_frame(*calls: object, trace_id: str = "t-9") -> bytes:
    return envelope_pb2.Batch(trace_id=trace_id, calls=calls).SerializeToString()


def test_each_call_of_a_batch_gets_its_own_reply_to_the_sender():
    replies = framing(
        [
            b"peer",
            batch_frame(
                envelope_pb2.Call(id=1, method=GET_PRODUCT, request=product_request(1)),
                envelope_pb2.Call(id=2, method=GET_PRODUCT, request=product_request(404)),
            ),
        ]
    )
    assert sorted((peer, r.call_id, r.status, r.trace_id) for peer, r in replies) == [
        (b"peer", 1, envelope_pb2.OK, "t-9"),
        (b"peer", 2, envelope_pb2.NOT_FOUND, "t-9"),
    ]


TOO_MANY_BATCHES = MAX_BATCHES_PER_MESSAGE + 1


@pytest.mark.parametrize(
    ("frames", "status", "error"),
    [
        ([b"peer", b"\x0a\xff"], envelope_pb2.INVALID_ARGUMENT, "frame is not a shop.v1.Batch"),
        (
            [b"peer"] + [batch_frame()] * TOO_MANY_BATCHES,
            envelope_pb2.INVALID_ARGUMENT,
            (
                f"expected 1 to {MAX_BATCHES_PER_MESSAGE} frames, each a shop.v1.Batch, "
                f"got {TOO_MANY_BATCHES}"
            ),
        ),
        (
            [b"peer"],
            envelope_pb2.INVALID_ARGUMENT,
            f"expected 1 to {MAX_BATCHES_PER_MESSAGE} frames, each a shop.v1.Batch, got 0",
        ),
    ],
)
def test_a_malformed_message_gets_one_error_reply_for_the_envelope(frames, status, error):
    assert [(peer, r.call_id, r.status, r.error) for peer, r in framing(frames)] == [
        (b"peer", 0, status, error)
    ]


def test_each_batch_of_a_message_is_served_or_refused_on_its_own():
    replies = framing(
        [
            b"peer",
            batch_frame(envelope_pb2.Call(id=1, method=GET_PRODUCT, request=product_request(1))),
            b"\x0a\xff",
            batch_frame(envelope_pb2.Call(id=2, method=GET_PRODUCT, request=product_request(1))),
        ]
    )
    assert sorted((r.call_id, r.status) for _, r in replies) == [
        (0, envelope_pb2.INVALID_ARGUMENT),
        (1, envelope_pb2.OK),
        (2, envelope_pb2.OK),
    ]


def test_a_batch_over_the_call_limit_is_refused_call_by_call():
    calls = [
        envelope_pb2.Call(id=n, method=GET_PRODUCT, request=product_request(1))
        for n in range(1, MAX_CALLS_PER_BATCH + 2)
    ]
    replies = framing([b"peer", batch_frame(*calls)])
    assert sorted(r.call_id for _, r in replies) == list(range(1, MAX_CALLS_PER_BATCH + 2))
    assert {r.status for _, r in replies} == {envelope_pb2.RESOURCE_EXHAUSTED}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def counting_dispatcher(cache: AnswerCache) -> tuple[Dispatcher, list[int]]:
    asked: list[int] = []

    async def counted(ctx: CallContext, request: catalog_pb2.GetProductRequest) -> object:
        asked.append(request.id)
        return await get_product(ctx, request)

    return Dispatcher({GET_PRODUCT: counted}, context, default_deadline_ms=100, cache=cache), asked


def test_a_repeated_catalogue_read_is_answered_from_memory_for_its_declared_seconds():
    assert METHODS[GET_PRODUCT].cache_seconds == 5  # declared in catalog.proto
    clock = Clock()
    d, asked = counting_dispatcher(AnswerCache(clock=clock))
    first = run_call(d, GET_PRODUCT, product_request(7))
    again = run_call(d, GET_PRODUCT, product_request(7))
    other = run_call(d, GET_PRODUCT, product_request(8))
    assert asked == [7, 8]
    assert again.response == first.response
    assert catalog_pb2.ProductResponse.FromString(other.response).product.id == 8
    clock.now += 5.01
    run_call(d, GET_PRODUCT, product_request(7))
    assert asked == [7, 8, 7]


def test_answers_cached_together_expire_spread_over_the_last_fifth_of_their_seconds():
    clock = Clock()
    # Where in the last fifth each one expires.
    draws = iter([0.0, 0.25, 0.5, 0.75, 1.0])
    cache = AnswerCache(clock=clock, jitter=lambda: next(draws))
    ids = [7, 8, 9, 10, 11]
    for i in ids:
        cache.put(GET_PRODUCT, product_request(i), Answer(catalog_pb2.ProductResponse()), 5)
    gone: list[int] = []
    expired = []
    for seconds in (3.99, 4.1, 4.4, 4.6, 4.8, 5.01):
        clock.now = 100.0 + seconds
        now_gone = [
            i
            for i in ids
            if i not in gone and cache.get(GET_PRODUCT, product_request(i))[0] is None
        ]
        gone += now_gone
        expired.append(now_gone)
    # Four seconds in, none; then one at a time; by the declared five seconds, all of them.
    assert expired == [[], [11], [10], [9], [8], [7]]


def test_an_answer_asked_for_near_the_end_of_its_life_is_renewed_before_it_expires():
    """Served as it is, while one read in the background replaces it: a page asked for all the
    time never waits for the database when its answers expire."""
    clock = Clock()
    asked: list[int] = []
    version = iter(range(1, 100))

    async def counted(ctx: CallContext, request: catalog_pb2.GetProductRequest) -> object:
        asked.append(request.id)
        await asyncio.sleep(0.05)
        return catalog_pb2.ProductResponse(product=catalog_pb2.Product(id=next(version)))

    cache = AnswerCache(clock=clock, jitter=lambda: 0.0)  # each lives the whole 5 s
    d = Dispatcher({GET_PRODUCT: counted}, context, default_deadline_ms=1000, cache=cache)

    def served_version() -> int:
        reply = asyncio.run(d.run_call(call(7), trace_id="t", now=NOW))
        assert reply.status == envelope_pb2.OK
        return catalog_pb2.ProductResponse.FromString(reply.response).product.id

    async def at_renewal() -> tuple[list[object], int]:
        # Several calls in the renewal window start one read, and none waits for it.
        started = time.perf_counter()
        replies = await asyncio.gather(
            *(d.run_call(call(n), trace_id="t", now=NOW) for n in (1, 2))
        )
        waited = time.perf_counter() - started
        await d.finish_shared_reads()
        return replies, waited

    assert served_version() == 1
    clock.now = 100.0 + 3.9  # past 75 % of its 5 s
    replies, waited = asyncio.run(at_renewal())
    assert waited < 0.04  # the background read takes 0.05 s
    assert [catalog_pb2.ProductResponse.FromString(r.response).product.id for r in replies] == [
        1,
        1,
    ]
    assert asked == [7, 7]
    clock.now = 100.0 + 6.0  # the first answer would have expired; the renewed one lives on
    assert served_version() == 2
    assert asked == [7, 7]


def call(call_id: int, product_id: int = 7) -> envelope_pb2.Call:
    return envelope_pb2.Call(
        id=call_id, method=GET_PRODUCT, request=product_request(product_id), deadline_ms=1000
    )


def test_a_cached_answer_is_replied_on_the_spot_the_same_as_the_full_path():
    """What the router answers without a task: the same reply as the full path, for a call the
    cache holds; a call it does not hold, or one due for renewal, takes the full path."""
    clock = Clock()
    d, asked = counting_dispatcher(AnswerCache(clock=clock, jitter=lambda: 0.0))
    assert d.reply_from_cache(call(1), "t") is None  # not cached yet
    full = asyncio.run(d.run_call(call(1), trace_id="t", now=NOW))
    quick = d.reply_from_cache(call(2), "t-2")
    assert quick is not None
    assert (quick.call_id, quick.status, quick.trace_id) == (2, envelope_pb2.OK, "t-2")
    assert quick.response == full.response
    assert d.reply_from_cache(call(3, product_id=8), "t") is None  # another request
    late = envelope_pb2.Call()
    late.CopyFrom(call(4))
    late.deadline_unix_ms = int(time.time() * 1000) - 1
    assert d.reply_from_cache(late, "t") is None  # run_call says DEADLINE_EXCEEDED
    clock.now += 4.0  # due for renewal: the full path starts the read
    assert d.reply_from_cache(call(5), "t") is None
    assert asked == [7]


def test_a_batch_whose_answers_are_cached_is_answered_without_starting_a_task():
    d, asked = counting_dispatcher(AnswerCache())
    sock = FakeRouterSocket()
    fake_context = types.SimpleNamespace(socket=lambda _kind: sock)

    async def scenario() -> int:
        server = RouterServer(d, "tcp://127.0.0.1:1", fake_context)  # type: ignore[arg-type]
        server._take_message([b"peer", batch_frame(call(1))])
        await server.close()
        server._take_message([b"peer", batch_frame(call(2), call(3, product_id=8))])
        running = len(server._tasks)  # only the uncached call's
        await server.close()
        return running

    assert asyncio.run(scenario()) == 1
    replies = [envelope_pb2.Reply.FromString(body) for _, *bodies in sock.sent for body in bodies]
    assert sorted((r.call_id, r.status) for r in replies) == [
        (1, envelope_pb2.OK),
        (2, envelope_pb2.OK),
        (3, envelope_pb2.OK),
    ]
    assert asked == [7, 8]


def test_errors_are_never_cached():
    d, asked = counting_dispatcher(AnswerCache(clock=Clock()))
    for _ in range(2):
        assert run_call(d, GET_PRODUCT, product_request(404)).status == envelope_pb2.NOT_FOUND
    assert asked == [404, 404]


def test_the_cache_keeps_at_most_its_bound_dropping_the_least_recently_used():
    cache = AnswerCache(max_entries=2, clock=Clock())
    d, asked = counting_dispatcher(cache)
    for product_id in (1, 2, 1, 3, 1, 2):
        run_call(d, GET_PRODUCT, product_request(product_id))
    assert len(cache) == 2
    assert asked == [1, 2, 3, 2]


def slow_dispatcher(seconds: float) -> tuple[Dispatcher, list[int]]:
    """A dispatcher whose GetProduct takes `seconds` (product 404 is not found), counting reads."""
    asked: list[int] = []

    async def slow(ctx: CallContext, request: catalog_pb2.GetProductRequest) -> object:
        asked.append(request.id)
        await asyncio.sleep(seconds)
        return await get_product(ctx, request)

    cache = AnswerCache(clock=Clock())
    return Dispatcher({GET_PRODUCT: slow}, context, default_deadline_ms=1000, cache=cache), asked


def calls_at_once(d: Dispatcher, product_ids: list[int], deadline_ms: int) -> list[object]:
    async def scenario() -> list[object]:
        return await asyncio.gather(
            *(
                d.run_call(
                    envelope_pb2.Call(
                        id=n,
                        method=GET_PRODUCT,
                        request=product_request(i),
                        deadline_ms=deadline_ms,
                    ),
                    trace_id=f"t-{n}",
                    now=NOW,
                )
                for n, i in enumerate(product_ids, start=1)
            )
        )

    return asyncio.run(scenario())


def test_calls_for_the_same_uncached_answer_share_one_read():
    d, asked = slow_dispatcher(0.05)
    replies = calls_at_once(d, [7, 7, 7, 8, 7], deadline_ms=1000)
    assert asked == [7, 8]
    assert [r.status for r in replies] == [envelope_pb2.OK] * 5
    assert len({r.response for r in replies if r.call_id != 4}) == 1
    assert len(d._shared_reads) == 0


def answer_cache_counts() -> dict[str, float]:
    return {
        result: prometheus_client.REGISTRY.get_sample_value(
            "vitrine_worker_answer_cache_total", {"method": GET_PRODUCT, "result": result}
        )
        or 0.0
        for result in ("hit", "renew", "miss", "joined")
    }


def test_an_operator_sees_each_lookup_counted_as_a_miss_a_join_a_hit_or_a_renewal():
    clock = Clock()
    d, asked = slow_dispatcher(0.02)
    d._cache = AnswerCache(clock=clock, jitter=lambda: 0.0)
    before = answer_cache_counts()
    calls_at_once(d, [7, 7, 7], deadline_ms=1000)  # one read, two calls join it
    calls_at_once(d, [7], deadline_ms=1000)  # from memory
    clock.now += 4.0  # past 75 % of its 5 s: served, and renewed in the background
    calls_at_once(d, [7, 7], deadline_ms=1000)
    after = answer_cache_counts()
    assert {result: after[result] - before[result] for result in after} == {
        "miss": 1,
        "joined": 2,
        "hit": 2,
        "renew": 1,
    }
    assert asked == [7, 7]


def test_a_read_slower_than_its_callers_deadline_still_fills_the_cache():
    """Under load the read outlasts the 150 ms its callers wait; it is not cancelled with them,
    so the next call is answered from memory instead of starting the same read again."""
    d, asked = slow_dispatcher(0.3)

    async def scenario() -> tuple[list[object], object]:
        def call(n: int, deadline_ms: int) -> object:
            return d.run_call(
                envelope_pb2.Call(
                    id=n, method=GET_PRODUCT, request=product_request(7), deadline_ms=deadline_ms
                ),
                trace_id="t",
                now=NOW,
            )

        late = await asyncio.gather(call(1, 100), call(2, 100))
        await d.finish_shared_reads()
        return late, await call(3, 100)

    late, later = asyncio.run(scenario())
    assert [r.status for r in late] == [envelope_pb2.DEADLINE_EXCEEDED] * 2
    assert later.status == envelope_pb2.OK
    assert asked == [7]


def test_a_shared_read_s_error_reaches_every_caller_and_is_not_cached():
    d, asked = slow_dispatcher(0.02)
    replies = calls_at_once(d, [404, 404, 404], deadline_ms=1000)
    assert [r.status for r in replies] == [envelope_pb2.NOT_FOUND] * 3
    assert asked == [404]
    calls_at_once(d, [404], deadline_ms=1000)
    assert asked == [404, 404]


def test_only_reads_shared_by_every_shopper_declare_a_cache():
    assert all(m.cache_seconds == 0 for m in METHODS.values() if not m.idempotent)
    assert {m.service for m in METHODS.values() if m.cache_seconds} <= {
        "Catalog",
        "Search",
        "Landings",
        "Reviews",
    }
    # Nothing that answers per shopper (a session, a basket) is kept.
    personal = {"session_token", "token", "basket_token", "access_token"}
    for method in METHODS.values():
        if method.cache_seconds:
            assert not personal & set(method.request_class.DESCRIPTOR.fields_by_name), method


def test_the_fault_knob_answers_its_status_without_running_the_method():
    d, asked = counting_dispatcher(AnswerCache(clock=Clock()))
    d._faults = {GET_PRODUCT: envelope_pb2.UNAVAILABLE}
    reply = run_call(d, GET_PRODUCT, product_request(1))
    assert (reply.status, reply.error) == (
        envelope_pb2.UNAVAILABLE,
        "injected by VITRINE_API_FAULTS",
    )
    assert asked == []
