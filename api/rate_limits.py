"""Rate limits on log-in and registration, counted in the database: every worker, and so every
front and the JSON API's public face, sees the same counts, on one worker or many.

A limit is "at most N events for one key (an email, a client address) within a window"; what an
event is, its table says (a failed log-in, a registration asked for). When a key is at its
limit, the answer is how long until the oldest event that keeps it there leaves the window:
HTTP's Retry-After. Two attempts checked at the same moment may both pass, so a limit can be
overshot by the calls in flight at once; it cannot be skipped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, select
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True)
class Limit:
    key: Column  # type: ignore[type-arg]  # what events are counted by
    at: Column  # type: ignore[type-arg]  # when each happened
    most: int
    window: timedelta


async def retry_after(
    conn: AsyncConnection, limits: Sequence[tuple[Limit, str]], now: datetime
) -> int:
    """Seconds until an attempt may pass every limit for these keys; 0 when it may now. An
    empty key is not counted: a caller that names no address is limited by its other keys
    (counting all of them as one would let anyone lock them all out)."""
    wait = 0.0
    for limit, key in limits:
        if not key:
            continue
        # The most-th newest event in the window: while it is in, the key is at its limit.
        # The index on (key, at) serves it, whatever the key's history. An event exactly a
        # window old has left it: a retry at Retry-After passes.
        nth = await conn.scalar(
            select(limit.at)
            .where(limit.key == key, limit.at > now - limit.window)
            .order_by(limit.at.desc())
            .limit(1)
            .offset(limit.most - 1)
        )
        if nth is not None:
            if nth.tzinfo is None:  # SQLite gives back naive UTC
                nth = nth.replace(tzinfo=UTC)
            wait = max(wait, (nth + limit.window - now).total_seconds())
    return max(math.ceil(wait), 1) if wait > 0 else 0


def in_words(seconds: int) -> str:
    """ "Try again in ..." for a shopper: minutes, rounded up."""
    minutes = max(1, math.ceil(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
