"""Home, landing, category and product pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contract import catalog_pb2, common_pb2
from vitrine.urls import listing_url, product_path, product_url
from web.handlers.base import BaseHandler, PageError, whole_number
from web.handlers.reviews import ReviewQuery, ask_for_reviews, reviews_context

# Related products are a nice-to-have block: late means left out, never a slower page.
RELATED_DEADLINE_MS = 150
PAGE_SIZE = 24
# The category page's sort parameter; absent means the merchandiser's order.
SORTS = {
    "price-asc": catalog_pb2.PRODUCT_SORT_PRICE_ASC,
    "price-desc": catalog_pb2.PRODUCT_SORT_PRICE_DESC,
    "newest": catalog_pb2.PRODUCT_SORT_NEWEST,
    "name": catalog_pb2.PRODUCT_SORT_NAME,
}
SORT_LABELS = {
    "": "Featured",
    "price-asc": "Price: low to high",
    "price-desc": "Price: high to low",
    "newest": "Newest",
    "name": "Name",
}
# URL parameter -> FacetFilter field; a facet's API name -> URL parameter.
FACET_PARAMS = {"brand": "brands", "colour": "colours", "size": "sizes", "price": "price_bands"}
PARAM_OF_FACET = {"brand": "brand", "colour": "colour", "size": "size", "price_band": "price"}
MAX_PAGE = 10_000
MAX_FILTER_VALUES = 20


@dataclass
class ListingQuery:
    """A category URL's query string, checked: page, sort and facet filters."""

    page: int = 1
    sort: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, handler: BaseHandler) -> ListingQuery:
        page = whole_number(
            handler.get_query_argument("page", "1"), name="Page", lowest=1, highest=MAX_PAGE
        )
        sort = handler.get_query_argument("sort", "")
        if sort and sort not in SORTS:
            raise PageError(400, f"Unknown sort {sort[:40]!r}: use one of {', '.join(SORTS)}.")
        filters = {}
        for param in FACET_PARAMS:
            values = sorted({v.strip() for v in handler.get_query_arguments(param) if v.strip()})
            if len(values) > MAX_FILTER_VALUES:
                raise PageError(400, f"At most {MAX_FILTER_VALUES} values of {param}.")
            if values:
                filters[param] = values
        return cls(page, sort, filters)

    def request_filter(self) -> catalog_pb2.FacetFilter:
        return catalog_pb2.FacetFilter(
            **{FACET_PARAMS[param]: values for param, values in self.filters.items()}
        )

    def arguments(self) -> dict[str, Any]:
        """The query as template-friendly parameters, for building links that change one thing."""
        return {**({"sort": self.sort} if self.sort else {}), **self.filters}


class HomePageHandler(BaseHandler):
    async def get(self) -> None:
        batch = self.page_batch()
        home = batch.landings.GetHomePage()
        await self.wait_for_replies(batch)
        self.render_page("landing/home.html", reusable=True, page=home.result())


class LandingPageHandler(BaseHandler):
    async def get(self, slug: str) -> None:
        batch = self.page_batch()
        landing = batch.landings.GetLandingPage(slug=slug)
        await self.wait_for_replies(batch)
        self.render_page("landing/page.html", reusable=True, page=landing.result())


class CategoryPageHandler(BaseHandler):
    """/c/<slug> (sorted, paged) and /filter/<slug> (with facet filters); a URL with filters on
    the wrong one of the two is answered 301 to the other (see vitrine.urls.listing_url)."""

    async def get(self, slug: str) -> None:
        query = ListingQuery.parse(self)
        canonical = listing_url(
            slug, {**query.arguments(), "page": query.page if query.page > 1 else None}
        )
        if canonical.partition("?")[0] != self.request.path:
            self.redirect(canonical, permanent=True)
            return
        batch = self.page_batch()
        listing = batch.catalog.ListCategoryProducts(
            category_slug=slug,
            page=common_pb2.PageRequest(page=query.page, page_size=PAGE_SIZE),
            sort=SORTS.get(query.sort, catalog_pb2.PRODUCT_SORT_UNSPECIFIED),
            filter=query.request_filter(),
        )
        await self.wait_for_replies(batch)
        result = listing.result()
        if query.page > max(1, result.page.total_pages):
            if result.listed_max:
                raise PageError(
                    404,
                    f"Filtered, this category lists {result.page.total_pages} pages: narrow the"
                    " filters or change the sort to see other products.",
                )
            raise PageError(404, f"This category has {result.page.total_pages} pages.")
        self.render_page(
            "catalog/category.html",
            reusable=True,
            listing=result,
            query=query.arguments(),
            sort=query.sort,
            sorts=SORT_LABELS,
            facet_param=PARAM_OF_FACET,
        )


class ProductPageHandler(BaseHandler):
    """/p/<id>/<slug>; a wrong or missing slug is answered 301 to the canonical URL.

    The add-to-basket form carries no xsrf token (POST /basket/lines takes the browser's Origin
    instead): the page is the same for every anonymous shopper, shareable by nginx's microcache."""

    async def get(self, product_id: str, slug: str | None = None) -> None:
        review_query = ReviewQuery.parse(self)
        batch = self.page_batch()
        found = batch.catalog.GetProduct(id=int(product_id))
        related = batch.catalog.GetRelatedProducts(
            product_id=int(product_id), required=False, deadline_ms=RELATED_DEADLINE_MS
        )
        policies = batch.landings.GetShopPolicies(required=False, deadline_ms=RELATED_DEADLINE_MS)
        reviews, my_review = ask_for_reviews(self, batch, int(product_id), review_query)
        await self.wait_for_replies(batch)
        product = found.result().product
        if slug != product.slug:
            self.redirect(product_url(product), permanent=True)
            return
        if product.discontinued:
            self.set_status(410)
        self.render_page(
            "product/detail.html",
            reusable=True,
            product=product,
            related=related.value.products if related.value else [],
            policies=policies.value,
            **reviews_context(reviews, my_review, review_query),
        )


class ProductSlugHandler(BaseHandler):
    """/p/<slug>, as links from before ids were in URLs: 301 to the canonical product URL."""

    async def get(self, slug: str) -> None:
        batch = self.api_batch()
        found = batch.catalog.GetProductBySlug(slug=slug)
        await self.wait_for_replies(batch)
        answer = found.result()
        if answer.HasField("moved"):
            target = product_path(answer.moved.product_id, answer.moved.canonical_slug)
        else:
            target = product_url(answer.product)
        self.redirect(target, permanent=True)
