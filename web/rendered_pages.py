"""Pages rendered once per set of inputs, then reused: the render was half of a product page's
CPU (bench/README.md).

A page is a function of its template, its URL, its status and the API's replies: the replies
arrive as bytes, and identical bytes make identical HTML. The key holds all of them, including
the navigation, basket badge and session replies, so a shopper's page is only ever reused for a
request whose replies are byte for byte the same (the same basket, the same account). What
differs per request although the replies are the same (the xsrf token of a form) is rendered as
a slot, a marker unique to this process, and filled in, escaped, on every request.

Each page is kept with the SHA-1 state of its HTML without the slots, so that a reused page's
ETag (web/handlers/base.py, which hashes the body without the xsrf token) costs a copy of that
state instead of hashing the ~12 KB body again.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Hashable, Mapping
from typing import Any, NamedTuple

from cachetools import LRUCache
from markupsafe import escape

# The most pages a front keeps; about 12 KB of HTML and as much of key each.
DEFAULT_RENDERED_PAGES = 512


class RenderedPage(NamedTuple):
    """A page as it is sent: its UTF-8 bytes (kept encoded: encoding ~15 KB of HTML on every
    request showed in the profile), and the SHA-1 state of those bytes without the per-request
    values, the caller's to copy, never to update."""

    body: bytes
    body_hash: Any


class RenderedPages:
    """A bounded map from a page's inputs to its HTML, with per-request slots."""

    def __init__(self, max_pages: int = DEFAULT_RENDERED_PAGES) -> None:
        self._pages: LRUCache[Hashable, RenderedPage] = LRUCache(maxsize=max_pages)
        # Only letters and digits: autoescaping leaves the marker as it is.
        self._marker = f"vitrineslot{secrets.token_hex(12)}"
        self._slot_bytes: dict[str, bytes] = {}
        self.hits = 0
        self.misses = 0

    def slot(self, name: str) -> str:
        """What a template receives instead of a per-request value; filled by `page()`."""
        return f"{self._marker}{name}end"

    def page(
        self,
        key: Hashable,
        render: Callable[[Mapping[str, str]], str],
        per_request: Mapping[str, str],
    ) -> RenderedPage:
        """The page for `key`, rendered with slots in place of `per_request` values on a miss,
        then with those values filled in. A per-request value must reach the HTML as it is
        (escaped, no filter applied to it): a filter would change the slot, not the value."""
        entry = self._pages.get(key)
        if entry is None:
            self.misses += 1
            body = render({name: self.slot(name) for name in per_request}).encode()
            bare = body
            for name in per_request:
                bare = bare.replace(self._slot_marker(name), b"")
            # A cache validator, not a security measure.
            entry = RenderedPage(body, hashlib.sha1(bare))  # noqa: S324
            self._pages[key] = entry
        else:
            self.hits += 1
        body = entry.body
        for name, value in per_request.items():
            body = body.replace(self._slot_marker(name), str(escape(value)).encode())
        return RenderedPage(body, entry.body_hash)

    def _slot_marker(self, name: str) -> bytes:
        """The slot as it stands in a stored body; made once per name, not per request."""
        marker = self._slot_bytes.get(name)
        if marker is None:
            marker = self._slot_bytes[name] = self.slot(name).encode()
        return marker

    def __len__(self) -> int:
        return len(self._pages)
