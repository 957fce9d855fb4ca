"""The worker's ZeroMQ ROUTER socket: takes batches, runs their calls concurrently, answers each
call the moment it is done, and turns anything malformed into an error reply.

A message carries one or more batches, a frame each, and replies go out the same way: the
replies made in one turn of the event loop, one message per client. Each side's ZeroMQ I/O
thread wakes once per message, and a front's shares the front's core (bench/README.md)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import zmq
import zmq.asyncio
import zmq.utils.monitor
from google.protobuf.message import DecodeError

from api.dispatch import Dispatcher, make_reply
from api.metrics import worker_batch_calls
from contract import MAX_BATCHES_PER_MESSAGE, MAX_FRAME_BYTES, envelope_pb2

log = logging.getLogger("vitrine.api")

MAX_CALLS_PER_BATCH = 64
# Calls running at once in one worker; past it new calls are answered UNAVAILABLE at once, so a
# client moves to another worker instead of waiting behind a queue.
MAX_CALLS_IN_FLIGHT = 1024


# While stopping, the socket closes once no batch came for this long (and none is running).
DRAIN_QUIET_SECONDS = 0.3
DRAIN_POLL_SECONDS = 0.05
# The monitor events of a connection refused before its first message.
HANDSHAKE_FAILURES_TEXT: dict[int, str] = {
    zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL: "handshake failed",
    zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL: "handshake failed: protocol or security mechanism",
    zmq.EVENT_HANDSHAKE_FAILED_AUTH: "handshake failed: not authorised (ZAP status)",
}
HANDSHAKE_FAILURES = (
    zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
)


class RouterServer:
    """Owns one ROUTER socket for its whole life: bind, serve, close."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        endpoint: str,
        context: zmq.asyncio.Context,
        *,
        curve_secret_key: bytes | None = None,
    ) -> None:
        self._dispatcher = dispatcher
        self._socket = context.socket(zmq.ROUTER)
        self._socket.linger = 0
        if curve_secret_key is not None:
            # Every connection encrypted; the context's ZAP handler (api/curve.py) decides which
            # client keys are let in.
            self._socket.setsockopt(zmq.CURVE_SERVER, 1)
            self._socket.setsockopt(zmq.CURVE_SECRETKEY, curve_secret_key)
        # libzmq drops a connection that sends a frame over the limit before any of it reaches
        # Python: a peer cannot make the worker buffer and parse megabytes (docs/api.md).
        self._socket.setsockopt(zmq.MAXMSGSIZE, MAX_FRAME_BYTES)
        # Watched from before the first connection: no refused peer goes unlogged.
        self._monitor = self._socket.get_monitor_socket(HANDSHAKE_FAILURES)
        self._socket.bind(endpoint)
        self.endpoint = self._socket.getsockopt_string(zmq.LAST_ENDPOINT)
        self._in_flight = 0
        self._tasks: set[asyncio.Task[None]] = set()
        # Stopping: batches still read, and answered "not started" so that clients send them
        # elsewhere at once, instead of into a socket about to close.
        self._draining = False
        self._last_batch_at = 0.0
        # Replies made in this turn of the event loop, per peer, sent together at its end.
        self._outgoing: dict[bytes, list[bytes]] = {}

    async def log_refused_handshakes(self) -> None:
        """Until cancelled: a WARNING line for each peer whose handshake failed: no CURVE at
        all, a wrong server key, or a client key ZAP refused (that one also logs its key)."""
        while True:
            frames = await self._monitor.recv_multipart()
            event = zmq.utils.monitor.parse_monitor_message(frames)
            # A peer that closed before any handshake (a port probe such as the supervisor's
            # readiness check, a load balancer's health check) is noted; one that spoke the
            # wrong protocol or was refused by ZAP is a warning.
            closed_early = int(event["event"]) == zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
            log.log(
                logging.INFO if closed_early else logging.WARNING,
                "refused a peer on %s: %s (%s)",
                event["endpoint"].decode("utf-8", "replace"),
                HANDSHAKE_FAILURES_TEXT.get(int(event["event"]), "handshake failed"),
                event["value"],
            )

    async def serve(self) -> None:
        while True:
            frames = await self._socket.recv_multipart(copy=True)
            self._take_message(frames)

    def _take_message(self, frames: list[bytes]) -> None:
        """One message: a frame per batch (a client sends the batches of its pages that started
        in the same turn of its event loop together). Each frame stands on its own: a bad one is
        refused, the others are served."""
        identity, body = frames[0], frames[1:]
        if not 1 <= len(body) <= MAX_BATCHES_PER_MESSAGE:
            self._refuse(
                identity,
                envelope_pb2.INVALID_ARGUMENT,
                f"expected 1 to {MAX_BATCHES_PER_MESSAGE} frames, each a shop.v1.Batch, "
                f"got {len(body)}",
            )
            return
        for frame in body:
            self._take_batch(identity, frame)

    def _take_batch(self, identity: bytes, frame: bytes) -> None:
        batch = envelope_pb2.Batch()
        try:
            batch.ParseFromString(frame)
        except DecodeError:
            self._refuse(identity, envelope_pb2.INVALID_ARGUMENT, "frame is not a shop.v1.Batch")
            return
        if len(batch.calls) > MAX_CALLS_PER_BATCH:
            self._refuse_calls(
                identity,
                batch,
                envelope_pb2.RESOURCE_EXHAUSTED,
                f"batch of {len(batch.calls)} calls is over the {MAX_CALLS_PER_BATCH} limit",
            )
            return
        self._last_batch_at = time.monotonic()
        if self._draining:
            self._refuse_calls(identity, batch, envelope_pb2.UNAVAILABLE, "worker stopping")
            return
        if self._in_flight + len(batch.calls) > MAX_CALLS_IN_FLIGHT:
            self._refuse_calls(identity, batch, envelope_pb2.UNAVAILABLE, "worker saturated")
            return
        worker_batch_calls.observe(len(batch.calls))
        # Answers the cache holds go out at once; only the rest need a task.
        to_run: list[Any] = []
        for call in batch.calls:
            reply = self._dispatcher.reply_from_cache(call, batch.trace_id)
            if reply is None:
                to_run.append(call)
            else:
                self._queue_reply(identity, reply)
        cached = len(batch.calls) - len(to_run)
        if not to_run:
            self._log_batch(batch, [envelope_pb2.OK] * cached, time.perf_counter())
            return
        task = asyncio.create_task(self._run_batch(identity, batch, to_run, cached))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_batch(self, identity: bytes, batch: Any, calls: list[Any], cached: int) -> None:
        """The calls of a batch the cache could not answer, concurrently (`cached` others
        have been answered already)."""
        started = time.perf_counter()
        now = datetime.now(UTC)
        self._in_flight += len(calls)
        try:
            statuses = await asyncio.gather(
                *(self._serve_call(identity, call, batch.trace_id, now) for call in calls)
            )
        finally:
            self._in_flight -= len(calls)
        self._log_batch(batch, [*statuses, *[envelope_pb2.OK] * cached], started)

    def _log_batch(self, batch: Any, statuses: list[int], started: float) -> None:
        if not log.isEnabledFor(logging.INFO):
            return  # at WARNING (as in bench/), the line's fields are not even built
        counts = Counter(envelope_pb2.Status.Name(s) for s in statuses)
        statuses_text = ",".join(f"{name}:{n}" for name, n in sorted(counts.items()))
        ms = (time.perf_counter() - started) * 1000
        log.info(
            "batch trace=%s calls=%d statuses=%s ms=%.1f",
            batch.trace_id,
            len(batch.calls),
            statuses_text,
            ms,
            extra={
                "trace": batch.trace_id,
                "calls": len(batch.calls),
                "methods": [call.method for call in batch.calls],
                "statuses": statuses_text,
                "ms": round(ms, 1),
            },
        )

    async def _serve_call(self, identity: bytes, call: Any, trace_id: str, now: datetime) -> int:
        reply = await self._dispatcher.run_call(call, trace_id=trace_id, now=now)
        self._queue_reply(identity, reply)
        return int(reply.status)

    def _queue_reply(self, identity: bytes, reply: Any) -> None:
        """Queue a reply for its peer; every reply queued in this turn of the event loop goes
        out at its end, one message per peer (one wake-up of each side's I/O thread instead of
        one per reply). A reply is never held back longer than the turn it was made in."""
        queued = self._outgoing.get(identity)
        if queued is None:
            if not self._outgoing:
                asyncio.get_running_loop().call_soon(self._flush)
            queued = self._outgoing[identity] = []
        queued.append(reply.SerializeToString())

    def _flush(self) -> None:
        outgoing, self._outgoing = self._outgoing, {}
        for identity, replies in outgoing.items():
            # A ROUTER drops a message for a peer that has gone away; that is what we want.
            sent = asyncio.ensure_future(self._socket.send_multipart([identity, *replies]))
            sent.add_done_callback(_log_failed_send)

    def _refuse(self, identity: bytes, status: int, reason: str) -> None:
        log.warning("refused frame from peer %s: %s", identity.hex(), reason)
        self._queue_reply(identity, make_reply(0, "", status, reason))

    def _refuse_calls(self, identity: bytes, batch: Any, status: int, reason: str) -> None:
        log.warning(
            "refused batch trace=%s from peer %s: %s", batch.trace_id, identity.hex(), reason
        )
        # Refused before any of it ran: the client may send them to another worker.
        not_started = status == envelope_pb2.UNAVAILABLE
        for call in batch.calls:
            self._queue_reply(
                identity,
                make_reply(call.id, batch.trace_id, status, reason, not_started=not_started),
            )

    async def drain(self, grace_seconds: float) -> None:
        """Refuse new batches (not started), let the running ones finish, and wait until no
        client has sent one for DRAIN_QUIET_SECONDS (each front has seen a refusal and passes
        this worker over), for at most `grace_seconds`; `serve()` must still be running."""
        self._draining = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_seconds
        while loop.time() < deadline:
            if not self._tasks and time.monotonic() - self._last_batch_at >= DRAIN_QUIET_SECONDS:
                return
            await asyncio.sleep(DRAIN_POLL_SECONDS)
        log.warning(
            "%d calls still running after %.0f s; stopping anyway", self._in_flight, grace_seconds
        )

    async def close(self) -> None:
        """Let running batches finish (they are bounded by their deadlines), then close."""
        if self._tasks:
            await asyncio.wait(set(self._tasks))
        self._flush()
        if self._monitor is not None:
            self._socket.disable_monitor()
            self._monitor.close(linger=0)
        self._socket.close(linger=0)


def _log_failed_send(sent: asyncio.Future[Any]) -> None:
    if not sent.cancelled() and sent.exception() is not None:
        log.warning("replies could not be sent: %s", sent.exception())
