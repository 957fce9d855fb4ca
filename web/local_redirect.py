"""Where this site may send a shopper back to after a form (`?next=`): only a path on this site.

Browsers are lenient with what they are told to follow: they drop tabs and newlines from a URL,
read `\\` as `/`, and take `//host` (or `/\\host`) as another host; so the check is strict and
ASCII only, and anything doubtful goes to the default instead.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# A redirect target longer than this is no link of ours.
MAX_TARGET_LENGTH = 2000
# One leading slash, then printable ASCII with no backslash: no control characters (browsers
# drop tabs and newlines, so `/\t/evil` would become `//evil`), no spaces, no Unicode a browser
# might fold into a slash or a dot (U+FF0F, U+3002), no `\` it would read as `/`.
LOCAL_PATH = re.compile(r"/(?![/\\])[!-\[\]-~]*")


def local_target(target: str, default: str) -> str:
    """`target` when it is a path on this site, else `default`."""
    if len(target) > MAX_TARGET_LENGTH or not LOCAL_PATH.fullmatch(target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
