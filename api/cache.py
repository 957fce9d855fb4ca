"""One read per key at a time (SharedReads), and the per-process cache for what every call needs
and rarely changes (the category tree) built on it; the dispatcher's answer cache uses it too."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class SharedReads(Generic[K, T]):
    """At most one read per key at a time: calls for the same key wait for the read running.

    A read runs in a task of its own: a caller cut off by its deadline stops waiting, but the
    read goes on and keeps what it read (each read stores its own result), so the next caller
    finds it instead of starting again — a read slower than one deadline still completes.
    """

    def __init__(self) -> None:
        self._running: dict[K, asyncio.Task[T]] = {}

    def start(self, key: K, read: Callable[[], Coroutine[Any, Any, T]]) -> asyncio.Task[T]:
        """The read running for `key`, or `read()` started now; no caller waits for it here."""
        task = self._running.get(key)
        if task is None:
            task = asyncio.create_task(read())
            self._running[key] = task
            task.add_done_callback(lambda done: self._end(key, done))
        return task

    async def join(self, key: K, read: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """What the read for `key` (running, or started now) comes to; its error, if it fails.
        A caller that stops waiting (cancelled by its deadline) leaves the read running."""
        return await asyncio.shield(self.start(key, read))

    def _end(self, key: K, task: asyncio.Task[T]) -> None:
        if self._running.get(key) is task:
            del self._running[key]
        if not task.cancelled():
            # Its waiters got the error; with none left, nobody is owed it (and asyncio would
            # log "exception was never retrieved").
            task.exception()

    def __contains__(self, key: K) -> bool:
        return key in self._running

    def __len__(self) -> int:
        return len(self._running)

    async def finish(self) -> None:
        """Wait for the reads still running (before what they read from is closed)."""
        if self._running:
            await asyncio.wait(set(self._running.values()))


class TtlCache:
    """Values kept for a fixed time; concurrent misses for one key share one load, which is
    kept even when every caller's deadline passed before it ended (SharedReads)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._values: dict[str, tuple[float, Any]] = {}
        self._loads: SharedReads[str, Any] = SharedReads()

    async def get(self, key: str, ttl: float, load: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
        hit = self._values.get(key)
        if hit is not None and hit[0] > self._clock():
            return hit[1]

        async def load_and_keep() -> Any:
            value = await load()
            self._values[key] = (self._clock() + ttl, value)
            return value

        return await self._loads.join(key, load_and_keep)

    def clear(self) -> None:
        self._values.clear()
