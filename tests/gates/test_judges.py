"""The gates can fail: each judge, shown a page with a known fault, names the fault, where it
is and on which page, in words a developer can act on."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from tests.e2e.conftest import CHROMEDRIVER, CHROMIUM, Chromium
from tests.gates import judges

pytestmark = pytest.mark.gates

FAULTY_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>A faulty page</title></head>
<body>
<main>
<h1>Faults</h1>
<img src="/shirt.png" width="10" height="10">
<select name="country" required aria-label="Country">
<option value="AT">Austria</option>
</select>
</main>
</body>
</html>
"""


def test_axe_names_the_rule_the_element_and_the_page():
    judges.require_tools(CHROMIUM, CHROMEDRIVER, judges.AXE_SCRIPT)
    chromium = Chromium(javascript=True)
    try:
        chromium.driver.get("data:text/html;charset=utf-8," + quote(FAULTY_PAGE))
        violations = judges.run_axe(chromium.driver)["violations"]
    finally:
        chromium.quit()
    assert [rule["id"] for rule in violations] == ["image-alt"]
    words = judges.describe_axe("faulty", "http://shop.test/faulty", violations)
    assert "image-alt (critical): Images must have alternative text" in words
    assert '<img src="/shirt.png"' in words
    assert "faulty page http://shop.test/faulty" in words


def test_the_nu_html_checker_names_the_error_and_its_line(tmp_path: Path):
    judges.require_tools(judges.VNU_JAR, command="java")
    page = tmp_path / "faulty.html"
    page.write_text(FAULTY_PAGE)
    messages = judges.run_vnu([page], tmp_path / "vnu.json")[page.resolve()]
    errors = [message for message in messages if message.kind == "error"]
    assert [(error.line, error.text[:40]) for error in errors] == [
        (7, "An “img” element must have an “alt” attr"),
        (9, "The first “option” element in a “select”"),
    ]
    words = judges.describe_vnu("faulty", "http://shop.test/faulty", {"as sent": errors})
    assert "- as sent, line 9: The first “option” element" in words
    assert 'in: Country">' in words


def test_lighthouse_names_the_category_under_its_bar_and_the_audits_that_cost_it():
    report = {
        "categories": {
            "seo": {"score": 0.92, "auditRefs": [{"id": "document-title", "weight": 1}]},
        },
        "audits": {
            "document-title": {
                "id": "document-title",
                "score": 0,
                "title": "Document doesn't have a `<title>` element",
            }
        },
    }
    scores = {"performance": 0.97, "accessibility": 1, "best-practices": 1, "seo": 0.92}
    verdict = judges.LighthouseVerdict(
        "http://shop.test/",
        "mobile",
        Path("var/gates/lighthouse/home-mobile"),
        [report],
        scores,
        [0.97],
    )
    expected = (
        "Lighthouse mobile http://shop.test/: seo 0.92 < 1.0"
        " (report: var/gates/lighthouse/home-mobile.report.html)\n"
        "- document-title (0.00): Document doesn't have a `<title>` element"
    )
    assert verdict.failures() == [expected]


def test_lighthouse_shows_every_performance_run_and_the_load_it_ran_under():
    report = {
        "categories": {
            "performance": {"auditRefs": [{"id": "total-blocking-time", "weight": 30}]},
        },
        "audits": {
            "total-blocking-time": {
                "id": "total-blocking-time",
                "score": 0.7,
                "title": "Total Blocking Time",
                "displayValue": "380 ms",
            }
        },
    }
    scores = {"performance": 0.91, "accessibility": 1, "best-practices": 1, "seo": 1}
    verdict = judges.LighthouseVerdict(
        "http://shop.test/p/1/x", "mobile", Path("p"), [report], scores, [0.91, 0.76, 0.99], 17.25
    )
    [failure] = verdict.failures()
    assert failure.startswith(
        "Lighthouse mobile http://shop.test/p/1/x: performance 0.91 < 0.95"
        " (median of 0.91, 0.76, 0.99) (load average 17.2 on "
    )
    assert failure.endswith("- total-blocking-time (0.70): Total Blocking Time 380 ms")


@pytest.mark.parametrize(
    ("busy", "scored", "runs", "median"),
    [
        (False, [1.0], [1.0], 1.0),
        (False, [0.92, 1.0, 0.97], [0.92, 1.0, 0.97], 0.97),
        (False, [0.9, 0.9, 1.0], [0.9, 0.9, 1.0], 0.9),
        (True, [0.9, 1.0, 1.0], [0.9, 1.0, 1.0], 1.0),
        (True, [0.9, 0.9, 1.0, 1.0, 1.0], [0.9, 0.9, 1.0, 1.0, 1.0], 1.0),
    ],
)
def test_lighthouse_runs_performance_again_only_while_it_falls_short(
    monkeypatch, busy, scored, runs, median
):
    """Runs after the first judge performance alone; the other categories keep the first's."""
    scores = iter(scored)

    def lighthouse_run(_url, _preset, _stem, categories=()):
        ran = {"performance": {"score": next(scores)}}
        if not categories:
            ran |= {name: {"score": 1.0} for name in ("accessibility", "best-practices", "seo")}
        return {"categories": ran, "audits": {}}

    monkeypatch.setattr(judges, "_lighthouse", lighthouse_run)
    monkeypatch.setattr(judges, "machine_is_busy", lambda: busy)
    verdict = judges.run_lighthouse("http://shop.test/", "mobile", Path("home-mobile"))
    assert verdict.performance_runs == runs
    assert verdict.scores["performance"] == median
    assert verdict.scores["seo"] == 1.0
    assert next(scores, None) is None
