"""The batch API the page handlers use.

A handler adds its calls to a batch, each with a deadline and required or optional, then awaits
the batch once. The batch travels as one message; each call resolves as its reply arrives, and
the batch is done when its last call settles — by reply or by deadline, never later. A failed
required call ends the wait at once with its domain error.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast

from google.protobuf.message import Message

from api_client import metrics
from api_client.services import BatchServices, ClientServices
from contract import METHODS, METHODS_BY_SERVICE_ATTR, Method, envelope_pb2
from contract.errors import ApiError, error_for
from vitrine.metrics import child

if TYPE_CHECKING:
    from vitrine.config import Settings

log = logging.getLogger("vitrine.api_client")

# An idempotent read with no reply after this share of its deadline is sent once more, to
# another worker; whichever reply comes first wins.
RETRY_AFTER_SHARE = 0.5

# A shop-wide answer (see SharedAnswers) is kept by a front for this share of its method's
# `cache_seconds`: a page shows it at most 1.25 times those seconds old.
KEEP_SHARE = 0.25

# The message a call answers (services.pyi names it per method).
Response = TypeVar("Response", bound=Message)


class Call(Generic[Response]):
    """One call of a batch: what was asked, and once settled, what came back."""

    __slots__ = (
        "attempts",
        "deadline",
        "duration",
        "error_text",
        "id",
        "kept",
        "loop",
        "method",
        "on_settle",
        "payload",
        "reply",
        "request",
        "required",
        "response_size",
        "retry_after_seconds",
        "retry_at",
        "sent",
        "started",
        "status",
        "trace_id",
    )

    def __init__(
        self, call_id: int, method: Method, request: Message, *, required: bool, deadline: float
    ) -> None:
        self.id = call_id
        self.method = method
        self.request = request
        self.required = required
        self.deadline = deadline  # seconds
        self.status: int = envelope_pb2.STATUS_UNSPECIFIED
        self.payload: bytes | Message | None = None
        # The response bytes as they arrived, kept after `result()` decodes them.
        self.reply: bytes | None = None
        self.error_text = ""
        # A rate limit's word on when to try again (the reply's retry_after_seconds).
        self.retry_after_seconds = 0
        self.duration = 0.0  # seconds from send to settle
        self.response_size = 0
        self.attempts = 0  # sends, counting a retry
        self.sent = False  # reached some worker's socket
        # Told when the call settles: its batch, which wakes its page once per batch, not per call.
        self.on_settle: Callable[[Call], None] | None = None
        self.started = 0.0
        self.trace_id = ""
        self.loop: asyncio.AbstractEventLoop | None = None
        # When an idempotent call with no reply yet is sent again (loop time); 0: not (any more).
        self.retry_at = 0.0
        # Answered from this front's SharedAnswers, never sent.
        self.kept = False

    @property
    def done(self) -> bool:
        return self.status != envelope_pb2.STATUS_UNSPECIFIED

    @property
    def ok(self) -> bool:
        return self.status == envelope_pb2.OK

    def result(self) -> Response:
        """The response message, or the call's domain error raised."""
        if not self.done:
            raise RuntimeError(f"{self.method.full_name} has not settled: await its batch first")
        if not self.ok:
            raise self.failure()
        if isinstance(self.payload, bytes):
            self.payload = self.method.response_class.FromString(self.payload)
        return cast("Response", self.payload)

    def outcome(self) -> tuple[str, int, bytes | str]:
        """What this call answered, as a comparable value: its method, its status, and the
        response bytes (its error text when it failed). Equal outcomes, equal pages."""
        if not self.ok:
            return (self.method.full_name, self.status, self.error_text)
        if self.reply is None and isinstance(self.payload, Message):
            # A transport that decodes for us (HTTP JSON): its message, in canonical bytes.
            self.reply = self.payload.SerializeToString(deterministic=True)
        return (self.method.full_name, self.status, self.reply or b"")

    @property
    def value(self) -> Response | None:
        """The response message, or None when the call failed: for optional blocks."""
        return self.result() if self.ok else None

    @property
    def error(self) -> ApiError | None:
        return None if self.ok or not self.done else self.failure()

    def failure(self) -> ApiError:
        """The domain error this settled, failed call stands for."""
        return error_for(
            self.status,
            self.error_text,
            self.method.full_name,
            retry_after_seconds=self.retry_after_seconds,
        )

    def settle(
        self, status: int, payload: bytes | Message | None = None, error: str = "", size: int = 0
    ) -> bool:
        """Record the outcome; the first settle wins and later ones (a late reply) are ignored."""
        if self.done:
            return False
        self.status, self.payload, self.error_text, self.response_size = (
            status,
            payload,
            error,
            size,
        )
        if isinstance(payload, bytes):
            self.reply = payload
        if self.loop is not None:
            self.duration = self.loop.time() - self.started
        if self.on_settle is not None:
            self.on_settle(self)
        return True

    def __repr__(self) -> str:
        state = envelope_pb2.Status.Name(self.status)
        return f"<Call {self.id} {self.method.full_name} {state}>"


class Transport(Protocol):
    """How calls reach workers: ZeroMQ (api_client.zmq_transport) or HTTP JSON (http_transport).

    A transport sends calls and reports each reply to the `deliver` callback it was built with.
    """

    def send(self, trace_id: str, calls: Sequence[Call]) -> None: ...

    def resend(self, call: Call) -> bool:
        """Send one call again to a worker it has not tried; False when there is none."""
        ...

    def forget(self, call: Call) -> None:
        """The call settled without a reply (deadline): drop its bookkeeping."""
        ...

    async def use_endpoints(self, discovered: Sequence[str]) -> None:
        """Workers discovery found (Operations/ListWorkers): reach them too."""
        ...

    async def close(self) -> None: ...


Deliver = Callable[[Call, int, "bytes | Message | None", str, int], None]
TransportFactory = Callable[[Deliver], Transport]


# Cacheable methods whose request message has no fields: nothing in it can name a shopper or
# a page, so the answer is the same for everyone.
SHOP_WIDE = frozenset(
    method.full_name
    for method in METHODS.values()
    if method.cache_seconds and not method.request_class.DESCRIPTOR.fields
)


class SharedAnswers:
    """Shop-wide answers a front keeps for a moment: OK replies of cacheable methods (the
    .proto's `cache_seconds`) whose request has no fields (SHOP_WIDE), such as the category
    tree and the shop's policies: the same answer for every page of every shopper. Every page
    asks for the navigation, and the product page for the policies too, so keeping them spares
    the worker and the front two calls of every page (docs/performance.md). Kept for
    KEEP_SHARE of the method's seconds.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._answers: dict[str, tuple[float, bytes]] = {}

    @staticmethod
    def shared(method: Method) -> bool:
        return method.full_name in SHOP_WIDE

    def get(self, method: Method) -> bytes | None:
        """The kept answer of a shop-wide method while it lasts; None otherwise (and for any
        other method, whose answers are never kept)."""
        kept = self._answers.get(method.full_name)
        if kept is None or kept[0] <= self._clock():
            return None
        return kept[1]

    def keep(self, method: Method, reply: bytes) -> None:
        self._answers[method.full_name] = (
            self._clock() + method.cache_seconds * KEEP_SHARE,
            reply,
        )


class ApiClient(ClientServices):
    """One per process: `api.batch()` for pages; `await api.catalog.GetProduct(id=1)` alone."""

    def __init__(
        self,
        transport_factory: TransportFactory,
        *,
        default_deadline_ms: int = 1000,
        trace_ids: Callable[[], str] = lambda: secrets.token_hex(8),
        keep_shared_answers: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._transport = transport_factory(self._deliver)
        self._shared = SharedAnswers(clock) if keep_shared_answers else None
        self._default_deadline = default_deadline_ms / 1000
        self._next_id = 0
        self._new_trace_id = trace_ids

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiClient:
        if settings.api_transport == "http":
            from api_client.http_transport import HttpTransport  # noqa: PLC0415

            return cls(
                lambda deliver: HttpTransport(settings.api_http_url, deliver),
                default_deadline_ms=settings.api_deadline_ms,
                keep_shared_answers=settings.api_answer_cache,
            )
        from api_client.zmq_transport import CurveClientKeys, ZmqTransport  # noqa: PLC0415

        curve = None
        if settings.curve_front_secret is not None and settings.curve_worker_public is not None:
            curve = CurveClientKeys.from_files(
                settings.curve_front_secret, settings.curve_worker_public
            )
        return cls(
            lambda deliver: ZmqTransport(settings.api_endpoints, deliver, curve),
            default_deadline_ms=settings.api_deadline_ms,
            keep_shared_answers=settings.api_answer_cache,
        )

    def batch(self, trace_id: str | None = None) -> Batch:
        return Batch(self, trace_id or self._new_trace_id())

    def __getattr__(self, service: str) -> ServiceCalls:
        return service_calls(service, self._call_one)

    async def _call_one(
        self,
        method: Method,
        request: Message,
        *,
        required: bool = True,
        deadline_ms: int | None = None,
    ) -> Any:
        batch = self.batch()
        call = batch.add(method, request, required=required, deadline_ms=deadline_ms)
        await batch
        return call.result()

    def new_call(
        self, method: Method, request: Message, *, required: bool, deadline_ms: int | None
    ) -> Call:
        self._next_id += 1
        deadline = deadline_ms / 1000 if deadline_ms else self._default_deadline
        call: Call[Any] = Call(self._next_id, method, request, required=required, deadline=deadline)
        if self._shared is not None and (reply := self._shared.get(method)) is not None:
            call.kept = True
            call.settle(envelope_pb2.OK, reply, size=len(reply))
        return call

    def send_batch(self, trace_id: str, calls: Sequence[Call]) -> None:
        """Start the clocks of a batch's calls and hand them to the transport as one message.
        The batch's deadlines and retries are watched by one timer (Batch), not two per call."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        for call in calls:
            call.loop = loop
            call.trace_id = trace_id
            call.started = now
            if call.method.idempotent:
                call.retry_at = now + call.deadline * RETRY_AFTER_SHARE
        metrics.api_batch_calls.observe(len(calls))
        log.debug("send trace=%s calls=%s", trace_id, ",".join(c.method.name for c in calls))
        self._transport.send(trace_id, calls)

    def _deliver(
        self, call: Call, status: int, payload: bytes | Message | None, error: str, size: int
    ) -> None:
        # A worker that cannot serve now: an idempotent read gets its one retry at once.
        if (
            status == envelope_pb2.UNAVAILABLE
            and call.method.idempotent
            and call.attempts < 2
            and self._transport.resend(call)
        ):
            child(metrics.api_retries, call.method.full_name, "unavailable").inc()
            return
        if call.settle(status, payload, error, size):
            _observe(call)
            if (
                self._shared is not None
                and status == envelope_pb2.OK
                and isinstance(payload, bytes)
                and self._shared.shared(call.method)
            ):
                self._shared.keep(call.method, payload)

    def expire(self, call: Call) -> None:
        self._transport.forget(call)
        if call.sent:
            settled = call.settle(
                envelope_pb2.DEADLINE_EXCEEDED,
                error=f"no reply within {call.deadline * 1000:.0f} ms",
            )
        else:
            settled = call.settle(envelope_pb2.UNAVAILABLE, error="no API worker is reachable")
        if settled:
            _observe(call)

    def retry(self, call: Call) -> None:
        if not call.done and call.attempts < 2 and self._transport.resend(call):
            child(metrics.api_retries, call.method.full_name, "slow").inc()
            log.warning(
                "retry trace=%s call=%s on another worker", call.trace_id, call.method.full_name
            )

    async def use_endpoints(self, discovered: Sequence[str]) -> None:
        await self._transport.use_endpoints(discovered)

    async def close(self) -> None:
        await self._transport.close()


def _observe(call: Call) -> None:
    name = call.method.full_name
    child(metrics.api_calls, name, envelope_pb2.Status.Name(call.status)).inc()
    child(metrics.api_call_seconds, name).observe(call.duration)


class ServiceCalls:
    """`x.catalog`: one class per service, made once from the descriptors with a method per rpc
    (nothing hand-written); an instance binds them to a batch's `add` (or a client's single
    call). A page names several calls per batch, so a call is a plain method call: no lookup
    by name and no function made per batch (docs/performance.md)."""

    __slots__ = ("_call",)
    _service = ""
    _methods: Mapping[str, Method] = {}

    def __init__(self, call: Callable[..., Any]) -> None:
        self._call = call

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(
            f"{self._service} has no method {name!r}; it has {sorted(self._methods)}"
        )


def _service_method(method: Method) -> Callable[..., Any]:
    def call(
        self: ServiceCalls,
        request: Message | None = None,
        *,
        required: bool = True,
        deadline_ms: int | None = None,
        **fields: Any,
    ) -> Any:
        return self._call(
            method,
            method.new_request(request, **fields),
            required=required,
            deadline_ms=deadline_ms,
        )

    call.__name__ = call.__qualname__ = method.name
    return call


SERVICE_CALLS: dict[str, type[ServiceCalls]] = {
    service: type(
        f"{service.title()}Calls",
        (ServiceCalls,),
        {
            "__slots__": (),
            "_service": service,
            "_methods": methods,
            **{name: _service_method(method) for name, method in methods.items()},
        },
    )
    for service, methods in METHODS_BY_SERVICE_ATTR.items()
}


def service_calls(service: str, call: Callable[..., Any]) -> ServiceCalls:
    calls = SERVICE_CALLS.get(service)
    if calls is None:
        raise AttributeError(f"no service {service!r}; there are {sorted(SERVICE_CALLS)}")
    return calls(call)


class Batch(BatchServices):
    """The calls one page needs, sent as one message and awaited once.

    batch = api.batch(trace_id)
    product = batch.catalog.GetProductBySlug(slug=slug)
    related = batch.catalog.GetRelatedProducts(product_id=pid, required=False, deadline_ms=80)
    await batch          # raises the first failed required call's error
    product.result(), related.value
    """

    def __init__(self, client: ApiClient, trace_id: str) -> None:
        self._client = client
        self.trace_id = trace_id
        self.calls: list[Call] = []
        self._sent = False
        # One future for the whole batch (not one per call awaited with asyncio.wait): set when
        # the last call settles or a required one fails.
        self._done: asyncio.Future[None] | None = None
        self._unsettled = 0
        # One timer for the next deadline or retry among the calls (see _due).
        self._timer: asyncio.TimerHandle | None = None

    def __getattr__(self, service: str) -> ServiceCalls:
        if service.startswith("_"):
            raise AttributeError(service)
        # Kept on the batch: a page asks for `batch.catalog` for most of its calls.
        calls = self.__dict__[service] = service_calls(service, self.add)
        return calls

    def add(
        self,
        method: Method,
        request: Message,
        *,
        required: bool = True,
        deadline_ms: int | None = None,
    ) -> Call:
        if self._sent:
            raise RuntimeError("this batch has been sent; start a new one")
        call = self._client.new_call(method, request, required=required, deadline_ms=deadline_ms)
        self.calls.append(call)
        return call

    async def _send_and_wait(self) -> None:
        """Send the calls as one message, then wait until every one has settled or a required
        one has failed (its domain error is raised)."""
        if self._sent:
            raise RuntimeError("a batch is awaited once")
        self._sent = True
        # Calls answered from the front's shared answers are settled already.
        to_send = [call for call in self.calls if not call.done]
        if not to_send:
            return
        self._done = asyncio.get_running_loop().create_future()
        self._unsettled = len(to_send)
        for call in to_send:
            call.on_settle = self._settled
        self._client.send_batch(self.trace_id, to_send)
        self._watch()
        await self._done
        for call in self.calls:
            if call.required and call.done and not call.ok:
                raise call.failure()

    def _watch(self) -> None:
        """Set the timer for the next deadline or retry among the calls that have not settled."""
        due = [
            when
            for call in self.calls
            if not call.done
            for when in (call.started + call.deadline, call.retry_at)
            if when
        ]
        self._timer = asyncio.get_running_loop().call_at(min(due), self._due) if due else None

    def _due(self) -> None:
        """Expire the calls past their deadline, retry those due for it; then the next timer."""
        now = asyncio.get_running_loop().time()
        for call in self.calls:
            if call.done:
                continue
            if now >= call.started + call.deadline:
                self._client.expire(call)
            elif call.retry_at and now >= call.retry_at:
                call.retry_at = 0.0
                self._client.retry(call)
        self._watch()

    def _settled(self, call: Call) -> None:
        self._unsettled -= 1
        if self._unsettled <= 0 and self._timer is not None:
            self._timer.cancel()
            self._timer = None
        done = self._done
        finished = self._unsettled <= 0 or (call.required and not call.ok)
        if finished and done is not None and not done.done():
            done.set_result(None)

    def __await__(self) -> Any:
        return self._send_and_wait().__await__()
