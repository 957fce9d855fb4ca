"""The Nu HTML checker (the W3C validator's engine) over every page family's HTML, as the
server sent it and as its scripts have left it: no error. Warnings are printed for a reader
and kept in var/gates/vnu.json."""

from __future__ import annotations

import pytest

from tests.gates import judges
from tests.gates.families import families

pytestmark = pytest.mark.gates


@pytest.mark.parametrize("family", families(), ids=lambda family: family.name)
def test_the_nu_html_checker_finds_no_error(family, judged_pages, nu_messages):
    page = judged_pages[family.name]
    page.assert_reached(family.status)
    errors = {}
    for version, path in (("as sent", page.html), ("after scripts", page.dom)):
        if path is None:  # a page answering a POST: only the browser's copy is there
            continue
        messages = nu_messages[path.resolve()]
        for warning in (m for m in messages if m.kind == "warning"):
            print(f"Nu HTML checker warning, {page.family} page {page.url} {version}: {warning}")
        if found := [message for message in messages if message.kind == "error"]:
            errors[version] = found
    if errors:
        pytest.fail(judges.describe_vnu(page.family, page.url, errors), pytrace=False)
