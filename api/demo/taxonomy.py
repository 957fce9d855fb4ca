"""Data: the demo's category tree, department > section > leaf, and what each leaf sells."""

from __future__ import annotations

from dataclasses import dataclass

from api.demo import kinds
from api.demo.kinds import Kind

CLOTHING_SIZES = ("XS", "S", "M", "L", "XL")
SHOE_SIZES = tuple(str(size) for size in range(36, 46))
WOMEN_SHOE_SIZES = SHOE_SIZES[:7]  # 36-42
MEN_SHOE_SIZES = SHOE_SIZES[3:]  # 39-45


@dataclass(frozen=True)
class Leaf:
    """A bottom-level category and the kinds of product it sells (api/demo/kinds.py)."""

    slug: str
    name: str
    description: str
    kinds: tuple[Kind, ...]
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
# the seed varies the products. Words here must hold no digits: see products._SlugAllocator.
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
                        (kinds.DRESS, kinds.MIDI_DRESS, kinds.WRAP_DRESS),
                        CLOTHING_SIZES,
                    ),
                    Leaf(
                        "tops",
                        "Tops",
                        "T-shirts, blouses and shirts to build on.",
                        (kinds.T_SHIRT, kinds.BLOUSE, kinds.TANK_TOP, kinds.SHIRT),
                        CLOTHING_SIZES,
                    ),
                    Leaf(
                        "knitwear",
                        "Knitwear",
                        "Jumpers and cardigans in natural yarns.",
                        (kinds.JUMPER, kinds.CARDIGAN, kinds.ROLL_NECK, kinds.KNITTED_VEST),
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
                        (kinds.TRAINERS, kinds.RUNNERS, kinds.SNEAKERS),
                        WOMEN_SHOE_SIZES,
                    ),
                    Leaf(
                        "boots",
                        "Boots",
                        "Ankle, Chelsea and knee-high boots.",
                        (kinds.ANKLE_BOOTS, kinds.CHELSEA_BOOTS, kinds.KNEE_BOOTS),
                        WOMEN_SHOE_SIZES,
                    ),
                    Leaf(
                        "sandals",
                        "Sandals",
                        "Sandals, slides and espadrilles for warm days.",
                        (kinds.SANDALS, kinds.SLIDES, kinds.ESPADRILLES),
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
                        (kinds.TOTE, kinds.CROSSBODY_BAG, kinds.CLUTCH),
                    ),
                    Leaf(
                        "scarves",
                        "Scarves",
                        "Light silks and warm wool wraps.",
                        (kinds.SCARF, kinds.WRAP, kinds.BANDANA),
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
                        (kinds.SHIRT, kinds.OXFORD_SHIRT, kinds.OVERSHIRT),
                        CLOTHING_SIZES,
                    ),
                    Leaf(
                        "trousers",
                        "Trousers",
                        "Chinos, jeans and smart trousers.",
                        (kinds.CHINOS, kinds.TROUSERS, kinds.CARGO_TROUSERS, kinds.JEANS),
                        CLOTHING_SIZES,
                    ),
                    Leaf(
                        "jackets",
                        "Jackets",
                        "Blazers, bombers and overcoats.",
                        (kinds.JACKET, kinds.OVERCOAT, kinds.BOMBER, kinds.BLAZER),
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
                        (kinds.TRAINERS, kinds.RUNNERS, kinds.SNEAKERS),
                        MEN_SHOE_SIZES,
                    ),
                    Leaf(
                        "boots",
                        "Boots",
                        "Chelsea, derby and work boots.",
                        (kinds.CHELSEA_BOOTS, kinds.DERBY_BOOTS, kinds.WORK_BOOTS),
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
                        (kinds.BELT, kinds.BRAIDED_BELT),
                    ),
                    Leaf(
                        "hats",
                        "Hats",
                        "Beanies, caps and flat caps.",
                        (kinds.BEANIE, kinds.CAP, kinds.FLAT_CAP),
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
                        (kinds.RAIN_JACKET, kinds.SHELL_JACKET, kinds.PARKA),
                        CLOTHING_SIZES,
                    ),
                    Leaf(
                        "fleeces",
                        "Fleeces",
                        "Warm mid-layers for cold starts.",
                        (kinds.FLEECE, kinds.FLEECE_GILET),
                        CLOTHING_SIZES,
                    ),
                    Leaf(
                        "base-layers",
                        "Base layers",
                        "Next-to-skin layers that wick and warm.",
                        (kinds.BASE_LAYER_TOP, kinds.BASE_LAYER_LEGGINGS),
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
                        (kinds.HIKING_BOOTS,),
                        SHOE_SIZES,
                    ),
                    Leaf(
                        "trail-shoes",
                        "Trail shoes",
                        "Light, grippy shoes for running off-road.",
                        (kinds.TRAIL_SHOES, kinds.RUNNERS),
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
                        (kinds.BACKPACK, kinds.DAYPACK),
                    ),
                    Leaf(
                        "water-bottles",
                        "Water bottles",
                        "Bottles and flasks that keep drinks hot or cold.",
                        (kinds.WATER_BOTTLE, kinds.FLASK, kinds.TRAVEL_MUG),
                    ),
                    Leaf(
                        "tents",
                        "Tents",
                        "Shelters from one-night tarps to family domes.",
                        (kinds.TENT, kinds.DOME_TENT, kinds.TARP_SHELTER),
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
                        (kinds.CUSHION, kinds.FLOOR_CUSHION, kinds.BOLSTER),
                    ),
                    Leaf(
                        "throws",
                        "Throws",
                        "Blankets and throws for the sofa and bed.",
                        (kinds.THROW, kinds.BLANKET),
                    ),
                    Leaf(
                        "rugs",
                        "Rugs",
                        "Hand-woven rugs and runners.",
                        (kinds.RUG, kinds.RUNNER, kinds.DOORMAT),
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
                        (kinds.MUG, kinds.CUP, kinds.ESPRESSO_CUP),
                    ),
                    Leaf(
                        "tableware",
                        "Tableware",
                        "Plates, bowls and serving dishes.",
                        (kinds.PLATE, kinds.BOWL, kinds.SERVING_DISH, kinds.SALAD_BOWL),
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
                        (kinds.DUVET_COVER, kinds.SHEET_SET, kinds.PILLOWCASES),
                    ),
                    Leaf(
                        "towels",
                        "Towels",
                        "Thick, absorbent towels.",
                        (kinds.BATH_TOWEL, kinds.HAND_TOWEL, kinds.BATH_SHEET),
                    ),
                ),
            ),
        ),
    ),
)
