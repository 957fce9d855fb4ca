"""The ZeroMQ transport: one DEALER socket per API worker, all owned by one object per process.

One socket per worker (rather than one DEALER connected to all) lets the client choose the
worker for each batch — the least busy healthy one — and send a retry to a *different* worker,
which one round-robin DEALER cannot promise.

The sockets are plain (not zmq.asyncio) and read the way pyzmq's own ZMQStream does: the event
loop watches each socket's file descriptor and a callback drains every ready reply. pyzmq's
asyncio sockets make a future and a poller registration per message, which cost a product page
more CPU than its protobuf (bench/README.md). A ZeroMQ descriptor is edge-triggered and any
operation on the socket may consume the edge, so the socket is drained after each send too.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zmq
import zmq.auth
from google.protobuf.message import DecodeError

from api_client.client import Call, Deliver
from contract import MAX_BATCHES_PER_MESSAGE, MAX_FRAME_BYTES, envelope_pb2

log = logging.getLogger("vitrine.api_client")

# A worker whose socket refused a send, or that let a call time out, is passed over this long
# while others are healthy.
SUSPECT_SECONDS = 1.0
# While no worker at all is connected (start-up, restarts), unsent batches are tried again this
# often until their deadlines settle them.
UNSENT_RETRY_SECONDS = 0.01
# A call a worker refused as not started is sent again at once to another worker; when no
# other is connected (it restarts too, or our socket has not reconnected to it yet), to the best
# one after this pause, and so on until its deadline.
NOT_STARTED_RETRY_SECONDS = 0.05
RECONNECT_IVL_MS = 100
RECONNECT_IVL_MAX_MS = 1000
# ZMTP heartbeats notice a worker that vanished without closing its TCP connection.
HEARTBEAT_IVL_MS = 1000
HEARTBEAT_TIMEOUT_MS = 3000
SEND_HWM = 10_000


@dataclass(frozen=True)
class CurveClientKeys:
    """A front's CURVE key pair and the workers' public key (all workers share one pair, so a
    discovered worker is reached with the same keys); z85 text, as in the certificates."""

    public: bytes
    secret: bytes
    server_public: bytes

    @classmethod
    def from_files(cls, front_secret: Path, worker_public: Path) -> CurveClientKeys:
        public, secret = zmq.auth.load_certificate(front_secret)
        server_public, _ = zmq.auth.load_certificate(worker_public)
        if secret is None:
            raise ValueError(f"{front_secret} holds no secret key: name the .key_secret file")
        return cls(public, secret, server_public)


class _Worker:
    """One API worker's DEALER socket and what we know of that worker's health."""

    def __init__(
        self,
        context: zmq.Context[zmq.Socket[bytes]],
        endpoint: str,
        curve: CurveClientKeys | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.socket = context.socket(zmq.DEALER)
        self.socket.linger = 0
        if curve is not None:
            # The worker proves it holds the secret of `server_public`; we prove ours to it.
            self.socket.setsockopt(zmq.CURVE_PUBLICKEY, curve.public)
            self.socket.setsockopt(zmq.CURVE_SECRETKEY, curve.secret)
            self.socket.setsockopt(zmq.CURVE_SERVERKEY, curve.server_public)
        # Queue only to a connected worker, so a send to a dead one fails at once instead of
        # waiting in a buffer for a reconnect.
        self.socket.setsockopt(zmq.IMMEDIATE, 1)
        self.socket.setsockopt(zmq.SNDHWM, SEND_HWM)
        self.socket.setsockopt(zmq.RECONNECT_IVL, RECONNECT_IVL_MS)
        self.socket.setsockopt(zmq.RECONNECT_IVL_MAX, RECONNECT_IVL_MAX_MS)
        self.socket.setsockopt(zmq.HEARTBEAT_IVL, HEARTBEAT_IVL_MS)
        self.socket.setsockopt(zmq.HEARTBEAT_TIMEOUT, HEARTBEAT_TIMEOUT_MS)
        self.socket.connect(endpoint)
        self.in_flight = 0
        self.suspect_until = 0.0

    def try_send(self, frames: list[bytes]) -> bool:
        """Hand one message to the socket without waiting; False when the worker is not
        connected (nothing of the message is sent then)."""
        try:
            self.socket.send_multipart(frames, flags=zmq.DONTWAIT)
        except zmq.Again:
            return False
        return True


class ZmqTransport:
    def __init__(
        self, endpoints: Sequence[str], deliver: Deliver, curve: CurveClientKeys | None = None
    ) -> None:
        if not endpoints:
            raise ValueError("ZmqTransport needs at least one API worker endpoint")
        self._endpoints = list(endpoints)
        self._curve = curve
        self._deliver = deliver
        self._context: zmq.Context[zmq.Socket[bytes]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._workers: list[_Worker] = []
        self._pending: dict[int, tuple[Call, _Worker]] = {}
        self._turn = 0
        # Batches started in this turn of the event loop, sent together at its end.
        self._outbox: list[tuple[str, Sequence[Call]]] = []

    def _ensure_workers(self) -> None:
        # Sockets are made on first use, inside the running event loop that will read them.
        if self._context is not None:
            return
        self._context = zmq.Context()
        self._loop = asyncio.get_running_loop()
        for endpoint in self._endpoints:
            self._add_worker(endpoint)

    def _add_worker(self, endpoint: str) -> None:
        assert self._context is not None
        assert self._loop is not None
        worker = _Worker(self._context, endpoint, self._curve)
        self._loop.add_reader(worker.socket.FD, self._drain, worker)
        self._workers.append(worker)

    async def use_endpoints(self, discovered: Sequence[str]) -> None:
        """Workers found by discovery: connect to the new ones; drop the ones that were found
        before and are gone (the configured endpoints always stay)."""
        self._ensure_workers()
        wanted = set(self._endpoints) | set(discovered)
        known = {worker.endpoint for worker in self._workers}
        for endpoint in sorted(wanted - known):
            log.info("connecting to discovered worker %s", endpoint)
            self._add_worker(endpoint)
        for worker in [w for w in self._workers if w.endpoint not in wanted]:
            if worker.in_flight:
                continue  # its calls are answered or expire first; dropped at a later look
            log.info("dropping worker %s: no longer registered", worker.endpoint)
            self._workers.remove(worker)
            self._close_worker(worker)

    def _ranked(self, exclude: set[str]) -> list[_Worker]:
        """Workers to try in order: healthy before suspect, then least busy, rotating ties."""
        now = time.monotonic()
        self._turn += 1
        count = len(self._workers)
        rotated = [self._workers[(self._turn + i) % count] for i in range(count)]
        return sorted(
            (w for w in rotated if w.endpoint not in exclude),
            key=lambda w: (w.suspect_until > now, w.in_flight),
        )

    def send(self, trace_id: str, calls: Sequence[Call]) -> None:
        """Queue a batch; it leaves at the end of this turn of the event loop, in one message
        with every other batch started in the same turn (pages whose requests arrived
        together): each message wakes ZeroMQ's I/O thread, which shares the front's core."""
        self._ensure_workers()
        assert self._loop is not None
        if not self._outbox:
            self._loop.call_soon(self._flush)
        self._outbox.append((trace_id, calls))

    def _flush(self) -> None:
        outbox, self._outbox = self._outbox, []
        batches = []
        for trace_id, calls in outbox:
            live = [c for c in calls if not c.done]
            if not live:
                continue
            frame = _batch_frame(trace_id, live)
            if len(frame) > MAX_FRAME_BYTES:
                # A worker's socket would drop the connection, and every other page's replies
                # on it with it: such a batch is answered here and never sent.
                self._refuse_oversized(live, len(frame))
                continue
            batches.append((frame, live))
        for start in range(0, len(batches), MAX_BATCHES_PER_MESSAGE):
            self._send_message(batches[start : start + MAX_BATCHES_PER_MESSAGE])

    def _refuse_oversized(self, calls: Sequence[Call], size: int) -> None:
        error = f"batch of {size} bytes is over the wire's {MAX_FRAME_BYTES}-byte limit"
        log.warning("not sent: %s", error)
        for call in calls:
            self._deliver(call, envelope_pb2.RESOURCE_EXHAUSTED, None, error, 0)

    def _send_message(self, batches: Sequence[tuple[bytes, Sequence[Call]]]) -> None:
        frames = [frame for frame, _calls in batches]
        for worker in self._ranked(exclude=set()):
            if worker.try_send(frames):
                for _frame, calls in batches:
                    self._mark_in_flight(worker, calls)
                self._drain_soon(worker)
                return
            worker.suspect_until = time.monotonic() + SUSPECT_SECONDS
        # No worker connected right now: try again shortly; the deadlines bound the wait.
        loop = asyncio.get_running_loop()
        for _frame, calls in batches:
            loop.call_later(UNSENT_RETRY_SECONDS, self.send, calls[0].trace_id, calls)

    def resend(self, call: Call) -> bool:
        if call.done or not self._workers:
            return False
        tried = self._pending.get(call.id)
        if tried is not None:
            tried[1].suspect_until = time.monotonic() + SUSPECT_SECONDS
        exclude = {tried[1].endpoint} if tried is not None else set()
        frames = [_batch_frame(call.trace_id, [call])]
        for worker in self._ranked(exclude):
            if worker.try_send(frames):
                self._release(call)
                self._mark_in_flight(worker, [call])
                self._drain_soon(worker)
                return True
        return False

    def _drain_soon(self, worker: _Worker) -> None:
        # A send may have taken the descriptor's edge for replies already waiting.
        if self._loop is not None:
            self._loop.call_soon(self._drain, worker)

    def _mark_in_flight(self, worker: _Worker, calls: Sequence[Call]) -> None:
        for call in calls:
            call.sent = True
            call.attempts += 1
            worker.in_flight += 1
            self._pending[call.id] = (call, worker)

    def _release(self, call: Call) -> None:
        entry = self._pending.pop(call.id, None)
        if entry is not None:
            entry[1].in_flight -= 1

    def forget(self, call: Call) -> None:
        self._release(call)

    def _drain(self, worker: _Worker) -> None:
        """Every reply waiting on the worker's socket, each delivered to its call."""
        while True:
            try:
                frames = worker.socket.recv_multipart(zmq.DONTWAIT)
            except zmq.Again:
                return
            except zmq.ZMQError:
                return  # closed under us (close() ran): nothing more to read
            # A worker sends the replies it finished together as one message, a frame each.
            for frame in frames:
                try:
                    self._receive(worker, frame)
                except Exception:
                    # Keep draining: a reply left unread would wait for the next edge, maybe
                    # forever.
                    log.exception("a reply from %s could not be delivered", worker.endpoint)

    def _receive(self, worker: _Worker, frame: bytes) -> None:
        try:
            reply = envelope_pb2.Reply.FromString(frame)
        except DecodeError:
            log.warning("unreadable reply from %s", worker.endpoint)
            return
        if reply.call_id == 0:
            log.warning("worker %s refused a batch: %s", worker.endpoint, reply.error)
            return
        entry = self._pending.get(reply.call_id)
        if entry is None:
            return  # settled already: a late reply to a retried or expired call
        if reply.status == envelope_pb2.UNAVAILABLE:
            worker.suspect_until = time.monotonic() + SUSPECT_SECONDS
            if reply.not_started:
                self._send_elsewhere(entry[0])
                return
        self._release(entry[0])
        ok = reply.status == envelope_pb2.OK
        entry[0].retry_after_seconds = reply.retry_after_seconds
        self._deliver(
            entry[0], reply.status, reply.response if ok else None, reply.error, len(frame)
        )

    def _send_elsewhere(self, call: Call) -> None:
        """A call the worker refused without starting it (stopping, saturated): safe to send
        again, a write too; to another worker now, or to the best one shortly. Its deadline
        bounds the tries."""
        if self.resend(call):
            return
        self._release(call)
        assert self._loop is not None
        self._loop.call_later(NOT_STARTED_RETRY_SECONDS, self.send, call.trace_id, [call])

    def _close_worker(self, worker: _Worker) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(worker.socket.FD)
        worker.socket.close(linger=0)

    async def close(self) -> None:
        for worker in self._workers:
            self._close_worker(worker)
        if self._context is not None:
            self._context.term()
        self._workers.clear()
        self._context = None


def _batch_frame(trace_id: str, calls: Sequence[Call]) -> bytes:
    """One envelope for these calls, each with what is left of its deadline."""
    return envelope_pb2.Batch(
        trace_id=trace_id,
        calls=[
            envelope_pb2.Call(
                id=call.id,
                method=call.method.full_name,
                request=call.request.SerializeToString(),
                deadline_ms=(left := _remaining_ms(call)),
                deadline_unix_ms=int(time.time() * 1000) + left,
            )
            for call in calls
        ],
    ).SerializeToString()


def _remaining_ms(call: Call) -> int:
    loop: Any = asyncio.get_running_loop()
    left = call.started + call.deadline - loop.time()
    return max(1, int(left * 1000))
