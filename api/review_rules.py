"""What a review must be to be stored, and what holds it for a moderator: pure functions, no
database, so the rules read in one place (docs/reviews.md)."""

from __future__ import annotations

import re
from collections.abc import Sequence

MIN_TITLE = 3
MAX_TITLE = 120
MIN_TEXT = 20
MAX_TEXT = 5000
MAX_AUTHOR = 100

# A link in any form a reader could follow or paste: a scheme, "www.", or a host name ending in
# a common top-level domain ("shop.example.com", "cheap-bags.shop/x").
_LINK = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://|\bwww\.|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\."
    r"(?:com|net|org|info|biz|io|co|shop|store|online|site|xyz|top|ru|cn|de|uk|fr|ie|eu|ly|me)"
    r"\b(?!\.\w))",
    re.IGNORECASE,
)


def field_problems(rating: int, title: str, text: str) -> list[tuple[str, str]]:
    """(field, what is wrong) for each field that does not pass; none when all do. `title` and
    `text` are as stripped."""
    problems = []
    if not 1 <= rating <= 5:
        problems.append(("rating", "Choose a rating from 1 to 5 stars."))
    for field, value, least, most, name in (
        ("title", title, MIN_TITLE, MAX_TITLE, "title"),
        ("text", text, MIN_TEXT, MAX_TEXT, "review"),
    ):
        if "\x00" in value:
            problems.append((field, f"Your {name} contains a character that is not allowed."))
        elif len(value) < least:
            problems.append((field, f"Write at least {least} characters for your {name}."))
        elif len(value) > most:
            problems.append(
                (field, f"Use at most {most} characters for your {name} (it has {len(value)}).")
            )
    return problems


def clean(value: str) -> str:
    """Text as stored: stripped, with runs of blank lines cut to one paragraph break and no
    control characters but newlines (a review is plain text, shown escaped)."""
    value = "".join(c for c in value if c == "\n" or c >= " " or c == "\t").replace("\t", " ")
    value = re.sub(r"\n{3,}", "\n\n", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value.strip()


def hold_reason(title: str, text: str, hold_words: Sequence[str]) -> str:
    """Why a review waits for a moderator ("" when it may be published at once): a link, or a
    word or phrase of the configured list, as a whole word in any case."""
    both = f"{title}\n{text}"
    if _LINK.search(both):
        return "it contains a link"
    words = " ".join(re.findall(r"\w+", both.lower()))
    for held in hold_words:
        phrase = " ".join(re.findall(r"\w+", held.lower()))
        if phrase and re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", words):
            return f"it contains {held!r}, a word the shop checks first"
    return ""


def shown_name(full_name: str) -> str:
    """How a reviewer is named in public: the first name and the initial of the last
    ("Ada Lovelace" -> "Ada L."); a single name as it is."""
    parts = full_name.split()
    if not parts:
        return "A shopper"
    if len(parts) == 1:
        return parts[0][:MAX_AUTHOR]
    return f"{parts[0][: MAX_AUTHOR - 3]} {parts[-1][0].upper()}."
