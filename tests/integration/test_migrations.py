"""The migrations build exactly the schema api/schema.py declares, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from api.db import alembic_config, create_engine, migrate
from api.schema import is_declared_here, metadata
from vitrine.config import Settings


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": is_declared_here}
    )
    return list(compare_metadata(context, metadata))


def _state(connection: Connection) -> tuple[str | None, set[str]]:
    revision = MigrationContext.configure(connection).get_current_revision()
    return revision, set(inspect(connection).get_table_names())


async def _migrate_and_compare(settings: Settings) -> tuple[list[Any], str | None, set[str]]:
    engine = create_engine(settings)
    try:
        await migrate(engine)
        await migrate(engine)  # a second run finds the schema at head and does nothing
        async with engine.connect() as conn:
            differences = await conn.run_sync(_differences)
            revision, tables = await conn.run_sync(_state)
    finally:
        await engine.dispose()
    return differences, revision, tables


def _check(settings: Settings) -> None:
    differences, revision, tables = asyncio.run(_migrate_and_compare(settings))
    assert differences == []
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision == head
    assert set(metadata.tables) <= tables
    assert "alembic_version" in tables


def test_migrated_sqlite_schema_matches_the_tables_the_code_declares(tmp_path: Path) -> None:
    _check(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"))


@pytest.mark.postgres
def test_migrated_postgres_schema_matches_the_tables_the_code_declares(
    postgres_url: str, postgres_schema: str
) -> None:
    _check(Settings(database_url=postgres_url, database_schema=postgres_schema))


# Tables that later revisions add: a database made before migrations had none of them.
ADDED_AFTER_0001 = {
    "api_workers",
    "category_ancestors",
    "category_products",
    "category_facet_values",
    "category_facet_counts",
    "basket_writes",
    "charges",
    "readiness",
    "registrations",
    "stock_alerts",
    "test_gateway_cards",
    "test_gateway_charges",
}


# Columns later revisions added to tables of 0001.
COLUMNS_ADDED_AFTER_0001 = {"product_images": ("colour",)}


def _create_tables_of_0001(connection: Connection) -> None:
    tables = [t for t in metadata.sorted_tables if t.name not in ADDED_AFTER_0001]
    metadata.create_all(connection, tables=tables)
    for table, columns in COLUMNS_ADDED_AFTER_0001.items():
        for column in columns:
            connection.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))


async def _create_all_then_migrate(settings: Settings) -> list[Any]:
    engine = create_engine(settings)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_create_tables_of_0001)
        await migrate(engine)
        async with engine.connect() as conn:
            return await conn.run_sync(_differences)
    finally:
        await engine.dispose()


def test_a_database_made_before_migrations_is_adopted_not_recreated(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    assert asyncio.run(_create_all_then_migrate(settings)) == []
