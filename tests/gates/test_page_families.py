"""The gates judge every content page the shop links to: a page added to the footer without a
line in the gates' table fails here, naming the table to extend."""

from __future__ import annotations

import re

import pytest
import tornado.web

from tests.gates import families as gated
from tests.gates.families import CONTENT_PAGES, families, served
from web.app import Route, Serves

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


def test_a_family_is_judged_once_web_app_routes_its_pages(monkeypatch):
    """Content pages join the walk when a /help/ route appears, without an edit here."""
    assert served("/checkout/")
    assert served("/account/orders/")
    assert not served("/no-such-section/")
    content = {f"help-{slug}" for slug in CONTENT_PAGES}
    routes = tuple(route for route in gated.ROUTES if not route.pattern.startswith("/help/"))
    monkeypatch.setattr(gated, "ROUTES", routes)
    assert not {family.name for family in families()} & content
    help_page = Route(r"/help/([a-z0-9-]+)", tornado.web.RequestHandler, Serves.PAGE)
    monkeypatch.setattr(gated, "ROUTES", (*routes, help_page))
    names = [family.name for family in families()]
    assert content <= set(names)
    assert {"home", "checkout-review", "not-found"} <= set(names)
    # The walk keeps the table's order: content pages come before the 404.
    assert names.index("help-delivery") < names.index("not-found")
