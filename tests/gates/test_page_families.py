"""The gates judge every content page the shop links to: a page added to the footer without a
line in the gates' table fails here, naming the table to extend."""

from __future__ import annotations

import re

import pytest

from tests.gates.families import CONTENT_PAGES, served

pytestmark = pytest.mark.gates


def test_every_content_page_the_footer_links_to_is_judged(judged_pages):
    home = judged_pages["home"]
    home.assert_reached(200)
    linked = set(re.findall(r'href="/help/([a-z0-9-]+)"', home.html.read_text()))
    if linked:
        assert served("/help/"), "the home page links to /help/ pages web/app.py does not route"
    missing = sorted(linked - set(CONTENT_PAGES))
    assert not missing, (
        f"content pages the home page links to but the gates do not judge: {missing}"
        " (add them to CONTENT_PAGES in tests/gates/families.py)"
    )
