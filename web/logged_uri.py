"""A request's URI as logs show it. The token in a guest's order link (/orders/<number>/<token>)
is all it takes to see that order (name, address), so logs keep the order's number only, and
mask a token given in a query string."""

from __future__ import annotations

import re

ORDER_LINK = re.compile(r"^(/orders/[^/?]*/)[^?]*")
QUERY_TOKEN = re.compile(r"([?&](?:access_)?token=)[^&]*")
REDACTED = "[redacted]"


def logged_uri(uri: str) -> str:
    uri = ORDER_LINK.sub(rf"\1{REDACTED}", uri, count=1)
    return QUERY_TOKEN.sub(rf"\1{REDACTED}", uri)
