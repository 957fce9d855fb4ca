"""Back in stock: requests wait on a sold-out variant until its stock returns, then are mailed.

Every write that can raise a variant's stock from 0 (`StockAlerts/SetStock`, a catalogue
import) calls `stock_returned(conn, variant_ids)` in its own transaction, then, after the
commit, `mail.send_soon` (or leaves it to the worker's minute sweep). The requests of those
variants that now have stock become due in that transaction, so a rolled-back write mails
nobody; api/mail.py then claims and sends each due request's one email, as it does an order's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from api.schema import stock_alerts, variants

# Variant ids per statement: an import may name a great many.
CHUNK = 500


async def stock_returned(
    conn: AsyncConnection, variant_ids: Iterable[int], *, now: datetime | None = None
) -> int:
    """Makes due the waiting requests of those `variant_ids` that have stock now (in `conn`'s
    transaction); how many. Variants still at 0 keep their requests waiting, so passing every
    variant a write touched is fine."""
    ids = sorted(set(variant_ids))
    moment = now or datetime.now(UTC)
    due = 0
    for start in range(0, len(ids), CHUNK):
        in_stock = select(variants.c.id).where(
            variants.c.id.in_(ids[start : start + CHUNK]), variants.c.stock > 0
        )
        result = await conn.execute(
            update(stock_alerts)
            .where(
                stock_alerts.c.variant_id.in_(in_stock),
                stock_alerts.c.due_at.is_(None),
                stock_alerts.c.sent_at.is_(None),
            )
            .values(due_at=moment)
        )
        due += result.rowcount
    return due
