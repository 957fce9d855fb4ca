"""Pages rendered once per set of inputs: reused for equal inputs, per-request values filled in."""

from __future__ import annotations

import hashlib

import pytest
from markupsafe import escape

from api_client import ApiClient
from web.app import make_app
from web.config import Settings
from web.rendered_pages import RenderedPages


def make_render(calls: list[dict[str, str]]):
    def render(slots):
        calls.append(dict(slots))
        return f'<form><input name="_xsrf" value="{slots["xsrf_token"]}"></form>'

    return render


def test_equal_inputs_render_once_and_each_request_gets_its_own_token():
    pages, calls = RenderedPages(), []
    render = make_render(calls)
    first = pages.page(("p.html", "/p/1/a", b"reply"), render, {"xsrf_token": "2|aa|bb|1"})
    second = pages.page(("p.html", "/p/1/a", b"reply"), render, {"xsrf_token": "2|cc|dd|2"})
    assert first.body == b'<form><input name="_xsrf" value="2|aa|bb|1"></form>'
    assert second.body == b'<form><input name="_xsrf" value="2|cc|dd|2"></form>'
    assert len(calls) == 1
    assert (pages.hits, pages.misses) == (1, 1)


def test_the_kept_hash_is_the_page_s_without_its_per_request_values():
    """What the ETag of a reused page starts from (web/handlers/base.py compute_etag): the
    same SHA-1 as hashing each served page with its token taken out, on a miss and on a hit."""
    pages = RenderedPages()
    render = make_render([])
    for token in ("2|aa|bb|1", "2|cc|dd|2"):
        html, body_hash = pages.page("k", render, {"xsrf_token": token})
        assert token.encode() in html
        expected = hashlib.sha1(html.replace(token.encode(), b"")).hexdigest()
        assert body_hash.hexdigest() == expected


def test_a_page_is_sent_as_utf8_with_its_token_filled_in():
    pages = RenderedPages()

    def render(slots):
        return f'<p>€49.95, Café</p><input name="_xsrf" value="{slots["xsrf_token"]}">'

    page = pages.page("k", render, {"xsrf_token": "2|ab|cd|3"})
    assert page.body.decode() == '<p>€49.95, Café</p><input name="_xsrf" value="2|ab|cd|3">'


def test_other_replies_render_again():
    pages, calls = RenderedPages(), []
    render = make_render(calls)
    pages.page(("p.html", "/p/1/a", b"price 10"), render, {"xsrf_token": "t"})
    pages.page(("p.html", "/p/1/a", b"price 12"), render, {"xsrf_token": "t"})
    assert len(calls) == 2


def test_a_per_request_value_is_escaped_like_the_template_would():
    pages = RenderedPages()
    html = pages.page("k", make_render([]), {"xsrf_token": '"><script>'}).body.decode()
    assert '"><script>' not in html
    assert "&#34;&gt;&lt;script&gt;" in html


def test_the_slot_survives_autoescaping_and_never_reaches_a_page():
    pages = RenderedPages()
    slot = pages.slot("xsrf_token")
    assert str(escape(slot)) == slot
    html = pages.page("k", make_render([]), {"xsrf_token": ""}).body.decode()
    assert slot not in html
    assert 'value=""' in html


def test_the_least_recently_used_page_goes_first():
    pages, calls = RenderedPages(max_pages=2), []
    render = make_render(calls)
    for key in ("a", "b", "a", "c", "a", "b"):
        pages.page(key, render, {"xsrf_token": "t"})
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
