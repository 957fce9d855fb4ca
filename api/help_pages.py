"""Data: the help pages' words. Figures are not typed here but read from what the shop applies:
delivery options and prices from checkout, the returns window and contact details from
api/shop_policies.py, cookies from what the front sets. So a page cannot promise what checkout
does not do. The pages are reviewed text (legal wording changes through review, like code);
`updated` says when each last changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from api.shop_policies import (
    CONTACT,
    CUT_OFF,
    LEGAL_GUARANTEE_YEARS,
    REFUND_DAYS,
    RETURN_DAYS,
    shop_policies,
)
from contract import help_pb2
from vitrine.formatting import country_name, money

EN_DASH = "\u2013"
_SPAN = re.compile(r"(?<=\d)-(?=\d)")
Section = help_pb2.HelpSection
Link = help_pb2.HelpLink


@dataclass(frozen=True)
class HelpPage:
    slug: str
    title: str
    # Figures in braces come from the policies: see `description_figures`.
    description: str
    updated: datetime
    sections: Callable[[str], list[help_pb2.HelpSection]]  # the sections, in a locale


def _table(caption: str, columns: list[str], rows: list[list[str]]) -> help_pb2.HelpTable:
    """A table; a span of numbers written "80-84" is shown with an en dash."""
    return help_pb2.HelpTable(
        caption=caption,
        columns=columns,
        rows=[help_pb2.HelpRow(cells=[_SPAN.sub(EN_DASH, cell) for cell in row]) for row in rows],
    )


# Names read with "the" in a sentence ("the Netherlands").
_WITH_ARTICLE = frozenset({"GB", "NL"})


def _countries(codes: list[str], locale: str) -> str:
    names = sorted(
        ("the " if code in _WITH_ARTICLE else "") + country_name(code, locale) for code in codes
    )
    names.sort(key=lambda name: name.removeprefix("the "))
    return f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else names[0]


def _days(low: int, high: int) -> str:
    if low == high:
        return "Next working day" if low == 1 else f"{low} working days"
    return f"{low}{EN_DASH}{high} working days"


def _delivery(locale: str) -> list[help_pb2.HelpSection]:
    policies = shop_policies()
    everywhere = list(policies.countries)
    rows = []
    for option in policies.shipping:
        cost = money(option.price, locale)
        if option.HasField("free_from"):
            cost += f", free on orders from {money(option.free_from, locale)}"
        where = (
            _countries(list(option.countries), locale)
            if option.countries
            else "Every country above"
        )
        rows.append([option.label, _days(option.min_days, option.max_days), cost, where])
    return [
        Section(
            heading="Where we deliver",
            paragraphs=[
                f"We deliver to {len(everywhere)} countries: {_countries(everywhere, locale)}.",
                (
                    f"Orders placed before {CUT_OFF} (Irish time) on a working day leave our "
                    "warehouse the same day; later orders leave the next working day. Delivery "
                    "times below count from the day your order leaves us."
                ),
            ],
        ),
        Section(
            heading="Delivery options and costs",
            paragraphs=[
                (
                    "You choose an option at checkout, where you see its price before you pay. "
                    "Prices include VAT."
                )
            ],
            table=_table("Delivery options", ["Option", "Delivery time", "Cost", "Where"], rows),
        ),
        Section(
            heading="Tracking your parcel",
            paragraphs=[
                (
                    "The carrier emails you a tracking link when your parcel is on its way. "
                    "Parcels need a signature only when they are sent by express or next-day "
                    "delivery."
                ),
            ],
        ),
        Section(
            heading="Orders to the United Kingdom",
            paragraphs=[
                (
                    "Parcels to the United Kingdom leave the EU's customs union: the carrier may "
                    "ask you for UK import VAT and duty before it delivers."
                ),
            ],
        ),
        Section(
            heading="Missing or damaged parcels",
            paragraphs=[
                (
                    "If your parcel has not arrived two working days after its latest delivery "
                    "date, or arrives damaged, contact us: we send a replacement or refund you in "
                    "full, including delivery."
                ),
            ],
            links=[Link(label="Contact us", url="/help/contact")],
        ),
    ]


def _returns(locale: str) -> list[help_pb2.HelpSection]:  # noqa: ARG001 - no figures in money
    return [
        Section(
            heading=f"{RETURN_DAYS} days to change your mind",
            paragraphs=[
                (
                    f"You can return anything you bought from us within {RETURN_DAYS} days of its "
                    "delivery, for any reason, and returns are free. That is longer than the 14 "
                    "days EU law gives you, and it does not affect your legal rights."
                ),
                (
                    "Items must be unworn, unwashed and unused, with their labels. Base layers "
                    "and pillowcases, for hygiene, only in their sealed packaging."
                ),
            ],
        ),
        Section(
            heading="How to return",
            items=[
                "Log in and open the order, or use the link in your order confirmation email.",
                (
                    "Email us the order number and what you are sending back; we reply with a "
                    "free return label within one working day."
                ),
                (
                    "Pack the items, stick the label on the parcel and drop it at any post office "
                    "or parcel point of the carrier named on the label."
                ),
            ],
            links=[Link(label="Contact us", url="/help/contact")],
        ),
        Section(
            heading="Refunds",
            paragraphs=[
                (
                    f"We refund you within {REFUND_DAYS} days of your return reaching us, to the "
                    "card you paid with. If you return a whole order, the delivery cost is "
                    "refunded too."
                ),
            ],
        ),
        Section(
            heading="Exchanges",
            paragraphs=[
                (
                    "To swap a size or colour, return the item for a refund and order the one you "
                    "want: it reaches you sooner than an exchange would, while stock lasts. If it "
                    "is sold out, ask on its page to be emailed when it is back."
                ),
            ],
        ),
        Section(
            heading="Faulty items",
            paragraphs=[
                (
                    f"Everything we sell has the {LEGAL_GUARANTEE_YEARS}-year legal guarantee: if "
                    "an item turns out to be faulty, we repair, replace or refund it, and pay the "
                    "postage both ways, whenever you bought it within that time."
                ),
            ],
        ),
    ]


def _contact(locale: str) -> list[help_pb2.HelpSection]:  # noqa: ARG001 - words only
    hours = [
        [f"{days[0]} to {days[-1]}" if len(days) > 1 else days[0], f"{h.opens}{EN_DASH}{h.closes}"]
        for h in CONTACT.hours
        for days in [list(h.days)]
    ]
    hours.append(["Sunday and public holidays", "Closed"])
    return [
        Section(
            heading="Customer service",
            paragraphs=[
                (
                    "Questions about an order, a delivery, a return or a size: email or call us. "
                    "We answer emails within one working day."
                ),
            ],
            items=[f"Email: {CONTACT.email}", f"Telephone: {CONTACT.telephone}"],
            links=[
                Link(label=f"Email {CONTACT.email}", url=f"mailto:{CONTACT.email}"),
                Link(
                    label=f"Call {CONTACT.telephone}",
                    url="tel:" + CONTACT.telephone.replace(" ", ""),
                ),
            ],
            table=_table("Opening hours (Irish time)", ["Days", "Hours"], hours),
        ),
        Section(
            heading="Our address",
            paragraphs=[
                (
                    f"{CONTACT.legal_name}, {CONTACT.street}, {CONTACT.city} {CONTACT.postcode}, "
                    "Ireland. This is also where returns go: use the free label we send you."
                ),
                "Registered in Ireland, company number 712345; VAT number IE 1234567TA.",
            ],
        ),
    ]


def _privacy(locale: str) -> list[help_pb2.HelpSection]:  # noqa: ARG001 - words only
    return [
        Section(
            heading="Who we are",
            paragraphs=[
                (
                    f"{CONTACT.legal_name} ({CONTACT.street}, {CONTACT.city} {CONTACT.postcode}, "
                    "Ireland) runs this shop and decides how your personal data is used. Write to "
                    f"{CONTACT.email} about anything on this page."
                ),
            ],
        ),
        Section(
            heading="What we keep, and why",
            items=[
                (
                    "Your account, if you make one: your name, email address and password, stored "
                    "only as a salted hash we cannot read back. To let you log in and see your "
                    "orders."
                ),
                (
                    "Your orders: the email address for the confirmation, the delivery address and "
                    "telephone number, what you bought and what it cost, the delivery option, and "
                    "of your card only its brand, last four digits, expiry date and the name on "
                    "it. To deliver, answer questions and keep the accounts the law requires."
                ),
                "Your basket and checkout in progress, so they are still there when you come back.",
                (
                    "Back-in-stock requests: your email address and the option you asked about, "
                    "until we have sent the one email you asked for."
                ),
                (
                    "Log-in attempts, registrations and back-in-stock requests, with the network "
                    "address they came from, to stop people guessing passwords or flooding "
                    "mailboxes."
                ),
            ],
            paragraphs=[
                (
                    "Your full card number and security code go to our payment provider and are "
                    "never stored by us. We do not sell your data, and we send no marketing email: "
                    "only the messages you ask for (order confirmations, the link that finishes "
                    "making your account, back-in-stock emails)."
                ),
            ],
        ),
        Section(
            heading="Cookies",
            paragraphs=[
                (
                    "We set only the cookies the shop needs to work, so we do not ask for consent "
                    "and set no analytics or advertising cookies:"
                ),
            ],
            table=_table(
                "Cookies this shop sets",
                ["Name", "What it does", "How long"],
                [
                    ["basket", "Remembers your basket (a random token, signed)", "30 days"],
                    ["session", "Keeps you logged in (a random token, signed)", "30 days"],
                    ["_xsrf", "Proves that a form was sent from this shop's own page", "Session"],
                ],
            ),
        ),
        Section(
            heading="How long we keep it",
            paragraphs=[
                (
                    "Orders and what you paid: seven years, as Irish tax law requires. Your "
                    "account: until you ask us to close it. Your browser keeps your basket for 30 "
                    "days, and a log-in ends when you log out or after 30 days."
                ),
            ],
        ),
        Section(
            heading="Your rights",
            paragraphs=[
                (
                    "You can ask to see the data we hold about you, to correct it, to have it "
                    "deleted (orders we must keep for tax are kept, and nothing more), to receive "
                    "it in a file, or object to how we use it: email us and we answer within a "
                    "month. You can also complain to Ireland's Data Protection Commission "
                    "(dataprotection.ie)."
                ),
            ],
        ),
    ]


def _terms(locale: str) -> list[help_pb2.HelpSection]:  # noqa: ARG001 - words only
    return [
        Section(
            heading="About these terms",
            paragraphs=[
                (
                    f"These terms apply to orders from this shop, sold by {CONTACT.legal_name}, "
                    f"{CONTACT.street}, {CONTACT.city}, Ireland. They do not take away any right "
                    "the law of your country gives you as a consumer."
                ),
            ],
        ),
        Section(
            heading="Your order",
            paragraphs=[
                (
                    "When you place an order we email a confirmation: that is our contract. If we "
                    "cannot supply an item after all, we tell you and refund it at once."
                ),
                (
                    "Prices are in euro and include VAT. Delivery is added at checkout, where you "
                    "see the total before you pay. We charge your card when you place the order."
                ),
            ],
        ),
        Section(
            heading="Delivery",
            paragraphs=["Delivery options, costs and times are on the delivery page."],
            links=[Link(label="Delivery", url="/help/delivery")],
        ),
        Section(
            heading="Cancelling and returning",
            paragraphs=[
                (
                    "EU law lets you cancel within 14 days of delivery without giving a reason; we "
                    f"extend this to {RETURN_DAYS} days and pay the return postage. We refund "
                    f"within {REFUND_DAYS} days of receiving the items."
                ),
            ],
            links=[Link(label="Returns", url="/help/returns")],
        ),
        Section(
            heading="Guarantee and liability",
            paragraphs=[
                (
                    f"Everything we sell has the {LEGAL_GUARANTEE_YEARS}-year legal guarantee of "
                    "conformity. We are liable for loss we cause that was foreseeable when you "
                    "ordered; nothing here limits liability the law does not allow us to limit."
                ),
            ],
        ),
        Section(
            heading="Law and disputes",
            paragraphs=[
                (
                    "Irish law applies, and you may also rely on the consumer law of the country "
                    "you live in. Please tell us first if something went wrong: most problems are "
                    "solved by one email. If not, you can go to the courts of Ireland or of your "
                    "own country."
                ),
            ],
        ),
    ]


# Clothing sizes as the catalogue labels them, in centimetres of the body (not the garment).
WOMEN_SIZES = [
    ["XS", "34", "6", "80-84", "62-66", "88-92"],
    ["S", "36", "8", "84-88", "66-70", "92-96"],
    ["M", "38", "10", "88-92", "70-74", "96-100"],
    ["L", "40", "12", "92-97", "74-79", "100-105"],
    ["XL", "42", "14", "97-102", "79-84", "105-110"],
]
MEN_SIZES = [
    ["XS", "44", "34", "84-88", "70-74"],
    ["S", "46", "36", "88-94", "74-80"],
    ["M", "48-50", "38-40", "94-100", "80-86"],
    ["L", "52", "42", "100-106", "86-92"],
    ["XL", "54-56", "44-46", "106-112", "92-98"],
]
# EU shoe sizes, with the UK and US sizes and the foot length (heel to longest toe) they fit.
SHOE_SIZES = [
    ["36", "3.5", "5.5", "4.5", "23.0"],
    ["37", "4", "6.5", "5", "23.7"],
    ["38", "5", "7.5", "6", "24.3"],
    ["39", "6", "8.5", "7", "25.0"],
    ["40", "6.5", "9", "7.5", "25.7"],
    ["41", "7.5", "10", "8.5", "26.3"],
    ["42", "8", "10.5", "9", "27.0"],
    ["43", "9", "11.5", "10", "27.7"],
    ["44", "9.5", "12", "10.5", "28.3"],
    ["45", "10.5", "13", "11.5", "29.0"],
]


def _size_guide(locale: str) -> list[help_pb2.HelpSection]:  # noqa: ARG001 - words only
    return [
        Section(
            heading="How to measure",
            items=[
                "Chest or bust: around the fullest part, under the arms, tape level.",
                "Waist: around your natural waistline, the narrowest part.",
                "Hips: around the fullest part, feet together.",
                "Foot: stand on paper, mark heel and longest toe, measure between the marks.",
            ],
            paragraphs=[
                (
                    "Between two sizes? Take the larger for a relaxed fit, the smaller for a "
                    "close one. A product's details say whether it runs small."
                )
            ],
        ),
        Section(
            heading="Women's clothing",
            table=_table(
                "Women's clothing sizes (body measurements in cm)",
                ["Size", "EU", "UK", "Bust", "Waist", "Hips"],
                WOMEN_SIZES,
            ),
        ),
        Section(
            heading="Men's clothing",
            table=_table(
                "Men's clothing sizes (body measurements in cm)",
                ["Size", "EU", "UK/US chest (in)", "Chest", "Waist"],
                MEN_SIZES,
            ),
        ),
        Section(
            heading="Shoes",
            paragraphs=[
                "Outdoor clothing follows the men's sizes; outdoor footwear the same shoe sizes."
            ],
            table=_table(
                "Shoe sizes",
                ["EU", "UK", "US women", "US men", "Foot length (cm)"],
                SHOE_SIZES,
            ),
        ),
    ]


_UPDATED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

# In the order a footer lists them.
HELP_PAGES = (
    HelpPage(
        "delivery",
        "Delivery",
        "Delivery options, costs and times to the {countries} European countries we deliver "
        "to, with free standard delivery from {free_from}.",
        _UPDATED,
        _delivery,
    ),
    HelpPage(
        "returns",
        "Returns and refunds",
        "Free returns within {return_days} days, refunds within {refund_days} days: how to "
        "send something back.",
        _UPDATED,
        _returns,
    ),
    HelpPage(
        "contact",
        "Contact us",
        "Email, telephone and opening hours of Vitrine's customer service, and our address.",
        _UPDATED,
        _contact,
    ),
    HelpPage(
        "size-guide",
        "Size guide",
        "Women's and men's clothing sizes XS to XL and shoe sizes 36 to 45, with measurements.",
        _UPDATED,
        _size_guide,
    ),
    HelpPage(
        "privacy",
        "Privacy and cookies",
        "What personal data Vitrine keeps, why, for how long, the cookies it sets, and your "
        "rights.",
        _UPDATED,
        _privacy,
    ),
    HelpPage(
        "terms",
        "Terms of sale",
        "The terms of orders from Vitrine: prices, payment, delivery, cancelling and returns.",
        _UPDATED,
        _terms,
    ),
)
HELP_PAGES_BY_SLUG = {page.slug: page for page in HELP_PAGES}


def description_figures(locale: str) -> dict[str, object]:
    """What a page's description may name in braces, as the shop applies it."""
    policies = shop_policies()
    free = [o.free_from for o in policies.shipping if o.HasField("free_from")]
    return {
        "countries": len(policies.countries),
        "free_from": money(min(free, key=lambda m: m.amount), locale) if free else "",
        "return_days": RETURN_DAYS,
        "refund_days": REFUND_DAYS,
    }
