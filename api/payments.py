"""Payment gateways: what checkout needs from a card processor, and the built-in test gateway.

A gateway turns a card into a token (the shop never stores a card number), charges a token with
an idempotency key (the same key charges once, whatever the number of calls), and refunds a
charge. The only gateway here is `TestGateway`, which contacts no one: its test card numbers
decide the outcome, as a real provider's test mode does. A real provider would be another class
with these three methods, chosen by VITRINE_PAYMENT_GATEWAY.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

log = logging.getLogger("vitrine.payments")

# A charge's outcome, decided by the card number (the same numbers as common providers' test
# modes): None succeeds, a text is the decline the shopper reads.
TEST_CARDS: dict[str, str | None] = {
    "4242424242424242": None,
    "5555555555554444": None,
    "378282246310005": None,
    "4000000000000002": "Your card was declined.",
    "4000000000009995": "Your card has insufficient funds.",
    "4000000000000069": "Your card has expired.",
}
NOT_A_TEST_CARD = "This shop takes test cards only, such as 4242 4242 4242 4242."
_SEPARATORS = re.compile(r"[ -]")
_DIGITS = re.compile(r"[0-9]+")
# ASCII digits only (`\d` also matches other scripts' digits, which int() reads).
_EXPIRY = re.compile(r"([0-9]{1,2}) */ *([0-9]{2}|[0-9]{4})")
_TOKEN = re.compile(r"tok_test_([0-9]{12,19})_[A-Za-z0-9_-]{8,}")
MAX_HOLDER_LENGTH = 100


@dataclass(frozen=True)
class CardDetails:
    """A card as typed into the payment form."""

    number: str
    expiry: str  # "MM/YY"
    cvc: str
    holder: str


@dataclass(frozen=True)
class CardToken:
    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    holder: str


@dataclass(frozen=True)
class Charge:
    reference: str  # the gateway's id for the charge; the same for a repeated key
    approved: bool
    decline_message: str = ""


class CardRefused(ValueError):
    """The card cannot be used; `errors` maps form fields to what the shopper should fix."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class PaymentGateway(Protocol):
    async def tokenize(self, card: CardDetails, now: datetime) -> CardToken: ...

    async def charge(
        self, token: str, amount: int, currency: str, idempotency_key: str
    ) -> Charge: ...

    async def refund(self, reference: str) -> None: ...


class TestGateway:
    """The built-in gateway: test card numbers decide what a charge does; nothing leaves."""

    async def tokenize(self, card: CardDetails, now: datetime) -> CardToken:
        errors: dict[str, str] = {}
        number = _SEPARATORS.sub("", card.number.strip())
        brand = card_brand(number)
        if not number:
            errors["card_number"] = "Enter the card number."
        elif not _DIGITS.fullmatch(number) or not 12 <= len(number) <= 19:
            errors["card_number"] = "A card number is 12 to 19 digits."
        elif not luhn_valid(number):
            errors["card_number"] = "This card number has a typo: check the digits."
        elif number not in TEST_CARDS:
            errors["card_number"] = NOT_A_TEST_CARD
        expiry = parse_expiry(card.expiry, now)
        if isinstance(expiry, str):
            errors["expiry"] = expiry
        cvc_length = 4 if brand == "American Express" else 3
        if not (_DIGITS.fullmatch(card.cvc.strip()) and len(card.cvc.strip()) == cvc_length):
            errors["cvc"] = f"The security code is the {cvc_length} digits on the card."
        holder = card.holder.strip()
        if not holder:
            errors["holder"] = "Enter the name on the card."
        elif len(holder) > MAX_HOLDER_LENGTH or "\x00" in holder:
            errors["holder"] = f"The name on the card is at most {MAX_HOLDER_LENGTH} characters."
        if errors or isinstance(expiry, str):
            raise CardRefused(errors)
        month, year = expiry
        return CardToken(
            token=f"tok_test_{number}_{secrets.token_urlsafe(12)}",
            brand=brand,
            last4=number[-4:],
            exp_month=month,
            exp_year=year,
            holder=holder,
        )

    async def charge(self, token: str, amount: int, currency: str, idempotency_key: str) -> Charge:
        # A provider answers a repeated key with the first charge: so does this reference.
        reference = "ch_test_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        match = _TOKEN.fullmatch(token)
        decline = TEST_CARDS.get(match.group(1), NOT_A_TEST_CARD) if match else NOT_A_TEST_CARD
        log.info(
            "test charge %s amount=%d %s %s",
            reference,
            amount,
            currency,
            "declined" if decline else "approved",
        )
        if decline:
            return Charge(reference=reference, approved=False, decline_message=decline)
        return Charge(reference=reference, approved=True)

    async def refund(self, reference: str) -> None:
        log.info("test refund %s", reference)


GATEWAYS: dict[str, type[PaymentGateway]] = {"test": TestGateway}


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "Visa"
    if number[:2] in {"34", "37"}:
        return "American Express"
    if number[:2] in {"51", "52", "53", "54", "55"} or (
        _DIGITS.fullmatch(number[:4]) and 2221 <= int(number[:4]) <= 2720
    ):
        return "Mastercard"
    return "Card"


def luhn_valid(number: str) -> bool:
    """The check digit every card number carries (ISO/IEC 7812)."""
    total = 0
    for position, digit in enumerate(reversed(number)):
        value = int(digit)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def parse_expiry(raw: str, now: datetime) -> tuple[int, int] | str:
    """(month, four-digit year), or what is wrong with it. A card is good through its month."""
    match = _EXPIRY.fullmatch(raw.strip())
    if not match:
        return "Enter the expiry date as MM/YY."
    month, year = int(match.group(1)), int(match.group(2))
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        return "The expiry month is from 01 to 12."
    if (year, month) < (now.year, now.month):
        return "This card has expired."
    if year > now.year + 20:
        return "Check the expiry year."
    return month, year
