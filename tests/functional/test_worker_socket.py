"""What a peer on the network gets from an API worker's ZeroMQ socket when it does not play by
the rules: an oversized frame is refused unread, and the worker keeps serving."""

from __future__ import annotations

import time

from contract import MAX_FRAME_BYTES, envelope_pb2
from tests.functional.zmq_peer import RawPeer, ping_batch
from tests.processes import Processes

LOG_WAIT_SECONDS = 5


def test_an_oversized_frame_is_dropped_unread_and_the_next_good_batch_is_answered(
    workers: Processes,
):
    worker = workers.start_worker()
    with RawPeer(worker.endpoint) as peer:
        peer.send(b"\x0a" + b"\x00" * MAX_FRAME_BYTES)
        assert peer.replies(wait_seconds=1.0) == []  # not parsed, not answered
        replies = peer.ask(ping_batch(call_id=7))
    assert [(r.call_id, r.status) for r in replies] == [(7, envelope_pb2.OK)]
    # Python never saw it: no refusal line; the one batch line is the good Ping's (written just
    # after its reply went).
    deadline = time.monotonic() + LOG_WAIT_SECONDS
    while "batch trace=" not in worker.log and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "refused" not in worker.log
    assert worker.log.count("batch trace=") == 1
