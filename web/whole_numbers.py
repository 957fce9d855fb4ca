"""The one way the front reads a whole number a request sent (a page, a quantity, an id).

`str.isdigit()` and `int()` accept more than ASCII digits: `"²".isdigit()` is true and
`int("²")` fails (a 500), `int("٣")` is 3, and `int()` of a few thousand digits raises too.
"""

from __future__ import annotations

import re

# Digits only, ASCII only, and few enough that int() is cheap and every bound fits in 64 bits.
ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_whole_number(raw: str, lowest: int, highest: int) -> int | None:
    """`raw` (spaces or tabs around it allowed) as an int from `lowest` to `highest`, else None."""
    raw = raw.strip(" \t")
    if not ASCII_DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if lowest <= value <= highest else None
