"""Which requests accept gzip, and the compressed bytes the front sends them."""

from __future__ import annotations

import gzip

import pytest

from web import rendered_pages
from web.cache_policy import CachePolicy
from web.content_encoding import accepts_gzip, gzip_bytes
from web.rendered_pages import RenderedPages


@pytest.mark.parametrize(
    "header",
    [
        "gzip",
        "GZIP",
        "x-gzip",
        "gzip, deflate, br, zstd",  # a browser's
        "deflate, gzip;q=1.0, *;q=0.5",
        "gzip;q=0.001",
        "gzip ; q=0.5",
        "br;q=1, gzip;q=0.8",
        "*",
        "identity, *;q=0.1",
        "gzip;q=1;level=9",
    ],
)
def test_gzip_is_accepted(header):
    assert accepts_gzip(header)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "identity",
        "br, zstd",
        "deflate",
        "gzip;q=0",
        "gzip;q=0.000",
        "gzip; Q=0",
        "gzip;q=0, *",  # named and refused: * does not bring it back
        "*;q=0",
        "*, gzip;q=0",
        "gzip;q=2",  # not a qvalue: in doubt, plain
        "gzip;q=high",
        "gzip, gzip;q=0",  # named twice: the refusal holds
        "gzipped",
        "notgzip",
    ],
)
def test_gzip_is_refused_or_not_asked_for(header):
    assert not accepts_gzip(header)


def test_a_body_compresses_to_the_same_bytes_every_time():
    """No timestamp in the gzip header: the compressed variant's ETag names its bytes."""
    body = "<p>€49.95, Café</p>".encode() * 200
    first = gzip_bytes(body)
    assert gzip.decompress(first) == body
    assert len(first) < len(body) / 10
    assert gzip_bytes(body) == first


def test_a_reused_page_is_compressed_once_and_only_when_asked(monkeypatch):
    compressed: list[bytes] = []

    def counting(body: bytes) -> bytes:
        compressed.append(body)
        return gzip_bytes(body)

    monkeypatch.setattr(rendered_pages, "gzip_bytes", counting)
    pages = RenderedPages()
    _, plain = pages.page(b"k", lambda: "<p>page</p>" * 200, gzip=False)
    assert compressed == []  # a plain request costs no compression
    _, first = pages.page(b"k", lambda: "never rendered", gzip=True)
    _, again = pages.page(b"k", lambda: "never rendered", gzip=True)
    assert again is first
    assert compressed == [plain]
    assert gzip.decompress(first) == plain


def test_the_gzip_variant_has_an_etag_of_its_own_from_the_plain_bytes():
    body = b"<p>page</p>" * 200
    plain = CachePolicy()
    plain.wrote(body)
    encoded = CachePolicy()
    encoded.encoded(body, "gzip")
    encoded.wrote(gzip_bytes(body))  # what is written is not what is hashed
    assert encoded.etag(None) == plain.etag(None)[:-1] + '-gzip"'


def test_a_reused_pages_gzip_etag_is_its_kept_hash_marked():
    page, _ = RenderedPages().page(b"k", lambda: "<p>page</p>" * 200, gzip=True)
    plain, encoded = CachePolicy(), CachePolicy()
    plain.body_hash = encoded.body_hash = page.body_hash
    encoded.encoded(None, "gzip")  # its plain bytes are not kept: its hash is
    assert plain.etag(None) == f'"{page.body_hash.hexdigest()}"'
    assert encoded.etag(None) == f'"{page.body_hash.hexdigest()}-gzip"'


def test_a_gzip_pages_form_token_mask_does_not_change_its_etag():
    policies = []
    for token in (b"2|aaaa|1111|1", b"2|bbbb|2222|1"):
        policy = CachePolicy()
        policy.form_token = token
        policy.encoded(b"<form><input value='" + token + b"'></form>", "gzip")
        policies.append(policy)
    assert policies[0].etag("cookie") == policies[1].etag("cookie")


def test_vary_is_one_line_of_every_header_named_once():
    """nginx 1.22 keys its cache on the last Vary line only: one line, or the variants mix."""
    policy = CachePolicy()
    for header in ("Accept-Encoding", "Cookie", "Accept-Encoding"):
        policy.varies_with(header)
    assert policy.vary_header() == "Accept-Encoding, Cookie"
    policy.clear()
    assert policy.vary_header() == ""
