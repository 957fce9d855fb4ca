"""Full-text search on each database's own engine (made by migration 0003): which products
match words and how well, which names start with what a shopper is typing, and which names
hold words like a misspelt one.

SQLite: FTS5 tables over products, kept in step by triggers: products_fts (porter stemming,
ranked by bm25) and products_trigram (names, for LIKE and substring lookups).
PostgreSQL: products.search_vector (a generated, weighted tsvector with a GIN index, ranked by
ts_rank) and pg_trgm's GIN index on names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    FromClause,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    true,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from api import spelling
from api.queries import is_live
from api.schema import products

# bm25 weights of products_fts's columns, in their order: name, brand, search_text (category
# and colours), description. The same order as PostgreSQL's weights A, B, C, D.
BM25_WEIGHTS = (10.0, 4.0, 2.0, 1.0)
# The text search configuration of products.search_vector (migration 0003): english stemming.
TEXT_SEARCH_CONFIG: ColumnElement[Any] = literal_column("'english'::regconfig")
# pg_trgm's word_similarity a name's closest extent must reach for the name to be a candidate
# correction (its default is 0.6; "jaket" in "Rain Jacket" is 0.44, "cardigna" in "Merino
# Cardigan" 0.67). Lower reads more names through the index.
WORD_SIMILARITY_THRESHOLD = 0.4
# Names read for the words of one misspelt word: enough to see every close word of the
# catalogue, few enough to stay a few milliseconds.
SPELLING_CANDIDATE_NAMES = 100
# Prefixes shorter than this cannot use a trigram index: every name would be a candidate.
TRIGRAM = 3
# Names a one- or two-letter prefix reads on SQLite: room for the suggestions asked for (at
# most 20, twice over for duplicate names) after discontinued ones are left out.
SHORT_PREFIX_CANDIDATES = 200


@dataclass(frozen=True)
class Match:
    """Products matching every word: `condition` filters products alone (counts, facets);
    `source`, `source_condition` and `relevance` are the FROM, WHERE and ORDER BY of a
    relevance-ordered page."""

    source: FromClause
    source_condition: ColumnElement[bool]
    condition: ColumnElement[bool]
    relevance: ColumnElement[Any]


class FullText(Protocol):
    def match(self, words: Sequence[str]) -> Match: ...

    def name_starts_a_word(self, prefix: str) -> ColumnElement[bool]: ...

    async def is_known(self, conn: AsyncConnection, word: str) -> bool: ...

    async def names_like(self, conn: AsyncConnection, word: str) -> list[str]: ...


def for_dialect(dialect: str) -> FullText:
    if dialect == "postgresql":
        return PostgresFullText()
    return SqliteFullText()


def _like_pattern(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _name_starts_a_word(prefix: str) -> ColumnElement[bool]:
    """The name, or a word of it after a space, starts with `prefix`, whatever the case."""
    pattern = _like_pattern(prefix)
    return or_(
        products.c.name.ilike(f"{pattern}%", escape="\\"),
        products.c.name.ilike(f"% {pattern}%", escape="\\"),
    )


# -- SQLite: FTS5 ------------------------------------------------------------------------------

_fts = table("products_fts", column("rowid"), column("products_fts"))
_trigram = table("products_trigram", column("rowid"), column("name"), column("products_trigram"))


def _phrase(text: str) -> str:
    # A quoted FTS5 string: the words' own characters never read as query syntax.
    return '"' + text.replace('"', '""') + '"'


class SqliteFullText:
    def match(self, words: Sequence[str]) -> Match:
        expression = " ".join(_phrase(word) for word in words)  # side by side: every word
        matched = _fts.c.products_fts.match(expression)
        scored = (
            select(
                _fts.c.rowid.label("id"),
                func.bm25(literal_column("products_fts"), *BM25_WEIGHTS).label("score"),
            )
            .where(matched)
            .subquery("matched")
        )
        return Match(
            source=products.join(scored, scored.c.id == products.c.id),
            source_condition=true(),  # the join keeps matches only
            condition=products.c.id.in_(select(_fts.c.rowid).where(matched)),
            relevance=scored.c.score.asc(),  # bm25 is lower for better matches
        )

    def name_starts_a_word(self, prefix: str) -> ColumnElement[bool]:
        starts = _name_starts_a_word(prefix)
        if any(wildcard in prefix for wildcard in "%_\\"):
            # LIKE reaches FTS5's index only without an ESCAPE clause.
            return starts
        if len(prefix) < TRIGRAM:
            # Too short for trigrams: names with a word starting so in products_fts, the first
            # ones by id (FTS5 answers in rowid order and stops at the limit). Stemming keeps a
            # word's first two letters, so "sh" finds "Shirts" as "shirt". Without the index,
            # a prefix no name has ("zz") read every name.
            words = _fts.c.products_fts.match(f"{{name}} : {_phrase(prefix)} *")
            first = select(_fts.c.rowid).where(words).limit(SHORT_PREFIX_CANDIDATES)
            return products.c.id.in_(first.scalar_subquery()) & starts
        # The trigram index narrows the names to those holding the prefix anywhere (LIKE on an
        # FTS5 trigram table is answered from the index); `starts` keeps word starts only.
        # SQLite's LIKE ignores ASCII case itself; lower() around the name would hide the index.
        holding = select(_trigram.c.rowid).where(_trigram.c.name.like(f"%{prefix}%"))
        return products.c.id.in_(holding) & starts

    async def is_known(self, conn: AsyncConnection, word: str) -> bool:
        matched = _fts.c.products_fts.match(_phrase(word))
        found = await conn.scalar(
            select(products.c.id)
            .where(is_live(), products.c.id.in_(select(_fts.c.rowid).where(matched)))
            .limit(1)
        )
        return found is not None

    async def names_like(self, conn: AsyncConnection, word: str) -> list[str]:
        expression = " OR ".join(_phrase(piece) for piece in spelling.pieces(word))
        names = await conn.scalars(
            select(_trigram.c.name)
            .where(_trigram.c.products_trigram.match(expression))
            # FTS5's rank (bm25): names holding more, and rarer, of the pieces first.
            .order_by(literal_column("rank"))
            .limit(SPELLING_CANDIDATE_NAMES)
        )
        return list(names)


# -- PostgreSQL: tsvector and pg_trgm ----------------------------------------------------------

_search_vector: ColumnElement[Any] = literal_column("products.search_vector")


class PostgresFullText:
    def match(self, words: Sequence[str]) -> Match:
        # plainto_tsquery: every word, stemmed, stop words left out; it takes any text without
        # a syntax error and, unlike websearch_to_tsquery, reads "or" as a word, as FTS5 does.
        query = func.plainto_tsquery(TEXT_SEARCH_CONFIG, " ".join(words))
        condition = _search_vector.bool_op("@@")(query)
        return Match(
            source=products,
            source_condition=condition,
            condition=condition,
            # ts_rank's default weights: A (name) 1.0, B (brand) 0.4, C 0.2, D (description) 0.1.
            relevance=func.ts_rank(_search_vector, query).desc(),
        )

    def name_starts_a_word(self, prefix: str) -> ColumnElement[bool]:
        # One case-blind regular expression rather than two ILIKEs: products_name_trigram
        # serves it as one index condition (for prefixes of three letters or more).
        return products.c.name.regexp_match(f"(^| ){re.escape(prefix)}", flags="i")

    async def is_known(self, conn: AsyncConnection, word: str) -> bool:
        query = func.plainto_tsquery(TEXT_SEARCH_CONFIG, word)
        found = await conn.scalar(
            select(products.c.id).where(is_live(), _search_vector.bool_op("@@")(query)).limit(1)
        )
        return found is not None

    async def names_like(self, conn: AsyncConnection, word: str) -> list[str]:
        # `name %> word`: word_similarity(word, name) at least the threshold, which the GIN
        # trigram index answers. pg_trgm lives in the public schema (migration 0003).
        await conn.execute(
            select(
                func.set_config(
                    "pg_trgm.word_similarity_threshold",
                    str(WORD_SIMILARITY_THRESHOLD),
                    true(),  # for this transaction only
                )
            )
        )
        # Unordered: every name past the threshold holds a close word, and ordering them all
        # would read each one's row (1,670 rows, 60 ms to 900 ms on 200,000 products, for
        # "cardigna"); the closest word is chosen among the words of the first ones.
        names = await conn.scalars(
            select(products.c.name)
            .where(products.c.name.op("OPERATOR(public.%>)", is_comparison=True)(word))
            .limit(SPELLING_CANDIDATE_NAMES)
        )
        return list(names)
