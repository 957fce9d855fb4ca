"""Data: one drawing per kind of product, as SVG elements in an 800 x 800 box.

Each drawing takes the paint of its colour and whether it is seen from the back, and returns
the elements; `web/demo_pictures/render.py` frames them (views, backdrops, patterns). The
names are the `shape` of the kinds in api/demo/kinds.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Paint:
    fill: str  # the product's colour
    shade: str  # a darker tone of it: seams, ribbing, shadows
    line: str  # outlines
    light: str  # a lighter tone: linings, highlights
    pattern: str  # "" or the fill of a pattern laid over the body ("url(#p)")


Drawing = Callable[[Paint, bool], str]
SHAPES: dict[str, Drawing] = {}

SOLE = "#f2efe8"
METAL = "#b9b4aa"
WOOD = "#b98b5a"


def shape(*names: str) -> Callable[[Drawing], Drawing]:
    def register(drawing: Drawing) -> Drawing:
        for name in names:
            SHAPES[name] = drawing
        return drawing

    return register


def body(p: Paint, d: str) -> str:
    """A filled outline, with the variation's pattern laid over it."""
    out = (
        f'<path d="{d}" fill="{p.fill}" stroke="{p.line}" stroke-width="6" '
        'stroke-linejoin="round"/>'
    )
    if p.pattern:
        out += f'<path d="{d}" fill="{p.pattern}"/>'
    return out


def part(colour: str, d: str, line: str, width: int = 6) -> str:
    return (
        f'<path d="{d}" fill="{colour}" stroke="{line}" stroke-width="{width}" '
        'stroke-linejoin="round"/>'
    )


def stroke(colour: str, d: str, width: int = 6) -> str:
    return (
        f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="{width}" '
        'stroke-linecap="round" stroke-linejoin="round"/>'
    )


def dots(colour: str, points: tuple[tuple[int, int], ...], r: int = 9) -> str:
    return "".join(f'<circle cx="{x}" cy="{y}" r="{r}" fill="{colour}"/>' for x, y in points)


def ribs(colour: str, x1: int, x2: int, y1: int, y2: int, *, step: int = 14) -> str:
    """Vertical ribbing between x1 and x2, from y1 to y2 (cuffs, hems, collars)."""
    return "".join(
        f'<line x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" stroke="{colour}" stroke-width="3"/>'
        for x in range(x1 + step // 2, x2, step)
    )


# Garments: the outline of a top with long, short or no sleeves.
LONG_SLEEVES = (
    "M335 150 Q400 185 465 150 L565 180 Q620 300 680 540 L605 565 L550 340 L550 660 "
    "L250 660 L250 340 L195 565 L120 540 Q180 300 235 180 Z"
)
SHORT_SLEEVES = (
    "M335 150 Q400 185 465 150 L570 182 L655 305 L585 352 L550 305 L550 660 L250 660 "
    "L250 305 L215 352 L145 305 L230 182 Z"
)
NO_SLEEVES = (
    "M330 150 Q400 215 470 150 L505 150 Q510 255 550 300 L550 660 L250 660 L250 300 "
    "Q290 255 295 150 Z"
)
LONG_COAT = (
    "M335 110 Q400 140 465 110 L575 145 Q630 300 690 560 L612 585 L560 360 L585 770 "
    "L215 770 L240 360 L188 585 L110 560 Q170 300 225 145 Z"
)


@shape("tshirt")
def tshirt(p: Paint, back: bool) -> str:
    neck = "M335 150 Q400 185 465 150" if back else "M335 150 Q400 215 465 150"
    return (
        body(p, SHORT_SLEEVES) + stroke(p.shade, neck, 10) + stroke(p.shade, "M250 640 L550 640", 3)
    )


@shape("tank")
def tank(p: Paint, back: bool) -> str:
    neck = "M330 150 Q400 190 470 150" if back else "M330 150 Q400 235 470 150"
    return body(p, NO_SLEEVES) + stroke(p.shade, neck, 8)


@shape("baselayer")
def baselayer(p: Paint, back: bool) -> str:
    seams = stroke(p.shade, "M300 175 L270 660 M500 175 L530 660", 3)
    zip_ = "" if back else stroke(p.line, "M400 165 L400 290", 5)
    return body(p, LONG_SLEEVES) + seams + stroke(p.shade, "M335 150 Q400 185 465 150", 8) + zip_


@shape("blouse")
def blouse(p: Paint, back: bool) -> str:
    out = body(p, LONG_SLEEVES) + stroke(p.shade, "M550 560 L605 565 M250 560 L195 565", 3)
    if not back:
        out += stroke(p.shade, "M345 155 Q360 190 380 160 Q400 195 420 160 Q440 190 455 155", 5)
        out += stroke(p.line, "M400 185 L400 260", 4) + dots(p.light, ((400, 275),), 8)
    return out


def _collar(p: Paint) -> str:
    return part(p.fill, "M335 150 L400 210 L372 232 L322 170 Z", p.line, 5) + part(
        p.fill, "M465 150 L400 210 L428 232 L478 170 Z", p.line, 5
    )


@shape("shirt")
def shirt(p: Paint, back: bool) -> str:
    out = body(p, LONG_SLEEVES) + stroke(p.shade, "M120 540 L195 565 M680 540 L605 565", 14)
    if back:
        return out + stroke(p.shade, "M250 240 Q400 270 550 240", 4)
    buttons = tuple((400, y) for y in range(260, 660, 80))
    pocket = part(p.fill, "M440 290 L510 290 L510 370 L440 370 Z", p.shade, 4)
    return (
        out
        + stroke(p.shade, "M400 210 L400 660", 4)
        + dots(p.light, buttons, 7)
        + pocket
        + _collar(p)
    )


def _knit(p: Paint, outline: str, bottom: int = 660) -> str:
    return (
        body(p, outline)
        + ribs(p.shade, 250, 550, bottom - 45, bottom)
        + stroke(p.shade, f"M250 {bottom - 45} L550 {bottom - 45}", 4)
        + stroke(p.shade, "M120 540 L195 565 M680 540 L605 565", 24)
    )


@shape("jumper")
def jumper(p: Paint, back: bool) -> str:
    neck = "M335 150 Q400 185 465 150" if back else "M335 150 Q400 205 465 150"
    return _knit(p, LONG_SLEEVES) + stroke(p.shade, neck, 16)


@shape("rollneck")
def rollneck(p: Paint, back: bool) -> str:  # noqa: ARG001 - a roll neck looks the same both ways
    collar = part(p.fill, "M340 80 L460 80 L470 165 Q400 185 330 165 Z", p.line, 6)
    return _knit(p, LONG_SLEEVES) + collar + ribs(p.shade, 340, 460, 85, 160, step=12)


@shape("cardigan")
def cardigan(p: Paint, back: bool) -> str:
    if back:
        return _knit(p, LONG_SLEEVES) + stroke(p.shade, "M335 150 Q400 185 465 150", 14)
    buttons = tuple((400, y) for y in range(300, 640, 70))
    front = stroke(p.shade, "M335 150 L400 270 L465 150", 14) + stroke(
        p.shade, "M400 270 L400 660", 8
    )
    pockets = part(p.fill, "M285 480 L365 480 L365 560 L285 560 Z", p.shade, 4) + part(
        p.fill, "M435 480 L515 480 L515 560 L435 560 Z", p.shade, 4
    )
    return _knit(p, LONG_SLEEVES) + front + dots(p.light, buttons, 10) + pockets


@shape("vest")
def vest(p: Paint, back: bool) -> str:
    outline = (
        "M318 150 L400 150 L482 150 L515 152 Q515 262 555 302 L550 660 L250 660 L245 302 "
        "Q285 262 285 152 Z"
    )
    neck = "M318 150 Q400 185 482 150" if back else "M318 150 L400 290 L482 150"
    return body(p, outline) + ribs(p.shade, 250, 550, 615, 660) + stroke(p.shade, neck, 14)


@shape("fleece")
def fleece(p: Paint, back: bool) -> str:
    out = body(p, LONG_SLEEVES) + stroke(p.shade, "M120 540 L195 565 M680 540 L605 565", 16)
    collar = part(p.fill, "M335 150 L340 105 L460 105 L465 150 Q400 175 335 150 Z", p.line, 6)
    if back:
        return out + collar
    zip_ = stroke(p.line, "M400 120 L400 330", 6) + dots(METAL, ((400, 335),), 10)
    pocket = stroke(p.shade, "M450 280 L520 280", 6)
    return out + collar + zip_ + pocket


@shape("gilet")
def gilet(p: Paint, back: bool) -> str:
    outline = (
        "M330 130 L470 130 L515 150 Q515 262 555 302 L550 660 L250 660 L245 302 Q285 262 285 150 Z"
    )
    out = body(p, outline)
    if back:
        return out
    return (
        out
        + stroke(p.line, "M400 130 L400 660", 6)
        + stroke(p.shade, "M290 430 L350 400 M510 430 L450 400", 6)
    )


@shape("jacket")
def jacket(p: Paint, back: bool) -> str:
    out = (
        body(p, LONG_SLEEVES)
        + stroke(p.shade, "M250 620 L550 620", 20)
        + stroke(p.shade, "M120 540 L195 565 M680 540 L605 565", 18)
    )
    if back:
        return out + stroke(p.shade, "M250 250 Q400 280 550 250", 4)
    zip_ = stroke(p.line, "M400 160 L400 640", 6)
    pockets = stroke(p.shade, "M300 420 L340 520 M500 420 L460 520", 8)
    collar = part(p.shade, "M335 150 L400 185 L465 150 L470 120 L330 120 Z", p.line, 5)
    return out + zip_ + pockets + collar


def _lapels(p: Paint, bottom: int) -> str:
    left = f"M335 150 L300 200 L340 230 L320 250 L400 {bottom} L400 150 Z"
    right = f"M465 150 L500 200 L460 230 L480 250 L400 {bottom} L400 150 Z"
    return part(p.shade, left, p.line, 5) + part(p.shade, right, p.line, 5)


@shape("blazer")
def blazer(p: Paint, back: bool) -> str:
    out = body(p, LONG_SLEEVES)
    if back:
        return out + stroke(p.shade, "M400 190 L400 660", 4)
    buttons = dots(p.line, ((400, 470), (400, 540)), 10)
    pockets = stroke(p.shade, "M280 540 L360 540 M440 540 L520 540 M450 300 L510 300", 8)
    return out + _lapels(p, 440) + buttons + pockets


@shape("coat")
def coat(p: Paint, back: bool) -> str:
    out = body(p, LONG_COAT)
    if back:
        return out + stroke(p.shade, "M400 360 L400 770", 5)
    buttons = tuple((x, y) for y in (430, 520, 610) for x in (365, 435))
    pockets = stroke(p.shade, "M260 560 L330 545 M540 560 L470 545", 8)
    return out + _lapels(p, 400) + dots(p.line, buttons, 11) + pockets


@shape("parka")
def parka(p: Paint, back: bool) -> str:
    hood = part(p.fill, "M320 165 Q310 60 400 55 Q490 60 480 165 Z", p.line, 6)
    out = hood + body(p, LONG_COAT) + stroke(p.shade, "M120 560 L188 585 M690 560 L612 585", 16)
    if back:
        return out + stroke(p.shade, "M240 300 Q400 330 560 300", 4)
    zip_ = stroke(p.line, "M400 150 L400 770", 7)
    pockets = part(p.fill, "M260 500 L360 500 L365 620 L255 620 Z", p.shade, 5) + part(
        p.fill, "M440 500 L540 500 L545 620 L435 620 Z", p.shade, 5
    )
    cords = stroke(p.light, "M380 170 L375 230 M420 170 L425 230", 4)
    return out + zip_ + pockets + cords


@shape("dress")
def dress(p: Paint, back: bool) -> str:
    outline = (
        "M330 110 Q400 165 470 110 L510 112 Q515 230 545 272 L640 780 L160 780 L255 272 "
        "Q285 230 290 112 Z"
    )
    out = body(p, outline) + stroke(p.shade, "M262 320 Q400 345 538 320", 8)
    if back:
        return out + stroke(p.line, "M400 130 L400 300", 4)
    return (
        out
        + stroke(p.shade, "M330 110 L400 200 L470 110", 6)
        + stroke(p.shade, "M330 360 L290 760 M470 360 L510 760", 3)
    )


@shape("trousers")
def trousers(p: Paint, back: bool) -> str:
    outline = "M265 110 L535 110 L575 770 L435 770 L400 330 L365 770 L225 770 Z"
    out = body(p, outline) + part(p.fill, "M265 110 L535 110 L537 155 L263 155 Z", p.line, 5)
    if back:
        return (
            out
            + part(p.fill, "M300 220 L370 220 L370 290 L300 290 Z", p.shade, 4)
            + part(p.fill, "M430 220 L500 220 L500 290 L430 290 Z", p.shade, 4)
        )
    pockets = stroke(p.shade, "M285 160 Q320 230 275 260 M515 160 Q480 230 525 260", 6)
    return out + pockets + stroke(p.shade, "M400 155 L400 300", 5) + dots(p.line, ((400, 132),), 8)


@shape("leggings")
def leggings(p: Paint, back: bool) -> str:  # noqa: ARG001 - the same from both sides
    outline = "M285 110 L515 110 L510 770 L420 770 L400 330 L380 770 L290 770 Z"
    return (
        body(p, outline)
        + ribs(p.shade, 285, 515, 112, 150, step=12)
        + stroke(p.shade, "M330 200 L335 760 M470 200 L465 760", 3)
    )


# Shoes: side profiles, toe to the left; the back view is the other side.
SHOE_SOLE = "M110 560 Q110 600 150 605 L660 605 Q690 605 690 570 L690 545 L110 545 Z"


def _sole(p: Paint, colour: str = SOLE) -> str:
    return part(colour, SHOE_SOLE, p.line, 5)


def _mirror(back: bool, elements: str) -> str:
    return f'<g transform="translate(800 0) scale(-1 1)">{elements}</g>' if back else elements


@shape("trainer")
def trainer(p: Paint, back: bool) -> str:
    upper = "M115 545 Q110 450 210 430 L400 380 Q450 300 560 290 L640 300 Q690 400 690 545 Z"
    laces = stroke(
        p.light, "M300 410 L330 370 M340 400 L370 360 M380 390 L410 345 M420 375 L450 330", 7
    )
    stripe = stroke(p.shade, "M300 520 Q420 420 560 460", 14)
    heel = part(p.shade, "M640 300 Q690 400 690 545 L650 545 Q640 420 610 300 Z", p.line, 4)
    return _mirror(back, _sole(p) + body(p, upper) + stripe + laces + heel)


@shape("boot")
def boot(p: Paint, back: bool) -> str:
    upper = "M115 545 Q110 465 220 445 L430 405 L455 150 L650 150 L665 545 Z"
    gusset = part(p.shade, "M470 170 L530 170 L540 380 L480 380 Z", p.line, 4)
    tab = part(p.shade, "M620 150 L650 150 L648 100 L622 100 Z", p.line, 4)
    welt = stroke(p.shade, "M120 535 L660 535", 6)
    return _mirror(back, _sole(p, p.shade) + body(p, upper) + gusset + tab + welt)


@shape("tallboot")
def tallboot(p: Paint, back: bool) -> str:
    upper = "M115 545 Q110 470 220 450 L420 415 L440 40 L650 40 L665 545 Z"
    heel = part(p.line, "M560 605 L660 605 L655 690 L575 690 Z", p.line, 4)
    zip_ = stroke(p.shade, "M600 60 L610 500", 5)
    return _mirror(back, heel + _sole(p, p.shade) + body(p, upper) + zip_)


@shape("hikingboot")
def hikingboot(p: Paint, back: bool) -> str:
    upper = "M115 545 Q110 455 220 430 L420 380 L445 180 L640 170 L665 545 Z"
    lugs = "".join(
        f'<rect x="{x}" y="600" width="36" height="22" fill="{p.line}"/>'
        for x in range(130, 660, 60)
    )
    hooks = dots(METAL, ((450, 230), (460, 280), (470, 330), (420, 390), (370, 405)), 9)
    laces = stroke(p.light, "M450 230 L520 250 M460 280 L530 300 M470 330 L540 345", 6)
    toe = part(p.shade, "M115 545 Q110 470 200 450 L250 545 Z", p.line, 4)
    collar = part(p.shade, "M445 180 L640 170 L642 215 L450 225 Z", p.line, 4)
    return _mirror(back, lugs + _sole(p, "#5b4a3a") + body(p, upper) + toe + collar + hooks + laces)


@shape("sandal")
def sandal(p: Paint, back: bool) -> str:
    bed = part(
        SOLE if p.fill != SOLE else WOOD,
        "M110 560 Q115 515 190 515 "
        "L640 515 Q695 520 690 560 Q690 600 640 600 L190 600 Q110 600 110 560 Z",
        p.line,
        5,
    )
    straps = part(
        p.fill,
        "M200 515 Q260 400 360 420 Q400 470 400 515 L350 515 Q340 470 300 465 Q260 470 250 515 Z",
        p.line,
        5,
    )
    strap2 = part(
        p.fill,
        "M470 515 Q520 420 600 430 Q640 470 640 515 L600 515 Q590 480 560 478 Q530 480 520 515 Z",
        p.line,
        5,
    )
    buckle = part(METAL, "M600 440 L630 440 L630 470 L600 470 Z", p.line, 3)
    out = bed + straps + strap2 + buckle
    if p.pattern:
        out += f'<path d="M200 515 Q260 400 360 420 Q400 470 400 515 Z" fill="{p.pattern}"/>'
    return _mirror(back, out)


@shape("espadrille")
def espadrille(p: Paint, back: bool) -> str:
    jute = part("#d9c39a", "M110 545 L690 545 L690 605 L150 605 Q110 600 110 545 Z", "#a8895a", 5)
    braid = "".join(
        f'<line x1="{x}" y1="550" x2="{x + 14}" y2="600" stroke="#a8895a" stroke-width="3"/>'
        for x in range(130, 680, 22)
    )
    upper = "M115 545 Q115 430 250 420 L420 400 Q520 380 640 430 Q690 470 690 545 Z"
    return _mirror(
        back, jute + braid + body(p, upper) + stroke(p.shade, "M420 400 Q440 480 420 545", 5)
    )


# Accessories
@shape("tote")
def tote(p: Paint, back: bool) -> str:
    handles = stroke(p.shade, "M300 300 Q300 120 400 120 Q500 120 500 300", 22)
    out = handles + body(p, "M190 300 L610 300 L650 730 L150 730 Z")
    if not back:
        out += part(p.shade, "M330 300 L470 300 L470 330 L330 330 Z", p.line, 3)
        out += stroke(p.shade, "M210 330 L590 330", 3)
    return out


@shape("crossbody")
def crossbody(p: Paint, back: bool) -> str:
    strap = stroke(p.shade, "M250 400 Q250 80 400 80 Q550 80 550 400", 14)
    bag = body(
        p,
        "M240 380 Q240 360 260 360 L540 360 Q560 360 560 380 "
        "L560 640 Q560 660 540 660 L260 660 Q240 660 240 640 Z",
    )
    if back:
        return strap + bag + stroke(p.shade, "M280 430 L520 430", 4)
    flap = part(
        p.fill,
        "M240 380 Q240 360 260 360 L540 360 Q560 360 560 380 L560 520 Q400 560 240 520 Z",
        p.line,
        5,
    )
    clasp = part(METAL, "M385 520 L415 520 L415 555 L385 555 Z", p.line, 3)
    return strap + bag + flap + clasp


@shape("clutch")
def clutch(p: Paint, back: bool) -> str:
    out = body(p, "M160 320 L640 320 L640 560 L160 560 Z")
    if back:
        return out
    return (
        out
        + part(p.fill, "M160 320 L640 320 L400 470 Z", p.line, 5)
        + dots(METAL, ((400, 460),), 12)
    )


@shape("scarf")
def scarf(p: Paint, back: bool) -> str:
    loop = "M310 120 Q400 60 490 120 Q520 250 470 300 L330 300 Q280 250 310 120 Z"
    left = "M330 280 L420 280 L400 700 L300 700 Z"
    right = "M420 280 L500 280 L520 740 L430 740 Z"
    fringe = stroke(p.shade, " ".join(f"M{x} 700 L{x} 740" for x in range(308, 400, 12)), 4)
    fringe += stroke(p.shade, " ".join(f"M{x} 740 L{x} 780" for x in range(438, 520, 12)), 4)
    folds = "" if back else stroke(p.shade, "M350 320 L340 680 M460 320 L475 720", 3)
    return body(p, loop) + body(p, right) + body(p, left) + fringe + folds


@shape("bandana")
def bandana(p: Paint, back: bool) -> str:
    square = "M400 120 L680 400 L400 680 L120 400 Z"
    border = stroke(p.light, "M400 165 L635 400 L400 635 L165 400 Z", 6)
    motif = (
        ""
        if back
        else dots(p.light, ((400, 300), (300, 400), (500, 400), (400, 500), (400, 400)), 14)
    )
    return body(p, square) + border + motif


@shape("belt")
def belt(p: Paint, back: bool) -> str:
    strap = body(p, "M170 360 L720 360 Q745 400 720 440 L170 440 Z")
    buckle = part("none", "M80 330 L180 330 L180 470 L80 470 Z", METAL, 12)
    prong = stroke(METAL, "M130 400 L230 400", 8)
    holes = dots(p.line, tuple((x, 400) for x in range(300, 560, 50)), 7)
    stitches = "" if back else stroke(p.shade, "M200 372 L700 372 M200 428 L700 428", 2)
    return strap + stitches + holes + buckle + prong


@shape("beanie")
def beanie(p: Paint, back: bool) -> str:  # noqa: ARG001 - round
    crown = body(p, "M210 520 Q210 190 400 190 Q590 190 590 520 Z")
    cuff = part(p.fill, "M190 500 L610 500 L610 620 L190 620 Z", p.line, 6) + ribs(
        p.shade, 190, 610, 505, 615, step=16
    )
    pom = dots(p.light, ((400, 170),), 55)
    return pom + crown + cuff + stroke(p.shade, "M260 300 Q400 260 540 300", 3)


@shape("cap")
def cap(p: Paint, back: bool) -> str:
    crown = body(p, "M200 500 Q200 230 420 230 Q600 240 610 500 Z")
    if back:
        return crown + part(p.shade, "M330 420 Q400 380 470 420 L470 500 L330 500 Z", p.line, 5)
    brim = part(p.shade, "M190 495 Q120 520 90 570 Q300 590 420 505 Z", p.line, 6)
    return (
        crown
        + brim
        + dots(p.shade, ((420, 232),), 14)
        + stroke(p.shade, "M420 240 Q380 380 390 500", 4)
    )


@shape("flatcap")
def flatcap(p: Paint, back: bool) -> str:
    crown = body(p, "M170 470 Q210 300 430 300 Q640 310 650 470 Z")
    brim = "" if back else part(p.shade, "M170 470 Q120 500 130 530 Q300 540 430 470 Z", p.line, 6)
    return crown + brim + stroke(p.shade, "M230 420 Q420 330 620 430", 3)


# Gear
@shape("backpack")
def backpack(p: Paint, back: bool) -> str:
    handle = stroke(p.shade, "M360 170 Q400 120 440 170", 14)
    bag = body(p, "M230 230 Q230 170 300 170 L500 170 Q570 170 570 230 L570 700 L230 700 Z")
    if back:
        return (
            handle
            + bag
            + stroke(p.shade, "M300 200 Q260 450 290 690 M500 200 Q540 450 510 690", 26)
        )
    lid = part(
        p.fill, "M230 230 Q230 170 300 170 L500 170 Q570 170 570 230 L570 330 L230 330 Z", p.line, 5
    )
    pocket = part(p.fill, "M290 470 L510 470 L510 660 L290 660 Z", p.line, 5)
    buckles = dots(METAL, ((330, 330), (470, 330)), 12)
    return handle + bag + lid + pocket + buckles + stroke(p.shade, "M290 500 L510 500", 4)


@shape("bottle")
def bottle(p: Paint, back: bool) -> str:  # noqa: ARG001 - round
    cap_ = part(p.shade, "M345 110 L455 110 L455 180 L345 180 Z", p.line, 5) + stroke(
        p.line, "M370 110 Q400 70 430 110", 10
    )
    neck = part(METAL, "M360 180 L440 180 L450 230 L350 230 Z", p.line, 4)
    can = body(
        p,
        "M320 250 Q320 230 350 230 L450 230 Q480 230 480 250 "
        "L480 700 Q480 730 450 730 L350 730 Q320 730 320 700 Z",
    )
    return cap_ + neck + can + stroke(p.light, "M350 280 L350 680", 10)


@shape("flask")
def flask(p: Paint, back: bool) -> str:  # noqa: ARG001 - round
    cup = part(p.shade, "M330 90 L470 90 L460 200 L340 200 Z", p.line, 5)
    can = body(p, "M330 200 L470 200 L470 730 Q470 750 450 750 L350 750 Q330 750 330 730 Z")
    return (
        cup
        + can
        + stroke(p.light, "M358 230 L358 720", 10)
        + stroke(p.shade, "M330 700 L470 700", 5)
    )


@shape("travelmug")
def travelmug(p: Paint, back: bool) -> str:  # noqa: ARG001 - round
    lid = part("#3a3a3a", "M300 200 L500 200 L490 270 L310 270 Z", p.line, 5)
    cup = body(p, "M310 270 L490 270 L460 720 L340 720 Z")
    band = part(p.shade, "M318 430 L482 430 L474 520 L326 520 Z", p.line, 4)
    return lid + cup + band


@shape("tent")
def tent(p: Paint, back: bool) -> str:
    fly = body(p, "M90 660 Q240 200 400 180 Q560 200 710 660 Z")
    ground = stroke("#7a6a55", "M60 665 L740 665", 6)
    lines = stroke(p.line, "M200 400 L60 660 M600 400 L740 660", 3)
    door = (
        ""
        if back
        else part(p.shade, "M400 260 L300 660 L500 660 Z", p.line, 5)
        + stroke(p.line, "M400 260 L400 660", 4)
    )
    return ground + lines + fly + door


@shape("tarp")
def tarp(p: Paint, back: bool) -> str:  # noqa: ARG001 - symmetric
    poles = stroke("#555", "M150 660 L150 300 M650 660 L650 300", 8)
    sheet = body(p, "M150 300 L650 300 L760 640 L40 640 Z")
    ridge = stroke(p.shade, "M150 300 L650 300", 8)
    return stroke("#7a6a55", "M30 665 L770 665", 6) + poles + sheet + ridge


# Home
@shape("cushion")
def cushion(p: Paint, back: bool) -> str:
    outline = "M170 210 Q400 175 630 210 Q665 400 630 590 Q400 625 170 590 Q135 400 170 210 Z"
    out = body(p, outline) + stroke(
        p.shade, "M190 230 Q400 200 610 230 Q640 400 610 570 Q400 600 190 570 Q160 400 190 230 Z", 3
    )
    if back:
        return out + stroke(p.line, "M250 520 L550 520", 5)
    return out


@shape("floorcushion")
def floorcushion(p: Paint, back: bool) -> str:  # noqa: ARG001 - square
    side = part(p.shade, "M130 420 L670 420 L670 560 Q400 600 130 560 Z", p.line, 6)
    top = body(p, "M130 420 Q400 300 670 420 Q400 520 130 420 Z")
    tufts = dots(p.line, ((400, 420), (280, 430), (520, 430)), 8)
    return side + top + tufts


@shape("bolster")
def bolster(p: Paint, back: bool) -> str:  # noqa: ARG001 - round
    tube = body(p, "M180 300 L620 300 L620 500 L180 500 Z")
    ends = part(p.shade, "M180 300 Q130 400 180 500 Q230 400 180 300 Z", p.line, 5) + part(
        p.shade, "M620 300 Q570 400 620 500 Q670 400 620 300 Z", p.line, 5
    )
    return tube + ends + dots(p.line, ((180, 400), (620, 400)), 10)


@shape("throw")
def throw(p: Paint, back: bool) -> str:  # noqa: ARG001 - folded
    layers = "".join(
        body(
            p, f"M170 {y} L630 {y} Q660 {y + 45} 630 {y + 90} L170 {y + 90} Q140 {y + 45} 170 {y} Z"
        )
        for y in (520, 420, 320)
    )
    fringe = stroke(p.shade, " ".join(f"M{x} 610 L{x} 650" for x in range(180, 630, 14)), 4)
    return fringe + layers


def _flat_rug(p: Paint, x1: int, y1: int, x2: int, y2: int) -> str:
    out = body(p, f"M{x1} {y1} L{x2} {y1} L{x2} {y2} L{x1} {y2} Z")
    out += stroke(
        p.light,
        f"M{x1 + 30} {y1 + 30} L{x2 - 30} {y1 + 30} L{x2 - 30} {y2 - 30} L{x1 + 30} {y2 - 30} Z",
        10,
    )
    out += stroke(
        p.shade,
        " ".join(
            f"M{x1} {y} L{x1 - 30} {y} M{x2} {y} L{x2 + 30} {y}" for y in range(y1 + 8, y2, 14)
        ),
        3,
    )
    return out


@shape("rug")
def rug(p: Paint, back: bool) -> str:  # noqa: ARG001 - flat
    motif = stroke(p.shade, "M400 260 L520 400 L400 540 L280 400 Z", 10)
    return _flat_rug(p, 160, 180, 640, 620) + motif


@shape("runner")
def runner(p: Paint, back: bool) -> str:  # noqa: ARG001 - flat
    motif = stroke(
        p.shade, " ".join(f"M{x} 360 L{x + 40} 400 L{x} 440" for x in range(200, 600, 90)), 8
    )
    return _flat_rug(p, 100, 310, 700, 490) + motif


@shape("doormat")
def doormat(p: Paint, back: bool) -> str:  # noqa: ARG001 - flat
    coir = "".join(
        f'<line x1="{x}" y1="{y}" x2="{x + 8}" y2="{y + 10}" stroke="{p.shade}" stroke-width="3"/>'
        for y in range(300, 500, 24)
        for x in range(190, 610, 26)
    )
    return body(p, "M170 280 L630 280 L630 520 L170 520 Z") + coir


@shape("mug")
def mug(p: Paint, back: bool) -> str:
    handle = part("none", "M520 330 Q640 330 640 450 Q640 560 520 560", p.line, 34) + stroke(
        p.fill, "M520 330 Q640 330 640 450 Q640 560 520 560", 22
    )
    cup = body(p, "M230 250 L540 250 L530 640 Q530 670 500 670 L270 670 Q240 670 240 640 Z")
    rim = part(p.light, "M230 250 Q385 290 540 250 Q385 215 230 250 Z", p.line, 4)
    return _mirror(back, handle + cup + rim)


@shape("cup")
def cup(p: Paint, back: bool) -> str:
    saucer = part(p.shade, "M150 600 Q400 690 650 600 Q400 540 150 600 Z", p.line, 5)
    handle = stroke(p.line, "M520 390 Q610 400 590 470 Q570 530 500 520", 24) + stroke(
        p.fill, "M520 390 Q610 400 590 470 Q570 530 500 520", 12
    )
    body_ = body(p, "M250 360 L550 360 Q545 560 400 590 Q255 560 250 360 Z")
    rim = part(p.light, "M250 360 Q400 395 550 360 Q400 325 250 360 Z", p.line, 4)
    return _mirror(back, saucer + handle + body_ + rim)


@shape("plate")
def plate(p: Paint, back: bool) -> str:
    out = body(p, "M400 120 A280 280 0 1 1 399 120 Z")
    if back:
        return out + stroke(p.shade, "M400 300 A100 100 0 1 1 399 300 Z", 8)
    return out + part(p.light, "M400 200 A200 200 0 1 1 399 200 Z", p.shade, 4)


@shape("bowl")
def bowl(p: Paint, back: bool) -> str:  # noqa: ARG001 - round
    out = body(p, "M140 360 Q150 640 400 660 Q650 640 660 360 Z")
    foot = part(p.shade, "M320 655 L480 655 L470 690 L330 690 Z", p.line, 4)
    inside = part(p.light, "M140 360 Q400 440 660 360 Q400 290 140 360 Z", p.line, 5)
    return foot + out + inside


@shape("dish")
def dish(p: Paint, back: bool) -> str:  # noqa: ARG001 - flat
    outer = body(
        p, "M110 400 Q110 220 400 220 Q690 220 690 400 Q690 580 400 580 Q110 580 110 400 Z"
    )
    inner = part(
        p.light,
        "M180 400 Q180 280 400 280 Q620 280 620 400 Q620 520 400 520 Q180 520 180 400 Z",
        p.shade,
        4,
    )
    return outer + inner


@shape("duvet")
def duvet(p: Paint, back: bool) -> str:  # noqa: ARG001 - a bed
    frame = part(WOOD, "M100 330 L700 330 L700 660 L100 660 Z", "#7d5a36", 5)
    pillows = part("#f7f5f0", "M150 250 L380 250 L380 340 L150 340 Z", "#bdb6a8", 4) + part(
        "#f7f5f0", "M420 250 L650 250 L650 340 L420 340 Z", "#bdb6a8", 4
    )
    cover = body(p, "M110 330 L690 330 L700 620 L100 620 Z") + part(
        p.light, "M110 330 L690 330 L692 400 L108 400 Z", p.line, 4
    )
    return frame + pillows + cover


@shape("sheets")
def sheets(p: Paint, back: bool) -> str:  # noqa: ARG001 - folded
    return "".join(
        body(p, f"M190 {y} L610 {y} L610 {y + 80} L190 {y + 80} Z")
        + stroke(p.shade, f"M190 {y + 40} L610 {y + 40}", 3)
        for y in (560, 470, 380, 290)
    )


@shape("pillow")
def pillow(p: Paint, back: bool) -> str:  # noqa: ARG001 - flat
    one = "M150 {y} Q400 {t} 650 {y} Q670 {m} 650 {b} Q400 {bb} 150 {b} Q130 {m} 150 {y} Z"
    first = one.format(y=420, t=400, m=500, b=580, bb=600)
    second = one.format(y=240, t=220, m=320, b=400, bb=420)
    return body(p, second) + body(p, first)


@shape("towel")
def towel(p: Paint, back: bool) -> str:  # noqa: ARG001 - folded
    rail = stroke(METAL, "M120 170 L680 170", 16)
    cloth = body(p, "M200 170 L600 170 L600 700 L200 700 Z")
    border = stroke(p.light, "M200 610 L600 610 M200 640 L600 640", 10)
    fold = part(p.shade, "M200 170 L600 170 L600 250 L200 250 Z", p.line, 4)
    return rail + cloth + border + fold
