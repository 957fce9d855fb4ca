"""Runs one call: finds the method's implementation from the descriptors, decodes, bounds, answers.

Both servers (ZeroMQ and HTTP JSON) go through `Dispatcher.execute`, so a method behaves the
same whichever way it is reached.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from google.protobuf.message import DecodeError, Message

from api import metrics
from api.answers import Answer, AnswerCache
from api.cache import SharedReads
from api.context import CallContext
from api.db import refused_by_database
from contract import METHODS, Method, envelope_pb2
from contract.errors import ApiError
from vitrine.metrics import child

log = logging.getLogger("vitrine.api")

# A caller may ask for at most this much time; more is cut down to it.
MAX_DEADLINE_MS = 30_000
# A cacheable read runs at most this long (or its caller's deadline, if longer), even once
# every call that waited for it has given up: its answer then serves the calls that come next.
SHARED_READ_SECONDS = 5.0
DATABASE_REFUSED = "the database cannot take this request now"
LATE_CALL = "the caller's deadline had passed when the worker got to the call"

Implementation = Callable[[CallContext, Any], Awaitable[Message]]
# (trace id, the batch's moment, time.monotonic() when the caller stops waiting)
ContextFactory = Callable[[str, datetime, float], CallContext]


class MissingImplementationError(RuntimeError):
    """An rpc in the .proto has no async function in api/services: the worker refuses to start."""


def find_implementations(methods: Mapping[str, Method] = METHODS) -> dict[str, Implementation]:
    """Map each declared method to `api.services.<service>.<method_in_snake_case>`."""
    found: dict[str, Implementation] = {}
    missing: list[str] = []
    for method in methods.values():
        module_name = f"api.services.{method.service_attr}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise  # the module exists but something it imports does not
            module = None
        function = getattr(module, method.function_name, None)
        if function is None or not inspect.iscoroutinefunction(function):
            missing.append(f"{method.full_name} -> {module_name}.{method.function_name}")
            continue
        found[method.full_name] = function
    if missing:
        raise MissingImplementationError("no async implementation for: " + ", ".join(missing))
    return found


@dataclass(frozen=True)
class Outcome:
    """What one call came to: a status, the answer when OK, a reason otherwise."""

    status: int
    answer: Answer | None = None
    error: str = ""
    # A rate limit's word on when a retry can pass (seconds); 0: not said.
    retry_after_seconds: int = 0


def _measured(
    execute: Callable[..., Awaitable[Outcome]],
) -> Callable[..., Awaitable[Outcome]]:
    """Counts each call by method and status, and times it, whichever way it ends."""

    @functools.wraps(execute)
    async def measured(self: Dispatcher, method: Method, *args: Any, **kwargs: Any) -> Outcome:
        started = time.perf_counter()
        outcome = await execute(self, method, *args, **kwargs)
        _count(method.full_name, outcome.status, started)
        return outcome

    return measured


def _count(name: str, status: int, started: float) -> None:
    """A call of `name` ended with `status`, `started` at this time.perf_counter()."""
    child(metrics.worker_call_seconds, name).observe(time.perf_counter() - started)
    child(metrics.worker_calls, name, envelope_pb2.Status.Name(status)).inc()


class Dispatcher:
    def __init__(
        self,
        implementations: Mapping[str, Implementation],
        make_context: ContextFactory,
        *,
        default_deadline_ms: int,
        delays_ms: Mapping[str, int] | None = None,
        faults: Mapping[str, str] | None = None,
        cache: AnswerCache | None = None,
    ) -> None:
        self._implementations = implementations
        self._cache = cache
        self._make_context = make_context
        self._default_deadline_ms = default_deadline_ms
        # Benchmark and test knob (settings.api_delays_ms): added latency per method.
        self._delays = {name: ms / 1000 for name, ms in (delays_ms or {}).items()}
        # Test knob (settings.api_faults): methods that always answer one error status.
        self._faults = {
            name: envelope_pb2.Status.Value(status) for name, status in (faults or {}).items()
        }
        # Cacheable reads running now, by method and request: a call for the same answer
        # waits for the running read instead of starting another (see _cached).
        self._shared_reads: SharedReads[tuple[str, bytes], Outcome] = SharedReads()

    def deadline_seconds(self, deadline_ms: int) -> float:
        return min(deadline_ms or self._default_deadline_ms, MAX_DEADLINE_MS) / 1000

    def _refusal(
        self, method: Method, implementation: Implementation | None, deadline: float
    ) -> Outcome | None:
        """What a call is answered without running: no such method, an injected fault, or a
        caller that has already given up."""
        if implementation is None:
            return Outcome(envelope_pb2.UNIMPLEMENTED, error=f"no method {method.full_name}")
        if fault := self._faults.get(method.full_name):
            return Outcome(fault, error="injected by VITRINE_API_FAULTS")
        if deadline <= 0:
            return Outcome(envelope_pb2.DEADLINE_EXCEEDED, error=LATE_CALL)
        return None

    def _time_left(self, deadline_ms: int, deadline_at: float) -> float:
        """Seconds the call may take: its budget, cut to what the caller's clock leaves."""
        deadline = self.deadline_seconds(deadline_ms)
        return min(deadline, deadline_at - time.time()) if deadline_at else deadline

    @_measured
    async def execute(
        self,
        method: Method,
        request: Message,
        *,
        deadline_ms: int,
        trace_id: str,
        now: datetime,
        request_bytes: bytes | None = None,
        deadline_at: float = 0.0,
    ) -> Outcome:
        """Run an already decoded request within its deadline; never raises for a bad call.

        `request_bytes`, the request as it arrived, keys the answer cache; when absent it is
        serialized deterministically, which only a cacheable method needs. `deadline_at`, the
        caller's wall clock (Unix seconds) when it stops waiting, shortens the deadline: a call
        that waited past it (in a stalled worker's queue) is not started at all.
        """
        implementation = self._implementations.get(method.full_name)
        deadline = self._time_left(deadline_ms, deadline_at)
        if refused := self._refusal(method, implementation, deadline):
            return refused
        assert implementation is not None  # else refused
        expires_at = time.monotonic() + deadline
        cache = self._cache if method.cache_seconds else None
        key = b""
        if cache is not None:
            key = request_bytes or request.SerializeToString(deterministic=True)

        async def read() -> Outcome:
            """The implementation's answer, or what its error comes to (never raises but for
            cancellation)."""
            try:
                context = self._make_context(trace_id, now, expires_at)
                response = await implementation(context, request)
            except ApiError as error:
                return Outcome(
                    error.status,
                    error=error.message,
                    retry_after_seconds=error.retry_after_seconds,
                )
            except Exception as error:
                if refused_by_database(error):
                    # The database refuses now (read-only, gone, locked too long): another try
                    # may work, so the caller says "try again" rather than "our error".
                    log.warning(
                        "trace=%s method=%s database refused: %s",
                        trace_id,
                        method.full_name,
                        str(error).splitlines()[0],
                    )
                    return Outcome(envelope_pb2.UNAVAILABLE, error=DATABASE_REFUSED)
                log.exception("trace=%s method=%s failed", trace_id, method.full_name)
                return Outcome(envelope_pb2.INTERNAL, error=f"internal error (trace {trace_id})")
            return self._answer(method, response, trace_id, cache, key)

        async def answer() -> Outcome:
            if delay := self._delays.get(method.full_name):
                await asyncio.sleep(delay)
            if cache is None:
                return await read()
            return await self._cached(method, read, cache=cache, key=key, deadline=deadline)

        return await _bounded(answer(), deadline)

    async def _cached(
        self,
        method: Method,
        read: Callable[[], Awaitable[Outcome]],
        *,
        cache: AnswerCache,
        key: bytes,
        deadline: float,
    ) -> Outcome:
        """A cacheable read: from the cache, else from the one read of it that is running (or
        starts now). A caller whose deadline passes first gets DEADLINE_EXCEEDED, but the read
        goes on and caches its answer: under load, a read slower than its callers' deadlines
        would otherwise be cancelled again and again, never reach the cache, and every caller
        would start one more. Its log lines carry the trace of the call that started it.

        An answer due for renewal (api/answers.py) is served, and the first call to find it
        starts its next read in the background: an answer asked for all the time never expires
        under its callers, who would each wait for the database in turn (the half-load tail of
        bench/README.md)."""
        name = method.full_name
        shared = (name, key)

        async def fill() -> Outcome:
            # The shared read of this answer (it caches an OK answer itself).
            return await _bounded(read(), max(deadline, SHARED_READ_SECONDS))

        hit, due = cache.get(name, key)
        if hit:
            # Near the end of its life: renewed in the background, served as it is meanwhile.
            renew = due and shared not in self._shared_reads
            if renew:
                self._shared_reads.start(shared, fill)
            child(metrics.answer_cache, name, "renew" if renew else "hit").inc()
            return Outcome(envelope_pb2.OK, hit)
        joined = shared in self._shared_reads
        child(metrics.answer_cache, name, "joined" if joined else "miss").inc()
        return await self._shared_reads.join(shared, fill)

    async def finish_shared_reads(self) -> None:
        """Wait for the reads still running (each bounded by SHARED_READ_SECONDS), before the
        database engine they use is closed."""
        await self._shared_reads.finish()

    def _answer(
        self,
        method: Method,
        response: Message,
        trace_id: str,
        cache: AnswerCache | None,
        key: bytes,
    ) -> Outcome:
        if not isinstance(response, method.response_class):
            log.error(
                "trace=%s method=%s returned %s",
                trace_id,
                method.full_name,
                type(response).__name__,
            )
            return Outcome(envelope_pb2.INTERNAL, error=f"internal error (trace {trace_id})")
        answer = Answer(response)
        if cache is not None:
            cache.put(method.full_name, key, answer, method.cache_seconds)
        return Outcome(envelope_pb2.OK, answer)

    def reply_from_cache(self, call: Any, trace_id: str) -> Any | None:
        """The reply to an envelope Call whose answer the cache holds, made on the spot: no
        request decoded, no task, no timer. On a busy shop most calls are such (the product
        page's navigation, product, related products and reviews), and each task and timeout
        of the full path cost the worker more than the answer itself (docs/performance.md).

        None sends the call the full way (run_call): not cacheable, not cached, an answer due
        for renewal that nobody renews yet (the full path starts the read), a method with a
        benchmark delay or an injected fault, or a caller that has already given up."""
        started = time.perf_counter()
        cache = self._cache
        method = METHODS.get(call.method)
        if cache is None or method is None or not method.cache_seconds:
            return None
        name = method.full_name
        if name in self._delays or name in self._faults:
            return None
        if call.deadline_unix_ms and call.deadline_unix_ms <= time.time() * 1000:
            return None
        hit, due = cache.get(name, call.request)
        if hit is None or (due and (name, call.request) not in self._shared_reads):
            return None
        reply = make_reply(call.id, trace_id, envelope_pb2.OK)
        reply.response = hit.wire()
        child(metrics.answer_cache, name, "hit").inc()
        _count(name, envelope_pb2.OK, started)
        return reply

    async def run_call(self, call: Any, *, trace_id: str, now: datetime) -> Any:
        """One envelope Call to one envelope Reply."""
        method = METHODS.get(call.method)
        if method is None:
            return make_reply(
                call.id, trace_id, envelope_pb2.UNIMPLEMENTED, f"unknown method {call.method!r}"
            )
        request = method.request_class()
        try:
            request.ParseFromString(call.request)
        except DecodeError:
            return make_reply(
                call.id,
                trace_id,
                envelope_pb2.INVALID_ARGUMENT,
                f"request does not parse as {method.request_class.DESCRIPTOR.full_name}",
            )
        outcome = await self.execute(
            method,
            request,
            deadline_ms=call.deadline_ms,
            trace_id=trace_id,
            now=now,
            request_bytes=call.request,
            deadline_at=call.deadline_unix_ms / 1000,
        )
        reply = make_reply(call.id, trace_id, outcome.status, outcome.error)
        reply.retry_after_seconds = outcome.retry_after_seconds
        if outcome.answer is not None:
            reply.response = outcome.answer.wire()
        return reply


async def _bounded(outcome: Awaitable[Outcome], seconds: float) -> Outcome:
    """`outcome`, or DEADLINE_EXCEEDED when it takes longer than `seconds` (it is cancelled)."""
    try:
        async with asyncio.timeout(seconds):
            return await outcome
    except TimeoutError:
        return Outcome(envelope_pb2.DEADLINE_EXCEEDED, error="the call ran out of time")


def make_reply(
    call_id: int, trace_id: str, status: int, error: str = "", *, not_started: bool = False
) -> Any:
    """A reply for one call, or (call_id 0) for a whole envelope that could not be read."""
    return envelope_pb2.Reply(
        call_id=call_id,
        status=cast("envelope_pb2.Status", status),  # any number: a newer peer's status too
        error=error,
        trace_id=trace_id,
        not_started=not_started,
    )
