"""Alembic's entry point for every migration run, on aiosqlite or asyncpg.

`api.db.migrate()` hands in an open connection (config.attributes["connection"]); the alembic
command line gets none, and an engine is made from the settings (VITRINE_DATABASE_URL).
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from api.schema import is_declared_here, metadata
from vitrine.config import load_settings


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things: batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=is_declared_here,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_settings() -> None:
    from api.db import create_engine  # noqa: PLC0415 - api.db imports this package's runner

    engine = create_engine(load_settings())
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_with)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: run them against a database")
given = context.config.attributes.get("connection")
if given is not None:
    run_with(given)
else:
    asyncio.run(run_from_settings())
