"""Fixtures every test layer shares: the databases the suite runs against."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from api.db import create_engine
from api.demo import seed_demo
from tests.postgres_cluster import ServerNotInstalled, ThrowawayCluster, postgres_missing
from vitrine.config import Settings

POSTGRES_URL_ENV = "VITRINE_TEST_POSTGRES_URL"
# Small enough to seed in a second or two, large enough for several pages per category.
DEMO_PRODUCTS = 300
DEMO_SEED = 7


async def _run_sql(url: str, statement: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The server VITRINE_TEST_POSTGRES_URL names, or else a throwaway cluster of our own."""
    url = os.environ.get(POSTGRES_URL_ENV, "")
    if url:
        try:
            asyncio.run(_run_sql(url, "SELECT 1"))
        except (OSError, ConnectionError) as error:
            postgres_missing(f"PostgreSQL at {url} is unreachable: {error}")
        yield url
        return
    try:
        cluster = ThrowawayCluster()
    except ServerNotInstalled as error:
        postgres_missing(f"{POSTGRES_URL_ENV} is not set and {error}")
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@contextlib.contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A schema of its own, dropped afterwards, so runs never see each other's rows."""
    schema = f"vitrine_test_{secrets.token_hex(4)}"
    asyncio.run(_run_sql(url, f"CREATE SCHEMA {schema}"))
    try:
        yield schema
    finally:
        asyncio.run(_run_sql(url, f"DROP SCHEMA {schema} CASCADE"))


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[str]:
    with fresh_schema(postgres_url) as schema:
        yield schema


async def _seed(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        await seed_demo(engine, products=DEMO_PRODUCTS, seed=DEMO_SEED)
    finally:
        await engine.dispose()


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """The environment that points a process at a seeded demo database, on each backend."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "vitrine.sqlite3"
        env = {"VITRINE_DATABASE_URL": f"sqlite+aiosqlite:///{path}"}
        asyncio.run(_seed(Settings(database_url=env["VITRINE_DATABASE_URL"])))
        yield env
        return
    url = request.getfixturevalue("postgres_url")
    with fresh_schema(url) as schema:
        asyncio.run(_seed(Settings(database_url=url, database_schema=schema)))
        yield {"VITRINE_DATABASE_URL": url, "VITRINE_DATABASE_SCHEMA": schema}
