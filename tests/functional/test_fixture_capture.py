"""`vitrine fixtures capture` against a real front in debug mode and a real API worker: the
stored fixture renders the same template with no API running."""

from __future__ import annotations

import subprocess
import sys

from tests.processes import Processes
from vitrine.config import PROJECT_ROOT
from web.fixtures import fixture_names, load_fixture
from web.templating import make_environment


def test_captured_pages_become_fixtures_beside_their_templates(database, tmp_path):
    processes = Processes({**database, "VITRINE_DEBUG": "1"}, tmp_path)
    try:
        front = processes.start_front(processes.start_worker())
        into = tmp_path / "templates"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "ops.cli",
                "fixtures",
                "capture",
                "--into",
                str(into),
                f"{front.url}/search?q=wool",
                f"{front.url}/c/no-such-category",
            ],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        processes.stop_all()
    assert done.returncode == 0, done.stderr
    assert "(status 404)" in done.stdout
    assert fixture_names("search/results.html", into) == ["search-q-wool"]
    assert fixture_names("errors/404.html", into) == ["c-no-such-category"]
    context = load_fixture("search/results.html", "search-q-wool", into)
    assert context["search_query"] == "wool"
    assert context["results"].DESCRIPTOR.full_name == "shop.v1.SearchProductsResponse"
    env = make_environment("en_IE", lambda _name: [])
    html = env.get_template("search/results.html").render(context)
    assert "Results for “wool”" in html
