"""A bare ZeroMQ DEALER for tests that speak to a worker as an outsider would: no client
library, optionally with CURVE keys of its own."""

from __future__ import annotations

import time
from types import TracebackType
from typing import Self

import zmq

from contract import envelope_pb2

PING = "shop.v1.Operations/Ping"
POLL_MS = 50
SEND_TIMEOUT_MS = 1000


def ping_batch(call_id: int = 1, trace_id: str = "raw-peer") -> bytes:
    call = envelope_pb2.Call(id=call_id, method=PING, request=b"", deadline_ms=1000)
    return envelope_pb2.Batch(trace_id=trace_id, calls=[call]).SerializeToString()


class RawPeer:
    """One DEALER connected to `endpoint`; `curve` = (public, secret, server public) keys."""

    def __init__(self, endpoint: str, curve: tuple[bytes, bytes, bytes] | None = None) -> None:
        self._context = zmq.Context()
        self.socket = self._context.socket(zmq.DEALER)
        self.socket.linger = 0
        self.socket.sndtimeo = SEND_TIMEOUT_MS
        if curve is not None:
            self.socket.curve_publickey, self.socket.curve_secretkey = curve[0], curve[1]
            self.socket.curve_serverkey = curve[2]
        self.socket.connect(endpoint)

    def send(self, frame: bytes) -> bool:
        """False when the socket would not take it: a refused handshake can leave a DEALER
        with no peer, and its send would block for ever."""
        try:
            self.socket.send(frame)
        except zmq.Again:
            return False
        return True

    def replies(self, wait_seconds: float) -> list[envelope_pb2.Reply]:
        """Every reply that arrives within `wait_seconds`."""
        got: list[envelope_pb2.Reply] = []
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            if self.socket.poll(POLL_MS):
                got.extend(envelope_pb2.Reply.FromString(f) for f in self.socket.recv_multipart())
        return got

    def ask(self, frame: bytes, wait_seconds: float = 5.0) -> list[envelope_pb2.Reply]:
        """Send `frame` and return the replies once one came (or none after `wait_seconds`)."""
        if not self.send(frame):
            return []
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            if self.socket.poll(POLL_MS):
                return [envelope_pb2.Reply.FromString(f) for f in self.socket.recv_multipart()]
        return []

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.socket.close(linger=0)
        self._context.term()
