"""shop.v1.Search: full-text search over live products, with facets and corrected misspellings,
and suggestions as a shopper types. The SQL of each database's engine is in api/fulltext.py."""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from api import spelling, validation
from api.category_tree import CategoryTree, category_tree
from api.context import CallContext
from api.facets import BRAND, FACETS, PRICE_BAND, FacetSelection, count_facet, facet_messages
from api.fulltext import FullText, Match, for_dialect
from api.messages import AnyRow
from api.queries import SUMMARY_COLUMNS, is_live, product_summaries, sort_order
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
# Facets of a search are counted over at most this many matches (the first ones by id, which
# both engines give without ranking every match): a word found in 70,000 products would
# otherwise join all of them to their variants on every search. The response says so
# (facets_counted_over) and the page shows it.
FACET_MATCHES_MAX = 1000


@dataclass(frozen=True)
class _Found:
    rows: Sequence[AnyRow]
    total: int


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

    found = await _search(ctx.db, fulltext, words, page=page, sort=sort, selection=selection)
    spellings: list[str] = []
    searched_for = ""
    if found.total == 0:
        spellings = await _spellings(ctx, fulltext, words)
        if spellings and not request.exact:
            corrected = spellings[0].split()
            found_corrected = await _search(
                ctx.db, fulltext, corrected, page=page, sort=sort, selection=selection
            )
            if found_corrected.total:
                found, words, searched_for = found_corrected, corrected, spellings[0]
    sales = await sale_prices(ctx)
    async with ctx.db.connect() as conn:
        summaries = await product_summaries(conn, found.rows, sales)
    facets = _Facets([], 0)
    if found.total or not selection.is_empty():
        facets = await _facets(ctx.db, fulltext.match(words), selection)
    return search_pb2.SearchProductsResponse(
        products=summaries,
        page=page.info(found.total),
        did_you_mean=spellings,
        searched_for=searched_for,
        facets=facets.facets,
        facets_counted_over=facets.counted_over,
    )


async def _search(
    engine: AsyncEngine,
    fulltext: FullText,
    words: list[str],
    *,
    page: validation.Page,
    sort: int,
    selection: FacetSelection,
) -> _Found:
    match = fulltext.match(words)
    matching = [is_live(), *selection.conditions()]
    if sort == catalog_pb2.PRODUCT_SORT_UNSPECIFIED:
        statement = select(*SUMMARY_COLUMNS, func.count().over().label("total")).select_from(
            match.source
        )
        matching.append(match.source_condition)
        order = [match.relevance, products.c.id.asc()]
    else:
        statement = select(*SUMMARY_COLUMNS, func.count().over().label("total"))
        matching.append(match.condition)
        order = sort_order(sort)
    async with engine.connect() as conn:
        # Counting in the same query (a window over the matches) reads them once, not twice.
        rows = (
            await conn.execute(
                statement.where(*matching).order_by(*order).limit(page.size).offset(page.offset)
            )
        ).all()
        if rows:
            return _Found(rows, rows[0].total)
        if page.number == 1:
            return _Found([], 0)
        # Past the end: the total is still wanted for the page links.
        count = select(func.count()).select_from(products)
        total = await conn.scalar(count.where(*matching, match.condition))
    return _Found([], total or 0)


async def _facets(engine: AsyncEngine, match: Match, selection: FacetSelection) -> _Facets:
    """The facets of the matching products, each counted on a connection of its own at once,
    over the first FACET_MATCHES_MAX live matches that pass the other facets' filters."""

    async def count(facet: str) -> tuple[dict[str, int], bool]:
        first = (
            select(products.c.id)
            .where(is_live(), match.condition, *selection.conditions(besides=facet))
            .order_by(products.c.id)
            .limit(FACET_MATCHES_MAX)
        )
        async with engine.connect() as conn:
            counted = await count_facet(conn, facet, [products.c.id.in_(first)], FacetSelection())
            # Every product has one price band: the bands' sum is how many were counted.
            reached = facet == PRICE_BAND and sum(counted.values()) >= FACET_MATCHES_MAX
            return counted, reached

    async with asyncio.TaskGroup() as group:
        tasks = {facet: group.create_task(count(facet)) for facet in FACETS}
    counts = {facet: task.result()[0] for facet, task in tasks.items()}
    partial = any(task.result()[1] for task in tasks.values())
    return _Facets(facet_messages(counts, selection), FACET_MATCHES_MAX if partial else 0)


@dataclass(frozen=True)
class _Facets:
    facets: list[catalog_pb2.Facet]
    counted_over: int  # FACET_MATCHES_MAX when some facet's matches were more; else 0


async def _spellings(ctx: CallContext, fulltext: FullText, words: list[str]) -> list[str]:
    """Up to three queries with each word no live product has replaced by its 1st, 2nd, 3rd
    closest word among the names like it, the brands and the categories."""
    if len(words) > SPELLING_MAX_WORDS:
        return []
    vocabulary = await _vocabulary(ctx)
    choices: list[list[str]] = []
    async with ctx.db.connect() as conn:
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
    async with ctx.db.connect() as conn:
        # Ordered by id so that, for a common prefix, the database stops at the first matches
        # along the primary key instead of sorting every match; duplicates of a name are read
        # too, hence the margin.
        rows = await conn.execute(
            select(products.c.id, products.c.slug, products.c.name)
            .where(is_live(), for_dialect(ctx.db.dialect.name).name_starts_a_word(prefix))
            .order_by(products.c.id)
            .limit(limit * 2)
        )
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
