"""Data: what the demo shop's imported reviews say, by star rating and product family. A review
is built from a title, an opening about the material or colour, a sentence of the family's, and
sometimes a word on fit; `{material}`, `{colour}`, `{noun}`, `{it}`, `{It_is}` and `{size}` are
filled in from the product (api/demo/reviews.py)."""

from __future__ import annotations

from api.demo.kinds import ACCESSORIES, CLOTHING, GEAR, HOMEWARE, SHOES, Family

# Star ratings lean positive, as real shops' do, with a tail of unhappy buyers.
RATING_WEIGHTS = {5: 46, 4: 28, 3: 12, 2: 7, 1: 7}
# Reviews per reviewed product: mostly a few, sometimes many.
COUNT_WEIGHTS = {1: 20, 2: 18, 3: 15, 4: 12, 5: 9, 6: 7, 8: 6, 10: 5, 14: 4, 20: 3, 30: 1}

TITLES = {
    5: ("Love {it}", "Exactly as described", "Really pleased", "Great quality", "Perfect {noun}"),
    4: ("Very good", "Happy with {it}", "Good buy", "Nice {material} {noun}", "Would buy again"),
    3: ("{It_is} fine", "Mixed feelings", "Okay for the price", "Not quite what I expected"),
    2: ("Disappointed", "Not great", "Expected better"),
    1: ("Sent {it} back", "Poor quality", "Would not recommend"),
}

OPENINGS = {
    5: (
        "The {material} feels lovely and the {colour} is exactly as pictured.",
        "Beautiful {material}, and the {colour} is even nicer in person.",
        "I was unsure about {colour} but it is a gorgeous shade.",
    ),
    4: (
        "Good quality {material}; the {colour} is a touch darker than on screen.",
        "The {material} is nice and the {colour} goes with most of what I own.",
        "Solid {material}, well finished, and the {colour} is as shown.",
    ),
    3: (
        "The {material} is fine but not as soft as I hoped.",
        "The {colour} looked brighter in the photos than in real life.",
        "Decent {material}, nothing special for the price.",
    ),
    2: (
        "The {material} feels thinner than I expected.",
        "The {colour} is quite different from the photos.",
    ),
    1: (
        "The {material} felt cheap as soon as I opened the parcel.",
        "Nothing like the pictures: the {colour} is dull and the {material} is rough.",
    ),
}

# By family (keyed by identity), a sentence for happy (4-5 stars), middling (3) and unhappy
# (1-2) buyers.
FAMILY: dict[int, dict[str, tuple[str, ...]]] = {
    id(CLOTHING): {
        "happy": (
            "Washed well at 30 degrees and kept its shape.",
            "Comfortable all day and gets compliments every time.",
            "Hangs beautifully and does not crease much.",
        ),
        "middling": ("It creased more than I would like.", "It needs ironing every time."),
        "unhappy": (
            "It shrank after the first wash even though I followed the care label.",
            "A seam came undone after a couple of wears.",
        ),
    },
    id(SHOES): {
        "happy": (
            "Comfortable from the first day, no breaking in needed.",
            "I walked all day in them without sore feet.",
            "Good grip on wet pavements.",
        ),
        "middling": ("They pinched a little for the first week.", "The insole is quite thin."),
        "unhappy": (
            "They rubbed at the heel after an hour.",
            "The sole started to come away within a month.",
        ),
    },
    id(ACCESSORIES): {
        "happy": (
            "Goes with everything and feels well made.",
            "The stitching is neat and it is nicely finished.",
        ),
        "middling": ("Smaller than it looked online.", "The finish is a bit rough in places."),
        "unhappy": (
            "The stitching came loose within a few weeks.",
            "It started to fray the second time I used it.",
        ),
    },
    id(GEAR): {
        "happy": (
            "Held up well on a wet weekend in the hills.",
            "Light enough to forget it is in the pack.",
            "Kept me dry through a long day of rain.",
        ),
        "middling": (
            "Fine for short walks, less so for longer trips.",
            "Packs down bigger than I hoped.",
        ),
        "unhappy": ("Not as waterproof as described.", "A zip failed on the first trip."),
    },
    id(HOMEWARE): {
        "happy": (
            "Looks lovely at home and feels well made.",
            "Even nicer in person; it has become a favourite in our living room.",
        ),
        "middling": ("Smaller than it looks in the photos.", "Nice, but marks easily."),
        "unhappy": ("Arrived damaged and had to go back.", "It faded within a few weeks."),
    },
}

FIT = {
    "happy": ("True to size: I took my usual {size}.", "My usual {size} fits perfectly."),
    "middling": ("Runs a little small; I would size up from {size}.",),
    "unhappy": ("Even my usual {size} was far too tight.",),
}

AUTHORS = (
    "Aoife B.",
    "Tom K.",
    "Maria S.",
    "Liam O.",
    "Sofia R.",
    "Jonas W.",
    "Chloe M.",
    "Ravi P.",
    "Niamh D.",
    "Lucas F.",
    "Emma H.",
    "Ben T.",
    "Zara A.",
    "Marco L.",
    "Hannah G.",
    "Owen C.",
    "Ines V.",
    "Kenji N.",
    "Grace E.",
    "Ahmed Y.",
    "Lena J.",
    "Sean Q.",
    "Ella Z.",
    "Pablo I.",
)


def family_of(family: Family) -> dict[str, tuple[str, ...]]:
    # Keyed by identity: a Family holds a dict, so it cannot be hashed.
    return FAMILY[id(family)]
