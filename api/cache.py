"""A small per-process cache for data every call needs and that changes rarely (the category tree)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any


class TtlCache:
    """Values kept for a fixed time; concurrent misses for one key share one load."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._values: dict[str, tuple[float, Any]] = {}
        self._loading: dict[str, asyncio.Future[Any]] = {}

    async def get(self, key: str, ttl: float, load: Callable[[], Awaitable[Any]]) -> Any:
        hit = self._values.get(key)
        if hit is not None and hit[0] > self._clock():
            return hit[1]
        if key in self._loading:
            return await asyncio.shield(self._loading[key])
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        try:
            value = await load()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # the waiters, if any, get it; none is not an error
            raise
        else:
            self._values[key] = (self._clock() + ttl, value)
            future.set_result(value)
            return value
        finally:
            del self._loading[key]

    def clear(self) -> None:
        self._values.clear()
