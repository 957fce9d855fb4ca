"""Pages rendered once per set of inputs, reused for equal inputs, bounded by their bytes."""

from __future__ import annotations

import gzip
import hashlib
from types import SimpleNamespace

import pytest

from api_client import ApiClient
from vitrine.config import Settings
from web.app import make_app
from web.rendered_pages import PAGE_OVERHEAD, RenderedPages

HTML = "<p>€49.95, Café</p>" * 100  # worth compressing


def make_render(calls: list[str], html: str = HTML):
    def render():
        calls.append(html)
        return html

    return render


def key(uri: str = "/p/1/a", reply: bytes = b"reply", template: str = "p.html") -> bytes:
    request = SimpleNamespace(protocol="https", host="shop.example", uri=uri)
    return RenderedPages.key(template, request, 200, [("shop.v1.Catalog/GetProduct", 0, reply)])


def test_equal_inputs_render_once():
    pages, calls = RenderedPages(), []
    render = make_render(calls)
    _, first = pages.page(key(), render, gzip=False)
    _, second = pages.page(key(), render, gzip=False)
    assert first == second == HTML.encode()
    assert len(calls) == 1
    assert (pages.hits, pages.misses) == (1, 1)


def test_the_key_is_every_input_and_nothing_else():
    assert key() == key()
    assert len({key(), key(uri="/p/1/b"), key(reply=b"price 12"), key(template="q.html")}) == 4
    # Each part goes in with its length: moving bytes from one part to the next is another key.
    request = SimpleNamespace(protocol="https", host="shop.example", uri="/p")
    one = RenderedPages.key("t", request, 200, [("m", 0, b"ab"), ("m", 0, b"c")])
    two = RenderedPages.key("t", request, 200, [("m", 0, b"a"), ("m", 0, b"bc")])
    assert one != two
    # A failed call's error text and a reply with the same bytes are not the same outcome.
    text = RenderedPages.key("t", request, 200, [("m", 14, "late")])
    data = RenderedPages.key("t", request, 200, [("m", 14, b"late")])
    assert text != data


def test_the_kept_hash_is_the_page_s_own():
    """What the ETag of a reused page starts from (web/handlers/base.py compute_etag): the
    same SHA-1 as hashing the served page, on a miss and on a hit, either way it is sent."""
    pages = RenderedPages()
    for wanted in (True, False, True):
        page, _ = pages.page(key(), make_render([]), gzip=wanted)
        assert page.body_hash.hexdigest() == hashlib.sha1(HTML.encode()).hexdigest()


def test_a_browser_s_page_is_kept_as_its_gzip_bytes_alone():
    pages = RenderedPages()
    page, body = pages.page(key(), make_render([]), gzip=True)
    assert gzip.decompress(body) == HTML.encode()
    assert (page.plain, page.gzipped) == (None, body)
    assert pages.kept_bytes == PAGE_OVERHEAD + len(body) < len(HTML.encode())
    _, again = pages.page(key(), make_render([]), gzip=True)
    assert again is body


def test_a_plain_request_for_a_gzip_page_gets_its_html_and_keeps_it():
    pages = RenderedPages()
    _, compressed = pages.page(key(), make_render([]), gzip=True)
    page, plain = pages.page(key(), make_render([]), gzip=False)
    assert plain == HTML.encode()
    assert (page.plain, page.gzipped) == (plain, compressed)
    assert pages.kept_bytes == PAGE_OVERHEAD + len(plain) + len(compressed)
    assert pages.page(key(), make_render([]), gzip=False)[1] is plain
    assert pages.misses == 1


def test_a_small_page_is_sent_and_kept_plain_whatever_is_accepted():
    pages = RenderedPages()
    page, body = pages.page(key(), make_render([], "<p>small</p>"), gzip=True)
    assert body == b"<p>small</p>"
    assert not page.compressible
    assert page.gzipped is None


def test_the_least_recently_used_page_goes_first_when_the_bytes_run_out():
    size = PAGE_OVERHEAD + len(HTML.encode())
    pages, calls = RenderedPages(max_bytes=2 * size), []
    render = make_render(calls)
    for uri in ("a", "b", "a", "c", "a", "b"):
        pages.page(key(uri), render, gzip=False)
    # "b" was dropped for "c" (a was used more recently), then rendered again.
    assert len(pages) == 2
    assert pages.kept_bytes == 2 * size
    assert [pages.hits, pages.misses] == [2, 4]


def test_a_page_growing_by_a_representation_counts_it_and_may_push_others_out():
    pages = RenderedPages(max_bytes=PAGE_OVERHEAD * 2 + len(HTML.encode()) + 200)
    pages.page(key("a"), make_render([]), gzip=True)
    pages.page(key("b"), make_render([]), gzip=True)
    assert len(pages) == 2
    pages.page(key("b"), make_render([]), gzip=False)  # b keeps its HTML too: a goes
    assert len(pages) == 1
    assert pages.kept_bytes <= PAGE_OVERHEAD * 2 + len(HTML.encode()) + 200


def test_a_page_bigger_than_the_whole_budget_is_sent_but_not_kept():
    pages, calls = RenderedPages(max_bytes=100), []
    _, body = pages.page(key(), make_render(calls), gzip=False)
    assert body == HTML.encode()
    assert len(pages) == 0
    pages.page(key(), make_render(calls), gzip=False)
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("debug", "megabytes", "reused"), [(False, 32, True), (True, 32, False), (False, 0, False)]
)
def test_a_front_reuses_pages_unless_in_debug_mode_or_turned_off(
    tmp_path, debug, megabytes, reused
):
    settings = Settings(debug=debug, rendered_pages_mb=megabytes, static_dir=tmp_path / "static")
    # The client opens no socket until its first call.
    app = make_app(settings, ApiClient.from_settings(settings))
    assert (app.rendered_pages is not None) is reused
    if reused:
        assert app.rendered_pages._pages.maxsize == 32 * 1024 * 1024
