"""The ZeroMQ transport's messages as a worker receives them, against a bare ROUTER socket."""

from __future__ import annotations

import asyncio

import zmq
import zmq.asyncio

from api_client import ApiClient
from api_client.zmq_transport import ZmqTransport
from contract import (
    MAX_BATCHES_PER_MESSAGE,
    MAX_FRAME_BYTES,
    basket_pb2,
    catalog_pb2,
    envelope_pb2,
)
from contract.errors import ResourceExhausted


async def serve(router: zmq.asyncio.Socket, messages: list[list[envelope_pb2.Batch]]) -> None:
    """A stand-in worker: records each message's batches, answers every call in one message."""
    while True:
        identity, *frames = await router.recv_multipart()
        batches = [envelope_pb2.Batch.FromString(frame) for frame in frames]
        messages.append(batches)
        replies = [
            envelope_pb2.Reply(
                call_id=call.id,
                status=envelope_pb2.OK,
                response=catalog_pb2.ProductResponse(
                    product=catalog_pb2.Product(
                        id=catalog_pb2.GetProductRequest.FromString(call.request).id
                    )
                ).SerializeToString(),
            ).SerializeToString()
            for batch in batches
            for call in batch.calls
        ]
        await router.send_multipart([identity, *replies])


def run_pages(pages: int) -> tuple[list[int], list[list[envelope_pb2.Batch]]]:
    """`pages` batches of two calls each, all started in the same turn of the event loop."""

    async def scenario() -> tuple[list[int], list[list[envelope_pb2.Batch]]]:
        context = zmq.asyncio.Context()
        router = context.socket(zmq.ROUTER)
        router.linger = 0
        port = router.bind_to_random_port("tcp://127.0.0.1")
        messages: list[list[envelope_pb2.Batch]] = []
        worker = asyncio.create_task(serve(router, messages))
        endpoint = f"tcp://127.0.0.1:{port}"
        client = ApiClient(lambda deliver: ZmqTransport([endpoint], deliver))
        # A first call connects the socket, so the pages below are not retried while it does.
        await client.catalog.GetProduct(id=1)
        messages.clear()

        async def page(number: int) -> int:
            batch = client.batch(f"page-{number}")
            product = batch.catalog.GetProduct(id=number)
            batch.catalog.GetProduct(id=number + 10_000)
            await batch
            return int(product.result().product.id)

        try:
            ids = await asyncio.gather(*(page(n) for n in range(1, pages + 1)))
        finally:
            worker.cancel()
            await client.close()
            router.close()
            context.term()
        return list(ids), messages

    return asyncio.run(scenario())


def test_batches_started_in_the_same_turn_leave_as_one_message_a_frame_each():
    ids, messages = run_pages(5)
    assert ids == [1, 2, 3, 4, 5]
    assert len(messages) == 1
    assert [batch.trace_id for batch in messages[0]] == [f"page-{n}" for n in range(1, 6)]
    assert all(len(batch.calls) == 2 for batch in messages[0])


def test_more_batches_than_a_message_may_hold_are_split_over_several():
    pages = MAX_BATCHES_PER_MESSAGE + 6
    ids, messages = run_pages(pages)
    assert ids == list(range(1, pages + 1))
    assert [len(message) for message in messages] == [MAX_BATCHES_PER_MESSAGE, 6]


def test_a_batch_over_the_frame_limit_is_refused_before_it_leaves_and_others_still_go():
    """A worker drops the connection of a peer that sends an oversized frame, with every other
    page's replies on it: the client answers such a batch itself and never sends it."""

    async def scenario() -> tuple[type[BaseException] | None, int, list[list[envelope_pb2.Batch]]]:
        context = zmq.asyncio.Context()
        router = context.socket(zmq.ROUTER)
        router.linger = 0
        port = router.bind_to_random_port("tcp://127.0.0.1")
        messages: list[list[envelope_pb2.Batch]] = []
        worker = asyncio.create_task(serve(router, messages))
        client = ApiClient(lambda deliver: ZmqTransport([f"tcp://127.0.0.1:{port}"], deliver))
        try:
            await client.catalog.GetProduct(id=1)  # connected
            messages.clear()
            huge = client.batch("huge")
            huge.search.SearchProducts(query="x" * MAX_FRAME_BYTES)
            small = client.batch("small")
            product = small.catalog.GetProduct(id=2)
            outcome = await asyncio.gather(huge, small, return_exceptions=True)
            refused = type(outcome[0]) if isinstance(outcome[0], BaseException) else None
            return refused, int(product.result().product.id), messages
        finally:
            worker.cancel()
            await client.close()
            router.close()
            context.term()

    refused, product_id, messages = asyncio.run(scenario())
    assert refused is ResourceExhausted
    assert product_id == 2
    assert [[batch.trace_id for batch in message] for message in messages] == [["small"]]


async def refuse_as_stopping(router: zmq.asyncio.Socket, seen: list[str]) -> None:
    """A stand-in worker that is stopping: every call refused as not started."""
    while True:
        identity, *frames = await router.recv_multipart()
        replies = []
        for frame in frames:
            for call in envelope_pb2.Batch.FromString(frame).calls:
                seen.append(call.method)
                reply = envelope_pb2.Reply(
                    call_id=call.id,
                    status=envelope_pb2.UNAVAILABLE,
                    error="worker stopping",
                    not_started=True,
                )
                replies.append(reply.SerializeToString())
        await router.send_multipart([identity, *replies])


async def answer_basket(router: zmq.asyncio.Socket, seen: list[str]) -> None:
    """A stand-in worker that adds to a basket."""
    while True:
        identity, *frames = await router.recv_multipart()
        replies = []
        for frame in frames:
            for call in envelope_pb2.Batch.FromString(frame).calls:
                seen.append(call.method)
                contents = basket_pb2.BasketContents(token="basket-1")
                reply = envelope_pb2.Reply(
                    call_id=call.id,
                    status=envelope_pb2.OK,
                    response=contents.SerializeToString(),
                )
                replies.append(reply.SerializeToString())
        await router.send_multipart([identity, *replies])


def test_a_write_a_stopping_worker_refused_as_not_started_is_answered_by_another():
    async def scenario() -> tuple[str, list[str], list[str]]:
        context = zmq.asyncio.Context()
        stopping, healthy = context.socket(zmq.ROUTER), context.socket(zmq.ROUTER)
        refused: list[str] = []
        served: list[str] = []
        endpoints = []
        for router in (stopping, healthy):
            router.linger = 0
            endpoints.append(f"tcp://127.0.0.1:{router.bind_to_random_port('tcp://127.0.0.1')}")
        tasks = [
            asyncio.create_task(refuse_as_stopping(stopping, refused)),
            asyncio.create_task(answer_basket(healthy, served)),
        ]
        client = ApiClient(lambda deliver: ZmqTransport(endpoints, deliver))
        try:
            await asyncio.sleep(0.3)  # both connected
            answers = [await client.basket.AddLine(variant_id=7, quantity=1) for _ in range(4)]
            return answers[-1].token, refused, served
        finally:
            for task in tasks:
                task.cancel()
            await client.close()
            stopping.close()
            healthy.close()
            context.term()

    token, refused, served = asyncio.run(scenario())
    assert token == "basket-1"
    assert refused  # the stopping worker was asked, and said no
    assert served == ["shop.v1.Basket/AddLine"] * 4  # each add ran once, on the healthy one
