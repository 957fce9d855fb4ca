"""Data: the demo's category tree, department > section > leaf, and what each leaf sells."""

from __future__ import annotations

from dataclasses import dataclass

from api.demo.kinds import ACCESSORIES, CLOTHING, GEAR, HOMEWARE, SHOES, ProductKind

CLOTHING_SIZES = ("XS", "S", "M", "L", "XL")
SHOE_SIZES = tuple(str(size) for size in range(36, 46))
WOMEN_SHOE_SIZES = SHOE_SIZES[:7]  # 36-42
MEN_SHOE_SIZES = SHOE_SIZES[3:]  # 39-45


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
