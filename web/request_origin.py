"""Whether a browser says a POST comes from this site's own pages: OWASP's "verifying origin
with standard headers" and Fetch Metadata. Add-to-basket takes this in place of the xsrf token
(docs/storefront.md says why); every other form still needs the token.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
# A host name or an IPv6 address (urlsplit has taken the brackets off and lowered the case);
# anything else, such as two Origin headers joined by a comma, is no origin at all.
HOST = re.compile(r"[a-z0-9._-]+|[0-9a-f:.]+")


class SiteEvidence(NamedTuple):
    """What the request's headers say about where it comes from, and which header said it."""

    same_origin: bool
    said: str


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of an absolute http(s) URL or origin, in lower case and without
    the scheme's default port, as browsers serialise an Origin; None for anything else
    (`null`, a path, a malformed port)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    hostname = parts.hostname or ""
    if parts.scheme not in DEFAULT_PORTS or not HOST.fullmatch(hostname):
        return None
    host = f"[{hostname}]" if ":" in hostname else hostname
    return f"{parts.scheme}://{host}" + (
        f":{port}" if port not in (None, DEFAULT_PORTS[parts.scheme]) else ""
    )


def site_evidence(headers: Mapping[str, str], site_origins: Collection[str]) -> SiteEvidence:
    """Whether the request comes from one of `site_origins` (as `origin_of` spells them).

    The first of these headers that is present decides: `Origin` (every current browser sends
    it on a form POST and on fetch; `null` from sandboxed frames, `data:` URLs and some
    redirects is not this site), then `Sec-Fetch-Site` (only `same-origin`), then the origin of
    the `Referer`. A request with none of them has no evidence and is not taken as same-origin.
    """
    if "Origin" in headers:
        origin = headers["Origin"]
        return SiteEvidence(origin_of(origin) in site_origins, f"Origin {origin[:100]!r}")
    if "Sec-Fetch-Site" in headers:
        fetch_site = headers["Sec-Fetch-Site"]
        return SiteEvidence(
            fetch_site.strip().lower() == "same-origin", f"Sec-Fetch-Site {fetch_site[:40]!r}"
        )
    if "Referer" in headers:
        referer = headers["Referer"]
        return SiteEvidence(origin_of(referer) in site_origins, f"Referer {referer[:100]!r}")
    return SiteEvidence(same_origin=False, said="no Origin, Sec-Fetch-Site or Referer")
