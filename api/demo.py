"""The demo catalogue: the same seed gives the same shop, written in chunks in bounded memory."""

from __future__ import annotations

import itertools
import math
import random
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from tqdm import tqdm

from api import schema
from api.db import migrate
from contract import catalog_pb2

Row = dict[str, Any]

DEFAULT_PRODUCTS = 2000
DEFAULT_SEED = 42
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
MAX_IMAGES = 4
# How many of a product's colours are offered: mostly one or two.
COLOUR_COUNT_WEIGHTS = {1: 4, 2: 3, 3: 2, 4: 1}
# Products made in a single colour that are named after it rather than their material.
NAMED_BY_COLOUR_SHARE = 0.6
# Cents taken off a whole-euro price: prices end in .00, .95 or .99.
PRICE_ENDINGS = (0, 5, 1)
# Hand-picked rails choose among this many live products of the first chunk.
RAIL_CANDIDATES = 200
RAIL_LIMIT = 8

BRANDS = (
    "Northwind",
    "Maison Fleur",
    "Aldgate & Co",
    "Kestrel",
    "Fjordline",
    "Lumen Home",
    "Oak & Ember",
    "Solstice",
    "Brixton Row",
    "Tidewater",
    "Marlowe",
    "Pinecrest",
)
COLOURS = (
    "Black",
    "White",
    "Navy",
    "Grey",
    "Sage",
    "Sand",
    "Terracotta",
    "Burgundy",
    "Olive",
    "Ivory",
    "Rust",
    "Sky Blue",
)
CLOTHING_SIZES = ("XS", "S", "M", "L", "XL")
SHOE_SIZES = tuple(str(size) for size in range(36, 46))
WOMEN_SHOE_SIZES = SHOE_SIZES[:7]  # 36-42
MEN_SHOE_SIZES = SHOE_SIZES[3:]  # 39-45
ORIGINS = ("Portugal", "Italy", "Spain", "Turkey", "India", "Romania", "Vietnam", "Poland")
IMAGE_VIEWS = ("front view", "side view", "close-up", "back view")
CLOSING_SENTENCES = (
    "Each piece is checked by hand before it ships.",
    "Designed in our studio and made to last.",
    "Free returns within 30 days.",
    "A quiet favourite that goes with everything.",
)


@dataclass(frozen=True)
class ProductKind:
    """What products of one family share: naming, attributes, copy and picture shape."""

    adjectives: tuple[str, ...]
    material_label: str
    # Attributes beyond the material, in the order a product page lists them.
    attributes: tuple[tuple[str, tuple[str, ...]], ...]
    sentences: tuple[str, ...]
    image_size: tuple[int, int]


CLOTHING = ProductKind(
    adjectives=(
        "Relaxed",
        "Tailored",
        "Cropped",
        "Essential",
        "Classic",
        "Everyday",
        "Soft",
        "Oversized",
        "Fitted",
        "Weekend",
    ),
    material_label="Material",
    attributes=(
        ("Fit", ("Regular fit", "Slim fit", "Relaxed fit", "Oversized fit")),
        (
            "Care",
            ("Machine wash at 30°C", "Machine wash at 40°C", "Hand wash only", "Dry clean only"),
        ),
        ("Origin", ORIGINS),
    ),
    sentences=(
        "Cut for comfort from morning to evening.",
        "It layers easily and keeps its shape wash after wash.",
        "The fabric softens a little more every time you wear it.",
    ),
    image_size=(800, 1000),
)
SHOES = ProductKind(
    adjectives=(
        "Classic",
        "Lightweight",
        "Retro",
        "Chunky",
        "Everyday",
        "City",
        "Heritage",
        "Low-Profile",
    ),
    material_label="Upper",
    attributes=(
        ("Sole", ("Natural rubber", "EVA foam", "Leather", "Crepe rubber")),
        ("Fit", ("True to size", "Runs small: take half a size up", "Wide fit")),
        ("Origin", ORIGINS),
    ),
    sentences=(
        "A cushioned footbed keeps you comfortable all day.",
        "Comfortable from the first wear, no breaking in needed.",
        "The grippy sole copes with wet pavements.",
    ),
    image_size=(800, 1000),
)
ACCESSORIES = ProductKind(
    adjectives=(
        "Classic",
        "Everyday",
        "Structured",
        "Slouchy",
        "Minimal",
        "Weekend",
        "Heritage",
        "Woven",
    ),
    material_label="Material",
    attributes=(
        ("Lining", ("Cotton", "Recycled polyester", "Unlined")),
        ("Care", ("Wipe clean", "Spot clean", "Hand wash only")),
        ("Origin", ORIGINS),
    ),
    sentences=(
        "The finishing touch for an everyday outfit.",
        "Small enough to carry anywhere, tough enough for daily use.",
        "It gets better with age.",
    ),
    image_size=(800, 800),
)
GEAR = ProductKind(
    adjectives=(
        "Lightweight",
        "Packable",
        "Alpine",
        "Rugged",
        "Compact",
        "Expedition",
        "Ultralight",
        "Trail",
    ),
    material_label="Material",
    attributes=(
        ("Warranty", ("2 years", "5 years", "Lifetime")),
        ("Care", ("Wipe clean", "Hand wash only", "Dishwasher safe")),
        ("Origin", ORIGINS),
    ),
    sentences=(
        "Tested in the mountains in every season.",
        "Built to take knocks on the trail and in the car boot.",
        "Light enough that you will forget you packed it.",
    ),
    image_size=(800, 800),
)
HOMEWARE = ProductKind(
    adjectives=(
        "Handmade",
        "Speckled",
        "Classic",
        "Soft",
        "Woven",
        "Minimal",
        "Rustic",
        "Nordic",
        "Textured",
    ),
    material_label="Material",
    attributes=(
        ("Finish", ("Matt", "Gloss", "Natural", "Brushed")),
        ("Care", ("Dishwasher safe", "Machine wash at 40°C", "Spot clean", "Hand wash only")),
        ("Origin", ORIGINS),
    ),
    sentences=(
        "Made in small batches, so no two are quite alike.",
        "An easy way to make a room feel finished.",
        "It is made to be used every day, not kept for best.",
    ),
    image_size=(800, 800),
)


@dataclass(frozen=True)
class Leaf:
    """A bottom-level category and what its products are made of."""

    slug: str
    name: str
    description: str
    kind: ProductKind
    nouns: tuple[str, ...]
    materials: tuple[str, ...]
    price_eur: tuple[int, int]
    sizes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    slug: str
    name: str
    description: str
    leaves: tuple[Leaf, ...]


@dataclass(frozen=True)
class Department:
    slug: str
    name: str
    description: str
    brands: tuple[str, ...]
    sections: tuple[Section, ...]


# The tree is the same for every seed, so links in landing pages, docs and tests stay valid;
# the seed varies the products. Words here must hold no digits: see _SlugAllocator.
TAXONOMY = (
    Department(
        "women",
        "Women",
        "Clothing, shoes and accessories for women.",
        brands=("Maison Fleur", "Aldgate & Co", "Solstice", "Marlowe", "Tidewater", "Kestrel"),
        sections=(
            Section(
                "clothing",
                "Clothing",
                "Dresses, tops and knitwear for every day.",
                (
                    Leaf(
                        "dresses",
                        "Dresses",
                        "Easy dresses from weekday to evening.",
                        CLOTHING,
                        ("Dress", "Midi Dress", "Wrap Dress", "Shirt Dress"),
                        ("Linen", "Cotton", "Viscose", "Silk", "Jersey"),
                        (30, 240),
                        CLOTHING_SIZES,
                    ),
                    Leaf(
                        "tops",
                        "Tops",
                        "T-shirts, blouses and shirts to build on.",
                        CLOTHING,
                        ("T-Shirt", "Blouse", "Tank Top", "Shirt"),
                        ("Cotton", "Linen", "Jersey", "Silk", "Modal"),
                        (12, 95),
                        CLOTHING_SIZES,
                    ),
                    Leaf(
                        "knitwear",
                        "Knitwear",
                        "Jumpers and cardigans in natural yarns.",
                        CLOTHING,
                        ("Jumper", "Cardigan", "Roll Neck", "Knitted Vest"),
                        ("Merino", "Cashmere", "Cotton", "Alpaca", "Wool"),
                        (35, 290),
                        CLOTHING_SIZES,
                    ),
                ),
            ),
            Section(
                "shoes",
                "Shoes",
                "Trainers, boots and sandals for women.",
                (
                    Leaf(
                        "trainers",
                        "Trainers",
                        "Trainers for city miles and weekends.",
                        SHOES,
                        ("Trainers", "Runners", "Sneakers"),
                        ("Suede", "Leather", "Canvas", "Mesh", "Knit"),
                        (45, 190),
                        WOMEN_SHOE_SIZES,
                    ),
                    Leaf(
                        "boots",
                        "Boots",
                        "Ankle, Chelsea and knee-high boots.",
                        SHOES,
                        ("Ankle Boots", "Chelsea Boots", "Knee Boots"),
                        ("Leather", "Suede", "Nubuck"),
                        (80, 380),
                        WOMEN_SHOE_SIZES,
                    ),
                    Leaf(
                        "sandals",
                        "Sandals",
                        "Sandals, slides and espadrilles for warm days.",
                        SHOES,
                        ("Sandals", "Slides", "Espadrilles"),
                        ("Leather", "Raffia", "Suede", "Cork"),
                        (20, 140),
                        WOMEN_SHOE_SIZES,
                    ),
                ),
            ),
            Section(
                "accessories",
                "Accessories",
                "Bags and scarves to finish an outfit.",
                (
                    Leaf(
                        "bags",
                        "Bags",
                        "Totes, crossbody bags and clutches.",
                        ACCESSORIES,
                        ("Tote", "Crossbody Bag", "Shopper", "Clutch"),
                        ("Leather", "Canvas", "Suede", "Straw"),
                        (25, 620),
                    ),
                    Leaf(
                        "scarves",
                        "Scarves",
                        "Light silks and warm wool wraps.",
                        ACCESSORIES,
                        ("Scarf", "Wrap", "Bandana"),
                        ("Silk", "Wool", "Cashmere", "Cotton"),
                        (9, 160),
                    ),
                ),
            ),
        ),
    ),
    Department(
        "men",
        "Men",
        "Clothing, shoes and accessories for men.",
        brands=("Aldgate & Co", "Brixton Row", "Northwind", "Kestrel", "Marlowe", "Tidewater"),
        sections=(
            Section(
                "clothing",
                "Clothing",
                "Shirts, trousers and jackets for men.",
                (
                    Leaf(
                        "shirts",
                        "Shirts",
                        "Oxfords, overshirts and linen shirts.",
                        CLOTHING,
                        ("Shirt", "Oxford Shirt", "Overshirt"),
                        ("Cotton", "Linen", "Flannel", "Denim", "Chambray"),
                        (25, 130),
                        CLOTHING_SIZES,
                    ),
                    Leaf(
                        "trousers",
                        "Trousers",
                        "Chinos, jeans and smart trousers.",
                        CLOTHING,
                        ("Chinos", "Trousers", "Cargo Trousers", "Jeans"),
                        ("Cotton", "Denim", "Wool", "Corduroy", "Linen"),
                        (35, 180),
                        CLOTHING_SIZES,
                    ),
                    Leaf(
                        "jackets",
                        "Jackets",
                        "Blazers, bombers and overcoats.",
                        CLOTHING,
                        ("Jacket", "Overcoat", "Bomber", "Blazer"),
                        ("Wool", "Cotton", "Leather", "Tweed", "Corduroy"),
                        (70, 480),
                        CLOTHING_SIZES,
                    ),
                ),
            ),
            Section(
                "shoes",
                "Shoes",
                "Trainers and boots for men.",
                (
                    Leaf(
                        "trainers",
                        "Trainers",
                        "Clean court styles and cushioned runners.",
                        SHOES,
                        ("Trainers", "Runners", "Sneakers"),
                        ("Suede", "Leather", "Canvas", "Mesh"),
                        (50, 210),
                        MEN_SHOE_SIZES,
                    ),
                    Leaf(
                        "boots",
                        "Boots",
                        "Chelsea, derby and work boots.",
                        SHOES,
                        ("Chelsea Boots", "Derby Boots", "Work Boots"),
                        ("Leather", "Suede", "Nubuck"),
                        (90, 390),
                        MEN_SHOE_SIZES,
                    ),
                ),
            ),
            Section(
                "accessories",
                "Accessories",
                "Belts and hats.",
                (
                    Leaf(
                        "belts",
                        "Belts",
                        "Leather and canvas belts that last.",
                        ACCESSORIES,
                        ("Belt", "Braided Belt", "Dress Belt"),
                        ("Leather", "Suede", "Canvas", "Webbing"),
                        (15, 95),
                    ),
                    Leaf(
                        "hats",
                        "Hats",
                        "Beanies, caps and flat caps.",
                        ACCESSORIES,
                        ("Beanie", "Cap", "Bucket Hat", "Flat Cap"),
                        ("Wool", "Cotton", "Tweed", "Merino"),
                        (9, 70),
                    ),
                ),
            ),
        ),
    ),
    Department(
        "outdoor",
        "Outdoor",
        "Clothing, footwear and gear for hills, trails and campsites.",
        brands=("Northwind", "Fjordline", "Pinecrest", "Kestrel", "Tidewater"),
        sections=(
            Section(
                "clothing",
                "Clothing",
                "Layers that keep out wind, rain and cold.",
                (
                    Leaf(
                        "rain-jackets",
                        "Rain jackets",
                        "Waterproof shells and parkas.",
                        CLOTHING,
                        ("Rain Jacket", "Shell Jacket", "Parka"),
                        ("Recycled Nylon", "Waxed Cotton", "Ripstop"),
                        (60, 420),
                        CLOTHING_SIZES,
                    ),
                    Leaf(
                        "fleeces",
                        "Fleeces",
                        "Warm mid-layers for cold starts.",
                        CLOTHING,
                        ("Fleece", "Half-Zip Fleece", "Fleece Gilet"),
                        ("Recycled Polyester", "Sherpa", "Brushed Polyester"),
                        (30, 150),
                        CLOTHING_SIZES,
                    ),
                    Leaf(
                        "base-layers",
                        "Base layers",
                        "Next-to-skin layers that wick and warm.",
                        CLOTHING,
                        ("Base Layer Top", "Base Layer Leggings", "Thermal Top"),
                        ("Merino", "Bamboo", "Polyester"),
                        (20, 110),
                        CLOTHING_SIZES,
                    ),
                ),
            ),
            Section(
                "footwear",
                "Footwear",
                "Boots and shoes for trails and hills.",
                (
                    Leaf(
                        "hiking-boots",
                        "Hiking boots",
                        "Supportive boots for long days out.",
                        SHOES,
                        ("Hiking Boots", "Trekking Boots", "Walking Boots"),
                        ("Leather", "Nubuck", "Suede"),
                        (90, 340),
                        SHOE_SIZES,
                    ),
                    Leaf(
                        "trail-shoes",
                        "Trail shoes",
                        "Light, grippy shoes for running off-road.",
                        SHOES,
                        ("Trail Shoes", "Trail Runners", "Approach Shoes"),
                        ("Mesh", "Knit", "Ripstop"),
                        (70, 210),
                        SHOE_SIZES,
                    ),
                ),
            ),
            Section(
                "gear",
                "Gear",
                "Packs, bottles and shelters.",
                (
                    Leaf(
                        "backpacks",
                        "Backpacks",
                        "Daypacks and rucksacks for every trip.",
                        GEAR,
                        ("Backpack", "Daypack", "Rucksack"),
                        ("Ripstop", "Canvas", "Recycled Nylon", "Waxed Cotton"),
                        (25, 280),
                    ),
                    Leaf(
                        "water-bottles",
                        "Water bottles",
                        "Bottles and flasks that keep drinks hot or cold.",
                        GEAR,
                        ("Water Bottle", "Flask", "Travel Mug"),
                        ("Stainless Steel", "Glass", "Aluminium"),
                        (6, 45),
                    ),
                    Leaf(
                        "tents",
                        "Tents",
                        "Shelters from one-night tarps to family domes.",
                        GEAR,
                        ("Tent", "Dome Tent", "Tarp Shelter"),
                        ("Ripstop", "Canvas", "Silnylon"),
                        (90, 640),
                    ),
                ),
            ),
        ),
    ),
    Department(
        "home",
        "Home",
        "Textiles, tableware and bedding for a calmer home.",
        brands=("Lumen Home", "Oak & Ember", "Maison Fleur", "Pinecrest", "Solstice", "Fjordline"),
        sections=(
            Section(
                "living",
                "Living",
                "Cushions, throws and rugs.",
                (
                    Leaf(
                        "cushions",
                        "Cushions",
                        "Cushions in linen, velvet and boucle.",
                        HOMEWARE,
                        ("Cushion", "Floor Cushion", "Bolster"),
                        ("Linen", "Velvet", "Cotton", "Boucle"),
                        (12, 70),
                    ),
                    Leaf(
                        "throws",
                        "Throws",
                        "Blankets and throws for the sofa and bed.",
                        HOMEWARE,
                        ("Throw", "Blanket"),
                        ("Wool", "Cotton", "Alpaca", "Mohair"),
                        (30, 220),
                    ),
                    Leaf(
                        "rugs",
                        "Rugs",
                        "Hand-woven rugs and runners.",
                        HOMEWARE,
                        ("Rug", "Runner", "Doormat"),
                        ("Jute", "Wool", "Cotton", "Sisal"),
                        (40, 650),
                    ),
                ),
            ),
            Section(
                "kitchen",
                "Kitchen",
                "Mugs and tableware for every day.",
                (
                    Leaf(
                        "mugs",
                        "Mugs",
                        "Mugs and cups for the first coffee of the day.",
                        HOMEWARE,
                        ("Mug", "Cup", "Espresso Cup"),
                        ("Stoneware", "Porcelain", "Ceramic", "Enamel"),
                        (5, 28),
                    ),
                    Leaf(
                        "tableware",
                        "Tableware",
                        "Plates, bowls and serving dishes.",
                        HOMEWARE,
                        ("Plate", "Bowl", "Serving Dish", "Salad Bowl"),
                        ("Stoneware", "Porcelain", "Glass", "Oak"),
                        (8, 130),
                    ),
                ),
            ),
            Section(
                "bedroom",
                "Bedroom",
                "Bedding and towels.",
                (
                    Leaf(
                        "bedding",
                        "Bedding",
                        "Duvet covers and sheets in natural fibres.",
                        HOMEWARE,
                        ("Duvet Cover", "Sheet Set", "Pillowcases"),
                        ("Linen", "Cotton Percale", "Cotton Sateen"),
                        (30, 260),
                    ),
                    Leaf(
                        "towels",
                        "Towels",
                        "Thick, absorbent towels.",
                        HOMEWARE,
                        ("Bath Towel", "Hand Towel", "Bath Sheet"),
                        ("Cotton", "Waffle Cotton", "Linen", "Turkish Cotton"),
                        (8, 65),
                    ),
                ),
            ),
        ),
    ),
)


@dataclass(frozen=True)
class DemoCategory:
    """A generated category row plus what product generation needs to know about it."""

    id: int
    parent_id: int | None
    slug: str
    name: str
    description: str
    depth: int
    position: int
    brands: tuple[str, ...]
    leaf: Leaf | None = None

    def row(self) -> Row:
        return {
            "id": self.id,
            "parent_id": self.parent_id,
            "slug": self.slug,
            "name": self.name,
            "description": self.description,
            "depth": self.depth,
            "position": self.position,
        }


@dataclass
class ProductChunk:
    """The rows of up to CHUNK_SIZE products, for one insert per table."""

    products: list[Row] = field(default_factory=list)
    images: list[Row] = field(default_factory=list)
    variants: list[Row] = field(default_factory=list)
    attributes: list[Row] = field(default_factory=list)
    old_slugs: list[Row] = field(default_factory=list)


@dataclass
class LandingRows:
    pages: list[Row] = field(default_factory=list)
    blocks: list[Row] = field(default_factory=list)
    banners: list[Row] = field(default_factory=list)
    rail_products: list[Row] = field(default_factory=list)


@dataclass(frozen=True)
class SeedSummary:
    categories: int
    products: int
    variants: int
    images: int
    landing_pages: int
    discontinued: int
    moved: int


def generate_categories() -> list[DemoCategory]:
    """The three-level tree, parents before children (the order the rows can be inserted in)."""
    categories: list[DemoCategory] = []
    ids = itertools.count(1)
    for dept_position, dept in enumerate(TAXONOMY):
        top = DemoCategory(
            next(ids), None, dept.slug, dept.name, dept.description, 0, dept_position, dept.brands
        )
        categories.append(top)
        for section_position, section in enumerate(dept.sections):
            middle = DemoCategory(
                next(ids),
                top.id,
                f"{top.slug}-{section.slug}",
                section.name,
                section.description,
                1,
                section_position,
                dept.brands,
            )
            categories.append(middle)
            for leaf_position, leaf in enumerate(section.leaves):
                categories.append(
                    DemoCategory(
                        next(ids),
                        middle.id,
                        f"{middle.slug}-{leaf.slug}",
                        leaf.name,
                        leaf.description,
                        2,
                        leaf_position,
                        dept.brands,
                        leaf,
                    )
                )
    return categories


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
    vocabulary (about 14,000 possible names), not by the number of products. Uniqueness
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
        kind = leaf.kind
        product_id = index + 1
        sku = f"VT{product_id:08d}"
        colour_count = rng.choices(list(COLOUR_COUNT_WEIGHTS), list(COLOUR_COUNT_WEIGHTS.values()))
        colours = rng.sample(COLOURS, colour_count[0])
        material = rng.choice(leaf.materials)
        noun = rng.choice(leaf.nouns)
        # Names say the material ("Relaxed Linen Shirt") or, for a product made in one colour
        # only, often that colour ("Relaxed Sage Shirt").
        one_colour = len(colours) == 1 and rng.random() < NAMED_BY_COLOUR_SHARE
        descriptor = colours[0] if one_colour else material
        name = f"{rng.choice(kind.adjectives)} {descriptor} {noun}"
        brand = rng.choice(category.brands)
        slug = self._slugs.allocate(name)
        price = _price(rng, *leaf.price_eur)
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
                    rng, kind, noun=noun, brand=brand, material=material, colours=colours
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

        width, height = kind.image_size
        for position in range(rng.randint(1, MAX_IMAGES)):
            colour = colours[position % len(colours)]
            chunk.images.append(
                {
                    "product_id": product_id,
                    "position": position,
                    "url": f"/media/demo/products/{product_id}-{position + 1}.svg",
                    "alt": f"{name} in {colour.lower()}, {IMAGE_VIEWS[position]}",
                    "width": width,
                    "height": height,
                }
            )

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

        extra = sorted(rng.sample(range(len(kind.attributes)), rng.randint(1, 3)))
        attributes = [(kind.material_label, material)]
        attributes += [(kind.attributes[i][0], rng.choice(kind.attributes[i][1])) for i in extra]
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


def _description(
    rng: random.Random,
    kind: ProductKind,
    *,
    noun: str,
    brand: str,
    material: str,
    colours: Sequence[str],
) -> str:
    plural = noun.endswith("s") and not noun.endswith("ss")  # "Boots" but not "Dress"
    this, be = ("These", "are") if plural else ("This", "is")
    sentences = [
        f"{this} {noun.lower()} from {brand} {be} made from {material.lower()}.",
        rng.choice(kind.sentences),
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


# Banner date windows, as (starts, ends) offsets from REFERENCE_TIME; None leaves a side open.
# The site is also browsed long after REFERENCE_TIME, so every banner block holds at least one
# ALWAYS banner and never ends up empty.
_Window = tuple[timedelta | None, timedelta | None]
ALWAYS: _Window = (None, None)
CURRENT: _Window = (-timedelta(days=14), timedelta(days=120))
ENDED: _Window = (-timedelta(days=150), -timedelta(days=30))
UPCOMING: _Window = (timedelta(days=70), timedelta(days=100))
STARTED: _Window = (-timedelta(days=7), None)

SORT_MERCHANDISED = catalog_pb2.PRODUCT_SORT_UNSPECIFIED
SORT_PRICE_ASC = catalog_pb2.PRODUCT_SORT_PRICE_ASC
SORT_PRICE_DESC = catalog_pb2.PRODUCT_SORT_PRICE_DESC
SORT_NEWEST = catalog_pb2.PRODUCT_SORT_NEWEST
SORT_NAME = catalog_pb2.PRODUCT_SORT_NAME


@dataclass(frozen=True)
class _Banner:
    title: str
    link: str  # "/c/<category slug>" or "/l/<landing slug>"
    alt: str
    window: _Window


@dataclass(frozen=True)
class _Banners:
    title: str
    banners: tuple[_Banner, ...]


@dataclass(frozen=True)
class _Rail:
    title: str
    category_slug: str | None = None  # None: hand-picked products
    sort: int = SORT_MERCHANDISED


@dataclass(frozen=True)
class _Page:
    slug: str
    title: str
    description: str
    updated_days_ago: int
    blocks: tuple[_Banners | _Rail, ...]


LANDING_PAGES = (
    _Page(
        "home",
        "Vitrine: clothing, shoes and homeware",
        "Clothing, shoes, outdoor gear and homeware from independent brands, delivered free "
        "across Europe.",
        updated_days_ago=2,
        blocks=(
            _Banners(
                "Highlights",
                (
                    _Banner(
                        "The winter sale: up to 40% off",
                        "/l/winter-sale",
                        "A model in a camel wool overcoat on a snowy street",
                        CURRENT,
                    ),
                    _Banner(
                        "New arrivals",
                        "/l/new-arrivals",
                        "A rail of new-season knitwear in autumn colours",
                        ALWAYS,
                    ),
                    _Banner(
                        "The linen edit",
                        "/c/women-clothing-dresses",
                        "A white linen dress drying in the sun",
                        ENDED,
                    ),
                    _Banner(
                        "Gifts for the holidays",
                        "/c/home-living",
                        "Wrapped presents beside a wool throw and cushions",
                        UPCOMING,
                    ),
                ),
            ),
            _Rail("New in: women's shoes", "women-shoes", SORT_NEWEST),
            _Rail("Editor's picks"),
            _Banners(
                "Shop by department",
                (
                    _Banner("Women", "/c/women", "A woman in a knitted cardigan and boots", ALWAYS),
                    _Banner("Men", "/c/men", "A man in an overshirt and chinos", ALWAYS),
                    _Banner("Outdoor", "/c/outdoor", "Hikers on a ridge in rain jackets", ALWAYS),
                    _Banner("Home", "/c/home", "A sofa with linen cushions and a throw", ALWAYS),
                ),
            ),
            _Rail("Home favourites", "home", SORT_MERCHANDISED),
        ),
    ),
    _Page(
        "winter-sale",
        "The winter sale",
        "Up to 40% off coats, knitwear, boots and blankets while stocks last.",
        updated_days_ago=5,
        blocks=(
            _Banners(
                "The winter sale",
                (
                    _Banner(
                        "Up to 40% off coats and jackets",
                        "/c/men-clothing-jackets",
                        "Wool overcoats on a clothes rail",
                        ALWAYS,
                    ),
                    _Banner(
                        "Knitwear from 25 EUR",
                        "/c/women-clothing-knitwear",
                        "A stack of folded merino jumpers",
                        STARTED,
                    ),
                    _Banner(
                        "Last chance: final reductions",
                        "/c/outdoor",
                        "A red sale tag on a rain jacket",
                        UPCOMING,
                    ),
                ),
            ),
            _Rail("Knitwear, lowest prices first", "women-clothing-knitwear", SORT_PRICE_ASC),
            _Rail("Boots worth investing in", "men-shoes-boots", SORT_PRICE_DESC),
            _Rail("Sale picks"),
        ),
    ),
    _Page(
        "new-arrivals",
        "New arrivals",
        "The newest clothing, shoes and homeware, added every week.",
        updated_days_ago=1,
        blocks=(
            _Banners(
                "Just in",
                (
                    _Banner(
                        "New this week", "/c/women", "A model in a new-season midi dress", ALWAYS
                    ),
                    _Banner(
                        "The new homeware collection",
                        "/c/home-kitchen",
                        "Speckled stoneware mugs on an oak shelf",
                        CURRENT,
                    ),
                ),
            ),
            _Rail("New for women", "women", SORT_NEWEST),
            _Rail("New for men", "men", SORT_NEWEST),
            _Rail("Outdoor gear A to Z", "outdoor-gear", SORT_NAME),
        ),
    ),
)


def generate_landings(
    rng: random.Random, categories: Sequence[DemoCategory], rail_candidates: Sequence[int]
) -> LandingRows:
    """The home page and the landing pages; hand-picked rails draw from `rail_candidates`."""
    category_ids = {category.slug: category.id for category in categories}
    page_slugs = {page.slug for page in LANDING_PAGES}
    rows = LandingRows()
    block_ids = itertools.count(1)
    banner_ids = itertools.count(1)
    for page_id, page in enumerate(LANDING_PAGES, start=1):
        rows.pages.append(
            {
                "id": page_id,
                "slug": page.slug,
                "title": page.title,
                "description": page.description,
                "updated_at": REFERENCE_TIME - timedelta(days=page.updated_days_ago),
            }
        )
        for position, block in enumerate(page.blocks):
            block_id = next(block_ids)
            row = {
                "id": block_id,
                "page_id": page_id,
                "position": position,
                "title": block.title,
                "rail_category_id": None,
                "rail_sort": SORT_MERCHANDISED,
                "rail_limit": RAIL_LIMIT,
            }
            rows.blocks.append(row)
            if isinstance(block, _Banners):
                row["kind"] = "banners"
                for banner_position, banner in enumerate(block.banners):
                    _check_link(banner.link, category_ids, page_slugs)
                    banner_id = next(banner_ids)
                    starts, ends = banner.window
                    rows.banners.append(
                        {
                            "id": banner_id,
                            "block_id": block_id,
                            "position": banner_position,
                            "title": banner.title,
                            "link": banner.link,
                            "image_url": f"/media/demo/banners/{banner_id}.svg",
                            "alt": banner.alt,
                            "starts_at": None if starts is None else REFERENCE_TIME + starts,
                            "ends_at": None if ends is None else REFERENCE_TIME + ends,
                        }
                    )
            else:
                row["kind"] = "rail"
                row["rail_sort"] = block.sort
                if block.category_slug is not None:
                    row["rail_category_id"] = category_ids[block.category_slug]
                else:
                    picks = rng.sample(list(rail_candidates), min(RAIL_LIMIT, len(rail_candidates)))
                    rows.rail_products.extend(
                        {"block_id": block_id, "position": pick_position, "product_id": product_id}
                        for pick_position, product_id in enumerate(picks)
                    )
    return rows


def _check_link(link: str, category_ids: dict[str, int], page_slugs: set[str]) -> None:
    # A typo in the editorial data above would otherwise ship as a banner leading to a 404.
    prefix, _, slug = link.rpartition("/")
    if not ((prefix == "/c" and slug in category_ids) or (prefix == "/l" and slug in page_slugs)):
        raise ValueError(f"demo banner link {link!r} leads nowhere")


def seeded_rng(seed: int, part: str) -> random.Random:
    """The random stream of one part of the catalogue ("products", "landings")."""
    # One stream per part, so that changing how landings are drawn leaves products unchanged.
    # String seeds are hashed with SHA-512, the same in every process (not hash()).
    return random.Random(f"{seed}:{part}")  # noqa: S311 - demo data, not secrets


async def seed_demo(
    engine: AsyncEngine,
    *,
    products: int = DEFAULT_PRODUCTS,
    seed: int = DEFAULT_SEED,
    progress: bool = False,
) -> SeedSummary:
    """Replace the whole catalogue (every table of api.schema) with a generated one."""
    await migrate(engine)
    await _delete_everything(engine)
    categories = generate_categories()
    async with engine.begin() as conn:
        await conn.execute(schema.categories.insert(), [c.row() for c in categories])

    variants = images = discontinued = moved = 0
    rail_candidates: list[int] = []
    chunks = generate_products(seeded_rng(seed, "products"), categories, products)
    with tqdm(total=products, unit=" products", file=sys.stderr, disable=not progress) as bar:
        for chunk in chunks:
            # One transaction per chunk: memory stays flat and the SQLite WAL is checkpointed
            # as we go instead of growing to the size of the database.
            async with engine.begin() as conn:
                await _insert_chunk(conn, chunk)
            if not rail_candidates:
                rail_candidates = live_product_ids(chunk)[:RAIL_CANDIDATES]
            variants += len(chunk.variants)
            images += len(chunk.images)
            discontinued += sum(1 for p in chunk.products if p["discontinued"])
            moved += len(chunk.old_slugs)
            bar.update(len(chunk.products))

    landings = generate_landings(seeded_rng(seed, "landings"), categories, rail_candidates)
    async with engine.begin() as conn:
        await _insert(conn, schema.landing_pages, landings.pages)
        await _insert(conn, schema.landing_blocks, landings.blocks)
        await _insert(conn, schema.banners, landings.banners)
        await _insert(conn, schema.landing_rail_products, landings.rail_products)
        await _advance_postgres_sequences(conn)
    return SeedSummary(
        categories=len(categories),
        products=products,
        variants=variants,
        images=images,
        landing_pages=len(landings.pages),
        discontinued=discontinued,
        moved=moved,
    )


async def _delete_everything(engine: AsyncEngine) -> None:
    # Children before parents, so foreign keys hold at every step on both databases.
    async with engine.begin() as conn:
        for table in reversed(schema.metadata.sorted_tables):
            await conn.execute(table.delete())


async def _advance_postgres_sequences(conn: AsyncConnection) -> None:
    # Rows were written with explicit ids, which PostgreSQL sequences do not see: move each
    # sequence past its table's highest id so that later inserts do not collide. (SQLite
    # takes the next rowid from the table itself.) setval() of an empty table's NULL is a no-op.
    if conn.dialect.name != "postgresql":
        return
    for table in schema.metadata.sorted_tables:
        column = table.autoincrement_column
        if column is not None:
            highest = select(func.max(column)).scalar_subquery()
            sequence = func.pg_get_serial_sequence(table.name, column.name)
            await conn.execute(select(func.setval(sequence, highest)))


async def _insert_chunk(conn: AsyncConnection, chunk: ProductChunk) -> None:
    await _insert(conn, schema.products, chunk.products)
    await _insert(conn, schema.product_old_slugs, chunk.old_slugs)
    await _insert(conn, schema.product_images, chunk.images)
    await _insert(conn, schema.variants, chunk.variants)
    await _insert(conn, schema.product_attributes, chunk.attributes)


async def _insert(conn: AsyncConnection, table: Table, rows: list[Row]) -> None:
    # executemany; an empty list would instead run one INSERT with no values.
    if rows:
        await conn.execute(table.insert(), rows)
