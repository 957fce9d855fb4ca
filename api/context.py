"""What every method implementation receives besides its request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from api.cache import TtlCache
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
