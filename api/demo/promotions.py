"""Data: the demo shop's promotions (docs/checkout.md lists them), and their writing.

Their windows are set from the moment of seeding, so the sale runs and the welcome code works
whenever the demo is made; the expired code ended on a fixed date in the past.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from api.demo.categories import DemoCategory
from api.pricing import Benefit
from api.promotions import create_promotion


@dataclass(frozen=True)
class DemoPromotion:
    name: str
    benefit: Benefit
    codes: tuple[tuple[str, int | None], ...] = ()
    category_slugs: tuple[str, ...] = ()
    # Relative to the seeding moment; None leaves that side open.
    starts_in: timedelta | None = None
    ends_in: timedelta | None = None
    ends_at: datetime | None = None  # a fixed end instead
    fields: dict[str, Any] = field(default_factory=dict)


PROMOTIONS: Sequence[DemoPromotion] = (
    DemoPromotion(
        "Winter sale",
        Benefit.PERCENT_OFF,
        category_slugs=(
            "women-clothing-knitwear",
            "outdoor-clothing-fleeces",
            "home-living-throws",
        ),
        starts_in=-timedelta(days=7),
        ends_in=timedelta(days=60),
        fields={"percent_off": 20},
    ),
    DemoPromotion(
        "Free standard delivery from €75",
        Benefit.FREE_DELIVERY,
        fields={"min_subtotal": 7500},
    ),
    DemoPromotion(
        "3 for 2 on mugs",
        Benefit.BUY_N_GET_M,
        category_slugs=("home-kitchen-mugs",),
        fields={"buy_quantity": 2, "free_quantity": 1},
    ),
    DemoPromotion(
        "10 % off your first order",
        Benefit.PERCENT_OFF,
        codes=(("WELCOME10", None),),
        fields={"percent_off": 10, "first_order_only": True, "max_uses_per_customer": 1},
    ),
    DemoPromotion(
        "€20 off when you spend €100",
        Benefit.AMOUNT_OFF,
        codes=(("SAVE20", 500),),
        fields={"amount_off": 2000, "min_subtotal": 10000, "combinable": False},
    ),
    DemoPromotion(
        "15 % off the spring collection",
        Benefit.PERCENT_OFF,
        codes=(("SPRING15", None),),
        ends_at=datetime(2026, 3, 1, tzinfo=UTC),
        fields={"percent_off": 15},
    ),
)


async def seed_promotions(
    conn: AsyncConnection, categories: Sequence[DemoCategory], now: datetime
) -> int:
    """Writes PROMOTIONS; how many."""
    by_slug = {category.slug: category.id for category in categories}
    for promotion in PROMOTIONS:
        starts = now + promotion.starts_in if promotion.starts_in is not None else None
        ends = now + promotion.ends_in if promotion.ends_in is not None else promotion.ends_at
        await create_promotion(
            conn,
            name=promotion.name,
            benefit=promotion.benefit,
            now=now,
            codes=promotion.codes,
            categories=[by_slug[slug] for slug in promotion.category_slugs],
            starts_at=starts,
            ends_at=ends,
            **promotion.fields,
        )
    return len(PROMOTIONS)
