"""What a trusted proxy (nginx) says about the request: the shopper's address and the scheme.
Shared by the fronts and the JSON API's public face (api/http_api.py).

Tornado's `xheaders=True` would take X-Real-IP and X-Forwarded-Proto from any peer, so a client
reaching a front directly could pick its own address; here they count only when the peer is
one of settings.trusted_proxies.
"""

from __future__ import annotations

from collections.abc import Collection

import tornado.httputil
from tornado.netutil import is_valid_ip

SCHEMES = frozenset({"http", "https"})


def apply_proxy_headers(
    request: tornado.httputil.HTTPServerRequest, trusted: Collection[str]
) -> None:
    """Set the request's remote_ip and protocol from a trusted proxy's headers."""
    if request.remote_ip not in trusted:
        return
    address = request.headers.get("X-Real-IP", "").strip()
    if is_valid_ip(address):
        request.remote_ip = address
    scheme = request.headers.get("X-Forwarded-Proto", "").strip().lower()
    if scheme in SCHEMES:
        request.protocol = scheme
