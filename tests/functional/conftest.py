"""Real API worker and front processes on random loopback ports, over a seeded database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.functional.fuzzing import SUMMARIES
from tests.processes import Processes


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """The fuzz suites' counts of requests and answers, whatever the capture mode."""
    for line in config.stash.get(SUMMARIES, []):
        terminalreporter.write_line(line)


@pytest.fixture
def workers(database: dict[str, str], tmp_path: Path) -> Iterator[Processes]:
    pool = Processes(database, tmp_path)
    yield pool
    pool.stop_all()
