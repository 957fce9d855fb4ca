"""What every method implementation receives besides its request."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from api.cache import TtlCache
from contract.errors import DeadlineExceeded
from vitrine.config import Settings


@dataclass(frozen=True)
class CallContext:
    db: AsyncEngine
    settings: Settings
    # The worker process's cache, shared by all calls it serves (category tree and the like).
    cache: TtlCache
    trace_id: str
    # UTC, taken once when the batch arrived: every call of a batch sees the same moment.
    now: datetime
    # time.monotonic() past which the caller no longer waits for the answer (api/dispatch.py).
    expires_at: float = math.inf

    def check_deadline(self) -> None:
        """Raise DEADLINE_EXCEEDED when the caller has stopped waiting: a write calls it just
        before its commit, so a change the shopper was told had failed (a worker stalled past
        the deadline, then resumed) is rolled back instead of landing unseen."""
        if time.monotonic() >= self.expires_at:
            raise DeadlineExceeded("the caller's deadline passed before the change was committed")
