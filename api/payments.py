"""Payment gateways: what checkout needs from a card processor, and the built-in test gateway.

A gateway turns a card into an opaque token (the shop never stores a card number), charges a
token with an idempotency key (the same key charges once, whatever the number of calls), finds a
charge by that key (to finish what a worker that died left behind), and refunds a charge. The
only gateway here is `TestGateway`, which contacts no one: its test card numbers decide the
outcome, as a real provider's test mode does. A real provider would be another class with these
four methods, chosen by VITRINE_PAYMENT_GATEWAY.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from api.schema import test_gateway_cards, test_gateway_charges

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

    async def find_charge(self, idempotency_key: str) -> Charge | None: ...

    async def refund(self, reference: str) -> None: ...


class TestGateway:
    """The built-in gateway: test card numbers decide what a charge does; nothing leaves.

    It stands for a provider's servers, which every worker reaches: its cards and charges live in
    tables of their own (api/schema.py), shared by the workers. A token is random; the number
    itself is kept nowhere, only what a provider would show (brand, last four, expiry) and the
    outcome the test number stands for."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

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
        card_token = CardToken(
            token="tok_test_" + secrets.token_urlsafe(18),
            brand=brand,
            last4=number[-4:],
            exp_month=month,
            exp_year=year,
            holder=holder,
        )
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(test_gateway_cards).values(
                    token=card_token.token,
                    brand=brand,
                    last4=card_token.last4,
                    exp_month=month,
                    exp_year=year,
                    decline_message=TEST_CARDS[number] or "",
                    created_at=datetime.now(UTC),
                )
            )
        return card_token

    async def charge(self, token: str, amount: int, currency: str, idempotency_key: str) -> Charge:
        # A provider answers a repeated key with the first charge, whatever the token or amount.
        if found := await self.find_charge(idempotency_key):
            return found
        async with self._engine.connect() as conn:
            decline = await conn.scalar(
                select(test_gateway_cards.c.decline_message).where(
                    test_gateway_cards.c.token == token
                )
            )
        decline = NOT_A_TEST_CARD if decline is None else decline
        reference = "ch_test_" + secrets.token_hex(12)
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(test_gateway_charges).values(
                        idempotency_key=idempotency_key,
                        reference=reference,
                        token=token,
                        amount=amount,
                        currency=currency,
                        approved=not decline,
                        created_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            # The same key, charged at the same moment by a racing repeat: its charge it is.
            if found := await self.find_charge(idempotency_key):
                return found
            raise
        log.info(
            "test charge %s amount=%d %s %s",
            reference,
            amount,
            currency,
            "declined" if decline else "approved",
        )
        return Charge(reference=reference, approved=not decline, decline_message=decline)

    async def find_charge(self, idempotency_key: str) -> Charge | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        test_gateway_charges.c.reference,
                        test_gateway_charges.c.approved,
                        test_gateway_cards.c.decline_message,
                    )
                    .select_from(
                        test_gateway_charges.outerjoin(
                            test_gateway_cards,
                            test_gateway_cards.c.token == test_gateway_charges.c.token,
                        )
                    )
                    .where(test_gateway_charges.c.idempotency_key == idempotency_key)
                )
            ).one_or_none()
        if row is None:
            return None
        if row.approved:
            return Charge(reference=row.reference, approved=True)
        return Charge(
            reference=row.reference,
            approved=False,
            decline_message=row.decline_message or NOT_A_TEST_CARD,
        )

    async def refund(self, reference: str) -> None:
        """Refunds the charge; refunding it again changes nothing (as a provider's would)."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(test_gateway_charges)
                .where(
                    test_gateway_charges.c.reference == reference,
                    test_gateway_charges.c.refunded_at.is_(None),
                )
                .values(refunded_at=datetime.now(UTC))
            )
        log.info("test refund %s", reference)


GATEWAYS: dict[str, Callable[[AsyncEngine], PaymentGateway]] = {"test": TestGateway}


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
