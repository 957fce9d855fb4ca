"""The delivery methods the shop offers, their prices and where; a free-delivery promotion
(api/pricing.py) makes the methods marked `free_with_offer` free."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shipping:
    code: str
    label: str
    # Minor units of the catalogue's currency. The catalogue is single-currency (EUR, see
    # api/demo/products.py): totals take the lines' currency and these amounts are meant in it.
    price: int
    min_days: int
    max_days: int
    countries: frozenset[str] | None = None  # None: everywhere the shop delivers
    # A free-delivery promotion makes this method free (standard delivery; the faster ones
    # cost what they cost).
    free_with_offer: bool = False


STANDARD_DELIVERY = Shipping("standard", "Standard delivery", 495, 3, 5, free_with_offer=True)
SHIPPING_METHODS = (
    STANDARD_DELIVERY,
    Shipping("express", "Express delivery", 995, 1, 2),
    Shipping("next_day", "Next-day delivery", 1495, 1, 1, countries=frozenset({"IE"})),
)


def offered(country: str) -> list[Shipping]:
    return [m for m in SHIPPING_METHODS if m.countries is None or country in m.countries]
