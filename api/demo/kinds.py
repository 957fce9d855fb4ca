"""Data: what the demo's products are made of and how they are described, family by family."""

from __future__ import annotations

from dataclasses import dataclass

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
