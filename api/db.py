"""The async database engine for SQLite (aiosqlite) or PostgreSQL (asyncpg), and the schema's
migrations (Alembic, api/migrations/)."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import event, func, inspect, select
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from api.schema import products
from vitrine.config import PROJECT_ROOT, Settings

ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The revision whose schema databases created before Alembic already have.
SCHEMA_BEFORE_MIGRATIONS = "0001"

# SQLite waits this long for another process's write lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 5000

# Connections (and threads) of a SQLite database's read engine (see `read`).
SQLITE_READ_CONNECTIONS = 8

log = logging.getLogger("vitrine.api")

T = TypeVar("T")


def create_engine(settings: Settings) -> AsyncEngine:
    """One engine per process; both backends go through the same SQLAlchemy Core code."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        # A "file:" URI (uri=true) names its file itself, e.g. read-only: file:x.db?mode=ro
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, pool_size=8, max_overflow=8)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        if not _in_memory(url):
            _THREAD_READS[engine] = _ThreadReads(url)
            event.listen(engine.sync_engine, "engine_disposed", _THREAD_READS[engine].close)
        return engine
    connect_args: dict[str, Any] = {}
    if settings.database_schema:
        connect_args["server_settings"] = {"search_path": settings.database_schema}
    return create_async_engine(
        url, pool_size=10, max_overflow=10, pool_pre_ping=True, connect_args=connect_args
    )


async def read(db: AsyncEngine, statements: Callable[[Connection], T]) -> T:
    """What `statements` reads, on one connection in one transaction (one snapshot).

    On SQLite they run in a thread of their own, through a plain pysqlite engine on the same
    file: one hand-over to that thread per read, where aiosqlite makes five per statement
    (cursor, execute, fetch, close, the pool's rollback), which cost more CPU than a product's
    statement itself. On PostgreSQL they run on the async engine (`run_sync`), statement by
    statement. For reads only: a write goes through the async engine, whose transactions the
    rest of the API relies on."""
    reads = _THREAD_READS.get(db)
    if reads is not None:
        return await reads.run(statements)
    async with db.connect() as conn:
        return await conn.run_sync(statements)


def read_engines(db: AsyncEngine) -> list[Engine]:
    """Every engine whose statements `db`'s calls run: for listeners that count or time them."""
    reads = _THREAD_READS.get(db)
    return [db.sync_engine] + ([reads.engine] if reads is not None else [])


class _ThreadReads:
    """A SQLite database's read engine (pysqlite, the async engine's pragmas) and its threads,
    made again on first use after the async engine is disposed."""

    def __init__(self, url: URL) -> None:
        self.engine = create_sync_engine(
            url.set(drivername="sqlite+pysqlite"),
            pool_size=SQLITE_READ_CONNECTIONS,
            max_overflow=0,
        )
        event.listen(self.engine, "connect", _sqlite_pragmas)
        self.threads: ThreadPoolExecutor | None = None

    async def run(self, statements: Callable[[Connection], T]) -> T:
        if self.threads is None:
            self.threads = ThreadPoolExecutor(
                SQLITE_READ_CONNECTIONS, thread_name_prefix="sqlite-read"
            )
        return await asyncio.get_running_loop().run_in_executor(
            self.threads, self._in_thread, statements
        )

    def _in_thread(self, statements: Callable[[Connection], T]) -> T:
        with self.engine.connect() as conn:
            return statements(conn)

    def close(self, _engine: Engine | None = None) -> None:
        if self.threads is not None:
            self.threads.shutdown(wait=False)
            self.threads = None
        self.engine.dispose()


_THREAD_READS: weakref.WeakKeyDictionary[AsyncEngine, _ThreadReads] = weakref.WeakKeyDictionary()


def _in_memory(url: URL) -> bool:
    """A database each connection has its own of: another engine would not see it."""
    database = url.database or ""
    return database in ("", ":memory:") or "mode=memory" in database


def refused_by_database(error: BaseException) -> bool:
    """The database's state (read-only, gone, locked too long), not a bug of ours in SQL or
    data, made this fail: another try, later or elsewhere, may work."""
    return isinstance(error, DBAPIError) and not isinstance(
        error, (IntegrityError, ProgrammingError, DataError)
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the worker processes read while one writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration; with a connection, migrations run on it (inside its transaction)."""
    config = Config(ALEMBIC_INI if ALEMBIC_INI.exists() else None)
    # Set here too: an installed package has no alembic.ini beside it.
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to `revision` (every migration by default); a no-op when it is there.

    One transaction: on PostgreSQL a failed migration leaves nothing half done.
    """

    def upgrade(connection: Connection) -> None:
        config = alembic_config(connection)
        before = MigrationContext.configure(connection).get_current_revision()
        if before is None and inspect(connection).has_table("products"):
            # A database made before migrations existed (metadata.create_all) holds exactly
            # revision 0001: record that instead of creating its tables again.
            command.stamp(config, SCHEMA_BEFORE_MIGRATIONS)
        command.upgrade(config, revision)
        after = MigrationContext.configure(connection).get_current_revision()
        if after != before:
            log.info("database schema migrated from %s to %s", before or "nothing", after)

    async with engine.begin() as conn:
        await conn.run_sync(upgrade)


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
