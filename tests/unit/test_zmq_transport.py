"""The ZeroMQ transport's messages as a worker receives them, against a bare ROUTER socket."""

from __future__ import annotations

import asyncio

import zmq
import zmq.asyncio

from api_client import ApiClient
from api_client.zmq_transport import ZmqTransport
from contract import MAX_BATCHES_PER_MESSAGE, catalog_pb2, envelope_pb2


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
