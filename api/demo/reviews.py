"""The demo shop's reviews: about a third of the products have some, written to fit the product
(its family, material, colour and sizes), ratings leaning positive but spread. The demo has no
accounts that ordered anything, so its reviews are *imported* ones: no account, no verified-
buyer badge (docs/reviews.md). Generated product by product from the product rows, on a random
stream of their own, so the catalogue is the same with or without them."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from api.demo.categories import DemoCategory
from api.demo.products import REFERENCE_TIME
from api.demo.review_texts import (
    AUTHORS,
    COUNT_WEIGHTS,
    FIT,
    OPENINGS,
    RATING_WEIGHTS,
    TITLES,
    family_of,
)
from api.demo.rows import ProductChunk, Row
from api.ratings import STARS
from contract import reviews_pb2

# The share of products with reviews.
REVIEWED_SHARE = 1 / 3
MOOD = {5: "happy", 4: "happy", 3: "middling", 2: "unhappy", 1: "unhappy"}


@dataclass
class ReviewRows:
    reviews: list[Row] = field(default_factory=list)
    ratings: list[Row] = field(default_factory=list)


class ReviewWriter:
    """Turns each chunk's products into review rows; keeps the review ids going across chunks."""

    def __init__(self, rng: random.Random, categories: Sequence[DemoCategory]) -> None:
        self._rng = rng
        self._leaves = {c.id: c.leaf for c in categories if c.leaf is not None}
        self._next_id = 1

    def rows(self, chunk: ProductChunk) -> ReviewRows:
        rows = ReviewRows()
        material = {a["product_id"]: a["value"] for a in chunk.attributes if a["position"] == 0}
        options: dict[int, tuple[list[str], list[str]]] = {}
        for variant in chunk.variants:
            colours, sizes = options.setdefault(variant["product_id"], ([], []))
            if variant["colour"] not in colours:
                colours.append(variant["colour"])
            if variant["size"] and variant["size"] not in sizes:
                sizes.append(variant["size"])
        for product in chunk.products:
            # One draw per product whether or not it is reviewed: the stream stays aligned.
            if self._rng.random() >= REVIEWED_SHARE:
                continue
            colours, sizes = options.get(product["id"], (["Black"], []))
            written = list(
                self._reviews(product, material.get(product["id"], "fabric"), colours, sizes)
            )
            rows.reviews.extend(written)
            counts = [sum(1 for r in written if r["rating"] == n) for n in range(1, 6)]
            rows.ratings.append(
                {
                    "product_id": product["id"],
                    "review_count": len(written),
                    "rating_sum": sum(r["rating"] for r in written),
                    **dict(zip(STARS, counts, strict=True)),
                }
            )
        return rows

    def _reviews(
        self, product: Row, material: str, colours: list[str], sizes: list[str]
    ) -> Iterator[Row]:
        rng = self._rng
        leaf = self._leaves[product["category_id"]]
        assert leaf is not None
        named = [k for k in leaf.kinds if product["name"].endswith(k.noun)]
        kind = max(named, key=lambda k: len(k.noun)) if named else leaf.kinds[0]
        noun = kind.noun if named else ""
        plural = noun.endswith("s") and not noun.endswith("ss")
        words = {
            "material": material.lower(),
            "noun": noun.lower() or "buy",
            "it": "them" if plural else "it",
            "It_is": "They are" if plural else "It is",
        }
        count = rng.choices(list(COUNT_WEIGHTS), list(COUNT_WEIGHTS.values()))[0]
        # Some products are simply better liked than others.
        lean = rng.choice((-1, 0, 0, 0, 1))
        created: datetime = product["created_at"]
        span = max(1, int((REFERENCE_TIME - created).total_seconds()))
        for _ in range(count):
            stars = rng.choices(list(RATING_WEIGHTS), list(RATING_WEIGHTS.values()))[0]
            stars = min(5, max(1, stars + (lean if rng.random() < 0.5 else 0)))
            mood = MOOD[stars]
            fill = {
                **words,
                "colour": rng.choice(colours).lower(),
                "size": rng.choice(sizes or ["M"]),
            }
            sentences = [rng.choice(OPENINGS[stars]), rng.choice(family_of(kind.family)[mood])]
            if sizes and rng.random() < 0.6:
                sentences.append(rng.choice(FIT[mood]))
            at = created + timedelta(seconds=rng.randrange(span))
            yield {
                "id": self._next_id,
                "product_id": product["id"],
                "user_id": None,
                "author_name": rng.choice(AUTHORS),
                "rating": stars,
                "title": rng.choice(TITLES[stars]).format(**fill),
                "text": " ".join(sentences).format(**fill),
                "status": reviews_pb2.REVIEW_STATUS_PUBLISHED,
                "held_reason": "",
                "verified_buyer": False,
                "helpful_count": rng.choice((0, 0, 0, 1, 1, 2, 3, 5, 8)),
                "created_at": at,
                "updated_at": at,
                "published_at": at,
            }
            self._next_id += 1
