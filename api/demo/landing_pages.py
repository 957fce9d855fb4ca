"""Data: the demo's home page and landing pages, block by block (banners and product rails)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from contract import catalog_pb2

# Banner date windows, as (starts, ends) offsets from the catalogue's REFERENCE_TIME
# (products.py); None leaves a side open. The site is also browsed long after REFERENCE_TIME,
# so every banner block holds at least one ALWAYS banner and never ends up empty.
Window = tuple[timedelta | None, timedelta | None]
ALWAYS: Window = (None, None)
CURRENT: Window = (-timedelta(days=14), timedelta(days=120))
ENDED: Window = (-timedelta(days=150), -timedelta(days=30))
UPCOMING: Window = (timedelta(days=70), timedelta(days=100))
STARTED: Window = (-timedelta(days=7), None)

SORT_MERCHANDISED = catalog_pb2.PRODUCT_SORT_UNSPECIFIED
SORT_PRICE_ASC = catalog_pb2.PRODUCT_SORT_PRICE_ASC
SORT_PRICE_DESC = catalog_pb2.PRODUCT_SORT_PRICE_DESC
SORT_NEWEST = catalog_pb2.PRODUCT_SORT_NEWEST
SORT_NAME = catalog_pb2.PRODUCT_SORT_NAME


@dataclass(frozen=True)
class Banner:
    title: str
    link: str  # "/c/<category slug>" or "/l/<landing slug>"
    alt: str
    window: Window


@dataclass(frozen=True)
class Banners:
    title: str
    banners: tuple[Banner, ...]


@dataclass(frozen=True)
class Rail:
    title: str
    category_slug: str | None = None  # None: hand-picked products
    sort: int = SORT_MERCHANDISED


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    description: str
    updated_days_ago: int
    blocks: tuple[Banners | Rail, ...]


LANDING_PAGES = (
    Page(
        "home",
        "Vitrine: clothing, shoes and homeware",
        "Clothing, shoes, outdoor gear and homeware from independent brands, delivered free "
        "across Europe.",
        updated_days_ago=2,
        blocks=(
            Banners(
                "Highlights",
                (
                    Banner(
                        "The winter sale: up to 40% off",
                        "/l/winter-sale",
                        "A model in a camel wool overcoat on a snowy street",
                        CURRENT,
                    ),
                    Banner(
                        "New arrivals",
                        "/l/new-arrivals",
                        "A rail of new-season knitwear in autumn colours",
                        ALWAYS,
                    ),
                    Banner(
                        "The linen edit",
                        "/c/women-clothing-dresses",
                        "A white linen dress drying in the sun",
                        ENDED,
                    ),
                    Banner(
                        "Gifts for the holidays",
                        "/c/home-living",
                        "Wrapped presents beside a wool throw and cushions",
                        UPCOMING,
                    ),
                ),
            ),
            Rail("New in: women's shoes", "women-shoes", SORT_NEWEST),
            Rail("Editor's picks"),
            Banners(
                "Shop by department",
                (
                    Banner("Women", "/c/women", "A woman in a knitted cardigan and boots", ALWAYS),
                    Banner("Men", "/c/men", "A man in an overshirt and chinos", ALWAYS),
                    Banner("Outdoor", "/c/outdoor", "Hikers on a ridge in rain jackets", ALWAYS),
                    Banner("Home", "/c/home", "A sofa with linen cushions and a throw", ALWAYS),
                ),
            ),
            Rail("Home favourites", "home", SORT_MERCHANDISED),
        ),
    ),
    Page(
        "winter-sale",
        "The winter sale",
        "Up to 40% off coats, knitwear, boots and blankets while stocks last.",
        updated_days_ago=5,
        blocks=(
            Banners(
                "The winter sale",
                (
                    Banner(
                        "Up to 40% off coats and jackets",
                        "/c/men-clothing-jackets",
                        "Wool overcoats on a clothes rail",
                        ALWAYS,
                    ),
                    Banner(
                        "Knitwear from 25 EUR",
                        "/c/women-clothing-knitwear",
                        "A stack of folded merino jumpers",
                        STARTED,
                    ),
                    Banner(
                        "Last chance: final reductions",
                        "/c/outdoor",
                        "A red sale tag on a rain jacket",
                        UPCOMING,
                    ),
                ),
            ),
            Rail("Knitwear, lowest prices first", "women-clothing-knitwear", SORT_PRICE_ASC),
            Rail("Boots worth investing in", "men-shoes-boots", SORT_PRICE_DESC),
            Rail("Sale picks"),
        ),
    ),
    Page(
        "new-arrivals",
        "New arrivals",
        "The newest clothing, shoes and homeware, added every week.",
        updated_days_ago=1,
        blocks=(
            Banners(
                "Just in",
                (
                    Banner(
                        "New this week", "/c/women", "A model in a new-season midi dress", ALWAYS
                    ),
                    Banner(
                        "The new homeware collection",
                        "/c/home-kitchen",
                        "Speckled stoneware mugs on an oak shelf",
                        CURRENT,
                    ),
                ),
            ),
            Rail("New for women", "women", SORT_NEWEST),
            Rail("New for men", "men", SORT_NEWEST),
            Rail("Outdoor gear A to Z", "outdoor-gear", SORT_NAME),
        ),
    ),
)
