"""The async database engine for SQLite (aiosqlite) or PostgreSQL (asyncpg), and schema set-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from api.schema import metadata, products
from web.config import Settings

# SQLite waits this long for another process's write lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 5000


def create_engine(settings: Settings) -> AsyncEngine:
    """One engine per process; both backends go through the same SQLAlchemy Core code."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, pool_size=8, max_overflow=8)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    connect_args: dict[str, Any] = {}
    if settings.database_schema:
        connect_args["server_settings"] = {"search_path": settings.database_schema}
    return create_async_engine(
        url, pool_size=10, max_overflow=10, pool_pre_ping=True, connect_args=connect_args
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the worker processes read while one writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


async def create_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)


async def catalogue_is_empty(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        count = await conn.scalar(select(func.count()).select_from(products))
    return not count


async def open_connections(engine: AsyncEngine, count: int) -> None:
    """Open `count` pooled connections now, so the first calls of a batch don't each pay for a
    connect (tens of ms on PostgreSQL, more on a loaded host)."""
    connections = [await engine.connect() for _ in range(count)]
    for connection in connections:
        await connection.close()
