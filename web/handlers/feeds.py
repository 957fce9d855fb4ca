"""The product feed shopping engines fetch: /feeds/products.xml, Google Merchant Center's RSS 2.0
with the g: namespace, one item per live product (docs/seo.md, "Product feed").

Streamed as the product sitemaps are: a page of items is asked of the API, written and flushed
(which waits for the client to take it) before the next is asked for, so a front holds one page
whatever the catalogue's size.
"""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import escape

from vitrine.urls import product_url
from web.handlers.base import BaseHandler
from web.structured_data import decimal_price

GOOGLE_NAMESPACE = "http://base.google.com/ns/1.0"
FEED_TITLE = "Vitrine products"
# Like a sitemap page: reading a page of a million-row table takes longer than a page's reads.
FEED_DEADLINE_MS = 10_000
# Merchant Center fetches a feed on a schedule; a shared cache may keep it for a few minutes.
FEED_CACHE_CONTROL = "public, max-age=300"
# Merchant Center's limit on a description; longer ones make the item fail.
DESCRIPTION_MAX_CHARS = 5000
# Characters XML 1.0 cannot hold even escaped: one in a product's text would make the whole feed
# unparseable, so it is dropped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """Text as XML element content: escaped, with what XML cannot hold dropped."""
    return escape(_NOT_XML.sub("", value))


def absolute(url: str, base: str) -> str:
    """Images may be site-relative (the demo's) or on a CDN already."""
    return base + url if url.startswith("/") else url


def feed_price(money: Any) -> str:
    """A shop.v1.Money as Merchant Center reads a price: "12.99 EUR"."""
    return f"{decimal_price(money)} {money.currency}"


def feed_item(item: Any, base: str) -> str:
    """One shop.v1.FeedItem as an RSS <item>; `base` is the public URL links start with.

    The shop's price is what the shopper pays: with a "was" price, that one is g:price and the
    shop's price g:sale_price, as the product page shows them. The catalogue knows no GTIN or
    MPN, so every item says g:identifier_exists no (the brand's own products)."""
    product = item.summary
    fields = [
        f"<g:id>{xml_text(item.sku)}</g:id>",
        f"<title>{xml_text(product.name)}</title>",
        f"<link>{xml_text(base + product_url(product))}</link>",
        f"<description>{xml_text(item.description[:DESCRIPTION_MAX_CHARS])}</description>",
    ]
    if product.HasField("image"):
        image = absolute(product.image.url, base)
        fields.append(f"<g:image_link>{xml_text(image)}</g:image_link>")
    if product.HasField("compare_at_price"):
        fields.append(f"<g:price>{feed_price(product.compare_at_price)}</g:price>")
        fields.append(f"<g:sale_price>{feed_price(product.price)}</g:sale_price>")
    else:
        fields.append(f"<g:price>{feed_price(product.price)}</g:price>")
    fields += [
        f"<g:availability>{'in_stock' if product.in_stock else 'out_of_stock'}</g:availability>",
        f"<g:brand>{xml_text(product.brand)}</g:brand>",
        "<g:identifier_exists>no</g:identifier_exists>",
        "<g:condition>new</g:condition>",
    ]
    return "<item>" + "".join(fields) + "</item>\n"


class ProductFeedHandler(BaseHandler):
    async def get(self) -> None:
        base = self.application.config.public_base
        # The first page before anything is written: the API failing then is still a 503 page.
        items = await self.feed_page(after_id=0)
        self.set_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.set_header("Cache-Control", FEED_CACHE_CONTROL)
        self.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<rss version="2.0" xmlns:g="{GOOGLE_NAMESPACE}">\n<channel>\n'
            f"<title>{FEED_TITLE}</title>\n<link>{xml_text(base)}/</link>\n"
            f"<description>Every product on sale at {xml_text(base)}</description>\n"
        )
        while True:
            self.write("".join(feed_item(item, base) for item in items))
            if len(items) < self.application.config.feed_page_items:
                break
            # Only a feed of several pages is flushed: a one-page feed keeps its ETag.
            await self.flush()
            items = await self.feed_page(after_id=items[-1].summary.id)
        self.finish("</channel>\n</rss>\n")

    async def feed_page(self, after_id: int) -> Any:
        batch = self.api_batch()
        page = batch.catalog.ListFeedItems(
            after_id=after_id,
            limit=self.application.config.feed_page_items,
            deadline_ms=FEED_DEADLINE_MS,
        )
        await self.wait_for_replies(batch)
        return page.result().items
