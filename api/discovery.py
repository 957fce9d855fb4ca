"""How fronts find API workers without a restart: each worker writes its endpoint and a
heartbeat to the api_workers table; Operations/ListWorkers answers the recent ones; fronts ask
every few seconds (api_client/discovery.py) and connect to the endpoints they lack."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from api.schema import api_workers

log = logging.getLogger("vitrine.api")

# A worker whose heartbeat is older than this many intervals is taken for gone.
STALE_AFTER_INTERVALS = 3
WILDCARD_HOSTS = frozenset({"0.0.0.0", "*", "::"})  # noqa: S104 - names, not a bind


def advertised_endpoint(bound: str, advertise: str = "") -> str:
    """What fronts should connect to: `advertise` when set, else the bound endpoint with a
    wildcard address replaced by this host's name."""
    if advertise:
        return advertise
    parts = urlsplit(bound)
    if parts.hostname in WILDCARD_HOSTS:
        return f"{parts.scheme}://{socket.getfqdn()}:{parts.port}"
    return bound


async def register(engine: AsyncEngine, endpoint: str, now: datetime) -> None:
    async with engine.begin() as conn:
        await conn.execute(delete(api_workers).where(api_workers.c.endpoint == endpoint))
        await conn.execute(
            insert(api_workers).values(
                endpoint=endpoint,
                host=socket.gethostname(),
                pid=os.getpid(),
                started_at=now,
                heartbeat_at=now,
            )
        )


async def keep_registered(engine: AsyncEngine, endpoint: str, interval: float) -> None:
    """Register, then beat every `interval` seconds until cancelled; then leave the table."""
    await register(engine, endpoint, datetime.now(UTC))
    log.info("worker registered endpoint=%s", endpoint)
    try:
        while True:
            await asyncio.sleep(interval)
            try:
                async with engine.begin() as conn:
                    beat = await conn.execute(
                        update(api_workers)
                        .where(api_workers.c.endpoint == endpoint)
                        .values(heartbeat_at=datetime.now(UTC))
                    )
                if beat.rowcount == 0:  # removed by someone: come back
                    await register(engine, endpoint, datetime.now(UTC))
            except (SQLAlchemyError, OSError) as error:
                log.warning("heartbeat failed: %s", error)
    finally:
        try:
            async with engine.begin() as conn:
                await conn.execute(delete(api_workers).where(api_workers.c.endpoint == endpoint))
        except (SQLAlchemyError, OSError) as error:
            log.warning("could not deregister %s: %s", endpoint, error)


async def live_endpoints(engine: AsyncEngine, now: datetime, interval: float) -> list[str]:
    since = now - timedelta(seconds=interval * STALE_AFTER_INTERVALS)
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(api_workers.c.endpoint)
            .where(api_workers.c.heartbeat_at >= since)
            .order_by(api_workers.c.endpoint)
        )
        return [row.endpoint for row in rows]
