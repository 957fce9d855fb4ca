"""What search crawlers read besides pages: robots.txt, the sitemap index and its children.

Child sitemaps are streamed: each page of product links is written and flushed before the
next is asked for, so a million products are served in bounded memory (bench/sitemaps.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from api_client import Batch, Call
from vitrine.urls import category_url, help_path, landing_url, product_url
from web.handlers.base import BaseHandler, PageError

# Kept out of crawlers' way: the shopper's own pages, search results, filter combinations and
# the developer tools. Catalogue, product and landing pages are all allowed.
DISALLOWED = (
    "/basket",
    "/checkout",
    "/orders",
    "/account",
    "/search",
    "/filter/",
    "/_preview/",
)
SITEMAP_NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
# Product links read per API call while a child sitemap streams.
LINKS_PER_CALL = 2000
# Reading a page of links from a million-row table takes longer than a page's reads.
SITEMAP_DEADLINE_MS = 10_000
# Crawlers fetch sitemaps rarely; a shared cache may keep them for a few minutes.
SITEMAP_CACHE_CONTROL = "public, max-age=300"


def lastmod(timestamp: Any) -> str:
    """A google.protobuf.Timestamp as W3C datetime, as <lastmod> wants it."""
    moment = datetime.fromtimestamp(timestamp.seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class RobotsHandler(BaseHandler):
    def get(self) -> None:
        base = self.application.config.public_base
        lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED), "Allow: /"]
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Cache-Control", SITEMAP_CACHE_CONTROL)
        self.finish("\n".join([*lines, "", f"Sitemap: {base}/sitemap.xml", ""]))


class SitemapHandler(BaseHandler):
    """What sitemap answers share: the XML frame, absolute URLs, the API deadline."""

    def start_xml(self, root: str) -> None:
        self.set_header("Content-Type", "application/xml; charset=utf-8")
        self.set_header("Cache-Control", SITEMAP_CACHE_CONTROL)
        self.write(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{SITEMAP_NAMESPACE}">\n'
        )

    def url_entry(self, path: str, updated_at: Any) -> str:
        location = escape(self.application.config.public_base + path)
        return f"<url><loc>{location}</loc><lastmod>{lastmod(updated_at)}</lastmod></url>\n"

    def ask_product_ranges(self, batch: Batch) -> Call:
        return batch.catalog.GetProductLinkRanges(
            size=self.application.config.sitemap_urls, deadline_ms=SITEMAP_DEADLINE_MS
        )

    def ask_category_links(self, batch: Batch) -> Call:
        return batch.catalog.ListCategoryLinks(deadline_ms=SITEMAP_DEADLINE_MS)

    async def product_ranges(self) -> Any:
        batch = self.api_batch()
        asked = self.ask_product_ranges(batch)
        await self.wait_for_replies(batch)
        return asked.result().ranges

    async def category_links(self) -> Any:
        batch = self.api_batch()
        asked = self.ask_category_links(batch)
        await self.wait_for_replies(batch)
        return asked.result().categories

    def category_chunks(self, categories: Any) -> int:
        size = self.application.config.sitemap_urls
        return max(1, -(-len(categories) // size))


class SitemapIndexHandler(SitemapHandler):
    """/sitemap.xml: one child for landing pages, categories in children of at most
    VITRINE_SITEMAP_URLS, and one child per range of that many products."""

    async def get(self) -> None:
        base = self.application.config.public_base
        batch = self.api_batch()  # both reads in one batch: the index waits for the slower
        asked_ranges = self.ask_product_ranges(batch)
        asked_categories = self.ask_category_links(batch)
        await self.wait_for_replies(batch)
        ranges = asked_ranges.result().ranges
        categories = asked_categories.result().categories
        children = ["/sitemaps/landings.xml"]
        children += [
            f"/sitemaps/categories-{n}.xml" for n in range(1, self.category_chunks(categories) + 1)
        ]
        children += [f"/sitemaps/products-{n}.xml" for n in range(1, len(ranges) + 1)]
        self.start_xml("sitemapindex")
        for child in children:
            self.write(f"<sitemap><loc>{escape(base + child)}</loc></sitemap>\n")
        self.finish("</sitemapindex>\n")


class LandingSitemapHandler(SitemapHandler):
    """The home page, every landing page and every help page."""

    async def get(self) -> None:
        batch = self.api_batch()
        home = batch.landings.GetHomePage()
        pages = batch.landings.ListLandingPages()
        help_pages = batch.landings.ListHelpPages()
        await self.wait_for_replies(batch)
        self.start_xml("urlset")
        self.write(self.url_entry("/", home.result().updated_at))
        for page in pages.result().pages:
            self.write(self.url_entry(landing_url(page), page.updated_at))
        for help_page in help_pages.result().pages:
            self.write(self.url_entry(help_path(help_page.slug), help_page.updated_at))
        self.finish("</urlset>\n")


class CategorySitemapHandler(SitemapHandler):
    async def get(self, number: str) -> None:
        categories = await self.category_links()
        index = int(number) - 1
        if index >= self.category_chunks(categories):
            raise PageError(404, "There is no such sitemap.")
        size = self.application.config.sitemap_urls
        self.start_xml("urlset")
        for category in categories[index * size : (index + 1) * size]:
            self.write(self.url_entry(category_url(category), category.updated_at))
        self.finish("</urlset>\n")


class ProductSitemapHandler(SitemapHandler):
    """One range of products, read from the API a page at a time and flushed as it comes."""

    async def get(self, number: str) -> None:
        ranges = await self.product_ranges()
        index = int(number) - 1
        if index >= len(ranges):
            raise PageError(404, "There is no such sitemap.")
        after_id, up_to_id = ranges[index].first_id - 1, ranges[index].last_id
        self.start_xml("urlset")
        while True:
            batch = self.api_batch()
            page = batch.catalog.ListProductLinks(
                after_id=after_id,
                up_to_id=up_to_id,
                limit=LINKS_PER_CALL,
                deadline_ms=SITEMAP_DEADLINE_MS,
            )
            await self.wait_for_replies(batch)
            links = page.result().links
            self.write(
                "".join(self.url_entry(product_url(link), link.updated_at) for link in links)
            )
            await self.flush()
            if len(links) < LINKS_PER_CALL:
                break
            after_id = links[-1].id
        self.finish("</urlset>\n")
