"""What the fuzz suites share: a seeded database of their own (their random writes must not
reach other tests' rows), raw HTTP requests sent byte for byte, the strategies for hostile text,
and the tally each suite prints at its end for the closing note."""

from __future__ import annotations

import asyncio
import http.client
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from api.db import create_engine
from api.demo import seed_demo
from vitrine.config import Settings

FUZZ_PRODUCTS = 120
FUZZ_SEED = 11
# Every example waits for a real process, and the machine is shared: no per-example deadline,
# no example database (a failure prints its input), and the same inputs on every run.
FUZZ_SETTINGS = {
    "deadline": None,
    "database": None,
    "derandomize": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
REQUEST_TIMEOUT_SECONDS = 15


def fuzz_settings(max_examples: int) -> settings:
    return settings(max_examples=max_examples, **FUZZ_SETTINGS)  # type: ignore[arg-type]


def seeded_database(directory: Path) -> dict[str, str]:
    """A SQLite demo catalogue for one fuzz module. The suites fuzz the front's and the
    workers' input handling, which is the same on either database: once is enough."""
    env = {"VITRINE_DATABASE_URL": f"sqlite+aiosqlite:///{directory / 'fuzz.sqlite3'}"}

    async def seed() -> None:
        engine = create_engine(Settings(database_url=env["VITRINE_DATABASE_URL"]))
        try:
            await seed_demo(engine, products=FUZZ_PRODUCTS, seed=FUZZ_SEED)
        finally:
            await engine.dispose()

    asyncio.run(seed())
    return env


@dataclass
class Tally:
    """How many fuzzed requests got which answer; printed once, when the module ends."""

    name: str
    answers: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)

    def count(self, answer: int | str) -> None:
        self.answers[str(answer)] += 1

    def line(self) -> str:
        total = sum(self.answers.values())
        seconds = time.monotonic() - self.started
        parts = ", ".join(f"{answer}: {n}" for answer, n in sorted(self.answers.items()))
        return f"fuzz {self.name}: {total} requests in {seconds:.1f} s ({parts})"


# The tallies' lines, printed in pytest's closing summary (tests/functional/conftest.py).
SUMMARIES = pytest.StashKey[list[str]]()


def report(request: pytest.FixtureRequest, tally: Tally) -> None:
    request.config.stash.setdefault(SUMMARIES, []).append(tally.line())


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def send(
    base: str,
    method: str,
    target: str,
    headers: list[tuple[str, str | bytes]],
    body: bytes = b"",
) -> Answer:
    """One request with the target and headers exactly as given (no Host unless given)."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(
        parts.hostname or "", parts.port, timeout=REQUEST_TIMEOUT_SECONDS
    )
    try:
        connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        if not any(name.lower() == "host" for name, _ in headers):
            connection.putheader("Host", parts.netloc)
        for name, value in headers:
            connection.putheader(name, value)
        if body or method == "POST":
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body or None)
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


# Numbers in the forms a browser never sends: Unicode digits, signs, exponents, too many digits.
ODD_NUMBERS = st.sampled_from(
    [
        "\u00b2",
        "\u0663",
        "\uff11",
        "-1",
        "+1",
        "0",
        "1e3",
        "0x1f",
        "1.5",
        " 1",
        "9" * 30,
        "9" * 5000,
    ]
)
# Text that has broken parsers: control characters, NUL, surrogate escapes, RTL marks, long.
HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(max_codepoint=0x1F), max_size=8),
    st.sampled_from(
        ["", "\x00", "%00", "%", "%ff", "..", "../../etc/passwd", "\\", "//evil", "\u202e"]
    ),
    ODD_NUMBERS,
    st.just("x" * 5000),
)
# What http.client can put in a header: Latin-1, no CR or LF (which would end the header).
HEADER_TEXT = st.one_of(
    st.text(
        st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
        max_size=60,
    ),
    st.sampled_from(["\u00b2", "\t", "1" * 5000, "application/json", "text/html", "https"]),
)
