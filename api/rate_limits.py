"""Rate limits on log-in and registration, counted in the database: every worker, and so every
front and the JSON API's public face, sees the same counts, on one worker or many.

A limit is "at most N events for one key (an email, a client address) within a window"; what an
event is, its table says (a failed log-in, a registration asked for). When a key is at its
limit, the answer is how long until the oldest event that keeps it there leaves the window:
HTTP's Retry-After.

An attempt is written first and counted after (`take_turn`): it is measured against the events
written before it, so a burst of attempts sent at once is held like attempts sent one by one,
rather than all passing a check made before any of them was recorded. (On PostgreSQL an
attempt whose row is written but not yet committed is missed by one just after it: a burst
overshoots by one or two at most.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Column, Table, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


@dataclass(frozen=True)
class Limit:
    key: Column  # type: ignore[type-arg]  # what events are counted by
    at: Column  # type: ignore[type-arg]  # when each happened
    most: int
    window: timedelta


async def take_turn(
    engine: AsyncEngine,
    table: Table,
    values: dict[str, Any],
    limits: Sequence[tuple[Limit, str]],
    now: datetime,
) -> tuple[int, int]:
    """Write an attempt (`values` into `table`), then count the attempts before it: (its row's
    id, 0) when it may go on, or (0, seconds to wait) when it is refused, its row then gone.
    The caller deletes the row of an attempt that should not count (a log-in that succeeded)."""
    async with engine.begin() as conn:
        row_id = await conn.scalar(insert(table).values(**values).returning(table.c.id))
    async with engine.connect() as conn:
        wait = await retry_after(conn, limits, now, before=row_id)
    if not wait:
        return int(row_id), 0
    async with engine.begin() as conn:
        await conn.execute(delete(table).where(table.c.id == row_id))
    return 0, wait


async def retry_after(
    conn: AsyncConnection,
    limits: Sequence[tuple[Limit, str]],
    now: datetime,
    *,
    before: int | None = None,
) -> int:
    """Seconds until an attempt may pass every limit for these keys; 0 when it may now. An
    empty key is not counted: a caller that names no address is limited by its other keys
    (counting all of them as one would let anyone lock them all out). `before`: only the events
    whose row id is lower count (those written before the attempt at hand)."""
    wait = 0.0
    for limit, key in limits:
        if not key:
            continue
        # The most-th newest event in the window: while it is in, the key is at its limit.
        # The index on (key, at) serves it, whatever the key's history. An event exactly a
        # window old has left it: a retry at Retry-After passes.
        query = select(limit.at).where(limit.key == key, limit.at > now - limit.window)
        if before is not None:
            query = query.where(limit.key.table.c.id < before)
        nth = await conn.scalar(query.order_by(limit.at.desc()).limit(1).offset(limit.most - 1))
        if nth is not None:
            if nth.tzinfo is None:  # SQLite gives back naive UTC
                nth = nth.replace(tzinfo=UTC)
            wait = max(wait, (nth + limit.window - now).total_seconds())
    return max(math.ceil(wait), 1) if wait > 0 else 0


def in_words(seconds: int) -> str:
    """ "Try again in ..." for a shopper: minutes, rounded up."""
    minutes = max(1, math.ceil(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
