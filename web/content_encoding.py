"""gzip for the pages a front sends: which requests accept it, and the compressed bytes.

The front compresses its HTML pages itself rather than leaving it all to nginx: a page reused
from RenderedPages is compressed once and kept (web/rendered_pages.py), and nginx's microcache
keeps the compressed answer beside the plain one (they differ by `Vary: Accept-Encoding`), so a
hit is stored bytes sent as they are (docs/performance.md, "The microcache").
"""

from __future__ import annotations

import re

from zlib_ng import gzip_ng

# zlib's own default, and Tornado's, through zlib-ng: a 33 KB product page to 6.8 KB in ~0.23 ms
# on the 2-core test machine (CPython's zlib: 6.7 KB in ~0.48 ms). A front compresses every page
# it renders, so on long-tail product pages the compression is a third of a render. zlib-ng's
# level 1 takes a third of the time for 35 % more bytes, which every microcache hit would move.
GZIP_LEVEL = 6
# Smaller bodies are sent as they are: gzip's header and trailer and the Content-Encoding header
# eat most of what compressing them would save (Tornado's floor is the same).
MIN_GZIP_LENGTH = 1024
# RFC 9110's qvalue: 0 to 1 with at most three decimals.
QVALUE = re.compile(r"0(\.\d{0,3})?|1(\.0{0,3})?")
# RFC 9110 asks recipients to take x-gzip as gzip.
GZIP_NAMES = frozenset({"gzip", "x-gzip"})


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding value accepts gzip (RFC 9110, section 12.5.3): named with a
    weight above 0, or not named while `*` has one. `gzip;q=0` refuses it whatever `*` says.

    When in doubt the answer is no: a plain body is always acceptable, a compressed one only to
    a client that said so. So a weight that is not a qvalue counts as 0, and a coding named
    twice keeps its lower weight."""
    named: float | None = None
    anything: float | None = None
    for item in accept_encoding.split(","):
        coding, _, parameters = item.partition(";")
        coding = coding.strip().lower()
        weight = _weight(parameters)
        if coding in GZIP_NAMES:
            named = weight if named is None else min(named, weight)
        elif coding == "*":
            anything = weight if anything is None else min(anything, weight)
    if named is not None:
        return named > 0
    return anything is not None and anything > 0


def _weight(parameters: str) -> float:
    """The q= of a coding's parameters; 1 when it has none, 0 when it is not a qvalue."""
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            value = value.strip()
            return float(value) if QVALUE.fullmatch(value) else 0.0
    return 1.0


def gzip_bytes(body: bytes) -> bytes:
    """`body` gzip-compressed, the same bytes every time for the same body (no timestamp in the
    gzip header): the compressed page's ETag names them (web/cache_policy.py)."""
    return gzip_ng.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
