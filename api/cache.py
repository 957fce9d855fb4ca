"""A per-process cache for what every call needs and rarely changes (the category tree)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any


class TtlCache:
    """Values kept for a fixed time; concurrent misses for one key share one load.

    A load runs in a task of its own: a caller cut off by its deadline stops waiting, but the
    load goes on and is stored, so the next caller finds it instead of starting again — a load
    slower than one deadline still completes.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._values: dict[str, tuple[float, Any]] = {}
        self._loading: dict[str, asyncio.Task[Any]] = {}

    async def get(self, key: str, ttl: float, load: Callable[[], Awaitable[Any]]) -> Any:
        hit = self._values.get(key)
        if hit is not None and hit[0] > self._clock():
            return hit[1]
        task = self._loading.get(key)
        if task is None:
            task = asyncio.ensure_future(load())
            self._loading[key] = task
            task.add_done_callback(lambda done: self._finish(key, ttl, done))
        return await asyncio.shield(task)

    def _finish(self, key: str, ttl: float, task: asyncio.Task[Any]) -> None:
        del self._loading[key]
        if not task.cancelled() and task.exception() is None:
            self._values[key] = (self._clock() + ttl, task.result())

    def clear(self) -> None:
        self._values.clear()
