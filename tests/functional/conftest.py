"""Real API worker and front processes on random loopback ports, over a seeded database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import Processes


@pytest.fixture
def workers(database: dict[str, str], tmp_path: Path) -> Iterator[Processes]:
    pool = Processes(database, tmp_path)
    yield pool
    pool.stop_all()
