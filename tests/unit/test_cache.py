"""The per-worker TTL cache: shared loads, expiry, and loads that outlive a caller's deadline."""

from __future__ import annotations

import asyncio

import pytest

from api.cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_concurrent_misses_share_one_load_and_the_value_expires():
    clock = Clock()
    cache = TtlCache(clock)
    loads: list[int] = []

    async def load() -> int:
        loads.append(1)
        await asyncio.sleep(0.01)
        return len(loads)

    async def scenario():
        first = await asyncio.gather(*(cache.get("k", 10, load) for _ in range(5)))
        clock.now = 9.9
        cached = await cache.get("k", 10, load)
        clock.now = 10.1
        fresh = await cache.get("k", 10, load)
        return first, cached, fresh

    first, cached, fresh = asyncio.run(scenario())
    assert first == [1] * 5
    assert cached == 1
    assert fresh == 2


def test_a_load_slower_than_a_callers_deadline_still_completes_for_the_next_caller():
    cache = TtlCache(Clock())
    loads: list[int] = []

    async def slow_load() -> str:
        loads.append(1)
        await asyncio.sleep(0.1)
        return "tree"

    async def scenario():
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.02):
                await cache.get("tree", 30, slow_load)
        await asyncio.sleep(0.15)
        return await cache.get("tree", 30, slow_load)

    assert asyncio.run(scenario()) == "tree"
    assert loads == [1]


def test_a_failed_load_is_not_stored_and_every_waiter_gets_its_error():
    cache = TtlCache(Clock())

    async def broken() -> str:
        await asyncio.sleep(0)
        raise ValueError("database gone")

    async def scenario():
        results = await asyncio.gather(
            *(cache.get("k", 5, broken) for _ in range(3)), return_exceptions=True
        )

        async def working() -> str:
            return "ok"

        return results, await cache.get("k", 5, working)

    results, after = asyncio.run(scenario())
    assert [str(r) for r in results] == ["database gone"] * 3
    assert after == "ok"
