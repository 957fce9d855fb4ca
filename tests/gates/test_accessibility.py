"""axe-core on every page family, in Chromium with scripts on: no violation of any rule axe
enables by default (WCAG 2.0, 2.1 and 2.2 A and AA, and its best practices)."""

from __future__ import annotations

import pytest

from tests.gates import judges
from tests.gates.families import families

pytestmark = pytest.mark.gates


@pytest.mark.parametrize("family", families(), ids=lambda family: family.name)
def test_axe_finds_no_violation(family, judged_pages):
    page = judged_pages[family.name]
    page.assert_reached(family.status)
    violations = page.axe["violations"]
    if violations:
        pytest.fail(judges.describe_axe(page.family, page.url, violations), pytrace=False)
