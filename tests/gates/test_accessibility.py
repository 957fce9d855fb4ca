"""axe-core on every page family, in Chromium with scripts on, at a desktop's width and a
phone's: no violation of any rule axe enables by default (WCAG 2.0, 2.1 and 2.2 A and AA, and
its best practices)."""

from __future__ import annotations

import pytest

from tests.gates import judges
from tests.gates.families import families

pytestmark = pytest.mark.gates


@pytest.mark.parametrize("family", families(), ids=lambda family: family.name)
def test_axe_finds_no_violation(family, judged_pages):
    page = judged_pages[family.name]
    page.assert_reached(family.status)
    found = [
        judges.describe_axe(f"{page.family} ({window})", page.url, verdict["violations"])
        for window, verdict in page.axe.items()
        if verdict["violations"]
    ]
    if found:
        pytest.fail("\n".join(found), pytrace=False)
