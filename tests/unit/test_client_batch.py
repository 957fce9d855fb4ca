"""The batch API over an in-memory transport: deadlines, required and optional calls, retries."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import pytest

from api_client import ApiClient, DeadlineExceeded, NotFound, Unavailable
from api_client.client import Call, Deliver
from contract import METHODS, catalog_pb2, envelope_pb2, search_pb2

PRODUCT = catalog_pb2.ProductResponse(product=catalog_pb2.Product(id=7, name="Linen shirt"))


class ScriptedTransport:
    """Answers each method after a scripted delay with a scripted outcome, like a worker would."""

    def __init__(
        self, deliver: Deliver, script: dict[str, tuple[float, int, object]], workers: int = 2
    ) -> None:
        self.deliver = deliver
        self.script = script
        self.workers = workers
        self.batches: list[tuple[str, list[str]]] = []
        self.resent: list[str] = []
        self.handles: list[asyncio.TimerHandle] = []

    def _answer(self, call: Call) -> None:
        delay, status, message = self.script[call.method.name]
        payload = message.SerializeToString() if status == envelope_pb2.OK else None
        loop = asyncio.get_running_loop()
        self.handles.append(
            loop.call_later(delay, self.deliver, call, status, payload, "scripted", 10)
        )

    def send(self, trace_id: str, calls: Sequence[Call]) -> None:
        self.batches.append((trace_id, [c.method.name for c in calls]))
        for call in calls:
            call.sent = True
            call.attempts += 1
            self._answer(call)

    def resend(self, call: Call) -> bool:
        if self.workers < 2:
            return False
        self.resent.append(call.method.name)
        call.attempts += 1
        # The second worker answers at once.
        self.script[call.method.name] = (0.0, envelope_pb2.OK, self.script[call.method.name][2])
        self._answer(call)
        return True

    def forget(self, call: Call) -> None:
        pass

    async def close(self) -> None:
        for handle in self.handles:
            handle.cancel()


def make_client(
    script: dict[str, tuple[float, int, object]],
    workers: int = 2,
) -> tuple[ApiClient, list[ScriptedTransport]]:
    made: list[ScriptedTransport] = []

    def factory(deliver: Deliver) -> ScriptedTransport:
        made.append(ScriptedTransport(deliver, script, workers))
        return made[0]

    return ApiClient(factory, default_deadline_ms=500), made


def test_methods_resolve_from_descriptors_and_a_batch_is_sent_as_one_message():
    async def scenario():
        client, transport = make_client(
            {
                "GetProduct": (0.0, envelope_pb2.OK, PRODUCT),
                "GetRelatedProducts": (
                    0.0,
                    envelope_pb2.OK,
                    catalog_pb2.GetRelatedProductsResponse(),
                ),
                "Suggest": (0.0, envelope_pb2.OK, search_pb2.SuggestResponse()),
            }
        )
        batch = client.batch("trace-1")
        product = batch.catalog.GetProduct(id=7)
        related = batch.catalog.GetRelatedProducts(product_id=7, required=False)
        suggest = batch.search.Suggest(search_pb2.SuggestRequest(prefix="li"))
        await batch
        await client.close()
        return product, related, suggest, transport[0].batches

    product, related, suggest, batches = asyncio.run(scenario())
    assert batches == [("trace-1", ["GetProduct", "GetRelatedProducts", "Suggest"])]
    assert product.result().product.name == "Linen shirt"
    assert related.value == catalog_pb2.GetRelatedProductsResponse()
    assert suggest.ok
    assert product.request == catalog_pb2.GetProductRequest(id=7)


def test_unknown_services_and_methods_are_attribute_errors_naming_what_exists():
    client, _ = make_client({})
    with pytest.raises(AttributeError, match="no service 'catalogue'"):
        client.batch().catalogue  # noqa: B018
    with pytest.raises(AttributeError, match="GetProductBySlug"):
        client.batch().catalog.GetProductBySlugs  # noqa: B018
    with pytest.raises(TypeError, match="takes GetProductRequest"):
        client.batch().catalog.GetProduct(catalog_pb2.GetProductBySlugRequest(slug="x"))


def test_every_rpc_in_the_contract_is_reachable_by_name():
    client, _ = make_client({})
    batch = client.batch()
    for method in METHODS.values():
        caller = getattr(getattr(batch, method.service_attr), method.name)
        assert caller().method is method


def test_fast_calls_settle_without_waiting_for_a_slow_optional_one():
    async def scenario():
        client, _ = make_client(
            {
                "GetProduct": (0.01, envelope_pb2.OK, PRODUCT),
                "GetRelatedProducts": (
                    0.3,
                    envelope_pb2.OK,
                    catalog_pb2.GetRelatedProductsResponse(),
                ),
            },
            workers=1,
        )
        batch = client.batch()
        product = batch.catalog.GetProduct(id=7)
        related = batch.catalog.GetRelatedProducts(product_id=7, required=False, deadline_ms=100)
        await batch
        await client.close()
        return product, related

    product, related = asyncio.run(scenario())
    assert product.ok
    assert product.duration < related.duration
    # Late: the optional block is left out, and the batch did not wait for the reply.
    assert related.value is None
    assert isinstance(related.error, DeadlineExceeded)
    assert related.duration < 0.3


def test_a_failed_required_call_raises_its_domain_error_at_once():
    async def scenario():
        client, _ = make_client(
            {
                "GetProductBySlug": (0.0, envelope_pb2.NOT_FOUND, None),
                "GetCategoryTree": (0.4, envelope_pb2.OK, catalog_pb2.GetCategoryTreeResponse()),
            }
        )
        batch = client.batch()
        batch.catalog.GetProductBySlug(slug="nope")
        tree = batch.catalog.GetCategoryTree(required=False)
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(NotFound, match="GetProductBySlug: scripted") as raised:
            await batch
        waited = loop.time() - started
        await client.close()
        return raised.value, tree, waited

    error, tree, waited = asyncio.run(scenario())
    assert error.method == "shop.v1.Catalog/GetProductBySlug"
    assert not tree.done
    assert waited < 0.4


def test_a_call_never_waits_past_its_deadline():
    async def scenario():
        client, transport = make_client(
            {
                "GetProduct": (5.0, envelope_pb2.OK, PRODUCT),
            },
            workers=1,
        )
        batch = client.batch()
        call = batch.catalog.GetProduct(id=1, deadline_ms=50)
        with pytest.raises(DeadlineExceeded, match="no reply within 50 ms"):
            await batch
        await client.close()
        return call, transport[0]

    call, transport = asyncio.run(scenario())
    assert 0.05 <= call.duration < 1.0
    assert transport.resent == []  # one worker: nobody else to ask


def test_an_idempotent_read_is_retried_once_on_another_worker_after_a_timeout(caplog):
    caplog.set_level(logging.WARNING, "vitrine.api_client")

    async def scenario():
        client, transport = make_client({"GetProduct": (5.0, envelope_pb2.OK, PRODUCT)})
        batch = client.batch("trace-retry")
        call = batch.catalog.GetProduct(id=1, deadline_ms=200)
        await batch
        await client.close()
        return call, transport[0]

    call, transport = asyncio.run(scenario())
    assert call.result().product.id == 7
    assert transport.resent == ["GetProduct"]
    assert call.attempts == 2
    assert 0.1 <= call.duration < 0.2  # the retry went out at half the deadline
    assert "retry trace=trace-retry" in caplog.text


def test_a_worker_answering_unavailable_sends_an_idempotent_read_elsewhere_at_once():
    async def scenario():
        client, transport = make_client(
            {"Suggest": (0.0, envelope_pb2.UNAVAILABLE, search_pb2.SuggestResponse())}
        )
        batch = client.batch()
        call = batch.search.Suggest(prefix="li")
        await batch
        await client.close()
        return call, transport[0]

    call, transport = asyncio.run(scenario())
    assert call.ok
    assert transport.resent == ["Suggest"]


def test_a_call_that_never_reached_a_worker_is_unavailable_not_late():
    class Unreachable(ScriptedTransport):
        def send(self, trace_id: str, calls: Sequence[Call]) -> None:
            self.batches.append((trace_id, [c.method.name for c in calls]))

    async def scenario():
        client = ApiClient(lambda deliver: Unreachable(deliver, {}, workers=1))
        with pytest.raises(Unavailable, match="no API worker is reachable"):
            await client.catalog.GetCategoryTree(deadline_ms=30)
        await client.close()

    asyncio.run(scenario())


def test_a_single_call_returns_its_response_message():
    async def scenario():
        client, _ = make_client({"GetProduct": (0.0, envelope_pb2.OK, PRODUCT)})
        response = await client.catalog.GetProduct(id=7)
        await client.close()
        return response

    assert asyncio.run(scenario()) == PRODUCT


def test_a_batch_is_sent_once():
    async def scenario():
        client, _ = make_client({"GetProduct": (0.0, envelope_pb2.OK, PRODUCT)})
        batch = client.batch()
        batch.catalog.GetProduct(id=7)
        await batch
        with pytest.raises(RuntimeError, match="awaited once"):
            await batch
        with pytest.raises(RuntimeError, match="has been sent"):
            batch.catalog.GetProduct(id=8)
        await client.close()

    asyncio.run(scenario())


TREE = catalog_pb2.GetCategoryTreeResponse(roots=[catalog_pb2.Category(slug="women", name="Women")])


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_front_keeps_a_shop_wide_answer_for_a_quarter_of_its_declared_seconds():
    """The navigation (no request fields, declared cacheable for 5 s) goes to a worker once,
    and every page in the next 1.25 s reads the front's copy; a page's own calls still go."""
    assert METHODS["shop.v1.Catalog/GetCategoryTree"].cache_seconds == 5
    clock = Clock()
    made: list[ScriptedTransport] = []
    script = {
        "GetCategoryTree": (0.0, envelope_pb2.OK, TREE),
        "GetProduct": (0.0, envelope_pb2.OK, PRODUCT),
    }

    def factory(deliver: Deliver) -> ScriptedTransport:
        made.append(ScriptedTransport(deliver, script))
        return made[0]

    client = ApiClient(factory, keep_shared_answers=True, clock=clock)

    async def page() -> tuple[Call, Call]:
        batch = client.batch()
        nav = batch.catalog.GetCategoryTree(required=False)
        product = batch.catalog.GetProduct(id=7)
        await batch
        return nav, product

    async def scenario() -> list[tuple[Call, Call]]:
        pages = [await page()]
        clock.now = 1.2
        pages.append(await page())
        clock.now = 1.3  # its quarter of 5 s is over: asked again
        pages.append(await page())
        await client.close()
        return pages

    pages = asyncio.run(scenario())
    assert [names for _, names in made[0].batches] == [
        ["GetCategoryTree", "GetProduct"],
        ["GetProduct"],
        ["GetCategoryTree", "GetProduct"],
    ]
    assert [nav.kept for nav, _ in pages] == [False, True, False]
    for nav, product in pages:
        assert nav.result() == TREE
        assert product.result() == PRODUCT
        # Equal answers, equal pages: a kept answer keys a reused page as the sent one did.
        assert nav.outcome() == pages[0][0].outcome()


def test_answers_that_name_a_page_or_a_shopper_or_failed_are_never_kept():
    script = {
        "GetProduct": (0.0, envelope_pb2.OK, PRODUCT),
        "GetShopPolicies": (0.0, envelope_pb2.UNAVAILABLE, None),
        "GetBasketSummary": (0.0, envelope_pb2.OK, PRODUCT),
    }
    made: list[ScriptedTransport] = []

    def factory(deliver: Deliver) -> ScriptedTransport:
        made.append(ScriptedTransport(deliver, script, workers=1))
        return made[0]

    client = ApiClient(factory, keep_shared_answers=True)

    async def scenario() -> None:
        for _ in range(2):
            batch = client.batch()
            batch.catalog.GetProduct(id=7)  # cacheable, but asks for one product
            batch.landings.GetShopPolicies(required=False)  # shop-wide, but it failed
            batch.basket.GetBasketSummary(required=False)  # names a basket, not cacheable
            await batch
        await client.close()

    asyncio.run(scenario())
    expected = ["GetProduct", "GetShopPolicies", "GetBasketSummary"]
    assert [names for _, names in made[0].batches] == [expected, expected]


def test_without_the_answer_cache_a_front_keeps_nothing():
    made: list[ScriptedTransport] = []

    def factory(deliver: Deliver) -> ScriptedTransport:
        made.append(ScriptedTransport(deliver, {"GetCategoryTree": (0.0, envelope_pb2.OK, TREE)}))
        return made[0]

    client = ApiClient(factory)  # keep_shared_answers defaults to False, as with the cache off

    async def scenario() -> None:
        for _ in range(2):
            batch = client.batch()
            batch.catalog.GetCategoryTree()
            await batch
        await client.close()

    asyncio.run(scenario())
    assert [names for _, names in made[0].batches] == [["GetCategoryTree"], ["GetCategoryTree"]]
