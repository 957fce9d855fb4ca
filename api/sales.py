"""Sale prices on catalogue reads (listings, search, rails, product pages, the feed): the live
sales read once per worker and kept SALES_TTL_SECONDS, then two dictionary look-ups per product.

A catalogue has a handful of sales, not one per product: reading them per product per request
would cost a query each, and materialising sale prices into the listing index would rewrite
thousands of rows whenever a sale starts or ends. The price sort and the price bands of
listings therefore use the regular price (docs/checkout.md); what a shopper is shown and pays is
the sale price.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from api.context import CallContext
from api.messages import money, timestamp
from api.pricing import Line, Offer, best_sale
from api.promotions import automatic_offers
from contract import promotions_pb2

SALES_CACHE_KEY = "promotions.sales"
# As long as catalogue answers are kept (their cache_seconds): a sale starts or ends on every
# page within this time.
SALES_TTL_SECONDS = 5.0


@dataclass(frozen=True)
class Sales:
    """The sales that have not ended, indexed by what they cover."""

    by_product: dict[int, list[Offer]] = field(default_factory=dict)
    by_category: dict[int, list[Offer]] = field(default_factory=dict)
    everywhere: list[Offer] = field(default_factory=list)
    # Each sale's shop.v1.Sale, made once rather than per product priced.
    messages: dict[int, promotions_pb2.Sale] = field(default_factory=dict)

    @classmethod
    def of(cls, offers: list[Offer]) -> Sales:
        by_product: dict[int, list[Offer]] = defaultdict(list)
        by_category: dict[int, list[Offer]] = defaultdict(list)
        everywhere = []
        messages = {}
        for offer in offers:
            if not offer.is_sale:
                continue
            messages[offer.id] = sale_message(offer)
            if offer.everything:
                everywhere.append(offer)
            for product_id in offer.product_ids:
                by_product[product_id].append(offer)
            for category_id in offer.category_ids:
                by_category[category_id].append(offer)
        return cls(dict(by_product), dict(by_category), everywhere, messages)

    def __bool__(self) -> bool:
        return bool(self.by_product or self.by_category or self.everywhere)

    def at(self, now: datetime) -> SalePrices | None:
        """What prices messages at `now`; None when no sale could apply (nothing to do)."""
        return SalePrices(self, now) if self else None


@dataclass(frozen=True)
class SalePrices:
    sales: Sales
    now: datetime

    def sale(self, product_id: int, category_id: int, price: int) -> Offer | None:
        """The live sale giving the product its lowest price, if any: two look-ups."""
        sales = self.sales
        candidates = [
            *sales.by_product.get(product_id, ()),
            *sales.by_category.get(category_id, ()),
            *sales.everywhere,
        ]
        if not candidates:
            return None
        line = Line(key=0, product_id=product_id, category_id=category_id, quantity=1, price=price)
        return best_sale(candidates, line, self.now)

    def unit_price(self, product_id: int, category_id: int, price: int) -> int:
        sale = self.sale(product_id, category_id, price)
        return price if sale is None else sale.unit_price(price)

    def apply(self, message: Any, product_id: int, category_id: int) -> None:
        """A shop.v1.Product or ProductSummary priced by the best live sale covering it: its
        price the sale's, its compare-at price the regular one, its `sale` said."""
        regular = message.price.amount
        sale = self.sale(product_id, category_id, regular)
        if sale is None:
            return
        currency = message.price.currency
        message.compare_at_price.CopyFrom(money(regular, currency))
        message.price.CopyFrom(money(sale.unit_price(regular), currency))
        message.sale.CopyFrom(self.sales.messages[sale.id])


def sale_message(sale: Offer) -> promotions_pb2.Sale:
    message = promotions_pb2.Sale(promotion_id=sale.id, name=sale.name)
    if sale.ends_at is not None:
        message.ends_at.CopyFrom(timestamp(sale.ends_at))
    return message


async def load_sales(engine: AsyncEngine, now: datetime) -> Sales:
    async with engine.connect() as conn:
        return Sales.of(await automatic_offers(conn, now, sales_only=True))


async def sale_prices(ctx: CallContext) -> SalePrices | None:
    """The sales as this worker knows them (at most SALES_TTL_SECONDS old), at the call's now."""
    sales: Sales = await ctx.cache.get(
        SALES_CACHE_KEY, SALES_TTL_SECONDS, lambda: load_sales(ctx.db, ctx.now)
    )
    return sales.at(ctx.now)
