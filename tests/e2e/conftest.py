"""The storefront in a real browser: one API worker and one front per database backend, and
headless Chromium with JavaScript on or off, allowed to reach nothing but loopback."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.processes import Process, Processes

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
DESKTOP_WINDOW = (1280, 1000)
# Every host name but loopback fails to resolve: a page that reaches out to the internet shows
# up as a failed request in the console instead of quietly depending on it.
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1, EXCLUDE localhost",
]


def _require_chromium() -> None:
    """A skip on a machine without Chromium, a failure in CI (which must not skip silently)."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing:
        return
    message = f"end-to-end tests need {' and '.join(missing)} (apt-get install chromium-driver)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def outbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the site's workers write confirmation emails (no SMTP server is configured)."""
    return tmp_path_factory.mktemp("e2e-outbox")


@pytest.fixture(scope="session")
def site(
    database: dict[str, str], outbox: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Process]:
    """One API worker and one front over the seeded demo catalogue, shared by all e2e tests."""
    # Journeys buy stock and come back to the same product seconds later: a worker's cached
    # catalogue read (5 s, by design) would still offer what the previous journey just bought.
    env = {**database, "VITRINE_OUTBOX_DIR": str(outbox), "VITRINE_API_ANSWER_CACHE": "off"}
    pool = Processes(env, tmp_path_factory.mktemp("e2e-site"))
    try:
        # Trusting loopback as a proxy lets a journey that registers send an address of its
        # own (journey.at_own_address): the registration limit counts per address, and every
        # journey of the session shares the database.
        yield pool.start_front(pool.start_worker(), env={"VITRINE_TRUSTED_PROXIES": "127.0.0.1"})
    finally:
        pool.stop_all()


@dataclass
class Chromium:
    """One headless Chromium session and the throw-away profile directory it writes to."""

    javascript: bool
    profile: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="vitrine-e2e-")))
    driver: webdriver.Chrome = field(init=False)

    def __post_init__(self) -> None:
        options = webdriver.ChromeOptions()
        # Both paths are given so that Selenium never runs selenium-manager to fetch a driver.
        options.binary_location = str(CHROMIUM)
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self.profile}")
        options.add_argument("--window-size={},{}".format(*DESKTOP_WINDOW))
        if not self.javascript:
            options.add_experimental_option(
                "prefs", {"profile.managed_default_content_settings.javascript": 2}
            )
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        try:
            self.driver = webdriver.Chrome(
                options=options, service=Service(executable_path=str(CHROMEDRIVER))
            )
        except Exception:
            shutil.rmtree(self.profile, ignore_errors=True)
            raise

    def reset(self) -> None:
        """A clean slate between tests: no cookies, desktop size, no console entries left."""
        self.driver.delete_all_cookies()
        self.driver.set_window_size(*DESKTOP_WINDOW)
        self.driver.get("about:blank")
        self.driver.get_log("browser")

    def quit(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="session")
def chromium_sessions() -> Iterator[dict[bool, Chromium]]:
    """One Chromium per JavaScript mode for the whole run, started when first needed: a start
    costs about a second, a reset between tests almost nothing."""
    sessions: dict[bool, Chromium] = {}
    yield sessions
    for session in sessions.values():
        session.quit()


@pytest.fixture(params=[True, False], ids=["js-on", "js-off"])
def javascript(request: pytest.FixtureRequest) -> bool:
    """Whether the browser runs the site's JavaScript: every page must work both ways. A test
    about an enhancement narrows it with @pytest.mark.parametrize("javascript", [True])."""
    return bool(request.param)


@pytest.fixture
def browser(javascript: bool, chromium_sessions: dict[bool, Chromium]) -> webdriver.Chrome:
    """A desktop-sized browser, with JavaScript as the `javascript` fixture says."""
    _require_chromium()
    if javascript not in chromium_sessions:
        chromium_sessions[javascript] = Chromium(javascript=javascript)
    session = chromium_sessions[javascript]
    session.reset()
    return session.driver
