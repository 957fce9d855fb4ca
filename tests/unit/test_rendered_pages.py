"""Pages rendered once per set of inputs, reused for equal inputs."""

from __future__ import annotations

import hashlib

import pytest

from api_client import ApiClient
from vitrine.config import Settings
from web.app import make_app
from web.rendered_pages import RenderedPages


def make_render(calls: list[str], html: str = "<p>€49.95, Café</p>"):
    def render():
        calls.append(html)
        return html

    return render


def test_equal_inputs_render_once():
    pages, calls = RenderedPages(), []
    render = make_render(calls)
    first = pages.page(("p.html", "/p/1/a", b"reply"), render)
    second = pages.page(("p.html", "/p/1/a", b"reply"), render)
    assert first.body == second.body == "<p>€49.95, Café</p>".encode()
    assert len(calls) == 1
    assert (pages.hits, pages.misses) == (1, 1)


def test_the_kept_hash_is_the_page_s_own():
    """What the ETag of a reused page starts from (web/handlers/base.py compute_etag): the
    same SHA-1 as hashing the served page, on a miss and on a hit."""
    pages = RenderedPages()
    render = make_render([])
    for _ in range(2):
        page = pages.page("k", render)
        assert page.body_hash.hexdigest() == hashlib.sha1(page.body).hexdigest()


def test_other_replies_render_again():
    pages, calls = RenderedPages(), []
    render = make_render(calls)
    pages.page(("p.html", "/p/1/a", b"price 10"), render)
    pages.page(("p.html", "/p/1/a", b"price 12"), render)
    assert len(calls) == 2


def test_the_least_recently_used_page_goes_first():
    pages, calls = RenderedPages(max_pages=2), []
    render = make_render(calls)
    for key in ("a", "b", "a", "c", "a", "b"):
        pages.page(key, render)
    # "b" was dropped for "c" (a was used more recently), then rendered again.
    assert len(pages) == 2
    assert [pages.hits, pages.misses] == [2, 4]


@pytest.mark.parametrize(
    ("debug", "pages", "reused"), [(False, 512, True), (True, 512, False), (False, 0, False)]
)
def test_a_front_reuses_pages_unless_in_debug_mode_or_turned_off(tmp_path, debug, pages, reused):
    settings = Settings(debug=debug, rendered_pages=pages, static_dir=tmp_path / "static")
    # The client opens no socket until its first call.
    app = make_app(settings, ApiClient.from_settings(settings))
    assert (app.rendered_pages is not None) is reused
