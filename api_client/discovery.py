"""A front's half of worker discovery (api/discovery.py): ask every few seconds which workers
are up, and connect to the ones it lacks; so a worker added under load gets calls with no
front restarted."""

from __future__ import annotations

import asyncio
import logging

from api_client.client import ApiClient
from contract.errors import ApiError

log = logging.getLogger("vitrine.api_client")

DISCOVERY_DEADLINE_MS = 1000


async def follow_workers(api: ApiClient, interval: float) -> None:
    """Until cancelled: every `interval` seconds, Operations/ListWorkers, then connect."""
    while True:
        try:
            answer = await api.operations.ListWorkers(deadline_ms=DISCOVERY_DEADLINE_MS)
        except ApiError as error:
            log.warning("worker discovery failed: %s", error)
        else:
            await api.use_endpoints(list(answer.endpoints))
        await asyncio.sleep(interval)
