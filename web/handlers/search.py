"""The search results page and the suggestions the search box asks for as a shopper types."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from contract import catalog_pb2, common_pb2, search_pb2
from vitrine.urls import category_path, product_path
from web.handlers.base import BaseHandler, PageError
from web.handlers.catalog import PAGE_SIZE, PARAM_OF_FACET, SORT_LABELS, SORTS, ListingQuery

MAX_QUERY_LENGTH = 200
SUGGEST_DEADLINE_MS = 300
SUGGEST_LIMIT = 8
# Search results come in relevance order unless the shopper picks another.
SEARCH_SORT_LABELS = {"": "Relevance", **{key: label for key, label in SORT_LABELS.items() if key}}


class SearchPageHandler(BaseHandler):
    """/search?q=...: results with facets and sorts, as on a category. When the words match
    nothing the API may answer a corrected query's results; `exact=1` asks for the words as
    typed (the page's "search for ... instead" link)."""

    async def get(self) -> None:
        text = self.get_query_argument("q", "").strip()
        if len(text) > MAX_QUERY_LENGTH:
            raise PageError(400, f"Search for at most {MAX_QUERY_LENGTH} characters.")
        listing = ListingQuery.parse(self)
        exact = self.get_query_argument("exact", "") == "1"
        batch = self.page_batch()
        results = None
        if text:
            results = batch.search.SearchProducts(
                query=text,
                page=common_pb2.PageRequest(page=listing.page, page_size=PAGE_SIZE),
                sort=SORTS.get(listing.sort, catalog_pb2.PRODUCT_SORT_UNSPECIFIED),
                filter=listing.request_filter(),
                exact=exact,
            )
        await self.wait_for_replies(batch)
        found = results.result() if results is not None else None
        if found is not None and listing.page > max(1, found.page.total_pages):
            raise PageError(404, f"These results have {found.page.total_pages} pages.")
        self.render_page(
            "search/results.html",
            reusable=True,
            search_query=text,
            results=found,
            query={"q": text, **({"exact": "1"} if exact else {}), **listing.arguments()},
            sort=listing.sort,
            sorts=SEARCH_SORT_LABELS,
            facet_param=PARAM_OF_FACET,
        )


class SuggestHandler(BaseHandler):
    """JSON for the search box: [{"text": ..., "url": ...}]. An empty list rather than an error
    page when the API is slow: suggestions are an enhancement."""

    async def get(self) -> None:
        prefix = self.get_query_argument("q", "").strip()[:100]
        suggestions = []
        if prefix:
            batch = self.api_batch()
            call = batch.search.Suggest(
                prefix=prefix, limit=SUGGEST_LIMIT, required=False, deadline_ms=SUGGEST_DEADLINE_MS
            )
            await self.wait_for_replies(batch)
            suggestions = [
                {
                    "text": s.text,
                    "kind": search_pb2.Suggestion.Kind.Name(s.kind).removeprefix("KIND_").lower(),
                    "url": _url(s),
                }
                for s in (call.value.suggestions if call.value else [])
            ]
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "public, max-age=60")
        self.finish(json.dumps(suggestions))


def _url(suggestion: search_pb2.Suggestion) -> str:
    if suggestion.kind == search_pb2.Suggestion.KIND_PRODUCT:
        return product_path(suggestion.product_id, suggestion.slug)
    if suggestion.kind == search_pb2.Suggestion.KIND_CATEGORY:
        return category_path(suggestion.slug)
    return "/search?" + urlencode({"q": suggestion.text})
