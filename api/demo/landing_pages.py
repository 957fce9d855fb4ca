"""Data: the demo's home page and landing pages, block by block (banners and product rails)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from api.demo import kinds
from api.demo.kinds import Kind
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


# What each backdrop of web/demo_pictures/render.py looks like, for alt texts.
BACKDROPS = {
    "snow": "in the snow",
    "studio": "against a plain studio wall",
    "sun": "in warm sunshine",
    "hills": "in front of green hills",
    "room": "in a bright room",
    "shelf": "on an oak shelf",
}


@dataclass(frozen=True)
class Scene:
    """A banner's picture: products side by side before a backdrop. Its name (the picture's
    URL) and its alt text are made from the same parts, so the words say what is drawn."""

    backdrop: str
    items: tuple[tuple[Kind, str], ...]  # left to right: a kind and its colour ("Camel")

    def picture(self) -> str:
        parts = [f"{kind.shape}-{colour.lower().replace(' ', '-')}" for kind, colour in self.items]
        return "--".join((self.backdrop, *parts))

    def alt(self) -> str:
        things = [_thing(kind, colour) for kind, colour in self.items]
        listed = things[0] if len(things) == 1 else f"{', '.join(things[:-1])} and {things[-1]}"
        text = f"{listed} {BACKDROPS[self.backdrop]}"
        return text[0].upper() + text[1:]


def _thing(kind: Kind, colour: str) -> str:
    words = f"{colour.lower()} {kind.noun.lower()}"
    if kind.plural:
        return words
    return f"{'an' if words[0] in 'aeiou' else 'a'} {words}"


@dataclass(frozen=True)
class Banner:
    title: str
    link: str  # "/c/<category slug>" or "/l/<landing slug>"
    scene: Scene
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
                        Scene(
                            "snow",
                            (
                                (kinds.OVERCOAT, "Camel"),
                                (kinds.SCARF, "Burgundy"),
                                (kinds.CHELSEA_BOOTS, "Black"),
                            ),
                        ),
                        CURRENT,
                    ),
                    Banner(
                        "New arrivals",
                        "/l/new-arrivals",
                        Scene(
                            "studio",
                            (
                                (kinds.JUMPER, "Rust"),
                                (kinds.CARDIGAN, "Sand"),
                                (kinds.ROLL_NECK, "Olive"),
                            ),
                        ),
                        ALWAYS,
                    ),
                    Banner(
                        "The linen edit",
                        "/c/women-clothing-dresses",
                        Scene(
                            "sun",
                            (
                                (kinds.DRESS, "White"),
                                (kinds.SHIRT, "Sky Blue"),
                                (kinds.SANDALS, "Sand"),
                            ),
                        ),
                        ENDED,
                    ),
                    Banner(
                        "Gifts for the holidays",
                        "/c/home-living",
                        Scene(
                            "room",
                            (
                                (kinds.THROW, "Burgundy"),
                                (kinds.CUSHION, "Sage"),
                                (kinds.MUG, "Ivory"),
                            ),
                        ),
                        UPCOMING,
                    ),
                ),
            ),
            Rail("New in: women's shoes", "women-shoes", SORT_NEWEST),
            Rail("Editor's picks"),
            Banners(
                "Shop by department",
                (
                    Banner(
                        "Women",
                        "/c/women",
                        Scene(
                            "studio",
                            (
                                (kinds.CARDIGAN, "Sage"),
                                (kinds.DRESS, "Navy"),
                                (kinds.ANKLE_BOOTS, "Rust"),
                            ),
                        ),
                        ALWAYS,
                    ),
                    Banner(
                        "Men",
                        "/c/men",
                        Scene(
                            "studio",
                            (
                                (kinds.OVERSHIRT, "Olive"),
                                (kinds.CHINOS, "Sand"),
                                (kinds.SNEAKERS, "White"),
                            ),
                        ),
                        ALWAYS,
                    ),
                    Banner(
                        "Outdoor",
                        "/c/outdoor",
                        Scene(
                            "hills",
                            (
                                (kinds.RAIN_JACKET, "Rust"),
                                (kinds.BACKPACK, "Navy"),
                                (kinds.HIKING_BOOTS, "Grey"),
                            ),
                        ),
                        ALWAYS,
                    ),
                    Banner(
                        "Home",
                        "/c/home",
                        Scene(
                            "room",
                            (
                                (kinds.CUSHION, "Terracotta"),
                                (kinds.THROW, "Grey"),
                                (kinds.RUG, "Sand"),
                            ),
                        ),
                        ALWAYS,
                    ),
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
                        Scene(
                            "studio",
                            (
                                (kinds.OVERCOAT, "Navy"),
                                (kinds.OVERCOAT, "Camel"),
                                (kinds.OVERCOAT, "Grey"),
                            ),
                        ),
                        ALWAYS,
                    ),
                    Banner(
                        "Knitwear from 25 EUR",
                        "/c/women-clothing-knitwear",
                        Scene(
                            "studio",
                            (
                                (kinds.JUMPER, "Burgundy"),
                                (kinds.JUMPER, "Sage"),
                                (kinds.JUMPER, "Ivory"),
                            ),
                        ),
                        STARTED,
                    ),
                    Banner(
                        "Last chance: final reductions",
                        "/c/outdoor",
                        Scene("hills", ((kinds.RAIN_JACKET, "Red"), (kinds.FLEECE, "Navy"))),
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
                        "New this week",
                        "/c/women",
                        Scene(
                            "studio",
                            (
                                (kinds.MIDI_DRESS, "Terracotta"),
                                (kinds.BLOUSE, "Ivory"),
                                (kinds.TOTE, "Sand"),
                            ),
                        ),
                        ALWAYS,
                    ),
                    Banner(
                        "The new homeware collection",
                        "/c/home-kitchen",
                        Scene(
                            "shelf",
                            ((kinds.MUG, "Sand"), (kinds.MUG, "Sage"), (kinds.CUP, "Ivory")),
                        ),
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
