"""What a shared cache (nginx, a browser) may do with one response: its Cache-Control, its
Vary, and an ETag that stays the same while the page does.

The handler tells the policy what it did, through Tornado's public methods it overrides
(set_header, set_cookie, write, flush): nothing here reads Tornado's private state.
"""

from __future__ import annotations

import hashlib
from typing import Any

# What a shared cache (nginx) may do with an anonymous page: keep it briefly. A page that read
# or set a cookie, or embeds a form token, is the shopper's own.
SHARED_CACHE_CONTROL = "public, max-age=5"
PRIVATE_CACHE_CONTROL = "private"
ERROR_CACHE_CONTROL = "no-store"
XSRF_COOKIE = "_xsrf"


class CachePolicy:
    """One response's caching: built per request, reset when the response is cleared."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.chosen = False  # the handler set its own Cache-Control
        self.decided = False  # headers have gone out: nothing more to decide
        self.cookies_set: dict[str, str] = {}
        self.form_token: bytes | None = None  # the masked xsrf token the page embeds
        self.body: list[bytes] = []
        self.hashable = True  # False once a body part was not bytes or text (a dict)
        # The SHA-1 state of a reused page's body (web/rendered_pages.py), hashed once.
        self.body_hash: Any = None
        # Part of the body has gone out: no ETag can be sent any more, so none is hashed.
        self.streaming = False
        # The body is sent in this content coding (gzip), the ETag names that variant.
        self.encoding = ""
        # The request headers the answer depends on, sent as one Vary line (vary_header).
        self.vary: list[str] = []

    def encoded(self, plain: bytes | None, encoding: str) -> None:
        """The whole body is `plain` sent in `encoding`: the ETag is hashed from the plain
        bytes (a form token's mask can only be taken out of those, and for a reused page their
        hash is already made) and marked with the encoding. The encoded bytes are a function of
        the plain ones (web/content_encoding.py), so the tag still names exact bytes, and the
        two variants never share one: a cache holding one must not revalidate the other."""
        self.encoding = encoding
        if self.body_hash is None:
            if plain is None:
                raise ValueError("an encoded body is hashed from its plain bytes: pass them")
            self.body = [plain]

    def wrote(self, chunk: bytes) -> None:
        # An encoded body is hashed from its plain bytes (encoded()), never from what is written.
        if self.body_hash is None and not self.streaming and not self.encoding:
            self.body.append(chunk)

    def varies_with(self, header: str) -> None:
        if header not in self.vary:
            self.vary.append(header)

    def vary_header(self) -> str:
        """Every header the answer varies with, in one line: nginx 1.22 (the one tested) reads
        only the last Vary line of an answer for its cache key, and mixed the gzip and plain
        variants when Accept-Encoding came on a line of its own before Cookie."""
        return ", ".join(self.vary)

    def flushed(self) -> None:
        """Headers and the body so far went out (a streamed sitemap or feed): stop keeping the
        body for an ETag, which Tornado only computes for a response sent whole, or a streamed
        million products would all stay in memory until the end."""
        self.streaming = True
        self.body = []

    def cache_control(self, status: int, *, personal: bool) -> str | None:
        """The Cache-Control a page gets when its handler chose none; None when it did."""
        if self.chosen:
            return None
        if status >= 500:
            return ERROR_CACHE_CONTROL
        personal = personal or self.form_token is not None or bool(self.cookies_set)
        return PRIVATE_CACHE_CONTROL if personal else SHARED_CACHE_CONTROL

    def etag(self, xsrf_cookie: str | None) -> str | None:
        """The body's hash without the form token's random mask, which changes on every request
        and would make every page with a form look new, while the token itself (the browser's
        _xsrf cookie) counts: a browser whose cookie changed must not reuse a page holding the
        old one. None when the body is not ours to hash (Tornado's own then applies)."""
        if self.body_hash is not None:
            # A reused page (never one with a form token): hashed when it was first rendered.
            hasher = self.body_hash.copy()
        elif not self.hashable:
            return None
        else:
            hasher = hashlib.sha1()  # noqa: S324 - a cache validator, not a security measure
            masked = self.form_token
            for part in self.body:
                hasher.update(part.replace(masked, b"") if masked else part)
        if self.form_token is not None:
            hasher.update((self.cookies_set.get(XSRF_COOKIE) or xsrf_cookie or "").encode())
        suffix = f"-{self.encoding}" if self.encoding else ""
        return f'"{hasher.hexdigest()}{suffix}"'
