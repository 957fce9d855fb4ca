"""The product rows (products, images, variants, attributes, old slugs), chunk by chunk."""

from __future__ import annotations

import itertools
import math
import random
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

from api.demo.categories import DemoCategory
from api.demo.kinds import (
    CLOSING_SENTENCES,
    COLOURS,
    MATERIALS,
    Kind,
    price_range_eur,
)
from api.demo.rows import ProductChunk, Row

# Products generated, inserted and committed together: big enough for fast executemany, small
# enough that a chunk's rows (about ten variants per product) stay a few megabytes and the
# SQLite WAL is checkpointed as the seed goes.
CHUNK_SIZE = 2000

CURRENCY = "EUR"
# Every date in the catalogue is relative to this fixed moment, not to now(), so that a seed
# always gives the same rows. It lies in the past so no product is "created" in the future.
REFERENCE_TIME = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
# Products were added over this period before REFERENCE_TIME.
HISTORY = timedelta(days=730)
# How long after its creation a product was last edited, at most.
MAX_EDIT_DELAY = timedelta(days=90)

# Special products are placed per block of ROLE_BLOCK products rather than by coin toss, so
# that their shares hold exactly and even a small catalogue has some of each.
ROLE_BLOCK = 100
DISCONTINUED_PER_BLOCK = 1
MOVED_PER_BLOCK = 1
SOLD_OUT_PER_BLOCK = 3  # every variant at zero stock
COMPARE_AT_SHARE = 0.2  # products with a "was" price
ZERO_STOCK_SHARE = 0.12  # variants at zero stock in products that are not sold out
MAX_STOCK = 40
# The pictures of a product: every view of its first colour, the first two of each other one
# (front and back, what a card's hover shows), as variant colours and the colour filter need.
VIEWS = ("front", "back", "detail", "styled")
VIEWS_OF_OTHER_COLOURS = 2
# Pictures of one kind and colour differ by a pattern or trim (web/demo_pictures/).
PICTURE_VARIATIONS = 4
# How many of a product's colours are offered: mostly one or two.
COLOUR_COUNT_WEIGHTS = {1: 4, 2: 3, 3: 2, 4: 1}
# Products made in a single colour that are named after it rather than their material.
NAMED_BY_COLOUR_SHARE = 0.6
# Cents taken off a whole-euro price: prices end in .00, .95 or .99.
PRICE_ENDINGS = (0, 5, 1)


def generate_products(
    rng: random.Random,
    categories: Sequence[DemoCategory],
    count: int,
    *,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[ProductChunk]:
    """`count` products with ids 1..count, yielded chunk by chunk; only the current chunk and a
    vocabulary-sized slug table are held, whatever `count` is. The rows do not depend on
    `chunk_size`: it only decides where the stream is cut."""
    factory = _ProductFactory(rng, categories, count)
    for start in range(0, count, chunk_size):
        chunk = ProductChunk()
        for index in range(start, min(start + chunk_size, count)):
            factory.add(chunk, index)
        yield chunk


def live_product_ids(chunk: ProductChunk) -> list[int]:
    """Products of the chunk a shopper can buy: not discontinued, some variant in stock."""
    in_stock = {variant["product_id"] for variant in chunk.variants if variant["stock"] > 0}
    return [p["id"] for p in chunk.products if not p["discontinued"] and p["id"] in in_stock]


_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_DIGIT = re.compile(r"[0-9]")


def slugify(text: str) -> str:
    return _NOT_SLUG.sub("-", text.lower()).strip("-")


class _SlugAllocator:
    """Unique product slugs without remembering every slug handed out.

    The first product called "Classic Suede Trainers" gets classic-suede-trainers, the next
    ones classic-suede-trainers-2, -3... as a CMS would. Only one counter per distinct name is
    kept, and names are drawn from a fixed vocabulary, so the table is bounded by the
    vocabulary (about 10,000 possible names), not by the number of products. Uniqueness
    holds by construction because vocabulary words hold no digits: a plain slug never ends in
    "-<number>", so it cannot equal a suffixed one, and suffixes of one name never repeat.
    """

    def __init__(self) -> None:
        self._uses: dict[str, int] = {}

    def allocate(self, name: str) -> str:
        base = slugify(name)
        if _DIGIT.search(base):
            raise ValueError(f"demo vocabulary must hold no digits, {name!r} does")
        uses = self._uses.get(base, 0) + 1
        self._uses[base] = uses
        return base if uses == 1 else f"{base}-{uses}"


def _old_slug(slug: str, sku: str) -> str:
    # The story: the previous shop put the SKU in product URLs, and those URLs must redirect.
    # The SKU segment ("vt00001234") mixes letters and digits, while a current slug ends in a
    # vocabulary word or in a plain number, so an old slug never equals a current one; and
    # SKUs are unique, so old slugs never equal each other.
    return f"{slug}-{sku.lower()}"


_DISCONTINUED, _MOVED, _SOLD_OUT = "discontinued", "moved", "sold out"
_BLOCK_ROLES = (
    (_DISCONTINUED,) * DISCONTINUED_PER_BLOCK
    + (_MOVED,) * MOVED_PER_BLOCK
    + (_SOLD_OUT,) * SOLD_OUT_PER_BLOCK
)


class _ProductFactory:
    """Turns product indexes 0..count-1, in order, into rows; holds the little state that
    must carry over from one chunk to the next."""

    def __init__(self, rng: random.Random, categories: Sequence[DemoCategory], count: int) -> None:
        self._rng = rng
        self._leaves = [category for category in categories if category.leaf is not None]
        self._count = count
        self._slugs = _SlugAllocator()
        self._variant_ids = itertools.count(1)
        self._roles: dict[int, str] = {}
        # Merchandisers order products by hand, unrelated to age or id. A shuffled list of
        # positions would grow with the catalogue; the map index -> (step * index + offset)
        # % count is a permutation too (step coprime with count) and costs two integers.
        step = rng.randrange(1, count) if count > 1 else 1
        while math.gcd(step, count) != 1:
            step += 1
        self._position_step = step
        self._position_offset = rng.randrange(count) if count else 0

    def add(self, chunk: ProductChunk, index: int) -> None:
        rng = self._rng
        if index % ROLE_BLOCK == 0:
            offsets = rng.sample(range(ROLE_BLOCK), len(_BLOCK_ROLES))
            self._roles = dict(zip(offsets, _BLOCK_ROLES, strict=True))
        role = self._roles.get(index % ROLE_BLOCK)

        category = rng.choice(self._leaves)
        leaf = category.leaf
        assert leaf is not None  # _leaves holds only leaves
        kind = rng.choice(leaf.kinds)
        product_id = index + 1
        sku = f"VT{product_id:08d}"
        colour_count = rng.choices(list(COLOUR_COUNT_WEIGHTS), list(COLOUR_COUNT_WEIGHTS.values()))
        colours = rng.sample(COLOURS, colour_count[0])
        material = rng.choice(kind.materials)
        # Names say the material ("Relaxed Linen Shirt") or, for a product made in one colour
        # only, often that colour ("Relaxed Sage Shirt").
        one_colour = len(colours) == 1 and rng.random() < NAMED_BY_COLOUR_SHARE
        descriptor = colours[0] if one_colour else material
        name = f"{rng.choice(kind.family.adjectives)} {descriptor} {kind.noun}"
        brand = rng.choice(category.brands)
        slug = self._slugs.allocate(name)
        price = _price(rng, *price_range_eur(kind, material))
        compare_at = _compare_at(rng, price) if rng.random() < COMPARE_AT_SHARE else None
        created_at = self._created_at(index)
        edited_after = timedelta(seconds=rng.randrange(int(MAX_EDIT_DELAY.total_seconds())))
        chunk.products.append(
            {
                "id": product_id,
                "slug": slug,
                "sku": sku,
                "name": name,
                "brand": brand,
                "description": _description(
                    rng, kind, brand=brand, material=material, colours=colours
                ),
                "category_id": category.id,
                "price": price,
                "compare_at_price": compare_at,
                "currency": CURRENCY,
                "discontinued": role == _DISCONTINUED,
                "position": (self._position_step * index + self._position_offset) % self._count,
                "search_text": " ".join((name, brand, category.name, *colours)).lower(),
                "created_at": created_at,
                "updated_at": min(REFERENCE_TIME, created_at + edited_after),
            }
        )
        if role == _MOVED:
            chunk.old_slugs.append({"slug": _old_slug(slug, sku), "product_id": product_id})
        chunk.images.extend(_pictures(kind, material, colours, product_id))

        options = list(itertools.product(colours, leaf.sizes or ("",)))
        stocks = [0 if role == _SOLD_OUT else _stock(rng.random()) for _ in options]
        if role != _SOLD_OUT and not any(stocks):
            # Only the products picked to be sold out are, so their share holds exactly.
            stocks[0] = MAX_STOCK // 4
        for position, ((colour, size), stock) in enumerate(zip(options, stocks, strict=True)):
            chunk.variants.append(
                {
                    "id": next(self._variant_ids),
                    "product_id": product_id,
                    "sku": f"{sku}-{position + 1:02d}",
                    "size": size,
                    "colour": colour,
                    "stock": stock,
                    "position": position,
                }
            )

        attributes = [
            (kind.family.material_label, material),
            ("Care", rng.choice(MATERIALS[material].care)),
        ]
        attributes += [(label, rng.choice(options)) for label, options in kind.details]
        chunk.attributes.extend(
            {"product_id": product_id, "position": position, "name": label, "value": value}
            for position, (label, value) in enumerate(attributes)
        )

    def _created_at(self, index: int) -> datetime:
        # Ids grow with age as in a real shop: product n+1 was added after product n.
        fraction = (index + self._rng.random()) / self._count
        return REFERENCE_TIME - HISTORY + timedelta(seconds=int(fraction * HISTORY.total_seconds()))


def _stock(draw: float) -> int:
    # One draw per variant, as variants are the bulk of the rows: the first ZERO_STOCK_SHARE
    # of [0, 1) means none left, the rest spreads evenly over 1..MAX_STOCK.
    if draw < ZERO_STOCK_SHARE:
        return 0
    return 1 + int((draw - ZERO_STOCK_SHARE) / (1 - ZERO_STOCK_SHARE) * MAX_STOCK)


def _price(rng: random.Random, low_eur: int, high_eur: int) -> int:
    # Log-uniform, as real ranges are: many cheap items, fewer expensive ones.
    euros = math.exp(rng.uniform(math.log(low_eur), math.log(high_eur)))
    return max(1, round(euros)) * 100 - rng.choice(PRICE_ENDINGS)


def _compare_at(rng: random.Random, price: int) -> int:
    was = round(price * rng.uniform(1.15, 1.6) / 100) * 100
    return max(was, price + 100)


def picture_url(kind: Kind, colour: str, view: str, variation: int) -> str:
    """Where web/demo_pictures/ draws `kind` in `colour`, seen from `view`."""
    return f"/media/demo/products/{kind.shape}-{slugify(colour)}-{view}-{variation}.svg"


def picture_alt(kind: Kind, material: str, colour: str, view: str) -> str:
    """What the picture shows, as a screen reader should say it: "Navy merino cardigan, front"."""
    return f"{colour} {material.lower()} {kind.noun.lower()}, {kind.family.view_words[view]}"


def _pictures(kind: Kind, material: str, colours: Sequence[str], product_id: int) -> list[Row]:
    width, height = kind.family.image_size
    variation = product_id % PICTURE_VARIATIONS
    shown = [(colours[0], view) for view in VIEWS]
    shown += [(colour, view) for colour in colours[1:] for view in VIEWS[:VIEWS_OF_OTHER_COLOURS]]
    return [
        {
            "product_id": product_id,
            "position": position,
            "url": picture_url(kind, colour, view, variation),
            "alt": picture_alt(kind, material, colour, view),
            "width": width,
            "height": height,
            "colour": colour,
        }
        for position, (colour, view) in enumerate(shown)
    ]


def _description(
    rng: random.Random,
    kind: Kind,
    *,
    brand: str,
    material: str,
    colours: Sequence[str],
) -> str:
    this, be = ("These", "are") if kind.plural else ("This", "is")
    sentences = [
        f"{this} {kind.noun.lower()} from {brand} {be} made from {material.lower()}.",
        rng.choice(kind.family.sentences),
    ]
    if len(colours) > 1:
        sentences.append(
            f"Available in {len(colours)} colours: "
            f"{', '.join(colour.lower() for colour in colours)}."
        )
    else:
        sentences.append(f"Shown here in {colours[0].lower()}.")
    if rng.random() < 0.5:
        sentences.append(rng.choice(CLOSING_SENTENCES))
    return " ".join(sentences)
