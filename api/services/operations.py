"""shop.v1.Operations: what a front's /readyz asks, to know the API answers and its database
answers and takes writes."""

from __future__ import annotations

import os
import socket
import time

from sqlalchemy import insert, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from api.context import CallContext
from api.discovery import live_endpoints
from api.schema import readiness
from contract import operations_pb2
from contract.errors import Unavailable

WORKER_NAME = f"{socket.gethostname()} pid {os.getpid()}"


async def ping(
    _ctx: CallContext, _request: operations_pb2.PingRequest
) -> operations_pb2.PingResponse:
    return operations_pb2.PingResponse(worker=WORKER_NAME)


async def check_database(
    ctx: CallContext, _request: operations_pb2.CheckDatabaseRequest
) -> operations_pb2.CheckDatabaseResponse:
    started = time.perf_counter()
    try:
        async with ctx.db.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError) as error:
        raise Unavailable(f"database does not answer: {type(error).__name__}") from error
    try:
        await _write_heartbeat(ctx)
    except (SQLAlchemyError, OSError) as error:
        raise Unavailable(f"database refuses writes: {type(error).__name__}") from error
    return operations_pb2.CheckDatabaseResponse(
        backend=ctx.db.dialect.name,
        duration_ms=round((time.perf_counter() - started) * 1000),
    )


async def list_workers(
    ctx: CallContext, _request: operations_pb2.ListWorkersRequest
) -> operations_pb2.ListWorkersResponse:
    endpoints = await live_endpoints(ctx.db, ctx.now, ctx.settings.api_discovery_seconds)
    return operations_pb2.ListWorkersResponse(endpoints=endpoints)


async def _write_heartbeat(ctx: CallContext) -> None:
    """One row updated and committed: a database that answers reads but refuses writes (a
    read-only file or replica, a full disk) makes the worker not ready, instead of every
    basket change and order failing behind a /readyz that says all is well."""
    values = {"worker": WORKER_NAME, "checked_at": ctx.now}
    try:
        async with ctx.db.begin() as conn:
            updated = await conn.execute(
                update(readiness).where(readiness.c.id == 1).values(**values)
            )
            if updated.rowcount == 0:
                await conn.execute(insert(readiness).values(id=1, **values))
    except IntegrityError:
        pass  # another worker's first check wrote the row just now: writes are taken
