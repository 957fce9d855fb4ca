"""Data: what the demo's products are, what they are made of and what that costs.

One model answers every question a product page asks, so that the answers agree: a *kind*
(Cardigan, Mug, Doormat) says which materials it comes in, what it costs in a plain material,
which picture shows it and which details its page lists; a *material* says how to care for it
and how much dearer than plain it is. A cashmere scarf therefore costs what cashmere costs and
is dry cleaned; a jute doormat is cheap and is shaken out.
"""

from __future__ import annotations

from dataclasses import dataclass

# Colour names as shoppers read them; web/demo_pictures/ paints each (tests check both agree).
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
ORIGINS = ("Portugal", "Italy", "Spain", "Turkey", "India", "Romania", "Vietnam", "Poland")
CLOSING_SENTENCES = (
    "Each piece is checked by hand before it ships.",
    "Designed in our studio and made to last.",
    "Free returns within 30 days.",
    "A quiet favourite that goes with everything.",
)


@dataclass(frozen=True)
class Material:
    name: str
    # Care instructions that suit the material; a product lists one of them.
    care: tuple[str, ...]
    # Price against a plain material (cotton, canvas, stoneware: 1.0) for the same kind.
    price_factor: float


_WOOL_CARE = ("Hand wash cold and dry flat", "Dry clean only")
_FINE_CARE = ("Hand wash cold", "Dry clean only")
_LEATHER_CARE = ("Wipe with a damp cloth and feed with leather balm",)
_SUEDE_CARE = ("Brush clean and protect with suede spray",)

MATERIALS = {
    material.name: material
    for material in (
        # Clothing and textiles
        Material("Cotton", ("Machine wash at 40°C", "Machine wash at 30°C"), 1.0),
        Material("Linen", ("Machine wash at 40°C", "Machine wash at 30°C and line dry"), 1.3),
        Material("Jersey", ("Machine wash at 30°C",), 0.9),
        Material("Modal", ("Machine wash at 30°C",), 1.0),
        Material("Viscose", ("Machine wash at 30°C on a delicate cycle", "Hand wash cold"), 0.95),
        Material("Silk", _FINE_CARE, 2.3),
        Material("Merino", ("Machine wash at 30°C on a wool cycle", "Hand wash cold"), 1.7),
        Material("Wool", _WOOL_CARE, 1.5),
        Material("Cashmere", _WOOL_CARE, 3.2),
        Material("Alpaca", _WOOL_CARE, 2.2),
        Material("Mohair", _WOOL_CARE, 2.3),
        Material("Tweed", ("Dry clean only",), 1.6),
        Material("Flannel", ("Machine wash at 30°C",), 1.05),
        Material("Denim", ("Machine wash at 30°C inside out",), 1.1),
        Material("Chambray", ("Machine wash at 30°C",), 1.0),
        Material("Corduroy", ("Machine wash at 30°C inside out",), 1.1),
        Material("Bamboo", ("Machine wash at 30°C",), 1.0),
        Material("Polyester", ("Machine wash at 30°C",), 0.75),
        Material("Recycled Polyester", ("Machine wash at 30°C",), 0.85),
        Material("Brushed Polyester", ("Machine wash at 30°C",), 0.8),
        Material("Sherpa", ("Machine wash at 30°C, do not tumble dry",), 1.0),
        Material("Recycled Nylon", ("Machine wash at 30°C, then re-proof",), 1.0),
        Material("Waxed Cotton", ("Wipe clean and re-wax once a year; do not wash",), 1.4),
        Material("Ripstop", ("Wipe clean or hand wash cold",), 1.0),
        Material("Silnylon", ("Wipe clean and dry fully before packing",), 1.3),
        Material("Velvet", ("Dry clean only", "Spot clean"), 1.4),
        Material("Boucle", ("Spot clean", "Dry clean only"), 1.5),
        Material("Cotton Percale", ("Machine wash at 60°C",), 1.1),
        Material("Cotton Sateen", ("Machine wash at 40°C",), 1.25),
        Material("Waffle Cotton", ("Machine wash at 60°C",), 1.05),
        Material("Turkish Cotton", ("Machine wash at 60°C",), 1.3),
        Material("Webbing", ("Machine wash at 30°C", "Spot clean"), 0.7),
        # Shoes and bags
        Material("Leather", _LEATHER_CARE, 1.7),
        Material("Suede", _SUEDE_CARE, 1.5),
        Material("Nubuck", ("Brush clean and protect with nubuck spray",), 1.5),
        Material("Canvas", ("Spot clean with mild soap",), 0.8),
        Material("Mesh", ("Spot clean with mild soap",), 0.9),
        Material("Knit", ("Spot clean with mild soap",), 1.0),
        Material("Raffia", ("Spot clean; keep dry",), 0.9),
        Material("Cork", ("Wipe with a damp cloth",), 0.85),
        Material("Straw", ("Spot clean; keep dry",), 0.8),
        # Floor and table
        Material("Jute", ("Shake out and vacuum; spot clean only",), 0.8),
        Material("Sisal", ("Vacuum regularly; blot spills, never soak",), 0.9),
        Material("Stoneware", ("Dishwasher and microwave safe",), 1.0),
        Material("Porcelain", ("Dishwasher and microwave safe",), 1.2),
        Material("Ceramic", ("Dishwasher safe",), 0.9),
        Material("Enamel", ("Hand wash only",), 1.0),
        Material("Glass", ("Dishwasher safe",), 0.9),
        Material("Oak", ("Hand wash and oil now and then",), 1.6),
        # Gear
        Material("Stainless Steel", ("Hand wash only",), 1.3),
        Material("Aluminium", ("Hand wash only",), 0.9),
    )
}


@dataclass(frozen=True)
class Family:
    """What the kinds of one family share: how they are named, described and pictured."""

    adjectives: tuple[str, ...]
    material_label: str  # "Material", or "Upper" for shoes
    sentences: tuple[str, ...]
    image_size: tuple[int, int]
    # What each view of a picture shows (api/demo/products.py VIEWS), for its alt text.
    view_words: dict[str, str]


@dataclass(frozen=True)
class Kind:
    """One kind of product: a Cardigan, a Mug, a Doormat."""

    noun: str
    family: Family
    shape: str  # the picture's drawing, in web/demo_pictures/
    materials: tuple[str, ...]
    # Whole euros for the kind in a plain material (price_factor 1.0), low to high.
    price_eur: tuple[int, int]
    # Details beyond material and care, in the order a product page lists them; one is drawn
    # from each option list.
    details: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def plural(self) -> bool:
        return self.noun.endswith("s") and not self.noun.endswith("ss")  # "Boots", not "Dress"


def price_range_eur(kind: Kind, material: str) -> tuple[int, int]:
    """Lowest and highest whole-euro price of `kind` made of `material`."""
    factor = MATERIALS[material].price_factor
    low, high = kind.price_eur
    return max(1, round(low * factor)), max(1, round(high * factor))


def price_range_cents(kind: Kind, material: str) -> tuple[int, int]:
    """The same in minor units, as prices are written: whole euros less 0, 1 or 5 cents (49.95,
    49.99, 50.00)."""
    low, high = price_range_eur(kind, material)
    return low * 100 - 5, high * 100


CLOTHING = Family(
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
    sentences=(
        "Cut for comfort from morning to evening.",
        "It layers easily and keeps its shape wash after wash.",
        "The fabric softens a little more every time you wear it.",
    ),
    image_size=(800, 1000),
    view_words={
        "front": "front",
        "back": "back",
        "detail": "close-up of the fabric",
        "styled": "laid flat",
    },
)
SHOES = Family(
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
    sentences=(
        "A cushioned footbed keeps you comfortable all day.",
        "Comfortable from the first wear, no breaking in needed.",
        "The grippy sole copes with wet pavements.",
    ),
    image_size=(800, 800),
    view_words={
        "front": "side view",
        "back": "from the other side",
        "detail": "close-up of the upper",
        "styled": "on a wooden floor",
    },
)
ACCESSORIES = Family(
    adjectives=("Classic", "Everyday", "Minimal", "Weekend", "Heritage", "Essential"),
    material_label="Material",
    sentences=(
        "The finishing touch for an everyday outfit.",
        "Small enough to carry anywhere, tough enough for daily use.",
        "It gets better with age.",
    ),
    image_size=(800, 800),
    view_words={"front": "front", "back": "back", "detail": "close-up", "styled": "on a table"},
)
GEAR = Family(
    adjectives=(
        "Lightweight",
        "Packable",
        "Alpine",
        "Rugged",
        "Compact",
        "Expedition",
        "Trail",
    ),
    material_label="Material",
    sentences=(
        "Tested in the mountains in every season.",
        "Built to take knocks on the trail and in the car boot.",
        "Light enough that you will forget you packed it.",
    ),
    image_size=(800, 800),
    view_words={
        "front": "front",
        "back": "back",
        "detail": "close-up",
        "styled": "outdoors on a rock",
    },
)
HOMEWARE = Family(
    adjectives=("Handmade", "Classic", "Soft", "Minimal", "Rustic", "Nordic", "Textured"),
    material_label="Material",
    sentences=(
        "Made in small batches, so no two are quite alike.",
        "An easy way to make a room feel finished.",
        "It is made to be used every day, not kept for best.",
    ),
    image_size=(800, 800),
    view_words={
        "front": "front",
        "back": "from the side",
        "detail": "close-up",
        "styled": "in a room",
    },
)

_FIT = ("Fit", ("Regular fit", "Slim fit", "Relaxed fit"))
_ORIGIN = ("Made in", ORIGINS)
_GARMENT = (_FIT, _ORIGIN)
_SHOE = (
    ("Sole", ("Natural rubber", "EVA foam", "Crepe rubber")),
    ("Fit", ("True to size", "Runs small: take half a size up", "Wide fit")),
    _ORIGIN,
)
_BOOT = (("Sole", ("Natural rubber", "Leather", "Commando rubber")), _SHOE[1], _ORIGIN)
_HIKING = (
    ("Sole", ("Vibram rubber", "Natural rubber")),
    ("Lining", ("Waterproof membrane", "Leather")),
    _ORIGIN,
)
_BAG = (("Lining", ("Cotton", "Recycled polyester", "Unlined")), _ORIGIN)
_SIZE_ONE = (("Size", ("One size",)), _ORIGIN)
_GEAR = (("Warranty", ("2 years", "5 years", "Lifetime")), _ORIGIN)
_GLAZE = (("Glaze", ("Matt", "Gloss", "Speckled", "Reactive")), _ORIGIN)
_TEXTILE = (_ORIGIN,)

CLOTHING_MATERIALS = ("Cotton", "Linen", "Jersey", "Silk", "Viscose")
KNIT_MATERIALS = ("Merino", "Cashmere", "Cotton", "Alpaca", "Wool")

# Women
DRESS = Kind(
    "Dress", CLOTHING, "dress", ("Linen", "Cotton", "Viscose", "Silk"), (45, 110), _GARMENT
)
MIDI_DRESS = Kind(
    "Midi Dress", CLOTHING, "dress", ("Linen", "Cotton", "Viscose", "Silk"), (55, 130), _GARMENT
)
WRAP_DRESS = Kind(
    "Wrap Dress", CLOTHING, "dress", ("Jersey", "Viscose", "Silk"), (50, 120), _GARMENT
)
T_SHIRT = Kind(
    "T-Shirt", CLOTHING, "tshirt", ("Cotton", "Jersey", "Modal", "Linen"), (14, 35), _GARMENT
)
BLOUSE = Kind(
    "Blouse", CLOTHING, "blouse", ("Cotton", "Linen", "Silk", "Viscose"), (30, 70), _GARMENT
)
TANK_TOP = Kind("Tank Top", CLOTHING, "tank", ("Cotton", "Jersey", "Modal"), (12, 28), _GARMENT)
SHIRT = Kind(
    "Shirt",
    CLOTHING,
    "shirt",
    ("Cotton", "Linen", "Chambray", "Flannel", "Denim"),
    (35, 75),
    _GARMENT,
)
JUMPER = Kind("Jumper", CLOTHING, "jumper", KNIT_MATERIALS, (40, 85), _GARMENT)
CARDIGAN = Kind("Cardigan", CLOTHING, "cardigan", KNIT_MATERIALS, (45, 90), _GARMENT)
ROLL_NECK = Kind("Roll Neck", CLOTHING, "rollneck", KNIT_MATERIALS, (45, 90), _GARMENT)
KNITTED_VEST = Kind("Knitted Vest", CLOTHING, "vest", KNIT_MATERIALS, (30, 60), _GARMENT)
TRAINERS = Kind(
    "Trainers", SHOES, "trainer", ("Suede", "Leather", "Canvas", "Mesh", "Knit"), (55, 110), _SHOE
)
RUNNERS = Kind("Runners", SHOES, "trainer", ("Mesh", "Knit"), (70, 130), _SHOE)
ANKLE_BOOTS = Kind("Ankle Boots", SHOES, "boot", ("Leather", "Suede", "Nubuck"), (85, 160), _BOOT)
CHELSEA_BOOTS = Kind(
    "Chelsea Boots", SHOES, "boot", ("Leather", "Suede", "Nubuck"), (90, 170), _BOOT
)
KNEE_BOOTS = Kind("Knee Boots", SHOES, "tallboot", ("Leather", "Suede"), (130, 230), _BOOT)
SANDALS = Kind("Sandals", SHOES, "sandal", ("Leather", "Suede", "Cork"), (35, 80), _SHOE)
SLIDES = Kind("Slides", SHOES, "sandal", ("Leather", "Cork", "Suede"), (25, 60), _SHOE)
ESPADRILLES = Kind(
    "Espadrilles", SHOES, "espadrille", ("Canvas", "Raffia", "Suede"), (25, 55), _SHOE
)
TOTE = Kind("Tote", ACCESSORIES, "tote", ("Leather", "Canvas", "Suede", "Straw"), (35, 120), _BAG)
CROSSBODY_BAG = Kind(
    "Crossbody Bag", ACCESSORIES, "crossbody", ("Leather", "Canvas", "Suede"), (40, 130), _BAG
)
CLUTCH = Kind(
    "Clutch", ACCESSORIES, "clutch", ("Leather", "Suede", "Straw", "Velvet"), (30, 95), _BAG
)
SCARF = Kind(
    "Scarf",
    ACCESSORIES,
    "scarf",
    ("Silk", "Wool", "Cashmere", "Cotton", "Linen"),
    (18, 45),
    _SIZE_ONE,
)
WRAP = Kind(
    "Wrap", ACCESSORIES, "scarf", ("Wool", "Cashmere", "Alpaca", "Linen"), (30, 65), _SIZE_ONE
)
BANDANA = Kind("Bandana", ACCESSORIES, "bandana", ("Cotton", "Silk", "Linen"), (10, 22), _SIZE_ONE)

# Men
OXFORD_SHIRT = Kind("Oxford Shirt", CLOTHING, "shirt", ("Cotton",), (40, 80), _GARMENT)
OVERSHIRT = Kind(
    "Overshirt", CLOTHING, "shirt", ("Flannel", "Denim", "Corduroy", "Wool"), (50, 95), _GARMENT
)
CHINOS = Kind("Chinos", CLOTHING, "trousers", ("Cotton", "Linen"), (45, 85), _GARMENT)
TROUSERS = Kind(
    "Trousers", CLOTHING, "trousers", ("Wool", "Cotton", "Linen", "Corduroy"), (50, 100), _GARMENT
)
CARGO_TROUSERS = Kind(
    "Cargo Trousers", CLOTHING, "trousers", ("Cotton", "Ripstop"), (50, 90), _GARMENT
)
JEANS = Kind("Jeans", CLOTHING, "trousers", ("Denim",), (55, 110), _GARMENT)
JACKET = Kind(
    "Jacket", CLOTHING, "jacket", ("Cotton", "Wool", "Corduroy", "Leather"), (90, 180), _GARMENT
)
OVERCOAT = Kind("Overcoat", CLOTHING, "coat", ("Wool", "Tweed", "Cashmere"), (140, 260), _GARMENT)
BOMBER = Kind(
    "Bomber", CLOTHING, "jacket", ("Cotton", "Recycled Nylon", "Leather"), (80, 150), _GARMENT
)
BLAZER = Kind(
    "Blazer", CLOTHING, "blazer", ("Wool", "Linen", "Tweed", "Cotton"), (110, 210), _GARMENT
)
DERBY_BOOTS = Kind("Derby Boots", SHOES, "boot", ("Leather", "Suede", "Nubuck"), (100, 180), _BOOT)
WORK_BOOTS = Kind("Work Boots", SHOES, "boot", ("Leather", "Nubuck"), (110, 190), _BOOT)
SNEAKERS = Kind("Sneakers", SHOES, "trainer", ("Leather", "Canvas", "Suede"), (55, 120), _SHOE)
BELT = Kind(
    "Belt", ACCESSORIES, "belt", ("Leather", "Suede", "Canvas", "Webbing"), (25, 55), (_ORIGIN,)
)
BRAIDED_BELT = Kind(
    "Braided Belt", ACCESSORIES, "belt", ("Leather", "Webbing"), (30, 60), (_ORIGIN,)
)
BEANIE = Kind(
    "Beanie", ACCESSORIES, "beanie", ("Merino", "Wool", "Cashmere", "Cotton"), (15, 30), _SIZE_ONE
)
CAP = Kind("Cap", ACCESSORIES, "cap", ("Cotton", "Wool", "Linen"), (18, 35), _SIZE_ONE)
FLAT_CAP = Kind(
    "Flat Cap", ACCESSORIES, "flatcap", ("Tweed", "Wool", "Cotton"), (25, 45), _SIZE_ONE
)

# Outdoor
RAIN_JACKET = Kind(
    "Rain Jacket",
    CLOTHING,
    "parka",
    ("Recycled Nylon", "Waxed Cotton", "Ripstop"),
    (90, 220),
    _GARMENT,
)
SHELL_JACKET = Kind(
    "Shell Jacket", CLOTHING, "parka", ("Recycled Nylon", "Ripstop"), (120, 260), _GARMENT
)
PARKA = Kind("Parka", CLOTHING, "parka", ("Waxed Cotton", "Recycled Nylon"), (140, 280), _GARMENT)
FLEECE = Kind(
    "Fleece",
    CLOTHING,
    "fleece",
    ("Recycled Polyester", "Sherpa", "Brushed Polyester"),
    (45, 90),
    _GARMENT,
)
FLEECE_GILET = Kind(
    "Fleece Gilet", CLOTHING, "gilet", ("Recycled Polyester", "Sherpa"), (40, 75), _GARMENT
)
BASE_LAYER_TOP = Kind(
    "Base Layer Top", CLOTHING, "baselayer", ("Merino", "Bamboo", "Polyester"), (30, 55), _GARMENT
)
BASE_LAYER_LEGGINGS = Kind(
    "Base Layer Leggings",
    CLOTHING,
    "leggings",
    ("Merino", "Bamboo", "Polyester"),
    (30, 55),
    _GARMENT,
)
HIKING_BOOTS = Kind(
    "Hiking Boots", SHOES, "hikingboot", ("Leather", "Nubuck", "Suede"), (110, 190), _HIKING
)
TRAIL_SHOES = Kind("Trail Shoes", SHOES, "trainer", ("Mesh", "Knit", "Ripstop"), (80, 150), _SHOE)
BACKPACK = Kind(
    "Backpack",
    GEAR,
    "backpack",
    ("Ripstop", "Canvas", "Recycled Nylon", "Waxed Cotton"),
    (45, 140),
    _GEAR,
)
DAYPACK = Kind(
    "Daypack", GEAR, "backpack", ("Ripstop", "Recycled Nylon", "Canvas"), (35, 80), _GEAR
)
WATER_BOTTLE = Kind(
    "Water Bottle", GEAR, "bottle", ("Stainless Steel", "Glass", "Aluminium"), (12, 28), _GEAR
)
FLASK = Kind("Flask", GEAR, "flask", ("Stainless Steel",), (20, 40), _GEAR)
TRAVEL_MUG = Kind(
    "Travel Mug", GEAR, "travelmug", ("Stainless Steel", "Aluminium"), (14, 28), _GEAR
)
TENT = Kind("Tent", GEAR, "tent", ("Ripstop", "Silnylon", "Canvas"), (120, 380), _GEAR)
DOME_TENT = Kind("Dome Tent", GEAR, "tent", ("Ripstop", "Canvas"), (150, 420), _GEAR)
TARP_SHELTER = Kind("Tarp Shelter", GEAR, "tarp", ("Silnylon", "Ripstop"), (60, 140), _GEAR)

# Home
CUSHION = Kind(
    "Cushion", HOMEWARE, "cushion", ("Linen", "Velvet", "Cotton", "Boucle"), (18, 40), _TEXTILE
)
FLOOR_CUSHION = Kind(
    "Floor Cushion", HOMEWARE, "floorcushion", ("Linen", "Cotton", "Velvet"), (35, 70), _TEXTILE
)
BOLSTER = Kind("Bolster", HOMEWARE, "bolster", ("Linen", "Velvet", "Cotton"), (22, 45), _TEXTILE)
THROW = Kind("Throw", HOMEWARE, "throw", ("Wool", "Cotton", "Alpaca", "Mohair"), (45, 95), _TEXTILE)
BLANKET = Kind("Blanket", HOMEWARE, "throw", ("Wool", "Cotton", "Alpaca"), (55, 120), _TEXTILE)
RUG = Kind("Rug", HOMEWARE, "rug", ("Jute", "Wool", "Cotton", "Sisal"), (90, 320), _TEXTILE)
RUNNER = Kind(
    "Runner", HOMEWARE, "runner", ("Jute", "Wool", "Cotton", "Sisal"), (50, 140), _TEXTILE
)
DOORMAT = Kind("Doormat", HOMEWARE, "doormat", ("Jute", "Sisal"), (18, 40), _TEXTILE)
MUG = Kind(
    "Mug", HOMEWARE, "mug", ("Stoneware", "Porcelain", "Ceramic", "Enamel"), (10, 22), _GLAZE
)
CUP = Kind("Cup", HOMEWARE, "cup", ("Stoneware", "Porcelain", "Ceramic"), (9, 18), _GLAZE)
ESPRESSO_CUP = Kind("Espresso Cup", HOMEWARE, "cup", ("Porcelain", "Stoneware"), (7, 14), _GLAZE)
PLATE = Kind("Plate", HOMEWARE, "plate", ("Stoneware", "Porcelain", "Ceramic"), (12, 28), _GLAZE)
BOWL = Kind(
    "Bowl", HOMEWARE, "bowl", ("Stoneware", "Porcelain", "Glass", "Ceramic"), (10, 25), _GLAZE
)
SERVING_DISH = Kind(
    "Serving Dish", HOMEWARE, "dish", ("Stoneware", "Porcelain", "Oak"), (30, 65), _TEXTILE
)
SALAD_BOWL = Kind("Salad Bowl", HOMEWARE, "bowl", ("Oak", "Stoneware", "Glass"), (30, 70), _TEXTILE)
DUVET_COVER = Kind(
    "Duvet Cover",
    HOMEWARE,
    "duvet",
    ("Linen", "Cotton Percale", "Cotton Sateen"),
    (60, 140),
    _TEXTILE,
)
SHEET_SET = Kind(
    "Sheet Set",
    HOMEWARE,
    "sheets",
    ("Linen", "Cotton Percale", "Cotton Sateen"),
    (55, 120),
    _TEXTILE,
)
PILLOWCASES = Kind(
    "Pillowcases",
    HOMEWARE,
    "pillow",
    ("Linen", "Cotton Percale", "Cotton Sateen"),
    (20, 45),
    _TEXTILE,
)
BATH_TOWEL = Kind(
    "Bath Towel",
    HOMEWARE,
    "towel",
    ("Cotton", "Waffle Cotton", "Linen", "Turkish Cotton"),
    (18, 35),
    _TEXTILE,
)
HAND_TOWEL = Kind(
    "Hand Towel",
    HOMEWARE,
    "towel",
    ("Cotton", "Waffle Cotton", "Linen", "Turkish Cotton"),
    (9, 18),
    _TEXTILE,
)
BATH_SHEET = Kind(
    "Bath Sheet",
    HOMEWARE,
    "towel",
    ("Cotton", "Turkish Cotton", "Waffle Cotton"),
    (28, 50),
    _TEXTILE,
)
