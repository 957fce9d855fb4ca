"""Full-text search on each database's own engine (made by migrations 0003 and 0012): which
products match words and how well, which names start with what a shopper is typing, and which
names hold words like a misspelt one.

A search never ranks every match: `ranked` reads the first `limit` live matches in the index's
own order (SQLite: by id; PostgreSQL: in table order) with their score, brand and price, and
`ranked_by_name` the first `limit` whose name holds every word; api/services/search.py orders
those. The work of a search is bounded by `limit`, not by how many products hold its words.

SQLite: FTS5 tables over products, kept in step by triggers: products_fts (porter stemming,
ranked by bm25) and products_trigram (names, for LIKE and substring lookups).
PostgreSQL: products.search_vector (a generated, weighted tsvector with a GIN index, ranked by
ts_rank) and pg_trgm's GIN index on names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    Subquery,
    and_,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    true,
    union,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.selectable import Join, TableClause

from api import spelling
from api.messages import AnyRow
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
# Names read for the words of one misspelt word (PostgreSQL: in all; SQLite: per piece of the
# word, at most SPELLING_PIECES_MAX pieces): enough to see every close word of the catalogue,
# few enough to stay a few milliseconds.
SPELLING_CANDIDATE_NAMES = 100
SPELLING_NAMES_PER_PIECE = 200
# A typo breaks at most 5 consecutive pieces, so the first 12 keep one whole wherever it is.
SPELLING_PIECES_MAX = 12
# Prefixes shorter than this cannot use a trigram index: every name would be a candidate.
TRIGRAM = 3
# Names a one- or two-letter prefix reads on SQLite: room for the suggestions asked for (at
# most 20, twice over for duplicate names) after discontinued ones are left out.
SHORT_PREFIX_CANDIDATES = 200
# Names holding a prefix of 3 letters or more that SQLite reads, by id, for the word starts among
# them: the first ones hold it at a word's start but for prefixes mostly inside words.
TRIGRAM_HOLDERS_MAX = 2000


class FullText(Protocol):
    def ranked(
        self, words: Sequence[str], conditions: Sequence[ColumnElement[bool]], limit: int
    ) -> Select[Any]: ...

    def ranked_by_name(
        self, words: Sequence[str], conditions: Sequence[ColumnElement[bool]], limit: int
    ) -> Select[Any]: ...

    async def prepare_search(self, conn: AsyncConnection) -> None: ...

    async def prepare_counts(self, conn: AsyncConnection) -> None: ...

    async def names_starting(
        self, conn: AsyncConnection, prefix: str, limit: int
    ) -> Sequence[AnyRow]: ...

    async def is_known(self, conn: AsyncConnection, word: str) -> bool: ...

    async def names_like(self, conn: AsyncConnection, word: str) -> list[str]: ...


# What a ranked read gives besides id and score: what the brand and price facets count.
_FACET_COLUMNS = (products.c.brand, products.c.price)


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


def _first_live(
    source: FromClause, order: ColumnElement[Any] | None, starts: ColumnElement[bool], limit: int
) -> Select[Any]:
    """The first `limit` live products of `source` (by `order`, when given) whose name has a
    word starting so: for a common prefix the database stops at the first matches instead of
    sorting them all."""
    statement = (
        select(products.c.id, products.c.slug, products.c.name)
        .select_from(source)
        .where(is_live(), starts)
        .limit(limit)
    )
    return statement if order is None else statement.order_by(order)


# -- SQLite: FTS5 ------------------------------------------------------------------------------

_fts = table("products_fts", column("rowid"), column("products_fts"))
# Names alone (migration 0012): the name matches a search ranks first.
_name_fts = table("products_name_fts", column("rowid"), column("products_name_fts"))
_trigram = table("products_trigram", column("rowid"), column("name"), column("products_trigram"))


class _CrossJoin(Join):
    """SQLite's CROSS JOIN: an inner join whose left side stays the outer loop. SQLite runs a
    subquery on that side as a co-routine, row by row, where a JOIN would materialize it whole
    first (https://sqlite.org/optoverview.html#crossjoin)."""

    inherit_cache = True


@compiles(_CrossJoin, "sqlite")
def _compile_cross_join(join: _CrossJoin, compiler: Any, **kw: Any) -> str:
    kw["asfrom"] = True
    left = compiler.process(join.left, **kw)
    right = compiler.process(join.right, **kw)
    return f"{left} CROSS JOIN {right} ON {compiler.process(join.onclause, **kw)}"


def _phrase(text: str) -> str:
    # A quoted FTS5 string: the words' own characters never read as query syntax.
    return '"' + text.replace('"', '""') + '"'


def _every_word(words: Sequence[str]) -> str:
    return " ".join(_phrase(word) for word in words)  # side by side: every word


class SqliteFullText:
    def ranked(
        self, words: Sequence[str], conditions: Sequence[ColumnElement[bool]], limit: int
    ) -> Select[Any]:
        return self._ranked(_fts, _every_word(words), conditions, limit)

    def ranked_by_name(
        self, words: Sequence[str], conditions: Sequence[ColumnElement[bool]], limit: int
    ) -> Select[Any]:
        # products_name_fts (migration 0012): names alone, stemmed as products_fts. bm25 then
        # scores the name alone (PostgreSQL's ts_rank still scores every column).
        return self._ranked(_name_fts, _every_word(words), conditions, limit)

    async def prepare_search(self, conn: AsyncConnection) -> None:
        pass

    async def prepare_counts(self, conn: AsyncConnection) -> None:
        pass

    def _ranked(
        self,
        index: TableClause,
        expression: str,
        conditions: Sequence[ColumnElement[bool]],
        limit: int,
    ) -> Select[Any]:
        # FTS5 answers in rowid order and, joined by rowid and ordered so, stops at the limit:
        # bm25 is computed for the rows read, not for every match.
        # bm25 is lower for better matches; products_fts weighs its columns (BM25_WEIGHTS),
        # products_name_fts has one.
        weights = BM25_WEIGHTS if index is _fts else ()
        score = func.bm25(literal_column(index.name), *weights)
        return (
            select(index.c.rowid.label("id"), score.label("score"), *_FACET_COLUMNS)
            .select_from(index.join(products, products.c.id == index.c.rowid))
            .where(index.c[index.name].match(expression), is_live(), *conditions)
            .order_by(index.c.rowid)
            .limit(limit)
        )

    async def names_starting(
        self, conn: AsyncConnection, prefix: str, limit: int
    ) -> Sequence[AnyRow]:
        """The first `limit` live products (id, slug, name) having a word of the name that
        starts with `prefix`."""
        return (await conn.execute(self.names_statement(prefix, limit))).all()

    def names_statement(self, prefix: str, limit: int) -> Select[Any]:
        starts = _name_starts_a_word(prefix)
        if len(prefix) < TRIGRAM:
            # Too short for trigrams: names with a word starting so in products_fts, from its
            # prefix index. Stemming keeps a word's first two letters, so "sh" finds "Shirts"
            # as "shirt". Without the index, a prefix no name has ("zz") read every name. The
            # tokenizer drops "%" and "_" ("5%" reads names with a word starting "5"); `starts`
            # keeps the names holding them.
            words = _fts.c.products_fts.match(f"{{name}} : {_phrase(prefix)} *")
            holding: Subquery = (
                select(_fts.c.rowid)
                .where(words)
                .order_by(_fts.c.rowid)
                .limit(SHORT_PREFIX_CANDIDATES)
                .subquery()
            )
        elif any(wildcard in prefix for wildcard in "%_\\"):
            # LIKE reaches FTS5's index only without an ESCAPE clause: the trigram index is
            # asked for a quoted phrase instead, where "%" and "_" are the characters
            # themselves. Reading names in id order until some matched read every name when none
            # did: 530 ms at a million products, for any script typing "zz%".
            holding = (
                select(_trigram.c.rowid)
                .where(_trigram.c.products_trigram.match(_phrase(prefix)))
                .order_by(_trigram.c.rowid)
                .limit(TRIGRAM_HOLDERS_MAX)
                .subquery()
            )
        else:
            # The trigram index narrows the names to those holding the prefix anywhere (LIKE on
            # an FTS5 trigram table is answered from the index); `starts` keeps word starts.
            # SQLite's LIKE ignores ASCII case itself; lower() around the name would hide the
            # index. At most TRIGRAM_HOLDERS_MAX holders: a prefix held mostly inside words
            # ("ress") would otherwise read every name holding it.
            holding = (
                select(_trigram.c.rowid)
                .where(_trigram.c.name.like(f"%{prefix}%"))
                .order_by(_trigram.c.rowid)
                .limit(TRIGRAM_HOLDERS_MAX)
                .subquery()
            )
        # The holders, in rowid order, drive the join (a co-routine of at most their limit):
        # the read stops at `limit` names, and the first holders are mostly word starts. No
        # ORDER BY outside: sorting would read every holder first (7 ms rather than 0.2 ms
        # for "card" on a million products); the rows come in the holders' order. A plain
        # JOIN would have SQLite materialize every holder first, as would the sort.
        source = _CrossJoin(holding, products, products.c.id == holding.c.rowid)
        return _first_live(source, None, starts, limit)

    async def is_known(self, conn: AsyncConnection, word: str) -> bool:
        matched = _fts.c.products_fts.match(_phrase(word))
        found = await conn.scalar(
            select(products.c.id)
            .where(is_live(), products.c.id.in_(select(_fts.c.rowid).where(matched)))
            .limit(1)
        )
        return found is not None

    async def names_like(self, conn: AsyncConnection, word: str) -> list[str]:
        # For each piece, the first names holding it, by id (FTS5 stops there): rare pieces
        # bring every name holding them, common ones a sample, and the closest word is chosen
        # among them all. Ordering every name holding any piece by FTS5's rank read 100,000
        # names for "cardigna" on a million products (100 ms); this reads at most a few
        # thousand, and found "jacket" for "jaket" where the rank's first 100 did not.
        pieces = spelling.pieces(word)[:SPELLING_PIECES_MAX]
        per_piece = [
            select(
                select(_trigram.c.name)
                .where(_trigram.c.products_trigram.match(_phrase(piece)))
                .order_by(_trigram.c.rowid)
                .limit(SPELLING_NAMES_PER_PIECE)
                .subquery()
            )
            for piece in pieces
        ]
        names = await conn.scalars(union(*per_piece))
        return list(names)


async def _set_locally(conn: AsyncConnection, **settings: str) -> None:
    """Settings for the current transaction only, in one round trip."""
    await conn.execute(select(*(func.set_config(k, v, true()) for k, v in settings.items())))


# -- PostgreSQL: tsvector and pg_trgm ----------------------------------------------------------

# Ids a suggestion walks by the primary key before it asks the trigram index: a prefix that
# a sixteenth of a percent of names hold is found there.
SUGGEST_WALKED = 5000


def _starts(prefix: str) -> ColumnElement[bool]:
    # One case-blind regular expression rather than two ILIKEs: products_name_trigram serves
    # it as one index condition.
    return products.c.name.regexp_match(f"(^| ){re.escape(prefix)}", flags="i")


_search_vector: ColumnElement[Any] = literal_column("products.search_vector")


class PostgresFullText:
    def ranked(
        self, words: Sequence[str], conditions: Sequence[ColumnElement[bool]], limit: int
    ) -> Select[Any]:
        return self._ranked(_search_vector, words, conditions, limit)

    def ranked_by_name(
        self, words: Sequence[str], conditions: Sequence[ColumnElement[bool]], limit: int
    ) -> Select[Any]:
        # Spelled as migration 0012's index products_name_search, which answers it.
        name_vector = func.to_tsvector(TEXT_SEARCH_CONFIG, products.c.name)
        return self._ranked(name_vector, words, conditions, limit)

    async def prepare_search(self, conn: AsyncConnection) -> None:
        # A ranked read (and a spelling's look-ups) takes the first rows of a bitmap scan of a
        # GIN index, in table order, and stops at its limit. Left alone, the planner may walk
        # the table (or an index in order) instead and stop as early for a common word, but
        # read every row for a rare one: once products was vacuumed, "is cardigna a word"
        # became a Seq Scan of a million rows (350 ms), its trigram look-up a walk of the
        # name index (140 ms). A parallel scan would give the first rows in no stable order.
        # For this transaction only: the bitmap scans, on one process.
        await _set_locally(
            conn,
            enable_seqscan="off",
            enable_indexscan="off",
            max_parallel_workers_per_gather="0",
        )

    async def prepare_counts(self, conn: AsyncConnection) -> None:
        # The facet counts of a thousand results were given two parallel workers, whose start
        # cost more than they saved (20 ms of 48 on a busy host). For this transaction only.
        await _set_locally(conn, max_parallel_workers_per_gather="0")

    def _ranked(
        self,
        document: ColumnElement[Any],
        words: Sequence[str],
        conditions: Sequence[ColumnElement[bool]],
        limit: int,
    ) -> Select[Any]:
        # plainto_tsquery: every word, stemmed, stop words left out; it takes any text without
        # a syntax error and, unlike websearch_to_tsquery, reads "or" as a word, as FTS5 does.
        query = func.plainto_tsquery(TEXT_SEARCH_CONFIG, " ".join(words))
        # ts_rank's default weights: A (name) 1.0, B (brand) 0.4, C 0.2, D (description) 0.1;
        # negated so that lower is better, as bm25.
        score = -func.ts_rank(_search_vector, query)
        return (
            select(products.c.id, score.label("score"), *_FACET_COLUMNS)
            .where(document.bool_op("@@")(query), is_live(), *conditions)
            .limit(limit)  # no ORDER BY: the first rows the bitmap scan gives, in table order
        )

    async def names_starting(
        self, conn: AsyncConnection, prefix: str, limit: int
    ) -> Sequence[AnyRow]:
        """The first `limit` live products (id, slug, name) by id having a word of the name
        that starts with `prefix`: among the first SUGGEST_WALKED ids by the primary key,
        then, only when those hold too few, among the others through the trigram index.

        The planner cannot tell a common prefix from a rare one: it estimates such a regular
        expression at the same few rows for any word. Left to choose, it read every name
        holding "card" (8,288 of a million: 7,906 heap pages, 17-30 ms, 83 ms from disk)
        through the trigram index to sort them, where a walk of the key stops at the
        sixteenth; and a walk of the key for a word it took for common but that is rare would
        read every product. Here the walk is bounded (a prefix no name has: about 4 ms), and the
        index is read for prefixes rare among the first ids, whose matches are few."""
        # The bound, read apart (an index probe): as a subquery inside the statements, the
        # planner priced it as reading every product once index scans were off, and compiled
        # the statement (JIT: 20 ms).
        bound = (await conn.scalar(select(func.min(products.c.id))) or 0) + SUGGEST_WALKED
        await _set_locally(
            conn, enable_bitmapscan="off", max_parallel_workers_per_gather="0", jit="off"
        )
        rows = list((await conn.execute(self.names_walked(prefix, limit, bound))).all())
        if len(rows) < limit:
            await _set_locally(
                conn, enable_bitmapscan="on", enable_indexscan="off", enable_seqscan="off"
            )
            beyond = self.names_beyond_walk(prefix, limit - len(rows), bound)
            rows += (await conn.execute(beyond)).all()
        return rows

    def names_walked(self, prefix: str, limit: int, bound: int) -> Select[Any]:
        """The first matches among the ids under `bound`, walking the primary key (with bitmap
        scans and parallel workers off: names_starting)."""
        walked = products.c.id < bound
        return _first_live(products, products.c.id, and_(_starts(prefix), walked), limit)

    def names_beyond_walk(self, prefix: str, limit: int, bound: int) -> Select[Any]:
        """The first matches from `bound` on, from a bitmap scan of the trigram index (the
        only scan names_starting leaves on)."""
        beyond = products.c.id >= bound
        return _first_live(products, products.c.id, and_(_starts(prefix), beyond), limit)

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
