"""A request's URI as logs show it. The token in a guest's order link (/orders/<number>/<token>)
is all it takes to see that order (name, address), so logs keep the order's number only, and
mask a token given in a query string; a registration's link (/account/confirm/<token>) makes
its account, so its token goes too."""

from __future__ import annotations

import re

ORDER_LINK = re.compile(r"^(/orders/[^/?]*/)[^?]*")
CONFIRM_LINK = re.compile(r"^(/account/confirm/)[^?]*")
QUERY_TOKEN = re.compile(r"([?&](?:access_)?token=)[^&]*")
REDACTED = "[redacted]"


def logged_uri(uri: str) -> str:
    uri = ORDER_LINK.sub(rf"\1{REDACTED}", uri, count=1)
    uri = CONFIRM_LINK.sub(rf"\1{REDACTED}", uri, count=1)
    return QUERY_TOKEN.sub(rf"\1{REDACTED}", uri)
