"""The site the quality gates judge, and the walk through it: one API worker and one front over
the seeded demo catalogue (SQLite: the pages' HTML does not depend on the database, and the
functional tests cover both), and one Chromium that visits every page family once, keeping the
HTML the server sent and axe-core's findings, at a desktop's width and a phone's, for the tests
to read."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from api.db import create_engine
from api.demo import seed_demo
from tests.conftest import DEMO_PRODUCTS, DEMO_SEED
from tests.e2e.conftest import CHROMEDRIVER, CHROMIUM, DESKTOP_WINDOW, Chromium
from tests.functional.pages import catalogue_facts
from tests.gates import judges
from tests.gates.families import Family, Walk, families
from tests.processes import Process, Processes
from vitrine.config import Settings

# The page as scripts have left it, for the Nu HTML checker: attributes scripts add (ARIA
# states, roles) must be valid HTML too.
SERIALIZE_DOM = 'return "<!DOCTYPE html>\\n" + document.documentElement.outerHTML;'
# The windows axe-core judges each page in: the browser tests' desktop, and a current phone's
# viewport (the layout, and so contrast, target sizes and what is hidden, change with it).
WINDOWS = {"desktop": DESKTOP_WINDOW, "phone": (390, 844)}
# The status the browser got for the page it shows.
NAVIGATION_STATUS = 'return performance.getEntriesByType("navigation")[0].responseStatus;'
# The page as the server sent it (status and body), fetched again by the page itself so that
# its cookies go along; a GET, so it changes nothing.
FETCH_SOURCE = """
const done = arguments[arguments.length - 1];
fetch(location.href, {credentials: "same-origin"})
  .then((r) => r.text().then((body) => done([r.status, body])))
  .catch((error) => done([0, String(error)]));
"""


@dataclass
class JudgedPage:
    """What the walk saw of one page family."""

    family: str
    url: str = ""
    status: int = 0
    html: Path | None = None  # as the server sent it
    dom: Path | None = None  # as scripts have left it
    # axe-core's findings by window ("desktop", "phone"): the layouts differ.
    axe: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Why the walk could not reach or judge the page, if it could not.
    error: str = ""

    def assert_reached(self, status: int) -> None:
        """The walk got to the page, and the page answered the status its family answers."""
        if self.error:
            message = f"the walk could not judge the {self.family} page: {self.error}"
            pytest.fail(message, pytrace=False)
        if self.status != status:
            pytest.fail(f"the {self.family} page {self.url} answered {self.status}, not {status}")


@dataclass
class GateSite:
    front: Process
    database: dict[str, str]
    outbox: Path


async def _seed(url: str) -> None:
    engine = create_engine(Settings(database_url=url))
    try:
        await seed_demo(engine, products=DEMO_PRODUCTS, seed=DEMO_SEED)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def artefacts() -> Path:
    """var/gates/, emptied of the previous run's reports."""
    shutil.rmtree(judges.ARTEFACTS, ignore_errors=True)
    for folder in ("html", "dom", "axe", "lighthouse"):
        (judges.ARTEFACTS / folder).mkdir(parents=True)
    return judges.ARTEFACTS


@pytest.fixture(scope="session")
def gate_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GateSite]:
    path = tmp_path_factory.mktemp("gates-db") / "vitrine.sqlite3"
    database = {"VITRINE_DATABASE_URL": f"sqlite+aiosqlite:///{path}"}
    asyncio.run(_seed(database["VITRINE_DATABASE_URL"]))
    outbox = tmp_path_factory.mktemp("gates-outbox")
    pool = Processes(
        {**database, "VITRINE_OUTBOX_DIR": str(outbox)}, tmp_path_factory.mktemp("gates-site")
    )
    try:
        yield GateSite(pool.start_front(pool.start_worker()), database, outbox)
    finally:
        pool.stop_all()


def _judge(walk: Walk, family: Family, page: JudgedPage, artefacts: Path) -> None:
    browser = walk.browser
    page.url = browser.current_url
    page.status = browser.execute_script(NAVIGATION_STATUS)
    if not family.answers_post:
        status, body = browser.execute_async_script(FETCH_SOURCE)
        if status != page.status:
            raise AssertionError(
                f"{page.url} answered {page.status}, then {status} when fetched again"
            )
        page.html = artefacts / "html" / f"{page.family}.html"
        page.html.write_text(body)
    page.dom = artefacts / "dom" / f"{page.family}.html"
    page.dom.write_text(browser.execute_script(SERIALIZE_DOM))
    try:
        for window, size in WINDOWS.items():
            browser.set_window_size(*size)
            page.axe[window] = found = judges.run_axe(browser)
            report = artefacts / "axe" / f"{page.family}-{window}.json"
            report.write_text(json.dumps(found, indent=1))
    finally:
        browser.set_window_size(*DESKTOP_WINDOW)


@pytest.fixture(scope="session")
def judged_pages(gate_site: GateSite, artefacts: Path) -> Iterator[dict[str, JudgedPage]]:
    """Every page family this build serves, visited in order by one Chromium (scripts on, as
    most shoppers have them). A step that fails is recorded against its family and the walk
    goes on, so one broken page does not hide the others' verdicts."""
    judges.require_tools(CHROMIUM, CHROMEDRIVER, judges.AXE_SCRIPT)
    chromium = Chromium(javascript=True)
    try:
        chromium.reset()
        walk = Walk(
            chromium.driver,
            gate_site.front.url,
            gate_site.outbox,
            catalogue_facts(gate_site.database),
        )
        pages = {}
        for family in families():
            page = pages[family.name] = JudgedPage(family.name)
            # The previous page's console (a 404 page logs its own status) is not this step's.
            walk.browser.get_log("browser")
            try:
                family.visit(walk)
                _judge(walk, family, page, artefacts)
            except Exception as error:  # recorded for the family's tests to report
                # Selenium's messages end in a stack trace of the driver's C++: not for a reader.
                message = str(error).split("Stacktrace:")[0].strip()
                page.error = f"{type(error).__name__}: {message}"
        yield pages
    finally:
        chromium.quit()


@pytest.fixture(scope="session")
def nu_messages(
    judged_pages: dict[str, JudgedPage], artefacts: Path
) -> dict[Path, list[judges.NuMessage]]:
    """The Nu HTML checker's errors and warnings for each saved page, as sent and after
    scripts, from one run."""
    judges.require_tools(judges.VNU_JAR, command="java")
    files = [
        path for page in judged_pages.values() for path in (page.html, page.dom) if path is not None
    ]
    return judges.run_vnu(files, artefacts / "vnu.json")
