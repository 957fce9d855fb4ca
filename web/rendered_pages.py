"""Pages rendered once per set of inputs, then reused: the render was half of a product page's
CPU (bench/README.md).

A page is a function of its template, its URL, its status and the API's replies: the replies
arrive as bytes, and identical bytes make identical HTML. The key holds all of them, including
the navigation, basket badge and session replies, so a shopper's page is only ever reused for a
request whose replies are byte for byte the same (the same basket, the same account). A page
that prints anything else that differs per request (a form's xsrf token) is not reusable: it is
rendered every time.

Each page is kept with the SHA-1 state of its HTML, so that a reused page's ETag
(web/handlers/base.py) costs a copy of that state instead of hashing the ~12 KB body again; and,
once a request has accepted gzip, with its gzip bytes, so that a reused page is compressed once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

import tornado.httputil
from cachetools import LRUCache

from web.content_encoding import gzip_bytes

# The most pages a front keeps; about 12-40 KB of HTML, a fifth of that gzipped, and as much
# as the HTML of key each.
DEFAULT_RENDERED_PAGES = 512


@dataclass(slots=True)
class RenderedPage:
    """A page as it is sent: its UTF-8 bytes (kept encoded: encoding ~15 KB of HTML on every
    request showed in the profile), and the SHA-1 state of those bytes, the caller's to copy,
    never to update."""

    body: bytes
    body_hash: Any
    # Made by the first request that accepts gzip, then kept: reuse costs no compression.
    _gzipped: bytes | None = field(default=None, repr=False)

    def gzipped(self) -> bytes:
        """The body gzip-compressed, compressed on the first call only."""
        if self._gzipped is None:
            self._gzipped = gzip_bytes(self.body)
        return self._gzipped


class RenderedPages:
    """A bounded map from a page's inputs to its HTML."""

    def __init__(self, max_pages: int = DEFAULT_RENDERED_PAGES) -> None:
        self._pages: LRUCache[Hashable, RenderedPage] = LRUCache(maxsize=max_pages)
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(
        template: str,
        request: tornado.httputil.HTTPServerRequest,
        status: int,
        outcomes: Iterable[Hashable],
    ) -> Hashable:
        """All a reusable page is made of. Scheme and host too: a page may print absolute URLs
        (canonical, Open Graph)."""
        return (template, request.protocol, request.host, request.uri, status, *outcomes)

    def page(self, key: Hashable, render: Callable[[], str]) -> RenderedPage:
        """The page for `key`, rendered by `render` the first time."""
        entry = self._pages.get(key)
        if entry is None:
            self.misses += 1
            body = render().encode()
            # A cache validator, not a security measure.
            entry = self._pages[key] = RenderedPage(body, hashlib.sha1(body))  # noqa: S324
        else:
            self.hits += 1
        return entry

    def __len__(self) -> int:
        return len(self._pages)
