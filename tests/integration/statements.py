"""The SQL statements a test's calls run, as the database receives them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from api.db import read_engines


@contextlib.contextmanager
def statements_run(db: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """Every statement run on `db` meanwhile, with its parameters, in order: SQLite's reads
    (api.db.read) included, which run on an engine of their own."""
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    engines = read_engines(db)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", capture)
