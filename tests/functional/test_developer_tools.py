"""What a front-end developer sees in debug mode: the template preview, the debug panel, page
contexts captured as JSON, and template errors pointing at the template's file and line.

The real `make_app` in one Tornado process (AsyncHTTPTestCase); the API is absent (preview) or a
stand-in whose every call answers UNAVAILABLE, so no worker is needed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from tornado.testing import AsyncHTTPTestCase

from api_client import ApiClient, Call
from api_client.client import Deliver
from contract import envelope_pb2
from vitrine.config import Settings
from web.app import make_app
from web.fixtures import fixture_names
from web.templating import TEMPLATES_DIR


class DownTransport:
    """Every call answers UNAVAILABLE at once, as when no worker is running."""

    def __init__(self, deliver: Deliver) -> None:
        self.deliver = deliver

    def send(self, _trace_id: str, calls: Sequence[Call]) -> None:
        for call in calls:
            call.sent = True
            self.deliver(call, envelope_pb2.UNAVAILABLE, None, "no worker", 0)

    def resend(self, _call: Call) -> bool:
        return False

    def forget(self, _call: Call) -> None:
        pass

    async def close(self) -> None:
        pass


class DeveloperToolsCase(AsyncHTTPTestCase):
    debug = True
    with_api = False
    templates_dir = TEMPLATES_DIR

    def setUp(self) -> None:
        self.static = TemporaryDirectory()
        super().setUp()

    def tearDown(self) -> None:
        super().tearDown()
        self.static.cleanup()

    def get_app(self):
        settings = Settings(debug=self.debug, static_dir=Path(self.static.name))
        api = ApiClient(DownTransport) if self.with_api else None
        return make_app(settings, api, templates_dir=self.templates_dir)

    def get(self, path: str, **headers: str):
        return self.fetch(path, headers=headers)


class TestPreview(DeveloperToolsCase):
    def test_the_index_lists_every_page_template_and_its_fixtures(self):
        page = self.get("/_preview/")
        assert page.code == 200
        html = page.body.decode()
        assert "<h1>Template preview</h1>" in html
        for template in ("product/detail.html", "catalog/category.html", "errors/503.html"):
            assert f"<code>{template}</code>" in html
            for name in fixture_names(template):
                assert f'href="/_preview/{template}?fixture={name}"' in html
        assert "partials/" not in html

    def test_a_fixture_renders_without_any_api(self):
        page = self.get("/_preview/product/detail.html?fixture=zero-price")
        assert page.code == 200
        html = page.body.decode()
        assert '<strong class="price__now">€0.00</strong>' in html
        assert 'id="debug-panel"' in html
        assert "<tr><td>product</td><td>shop.v1.Product</td></tr>" in html
        assert "No API calls." in html

    def test_the_first_fixture_is_shown_when_none_is_named(self):
        page = self.get("/_preview/search/results.html")
        assert page.code == 200

    def test_an_unknown_fixture_or_template_is_a_404_that_says_which(self):
        page = self.get("/_preview/product/detail.html?fixture=nope")
        assert page.code == 404
        assert "has no fixture" in page.body.decode()
        assert self.get("/_preview/partials/price.html").code == 404
        assert self.get("/_preview/nope.html").code == 404

    def test_the_preview_front_serves_no_shop_pages(self):
        assert self.get("/").effective_url.endswith("/_preview/")
        page = self.get("/p/1/anything")
        assert page.code == 404
        assert "Page not found" in page.body.decode()


class TestDebugPagesWithTheApiDown(DeveloperToolsCase):
    with_api = True

    def test_the_debug_panel_lists_the_pages_calls(self):
        page = self.get("/no-such-page")
        assert page.code == 404
        html = page.body.decode()
        panel = html.split('id="debug-panel"')[1]
        assert "<td>shop.v1.Catalog/GetCategoryTree</td><td>optional</td><td>UNAVAILABLE</td>" in (
            panel
        )
        assert "<tr><td>message</td><td>str</td></tr>" in panel
        assert panel.rstrip().endswith("</body>\n</html>")

    def test_a_capture_request_gets_the_context_as_json(self):
        page = self.get("/no-such-page", **{"X-Vitrine-Capture": "1"})
        assert page.code == 404
        answer = json.loads(page.body)
        assert answer["template"] == "errors/404.html"
        assert answer["status"] == 404
        assert answer["context"]["canonical_path"] == "/no-such-page"
        assert answer["context"]["message"] == "We could not find that page."


class TestWithoutDebug(DeveloperToolsCase):
    debug = False
    with_api = True

    def test_no_preview_no_panel_no_capture(self):
        assert self.get("/_preview/").code == 404
        page = self.get("/no-such-page", **{"X-Vitrine-Capture": "1"})
        assert page.code == 404
        html = page.body.decode()
        assert html.startswith("<!doctype html>")
        assert "debug-panel" not in html


def test_a_front_without_an_api_needs_debug_mode(tmp_path):
    with pytest.raises(ValueError, match="debug"):
        make_app(Settings(debug=False, static_dir=tmp_path), None)


BROKEN = """{#- A page with a typo on line 6.
    Reads: product. -#}
{% extends "base.html" %}
{% block main %}
<h1>{{ product.name }}</h1>
<p>{{ prodcut.brand }}</p>
{% endblock %}
"""


class TestTemplateErrors(DeveloperToolsCase):
    def get_app(self):
        self.templates = TemporaryDirectory()
        root = Path(self.templates.name) / "templates"
        shutil.copytree(TEMPLATES_DIR, root)
        (root / "product" / "broken.html").write_text(BROKEN)
        fixtures = root / "product" / "broken.fixtures"
        fixtures.mkdir()
        shutil.copy(root / "product" / "detail.fixtures" / "normal.json", fixtures)
        self.templates_dir = root
        return super().get_app()

    def tearDown(self) -> None:
        super().tearDown()
        self.templates.cleanup()

    def test_a_template_error_names_the_template_file_and_line(self):
        page = self.get("/_preview/product/broken.html")
        assert page.code == 500
        text = page.body.decode()
        assert f'File "{self.templates_dir / "product" / "broken.html"}", line 6' in text
        assert "jinja2.exceptions.UndefinedError: 'prodcut' is undefined" in text
