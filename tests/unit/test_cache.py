"""One read per key at a time (SharedReads), and the per-worker TTL cache built on it: shared
loads, expiry, and loads that outlive a caller's deadline."""

from __future__ import annotations

import asyncio
import gc

import pytest

from api.cache import SharedReads, TtlCache


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


def test_calls_for_one_key_share_one_read_and_the_key_is_free_once_it_ends():
    reads: list[str] = []
    shared: SharedReads[str, str] = SharedReads()

    def read(key: str):
        async def run() -> str:
            reads.append(key)
            number = len(reads)
            await asyncio.sleep(0.01)
            return f"{key}#{number}"

        return run

    async def scenario():
        together = await asyncio.gather(
            shared.join("a", read("a")), shared.join("a", read("a")), shared.join("b", read("b"))
        )
        running_after = len(shared)
        return together, running_after, await shared.join("a", read("a"))

    together, running_after, later = asyncio.run(scenario())
    assert together == ["a#1", "a#1", "b#2"]
    assert reads == ["a", "b", "a"]
    assert running_after == 0
    assert later == "a#3"


def test_a_read_started_in_the_background_is_the_one_the_next_caller_joins():
    """What the dispatcher does with an answer due for renewal: start its read, wait for none."""
    reads: list[int] = []
    shared: SharedReads[str, int] = SharedReads()

    async def read() -> int:
        reads.append(1)
        await asyncio.sleep(0.02)
        return len(reads)

    async def scenario():
        background = shared.start("k", read)
        assert "k" in shared
        assert shared.start("k", read) is background
        joined = await shared.join("k", read)
        await shared.finish()
        return joined

    assert asyncio.run(scenario()) == 1
    assert reads == [1]


def test_a_caller_cut_off_by_its_deadline_leaves_the_read_running_for_the_others():
    shared: SharedReads[str, str] = SharedReads()
    reads: list[int] = []

    async def slow() -> str:
        reads.append(1)
        await asyncio.sleep(0.1)
        return "answer"

    async def scenario():
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.02):
                await shared.join("k", slow)
        assert "k" in shared
        return await shared.join("k", slow)

    assert asyncio.run(scenario()) == "answer"
    assert reads == [1]


def test_a_failed_read_reaches_every_caller_and_the_next_call_reads_again():
    shared: SharedReads[str, str] = SharedReads()
    attempts: list[int] = []

    async def flaky() -> str:
        attempts.append(1)
        await asyncio.sleep(0)
        if len(attempts) == 1:
            raise ValueError("database gone")
        return "ok"

    async def scenario():
        failed = await asyncio.gather(
            *(shared.join("k", flaky) for _ in range(3)), return_exceptions=True
        )
        return failed, await shared.join("k", flaky)

    failed, after = asyncio.run(scenario())
    assert [str(error) for error in failed] == ["database gone"] * 3
    assert after == "ok"
    assert attempts == [1, 1]


def test_a_read_that_fails_after_every_caller_left_is_not_reported_as_unretrieved():
    """Nobody is left to be told: no "Task exception was never retrieved" in the worker's log."""
    shared: SharedReads[str, str] = SharedReads()
    reported: list[dict[str, object]] = []

    async def broken() -> str:
        await asyncio.sleep(0.02)
        raise ValueError("database gone")

    async def scenario():
        asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: reported.append(ctx))
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.005):
                await shared.join("k", broken)
        await shared.finish()
        gc.collect()  # a task logs an unretrieved exception when it is collected
        return len(shared)

    assert asyncio.run(scenario()) == 0
    assert reported == []
