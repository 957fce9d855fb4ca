"""The demo catalogue's pictures, drawn from their names: what a URL says is what it shows.

A product picture's name is `<shape>-<colour>-<view>-<variation>` (built by
api/demo/products.py): a cardigan in navy, seen from the front, with the second pattern. A
banner's is `<backdrop>--<shape>-<colour>--<shape>-<colour>...`: the products it shows, side
by side, before a backdrop (api/demo/landing_pages.py writes its alt text from the same parts).
"""

from __future__ import annotations

import colorsys

from web.demo_pictures.shapes import SHAPES, Paint

# The colours of api/demo/kinds.py COLOURS, by slug, as a picture paints them.
COLOURS = {
    "black": "#2a2a2c",
    "white": "#f8f8f6",
    "navy": "#1f2f4f",
    "grey": "#8b8e93",
    "sage": "#9db08a",
    "sand": "#d9c4a0",
    "terracotta": "#c4663f",
    "burgundy": "#7b2335",
    "olive": "#6b6a30",
    "ivory": "#f2ead2",
    "rust": "#a94b23",
    "sky-blue": "#8dbde3",
    # Banner-only colours: a camel coat, a red sale tag.
    "camel": "#b88a55",
    "red": "#c0392b",
}
VIEWS = ("front", "back", "detail", "styled")
VARIATIONS = 4
# Clothing is photographed in portrait, everything else square (api/demo/kinds.py Family).
PORTRAIT = frozenset(
    {
        "tshirt", "tank", "baselayer", "blouse", "shirt", "jumper", "rollneck", "cardigan",
        "vest", "fleece", "gilet", "jacket", "blazer", "coat", "parka", "dress", "trousers",
        "leggings",
    }
)  # fmt: skip
BANNER_SIZE = (1200, 400)
# Each backdrop: (sky, ground).
BACKDROPS = {
    "snow": ("#dfe8ef", "#ffffff"),
    "studio": ("#efe9e1", "#e2d9cc"),
    "sun": ("#f6e3b4", "#e9cf94"),
    "hills": ("#d7e6ee", "#9fbf8a"),
    "room": ("#efe6da", "#c9a77e"),
    "shelf": ("#ece4d8", "#b98b5a"),
}
BACKGROUND = "#f1eee9"
SURFACE = {"portrait": "#d9cfc2", "square": "#c9a77e"}


class UnknownPicture(ValueError):
    """A name that no picture has."""


def _tone(hex_colour: str, lightness: float) -> str:
    """The colour made darker (< 0) or lighter (> 0) by `lightness`, hue kept."""
    r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    h, light, s = colorsys.rgb_to_hls(r, g, b)
    light = min(1.0, max(0.0, light + lightness))
    r, g, b = colorsys.hls_to_rgb(h, light, s)
    return "#" + "".join(f"{round(c * 255):02x}" for c in (r, g, b))


def paint(colour_slug: str, variation: int = 0) -> Paint:
    fill = COLOURS[colour_slug]
    dark = fill in {COLOURS["black"], COLOURS["navy"], COLOURS["burgundy"]}
    return Paint(
        fill=fill,
        shade=_tone(fill, 0.18 if dark else -0.15),
        line=_tone(fill, 0.3 if dark else -0.4),
        light=_tone(fill, 0.3 if not dark else 0.45),
        pattern=f"url(#v{variation})" if variation else "",
    )


def _patterns(p: Paint) -> str:
    """Pattern 1: stripes; 2: a fine check; 3: a knit-like dot texture. 0 is plain."""
    return (
        "<defs>"
        '<pattern id="v1" width="40" height="40" patternUnits="userSpaceOnUse">'
        f'<rect y="0" width="40" height="10" fill="{p.shade}" opacity=".55"/></pattern>'
        '<pattern id="v2" width="48" height="48" patternUnits="userSpaceOnUse">'
        f'<path d="M0 0H48M0 0V48" stroke="{p.shade}" stroke-width="6" opacity=".5"/></pattern>'
        '<pattern id="v3" width="18" height="18" patternUnits="userSpaceOnUse">'
        f'<circle cx="9" cy="9" r="3" fill="{p.shade}" opacity=".6"/></pattern>'
        "</defs>"
    )


def picture_size(shape: str) -> tuple[int, int]:
    return (800, 1000) if shape in PORTRAIT else (800, 800)


def product_picture(name: str) -> str:
    """The SVG named `<shape>-<colour>-<view>-<variation>`; UnknownPicture for any other name."""
    shape, _, rest = name.partition("-")
    colour, _, rest = rest.rpartition("-")  # rest: "<view>-<variation>"
    colour, _, view = colour.rpartition("-")
    variation = rest
    if (
        shape not in SHAPES
        or colour not in COLOURS
        or view not in VIEWS
        or not variation.isdigit()
        or int(variation) >= VARIATIONS
        or variation != str(int(variation))
    ):
        raise UnknownPicture(name)
    p = paint(colour, int(variation))
    width, height = picture_size(shape)
    drawing = SHAPES[shape](p, view == "back")
    # The 800 x 800 drawing sits in the middle of a portrait picture.
    offset = (height - 800) // 2
    if view == "styled":
        floor = SURFACE["portrait" if height > width else "square"]
        scene = (
            f'<rect width="{width}" height="{height}" fill="#e8e1d6"/>'
            f'<rect y="{height * 3 // 4}" width="{width}" height="{height // 4}" fill="{floor}"/>'
            f'<ellipse cx="400" cy="{offset + 700}" rx="300" ry="40" fill="#000" opacity=".12"/>'
            f'<g transform="translate(80 {offset + 80}) scale(.8)">{drawing}</g>'
        )
        view_box = f"0 0 {width} {height}"
    else:
        scene = (
            f'<rect width="{width}" height="{height}" fill="{BACKGROUND}"/>'
            f'<g transform="translate(0 {offset})">{drawing}</g>'
        )
        # A close-up is the middle of the front, framed in the picture's own proportions.
        view_box = (
            f"{width * 3 // 10} {height * 3 // 10} {width * 2 // 5} {height * 2 // 5}"
            if view == "detail"
            else f"0 0 {width} {height}"
        )
    return _svg(width, height, view_box, _patterns(p) + scene)


def banner_picture(name: str) -> str:
    """The SVG named `<backdrop>--<shape>-<colour>--...`: up to four products before a backdrop."""
    backdrop, *items = name.split("--")
    if backdrop not in BACKDROPS or not 1 <= len(items) <= 4:
        raise UnknownPicture(name)
    sky, ground = BACKDROPS[backdrop]
    width, height = BANNER_SIZE
    parts = [
        f'<rect width="{width}" height="{height}" fill="{sky}"/>',
        (
            f'<rect y="{height * 7 // 10}" width="{width}" height="{height * 3 // 10}" '
            f'fill="{ground}"/>'
        ),
    ]
    slot = width // (len(items) + 1)
    for index, item in enumerate(items, start=1):
        shape, _, colour = item.partition("-")
        if shape not in SHAPES or colour not in COLOURS:
            raise UnknownPicture(name)
        scale = 0.42
        x = slot * index - 400 * scale
        y = height - 60 - 800 * scale
        parts.append(
            f'<g transform="translate({x:.0f} {y:.0f}) scale({scale})">'
            f"{SHAPES[shape](paint(colour), False)}</g>"  # noqa: FBT003 - the front
        )
    return _svg(width, height, f"0 0 {width} {height}", "".join(parts))


def _svg(width: int, height: int, view_box: str, content: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{view_box}" width="{width}" '
        f'height="{height}">{content}</svg>'
    )
