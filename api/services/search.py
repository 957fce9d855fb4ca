"""shop.v1.Search: full-text search over live products, with facets and corrected misspellings,
and suggestions as a shopper types. The SQL of each database's engine is in api/fulltext.py."""

from __future__ import annotations

import asyncio
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api import spelling, validation
from api.category_tree import CategoryTree, category_tree
from api.context import CallContext
from api.facets import (
    BRAND,
    COLOUR,
    FACETS,
    PRICE_BAND,
    SIZE,
    FacetSelection,
    count_variant_facets,
    facet_messages,
    price_band_value,
)
from api.fulltext import FullText, for_dialect
from api.messages import AnyRow
from api.queries import SUMMARY_COLUMNS, among_ids, product_summaries, sort_order
from api.sales import sale_prices
from api.schema import category_facet_counts, products
from contract import catalog_pb2, search_pb2
from contract.errors import Invalid

MAX_QUERY_LENGTH = 200
MAX_PREFIX_LENGTH = 100
SUGGEST_DEFAULT = 8
SUGGEST_MAX = 20
# A word is a run of letters, digits or underscores; everything else separates words.
_WORD = re.compile(r"\w+")

# Brands of live products, for suggestions and spelling: read once per worker for this long.
VOCABULARY_CACHE_KEY = "search.vocabulary"
VOCABULARY_TTL_SECONDS = 600.0
VOCABULARY_MAX_BRANDS = 2_000
DID_YOU_MEAN_MAX = 3
# Queries of more words than this are not corrected: each word costs a look-up or two.
SPELLING_MAX_WORDS = 6
# A search's results are at most this many products, ranked among the first the full-text
# index gives (name matches, then, when those are fewer, any matches: _results). A word found
# in 70,000 products then costs what one found in 1,000 does: the total says "1,000+"
# (total_capped), pages go as far as these, facets count these, other sorts order these.
RESULTS_MAX = 1000


async def search_products(
    ctx: CallContext, request: search_pb2.SearchProductsRequest
) -> search_pb2.SearchProductsResponse:
    query = validation.text(request.query, field="query", max_length=MAX_QUERY_LENGTH)
    if not query:
        raise Invalid("query is empty")
    words = list(dict.fromkeys(_WORD.findall(query.lower())))
    if not words:
        raise Invalid(f"query {query!r} has no words to search for")
    page = validation.Page.from_request(request.page)
    sort = validation.product_sort(request.sort)
    selection = FacetSelection.from_filter(request.filter)
    fulltext = for_dialect(ctx.db.dialect.name)

    found = await _results(ctx.db, fulltext, words, selection.conditions())
    spellings: list[str] = []
    searched_for = ""
    if not found.ids:
        spellings = await _spellings(ctx, fulltext, words)
        if spellings and not request.exact:
            corrected = spellings[0].split()
            found_corrected = await _results(ctx.db, fulltext, corrected, selection.conditions())
            if found_corrected.ids:
                found, words, searched_for = found_corrected, corrected, spellings[0]
    sales = await sale_prices(ctx)

    async def summarised() -> list[catalog_pb2.ProductSummary]:
        async with ctx.db.connect() as conn:
            rows = await _page_rows(conn, found, page, sort)
            return await product_summaries(conn, rows, sales)

    async def faceted() -> _Facets:
        if not found.ids and selection.is_empty():
            return _Facets([], 0)
        return await _facets(ctx.db, fulltext, words, selection, found)

    # The page and the facets, each on a connection of its own, at once.
    async with asyncio.TaskGroup() as group:
        summaries_task = group.create_task(summarised())
        facets_task = group.create_task(faceted())
    summaries, facets = summaries_task.result(), facets_task.result()
    return search_pb2.SearchProductsResponse(
        products=summaries,
        page=page.info(len(found.ids)),
        did_you_mean=spellings,
        searched_for=searched_for,
        facets=facets.facets,
        facets_counted_over=facets.counted_over,
        total_capped=found.capped,
    )


@dataclass(frozen=True)
class _Results:
    rows: list[AnyRow]  # id, score, brand and price, in relevance order, at most RESULTS_MAX
    capped: bool  # more live products match than RESULTS_MAX: `rows` are RESULTS_MAX of them

    @property
    def ids(self) -> list[int]:
        return [row.id for row in self.rows]


async def _results(
    engine: AsyncEngine,
    fulltext: FullText,
    words: list[str],
    conditions: Sequence[ColumnElement[bool]],
) -> _Results:
    """The search's results, best first: the products whose name holds every word, then the
    other matches, each group by score (bm25, ts_rank), then by id.

    Bounded reads of RESULTS_MAX + 1 rows (one more tells whether there are more): the first
    name matches; when they are more than RESULTS_MAX they are the results (the other matches
    would rank after them), else the first live matches too. When those are not capped they are
    every match, and the name matches are among them.
    """
    async with engine.connect() as conn:
        await fulltext.prepare_search(conn)
        by_name = fulltext.ranked_by_name(words, conditions, RESULTS_MAX + 1)
        named = sorted((await conn.execute(by_name)).all(), key=_best_first)
        if len(named) > RESULTS_MAX:
            return _Results(named[:RESULTS_MAX], capped=True)
        matches = fulltext.ranked(words, conditions, RESULTS_MAX + 1)
        others = sorted((await conn.execute(matches)).all(), key=_best_first)
    named_ids = {row.id for row in named}
    ranked = [*named, *(row for row in others if row.id not in named_ids)]
    return _Results(ranked[:RESULTS_MAX], capped=len(others) > RESULTS_MAX)


def _best_first(row: AnyRow) -> tuple[float, int]:
    return (row.score, row.id)  # lower scores are better on both engines


async def _page_rows(
    conn: AsyncConnection, found: _Results, page: validation.Page, sort: int
) -> Sequence[AnyRow]:
    """The summary rows of one page of the results, in relevance order or `sort`."""
    if sort == catalog_pb2.PRODUCT_SORT_UNSPECIFIED:
        ids = found.ids[page.offset : page.offset + page.size]
        if not ids:
            return []
        rows = await conn.execute(select(*SUMMARY_COLUMNS).where(products.c.id.in_(ids)))
        by_id = {row.id: row for row in rows}
        return [by_id[product_id] for product_id in ids if product_id in by_id]
    if not found.ids or page.offset >= len(found.ids):
        return []
    # Another sort orders the same results (at most RESULTS_MAX, by primary key).
    return (
        await conn.execute(
            select(*SUMMARY_COLUMNS)
            .where(among_ids(products.c.id, found.ids, conn.dialect.name))
            .order_by(*sort_order(sort))
            .limit(page.size)
            .offset(page.offset)
        )
    ).all()


async def _facets(
    engine: AsyncEngine,
    fulltext: FullText,
    words: list[str],
    selection: FacetSelection,
    found: _Results,
) -> _Facets:
    """The facets of the results, disjunctive as on listings: a facet with selected values is
    counted over the results of the other facets' filters (a search of their own, as bounded);
    the others over `found`, which every filter made. Brands and price bands are counted from
    the results' rows, colours and sizes from their variants."""
    # The other filters' results of each facet with selected values, at once.
    async with asyncio.TaskGroup() as group:
        besides = {
            facet: group.create_task(
                _results(engine, fulltext, words, selection.conditions(besides=facet))
            )
            for facet in FACETS
            if selection.selected(facet)
        }
    over = {facet: besides[facet].result() if facet in besides else found for facet in FACETS}
    counts: dict[str, dict[str, int]] = {
        BRAND: dict(Counter(row.brand for row in over[BRAND].rows)),
        PRICE_BAND: dict(Counter(price_band_value(row.price) for row in over[PRICE_BAND].rows)),
    }
    async with engine.connect() as conn:
        await fulltext.prepare_counts(conn)
        # Colour and size in one statement when they count the same results.
        together = [facet for facet in (COLOUR, SIZE) if over[facet] is found]
        counts |= await count_variant_facets(conn, found.ids, together)
        for facet in (COLOUR, SIZE):
            if facet not in together:
                counts |= await count_variant_facets(conn, over[facet].ids, [facet])
    capped = any(results.capped for results in over.values())
    return _Facets(facet_messages(counts, selection), RESULTS_MAX if capped else 0)


@dataclass(frozen=True)
class _Facets:
    facets: list[catalog_pb2.Facet]
    counted_over: int  # RESULTS_MAX when the results counted were capped; else 0


async def _spellings(ctx: CallContext, fulltext: FullText, words: list[str]) -> list[str]:
    """Up to three queries with each word no live product has replaced by its 1st, 2nd, 3rd
    closest word among the names like it, the brands and the categories."""
    if len(words) > SPELLING_MAX_WORDS:
        return []
    vocabulary = await _vocabulary(ctx)
    choices: list[list[str]] = []
    async with ctx.db.connect() as conn:
        await fulltext.prepare_search(conn)  # the look-ups take the first rows of an index
        for word in words:
            correctable = len(word) >= spelling.MIN_WORD_LENGTH and not word.isdigit()
            if not correctable or await fulltext.is_known(conn, word):
                choices.append([word])
            else:
                names = await fulltext.names_like(conn, word)
                candidates = {w for name in names for w in _WORD.findall(name.lower())}
                candidates |= vocabulary.words
                close = spelling.closest(word, candidates, DID_YOU_MEAN_MAX)
                choices.append(close or [word])
    original = " ".join(words)
    spellings: list[str] = []
    for rank in range(DID_YOU_MEAN_MAX):
        spelling_ = " ".join(options[min(rank, len(options) - 1)] for options in choices)
        if spelling_ != original and spelling_ not in spellings:
            spellings.append(spelling_)
    return spellings


@dataclass(frozen=True)
class _Vocabulary:
    words: frozenset[str]  # of brands and category names
    brands: tuple[str, ...]  # brands of live products, by name


async def _vocabulary(ctx: CallContext) -> _Vocabulary:
    tree = await category_tree(ctx)
    vocabulary: _Vocabulary = await ctx.cache.get(
        VOCABULARY_CACHE_KEY, VOCABULARY_TTL_SECONDS, lambda: _load_vocabulary(ctx.db, tree)
    )
    return vocabulary


async def _load_vocabulary(engine: AsyncEngine, tree: CategoryTree) -> _Vocabulary:
    # The brands of live products, from the listing index's counts (a row per category and
    # brand): a few hundred rows, where a distinct read of products walked a million entries.
    counts = category_facet_counts.c
    async with engine.connect() as conn:
        brands = await conn.scalars(
            select(counts.value)
            .where(counts.facet == BRAND, counts.count > 0)
            .distinct()
            .order_by(counts.value)
            .limit(VOCABULARY_MAX_BRANDS)
        )
        brand_names = tuple(brands.all())
    texts = [*brand_names, *(node.name for node in tree.by_id.values())]
    words = frozenset(
        word
        for text in texts
        for word in _WORD.findall(text.lower())
        if len(word) >= spelling.MIN_WORD_LENGTH and not word.isdigit()
    )
    return _Vocabulary(words=words, brands=brand_names)


async def suggest(
    ctx: CallContext, request: search_pb2.SuggestRequest
) -> search_pb2.SuggestResponse:
    prefix = validation.text(request.prefix, field="prefix", max_length=MAX_PREFIX_LENGTH)
    limit = validation.limit(
        request.limit, field="limit", default=SUGGEST_DEFAULT, maximum=SUGGEST_MAX
    )
    prefix = " ".join(prefix.lower().split())
    if not prefix:
        return search_pb2.SuggestResponse()

    tree = await category_tree(ctx)
    vocabulary = await _vocabulary(ctx)
    kind = search_pb2.Suggestion
    category_hits = sorted(
        (node for node in tree.by_id.values() if _starts_a_word(node.name, prefix)),
        key=lambda node: (node.name.casefold(), node.id),
    )
    categories = [
        kind(text=node.name, kind=kind.KIND_CATEGORY, slug=node.slug) for node in category_hits
    ]
    brands = [
        kind(text=brand, kind=kind.KIND_BRAND)
        for brand in vocabulary.brands
        if _starts_a_word(brand, prefix)
    ]
    product_hits = []
    # Neither engine's index holds a word without a letter or a digit ("&", "%", "-"): such a
    # prefix read every name (450-670 ms at a million products on PostgreSQL, on each
    # keystroke of a shopper or a script), so it suggests no product; categories and brands
    # are matched above, in memory.
    if any(character.isalnum() for character in prefix):
        fulltext = for_dialect(ctx.db.dialect.name)
        async with ctx.db.connect() as conn:
            # Duplicates of a name are read too, hence the margin.
            rows = await fulltext.names_starting(conn, prefix, limit * 2)
            product_hits = [
                kind(text=row.name, kind=kind.KIND_PRODUCT, slug=row.slug, product_id=row.id)
                for row in rows
            ]
    return search_pb2.SuggestResponse(suggestions=_mix(categories, brands, product_hits, limit))


def _starts_a_word(text: str, prefix: str) -> bool:
    lowered = text.lower()
    return lowered.startswith(prefix) or f" {prefix}" in lowered


def _mix(
    categories: list[Any], brands: list[Any], product_hits: list[Any], limit: int
) -> list[Any]:
    """Categories, then brands, then products, with distinct texts and at most `limit` in all.

    Categories and brands get a quarter of the places each at first, so a short prefix still
    shows products; places products leave empty go back to further categories and brands.
    """
    share = math.ceil(limit / 4)
    seen: set[str] = set()
    chosen: list[Any] = []

    def take(candidates: list[Any], room: int) -> None:
        for suggestion in candidates:
            if room <= 0 or len(chosen) >= limit:
                return
            text = suggestion.text.casefold()
            if text not in seen:
                seen.add(text)
                chosen.append(suggestion)
                room -= 1

    take(categories[:share], share)
    take(brands[:share], share)
    take(product_hits, limit)
    take(categories[share:], limit)
    take(brands[share:], limit)
    group = {kind: rank for rank, kind in enumerate(_KIND_ORDER)}
    chosen.sort(key=lambda suggestion: group[suggestion.kind])  # stable: order within a kind kept
    return chosen


_KIND_ORDER = (
    search_pb2.Suggestion.KIND_CATEGORY,
    search_pb2.Suggestion.KIND_BRAND,
    search_pb2.Suggestion.KIND_PRODUCT,
)
