"""How alike two words are, by shared trigrams, and the pieces of a word an index can look for.

The measure is pg_trgm's `similarity` (each word padded with two spaces before and one after,
shared trigrams over all trigrams), computed here so both databases choose corrections alike.
"""

from __future__ import annotations

from collections.abc import Iterable

# Below this, a word is too unlike a misspelt one to be offered in its place ("jaket" and
# "jacket" are 0.44 alike, "jaket" and "basket" 0.17).
MIN_SIMILARITY = 0.3
# Words shorter than this are not corrected: too few trigrams to tell "tee" from "toe".
MIN_WORD_LENGTH = 4
# From this length a word has 6 runs of 4 letters, one more than a typo can break.
LONG_WORD = 9


def trigrams(word: str) -> frozenset[str]:
    padded = f"  {word.lower()} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def similarity(first: str, second: str) -> float:
    a, b = trigrams(first), trigrams(second)
    return len(a & b) / len(a | b) if a or b else 0.0


def closest(word: str, candidates: Iterable[str], count: int) -> list[str]:
    """Up to `count` candidates at least MIN_SIMILARITY alike to `word`, closest first."""
    scored = sorted(
        ((similarity(word, candidate), candidate) for candidate in set(candidates)),
        key=lambda pair: (-pair[0], pair[1]),
    )
    return [candidate for score, candidate in scored[:count] if score >= MIN_SIMILARITY]


def pieces(word: str) -> list[str]:
    """Substrings of `word` that a trigram index can look for, of which a word one typo away
    (a letter changed, added, dropped or two swapped) keeps at least one, for words of 7 letters
    or more: a typo breaks at most 4 of the 3-letter runs, or 5 of the 4-letter ones. Shorter
    words are a best effort. Longer runs are rarer, so fewer names are read.
    """
    size = 4 if len(word) >= LONG_WORD else 3
    return list(dict.fromkeys(word[i : i + size] for i in range(len(word) - size + 1)))
