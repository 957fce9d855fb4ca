"""Data: who the shop is, how to reach it, and what it promises about returns. Delivery options
and countries are checkout's own (api/services/checkout.py), so the help pages and product
pages state exactly what checkout charges."""

from __future__ import annotations

from api import messages
from api.services.basket import CURRENCY
from api.services.checkout import SHIPPING_COUNTRIES, SHIPPING_METHODS
from contract import help_pb2

# Orders placed on a working day before the cut-off leave the warehouse that day.
HANDLING_DAYS = 1
CUT_OFF = "14:00"
RETURN_DAYS = 30
# EU consumer law: a refund within 14 days of the withdrawal; the shop refunds within 14 days of
# the parcel's arrival, which is sooner than the law's latest date.
REFUND_DAYS = 14
LEGAL_GUARANTEE_YEARS = 2

CONTACT = help_pb2.ContactDetails(
    name="Vitrine",
    legal_name="Vitrine Retail Limited",
    email="help@vitrine.example",
    telephone="+353 1 555 0142",
    street="Unit 4, Grand Canal Quay",
    city="Dublin",
    postcode="D02 X576",
    country="IE",
    hours=[
        help_pb2.OpeningHours(
            days=["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
            opens="09:00",
            closes="18:00",
        ),
        help_pb2.OpeningHours(days=["Saturday"], opens="10:00", closes="16:00"),
    ],
    time_zone="Europe/Dublin",
)


def shop_policies() -> help_pb2.ShopPolicies:
    return help_pb2.ShopPolicies(
        contact=CONTACT,
        countries=SHIPPING_COUNTRIES,
        shipping=[
            help_pb2.ShippingOption(
                code=method.code,
                label=method.label,
                price=messages.money(method.price, CURRENCY),
                free_from=(
                    messages.money(method.free_from, CURRENCY)
                    if method.free_from is not None
                    else None
                ),
                min_days=method.min_days,
                max_days=method.max_days,
                countries=sorted(method.countries or ()),
            )
            for method in SHIPPING_METHODS
        ],
        handling_days=HANDLING_DAYS,
        returns=help_pb2.ReturnPolicy(
            days=RETURN_DAYS, free=True, refund_days=REFUND_DAYS, countries=SHIPPING_COUNTRIES
        ),
    )
