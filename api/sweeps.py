"""A worker's minute sweep of what calls leave behind when a worker dies or a database fails:
charges that became neither an order nor a refund (refunded), and basket change keys and voucher
codes tried past the time they matter (dropped). Every worker sweeps; the conditional moves in
api/charges.py make two sweeps at once harmless."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from api import basket_writes, charges, promotions
from api.db import refused_by_database
from api.payments import GATEWAYS
from vitrine.config import Settings

log = logging.getLogger("vitrine.api")

SWEEP_SECONDS = 60


async def keep_sweeping(engine: AsyncEngine, settings: Settings) -> None:
    """At start (what a crash left), then every SWEEP_SECONDS, for as long as the worker runs."""
    gateway = GATEWAYS[settings.payment_gateway](engine)
    while True:
        now = datetime.now(UTC)
        try:
            if refunded := await charges.refund_stale(engine, gateway, now):
                log.warning("sweep refunded %d charge(s) left without an order", refunded)
            await basket_writes.forget_old(engine, now)
            await promotions.forget_old_attempts(engine, now)
        except Exception as error:
            if not refused_by_database(error):
                log.exception("sweep failed; trying again in %d s", SWEEP_SECONDS)
            else:
                message = str(error).splitlines()[0]
                log.warning("sweep: database refused (%s); again in %d s", message, SWEEP_SECONDS)
        await asyncio.sleep(SWEEP_SECONDS)
