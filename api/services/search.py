"""shop.v1.Search: word search over live products, and suggestions as a shopper types."""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from api import validation
from api.category_tree import CategoryTree, category_tree
from api.context import CallContext
from api.queries import SUMMARY_COLUMNS, is_live, product_summaries, sort_order
from api.schema import products
from contract import catalog_pb2, search_pb2
from contract.errors import Invalid

MAX_QUERY_LENGTH = 200
MAX_PREFIX_LENGTH = 100
SUGGEST_DEFAULT = 8
SUGGEST_MAX = 20
# A word is a run of letters, digits or underscores; everything else separates words.
_WORD = re.compile(r"\w+")

# "Did you mean" compares the query's words with a vocabulary kept per worker. It must stay
# small whatever the catalogue's size (difflib compares against every word), so it is made of
# the categories, the brands (at most VOCABULARY_MAX_BRANDS) and the words of the names of a
# bounded sample of products (the first VOCABULARY_PRODUCT_SAMPLE live ones by id).
VOCABULARY_CACHE_KEY = "search.vocabulary"
VOCABULARY_TTL_SECONDS = 600.0
VOCABULARY_MAX_BRANDS = 2_000
VOCABULARY_PRODUCT_SAMPLE = 5_000
VOCABULARY_MIN_WORD_LENGTH = 3
DID_YOU_MEAN_MAX = 3
# How alike a vocabulary word must be to a query word to be offered (difflib's ratio).
DID_YOU_MEAN_CUTOFF = 0.75


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

    matching = [
        is_live(),
        *(products.c.search_text.contains(word, autoescape=True) for word in words),
    ]
    if sort == catalog_pb2.PRODUCT_SORT_UNSPECIFIED:
        order = [_name_has_phrase(" ".join(words)), *sort_order(sort)]
    else:
        order = sort_order(sort)
    async with ctx.db.connect() as conn:
        # Matching words inside text can use no index: every live product is read. Counting in
        # the same query (a window over the matches) reads them once instead of twice.
        rows = (
            await conn.execute(
                select(*SUMMARY_COLUMNS, func.count().over().label("total"))
                .where(*matching)
                .order_by(*order)
                .limit(page.size)
                .offset(page.offset)
            )
        ).all()
        if rows:
            total = rows[0].total
        elif page.number > 1:  # past the end: the total is still wanted for the page links
            count = select(func.count()).select_from(products).where(*matching)
            total = (await conn.scalar(count)) or 0
        else:
            total = 0
        summaries = await product_summaries(conn, rows)
    response = search_pb2.SearchProductsResponse(products=summaries, page=page.info(total))
    if total == 0:
        vocabulary = await _vocabulary(ctx)
        response.did_you_mean.extend(_did_you_mean(words, vocabulary.words))
    return response


def _name_has_phrase(phrase: str) -> ColumnElement[int]:
    # Relevance, kept simple: products whose name holds the whole query come first.
    return case((func.lower(products.c.name).contains(phrase, autoescape=True), 0), else_=1)


def _did_you_mean(words: list[str], vocabulary: frozenset[str]) -> list[str]:
    """Up to three queries with each unknown word replaced by its 1st, 2nd, 3rd closest word."""
    choices = [
        [word]
        if word in vocabulary
        else difflib.get_close_matches(
            word, vocabulary, n=DID_YOU_MEAN_MAX, cutoff=DID_YOU_MEAN_CUTOFF
        )
        or [word]
        for word in words
    ]
    original = " ".join(words)
    spellings: list[str] = []
    for rank in range(DID_YOU_MEAN_MAX):
        spelling = " ".join(options[min(rank, len(options) - 1)] for options in choices)
        if spelling != original and spelling not in spellings:
            spellings.append(spelling)
    return spellings


@dataclass(frozen=True)
class _Vocabulary:
    words: frozenset[str]
    brands: tuple[str, ...]  # brands of live products, by name


async def _vocabulary(ctx: CallContext) -> _Vocabulary:
    tree = await category_tree(ctx)
    vocabulary: _Vocabulary = await ctx.cache.get(
        VOCABULARY_CACHE_KEY, VOCABULARY_TTL_SECONDS, lambda: _load_vocabulary(ctx.db, tree)
    )
    return vocabulary


async def _load_vocabulary(engine: AsyncEngine, tree: CategoryTree) -> _Vocabulary:
    async with engine.connect() as conn:
        brands = await conn.scalars(
            select(products.c.brand)
            .where(is_live())
            .distinct()
            .order_by(products.c.brand)
            .limit(VOCABULARY_MAX_BRANDS)
        )
        brand_names = tuple(brands.all())
        names = await conn.scalars(
            select(products.c.name)
            .where(is_live())
            .order_by(products.c.id)
            .limit(VOCABULARY_PRODUCT_SAMPLE)
        )
        texts = [*brand_names, *(node.name for node in tree.by_id.values()), *names.all()]
    words = frozenset(
        word
        for text in texts
        for word in _WORD.findall(text.lower())
        if len(word) >= VOCABULARY_MIN_WORD_LENGTH and not word.isdigit()
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
            .where(is_live(), _name_starts_a_word(prefix))
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


def _name_starts_a_word(prefix: str) -> ColumnElement[bool]:
    name = func.lower(products.c.name)
    return or_(
        name.startswith(prefix, autoescape=True), name.contains(f" {prefix}", autoescape=True)
    )


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
