"""Pages sent gzip-compressed to a client that accepts it, by a front that reuses rendered pages
and by one that renders every page: the same HTML, a variant of its own for caches (Vary, ETag),
HEAD as GET. Through nginx's microcache: tests/functional/test_nginx.py."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.functional import raw_http
from tests.functional.pages import Facts, catalogue_facts
from tests.functional.raw_http import Answer
from tests.processes import Process, Processes

GZIP = {"Accept-Encoding": "gzip"}


def fetch(
    front: Process, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> Answer:
    return raw_http.fetch(front.url, path, method=method, headers=headers)


@dataclass
class Site:
    fronts: dict[str, Process]
    facts: Facts

    def pages(self) -> list[str]:
        facts = self.facts
        return ["/", f"/c/{facts.department_slug}", f"/p/{facts.product_id}/{facts.product_slug}"]


@pytest.fixture(scope="module")
def site(database: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    processes = Processes(database, tmp_path_factory.mktemp("gzip"))
    try:
        worker = processes.start_worker()
        fronts = {
            "reused": processes.start_front(worker),
            "rendered": processes.start_front(worker, env={"VITRINE_RENDERED_PAGES_MB": "0"}),
        }
        yield Site(fronts, catalogue_facts(database))
    finally:
        processes.stop_all()


@pytest.fixture(params=["reused", "rendered"])
def front(request: pytest.FixtureRequest, site: Site) -> Process:
    return site.fronts[request.param]


def test_a_page_asked_with_gzip_is_the_plain_page_gzipped(site, front):
    for path in [*site.pages(), "/no-such-page"]:
        plain = fetch(front, path)
        packed = fetch(front, path, GZIP)
        assert packed.status == plain.status, path
        assert plain.header("Content-Encoding") == "", path
        assert packed.header("Content-Encoding") == "gzip", path
        assert int(packed.header("Content-Length")) == len(packed.body), path
        assert len(packed.body) < len(plain.body) / 3, path
        assert gzip.decompress(packed.body) == plain.body, path
        assert packed.header("Content-Type") == plain.header("Content-Type"), path
        for answer in (plain, packed):
            assert "Accept-Encoding" in answer.header("Vary"), path


@pytest.mark.parametrize(
    "accept_encoding", ["gzip;q=0", "gzip;q=0, *", "*;q=0", "identity", "br", "deflate"]
)
def test_a_client_that_refuses_gzip_or_does_not_name_it_gets_the_plain_page(site, accept_encoding):
    front = site.fronts["reused"]
    path = f"/c/{site.facts.department_slug}"
    answer = fetch(front, path, {"Accept-Encoding": accept_encoding})
    assert answer.status == 200
    assert answer.header("Content-Encoding") == ""
    assert answer.body == fetch(front, path).body
    assert "Accept-Encoding" in answer.header("Vary")


def test_a_wildcard_accepts_gzip(site):
    answer = fetch(site.fronts["reused"], "/", {"Accept-Encoding": "identity;q=0.5, *"})
    assert answer.header("Content-Encoding") == "gzip"


def test_an_anonymous_page_varies_with_cookie_and_accept_encoding_on_one_line(site, front):
    """nginx 1.22's cache reads the last Vary line alone (web/cache_policy.py)."""
    for headers in ({}, GZIP):
        answer = fetch(front, site.pages()[1], headers)
        assert answer.headers.get_all("Vary") == ["Accept-Encoding, Cookie"]


def test_each_variant_has_its_own_etag_and_revalidates_on_its_own(site, front):
    for path in site.pages():
        plain, packed = fetch(front, path), fetch(front, path, GZIP)
        plain_etag, packed_etag = plain.header("ETag"), packed.header("ETag")
        assert plain_etag
        assert packed_etag
        assert plain_etag != packed_etag
        # Stable: the same variant asked again carries the same tag.
        assert fetch(front, path, GZIP).header("ETag") == packed_etag
        assert fetch(front, path).header("ETag") == plain_etag
        for headers, etag in ((GZIP, packed_etag), ({}, plain_etag)):
            again = fetch(front, path, {**headers, "If-None-Match": etag})
            assert again.status == 304, path
            assert again.body == b""
            assert "Accept-Encoding" in again.header("Vary")
        # A copy of the other variant is not this one.
        crossed = fetch(front, path, {**GZIP, "If-None-Match": plain_etag})
        assert crossed.status == 200
        assert crossed.header("Content-Encoding") == "gzip"
        crossed = fetch(front, path, {"If-None-Match": packed_etag})
        assert crossed.status == 200
        assert crossed.header("Content-Encoding") == ""


def test_a_page_served_gzip_twice_is_the_same_bytes(site, front):
    """A reused page's gzip bytes are made once and kept; one rendered every time compresses
    to the same bytes (no timestamp in the gzip header), so its ETag holds. A second apart: a
    gzip header's time is in whole seconds."""
    path = f"/c/{site.facts.department_slug}"
    first = fetch(front, path, GZIP)
    time.sleep(1.1)
    second = fetch(front, path, GZIP)
    assert first.header("Content-Encoding") == second.header("Content-Encoding") == "gzip"
    assert first.body == second.body


def test_head_answers_what_get_does_in_either_encoding(site, front):
    for path in site.pages():
        for headers in ({}, GZIP):
            got = fetch(front, path, headers)
            head = fetch(front, path, headers, method="HEAD")
            assert (head.status, head.body) == (got.status, b""), path
            for name in ("Content-Encoding", "Content-Length", "ETag", "Vary", "Content-Type"):
                assert head.header(name) == got.header(name), (path, name)


def test_answers_that_are_not_pages_are_left_for_nginx_to_compress(site):
    """The front compresses its HTML pages; sitemaps, feeds, robots.txt and JSON go out plain
    and nginx's gzip compresses them as before (docs/operations.md)."""
    front = site.fronts["reused"]
    for path in ("/robots.txt", "/sitemap.xml", "/sitemaps/products-1.xml"):
        answer = fetch(front, path, GZIP)
        assert answer.status == 200, path
        assert answer.header("Content-Encoding") == "", path
