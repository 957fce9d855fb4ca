"""Pages rendered once per set of inputs, then reused: the render was half of a product page's
CPU (bench/README.md).

A page is a function of its template, its URL, its status and the API's replies: the replies
arrive as bytes, and identical bytes make identical HTML. The key holds all of them, including
the navigation, basket badge and session replies, so a shopper's page is only ever reused for a
request whose replies are byte for byte the same (the same basket, the same account). A page
that prints anything else that differs per request (a form's xsrf token) is not reusable: it is
rendered every time.

The pages are bounded by their bytes, not their number, and each is kept small, so that a front
holds the long tail of a big catalogue rather than its 500 most recent pages:
- the key is a SHA-256 digest of its parts (the replies alone were ~10 KB a product page);
- a page keeps the representations asked for, gzip or plain: a browser's page is ~7 KB of
  gzip where its HTML is ~35 KB (a plain request for it decompresses the gzip bytes once and
  keeps them too, as a gzip request compresses a plain page once).
At 32 MB a front keeps about 4,000 product pages asked for by browsers: on Zipf(s=1) product
pages over a million products, 4,096 pages are reused for about half the requests against a
third for 512 (bench/compare.py --zipf).

Each page is kept with the SHA-1 state of its HTML, so that a reused page's ETag
(web/handlers/base.py) costs a copy of that state instead of hashing the body again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import tornado.httputil
from cachetools import LRUCache
from zlib_ng import gzip_ng

from web.content_encoding import MIN_GZIP_LENGTH, gzip_bytes

MB = 1024 * 1024
DEFAULT_RENDERED_PAGES_MB = 32
# What a kept page costs besides its bytes: the entry, its digest and its hash state.
PAGE_OVERHEAD = 400


@dataclass(slots=True)
class RenderedPage:
    """A page as it is sent: the SHA-1 state of its UTF-8 bytes (the caller's to copy, never to
    update), their length, and the representations asked for so far, at least one of them."""

    body_hash: Any
    length: int
    plain: bytes | None
    gzipped: bytes | None

    @property
    def size(self) -> int:
        return PAGE_OVERHEAD + len(self.plain or b"") + len(self.gzipped or b"")

    @property
    def compressible(self) -> bool:
        """Worth sending gzip-compressed (content_encoding.MIN_GZIP_LENGTH)."""
        return self.length >= MIN_GZIP_LENGTH


class RenderedPages:
    """A map from a page's inputs to its HTML, bounded by the bytes it keeps."""

    def __init__(self, max_bytes: int = DEFAULT_RENDERED_PAGES_MB * MB) -> None:
        self._pages: LRUCache[bytes, RenderedPage] = LRUCache(
            maxsize=max_bytes, getsizeof=lambda page: page.size
        )
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(
        template: str,
        request: tornado.httputil.HTTPServerRequest,
        status: int,
        outcomes: Iterable[tuple[str, int, bytes | str]],
    ) -> bytes:
        """A SHA-256 digest of all a reusable page is made of. Scheme and host too: a page may
        print absolute URLs (canonical, Open Graph). Each piece goes in after its length, so no
        two different lists of pieces make the same bytes (none of the named parts can hold a
        line break: HTTP refuses one in a host or a URI). A cryptographic digest, as replies
        hold what shoppers wrote (reviews, their basket): no one may make two inputs collide
        and be served another's page. SHA-256 through OpenSSL: ~14 µs for a product page's
        ~16 KB of replies (BLAKE2b took 22, the tuple of every part kept as the key ~5 but
        ~10 KB of memory a page)."""
        head = f"{template}\n{request.protocol}\n{request.host}\n{request.uri}\n{status}".encode()
        digest = hashlib.sha256(len(head).to_bytes(4, "big") + head)
        for method, call_status, answer in outcomes:
            # A failed call's error text is not the reply of the same bytes.
            data = b"\x01" + answer.encode() if isinstance(answer, str) else answer
            meta = f"{method}\n{call_status}\n{len(data)}".encode()
            digest.update(len(meta).to_bytes(4, "big") + meta)
            digest.update(data)
        return digest.digest()

    def page(
        self, key: bytes, render: Callable[[], str], *, gzip: bool
    ) -> tuple[RenderedPage, bytes]:
        """The page for `key`, rendered by `render` the first time, and its bytes as this
        request takes them: gzip-compressed when `gzip` (and the page is worth compressing),
        else plain. A representation made for this request is kept with the page."""
        page = self._pages.get(key)
        if page is None:
            self.misses += 1
            html = render().encode()
            # A cache validator, not a security measure.
            page = RenderedPage(hashlib.sha1(html), len(html), html, None)  # noqa: S324
            body = html
            if gzip and page.compressible:
                body = page.gzipped = gzip_bytes(html)
                page.plain = None
            self._keep(key, page)
            return page, body
        self.hits += 1
        if gzip and page.compressible:
            if page.gzipped is None:
                page.gzipped = gzip_bytes(page.plain or b"")
                self._keep(key, page)
            return page, page.gzipped
        if page.plain is None:
            page.plain = gzip_ng.decompress(page.gzipped or b"")
            self._keep(key, page)
        return page, page.plain

    def _keep(self, key: bytes, page: RenderedPage) -> None:
        """(Again) under `key`, counted at its size now; one bigger than the whole budget is
        not kept."""
        if page.size <= self._pages.maxsize:
            self._pages[key] = page
        else:
            self._pages.pop(key, None)

    @property
    def kept_bytes(self) -> int:
        return int(self._pages.currsize)

    def __len__(self) -> int:
        return len(self._pages)
