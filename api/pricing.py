"""The pricing rules of promotions, in integer minor units, with no database: what a basket's
lines cost, which promotions and codes apply, what each takes off and why a code does not apply.

docs/checkout.md ("Promotions and vouchers") states the rules for shoppers and merchants; in
short:

1. Sales (promotions that need no code, take a percentage or an amount off, and ask no minimum
   spend) set each unit's price: the lowest price any live sale covering the product gives,
   ties to the lowest promotion id. Sales do not stack with one another.
2. The other promotions that need no code, then the basket's codes in the order they were
   added, are checked (window, limits, customer, covered lines, minimum spend, combining) at the
   basket's sale prices.
3. Those that apply take their discount in a fixed order, each from what the ones before left of
   its covered lines: buy N get M first, then percentages, then amounts, each stage by promotion
   id. A discount is shared over its covered lines in proportion to what they still cost
   (largest remainder, so the shares add up to the cent), and never exceeds it: no line, and so
   no total, goes below zero.
4. A percentage is rounded half up to the cent, once per discount (not per line). Free delivery
   makes standard delivery free; it takes nothing off the items.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from vitrine.formatting import date, money_amount


class Benefit(enum.StrEnum):
    PERCENT_OFF = "percent_off"
    AMOUNT_OFF = "amount_off"  # per unit for a sale, once per basket otherwise
    FREE_DELIVERY = "free_delivery"
    BUY_N_GET_M = "buy_n_get_m"  # of every N + M covered units, the M cheapest are free


# The order benefits are applied in (step 3 of the module's docstring).
_STAGE = {
    Benefit.BUY_N_GET_M: 0,
    Benefit.PERCENT_OFF: 1,
    Benefit.AMOUNT_OFF: 2,
    Benefit.FREE_DELIVERY: 3,
}


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands datetimes back without a zone; everything is stored in UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


@dataclass(frozen=True)
class Offer:
    """A promotion as the rules see it."""

    id: int
    name: str
    benefit: Benefit
    currency: str = "EUR"
    percent_off: int = 0
    amount_off: int = 0
    buy_quantity: int = 0
    free_quantity: int = 0
    min_subtotal: int = 0
    # What it covers: none of either means everything. Categories are leaves (a promotion on a
    # parent category is expanded to its subtree's leaves, where products are).
    product_ids: frozenset[int] = frozenset()
    category_ids: frozenset[int] = frozenset()
    starts_at: datetime | None = None
    ends_at: datetime | None = None  # exclusive
    needs_code: bool = False
    combinable: bool = True
    first_order_only: bool = False
    max_uses: int | None = None
    times_used: int = 0
    max_uses_per_customer: int | None = None

    @property
    def everything(self) -> bool:
        return not self.product_ids and not self.category_ids

    def covers(self, product_id: int, category_id: int) -> bool:
        return self.everything or product_id in self.product_ids or category_id in self.category_ids

    @property
    def is_sale(self) -> bool:
        """Sets unit prices (listings show it) rather than taking a discount off the basket."""
        return (
            not self.needs_code
            and self.benefit in {Benefit.PERCENT_OFF, Benefit.AMOUNT_OFF}
            and self.min_subtotal == 0
        )

    def is_live(self, now: datetime) -> bool:
        starts, ends = aware(self.starts_at), aware(self.ends_at)
        return (starts is None or starts <= now) and (ends is None or now < ends)

    def unit_price(self, price: int) -> int:
        """A sale's price for a unit of regular price `price`."""
        return price - min(price, self.takes_off(price, per_unit=True))

    def takes_off(self, amount: int, *, per_unit: bool = False) -> int:
        """What a percentage or amount takes off `amount` (itself at most)."""
        if self.benefit == Benefit.PERCENT_OFF:
            return percent_of(amount, self.percent_off)
        if self.benefit == Benefit.AMOUNT_OFF or per_unit:
            return min(amount, self.amount_off)
        return 0


def percent_of(amount: int, percent: int) -> int:
    """`percent` % of `amount`, rounded half up to the minor unit; never more than `amount`
    for 0 <= percent <= 100."""
    return (amount * percent + 50) // 100


@dataclass(frozen=True)
class Code:
    """A voucher code a basket holds, with its promotion."""

    code: str
    offer: Offer
    max_uses: int | None = None
    times_used: int = 0

    @property
    def used_up(self) -> bool:
        return self.max_uses is not None and self.times_used >= self.max_uses


@dataclass(frozen=True)
class Customer:
    """Who orders, as far as the shop knows. A guest before the checkout's address step is
    unknown: the rules about the customer are not checked yet (they are at the order)."""

    known: bool = False
    first_order: bool = True
    uses: Mapping[int, int] = field(default_factory=dict)  # promotion id -> orders that used it


UNKNOWN_CUSTOMER = Customer()


@dataclass(frozen=True)
class Line:
    key: int  # the variant id: lines are told apart and ordered by it where order matters
    product_id: int
    category_id: int
    quantity: int
    price: int  # regular unit price


class Why(enum.Enum):
    UNKNOWN = "unknown"
    NOT_YET = "not_yet"
    EXPIRED = "expired"
    USED_UP = "used_up"
    USED_BY_CUSTOMER = "used_by_customer"
    FIRST_ORDER = "first_order"
    NOTHING_COVERED = "nothing_covered"
    SPEND_MORE = "spend_more"
    BUY_MORE = "buy_more"
    NOT_COMBINABLE = "not_combinable"
    EMPTY_BASKET = "empty_basket"
    TOO_MANY = "too_many"


MAX_CODES = 3


@dataclass(frozen=True)
class Refusal:
    """Why a code does not apply; `words` says it to a shopper."""

    why: Why
    moment: datetime | None = None  # NOT_YET, EXPIRED
    amount: int = 0  # SPEND_MORE: how much more
    currency: str = ""
    count: int = 0  # BUY_MORE: how many more covered items
    other_code: str = ""  # NOT_COMBINABLE
    covered_only: bool = False  # SPEND_MORE, BUY_MORE: the promotion covers some items only

    def words(self, locale: str) -> str:
        on_covered = " on the items it covers" if self.covered_only else ""
        if self.why in {Why.NOT_YET, Why.EXPIRED}:
            when = date(self.moment, locale, "long")
            return _WORDS[self.why].format(when=when)
        if self.why == Why.SPEND_MORE:
            spend = money_amount(self.amount, self.currency, locale)
            return f"Spend {spend} more{on_covered} to use this code."
        if self.why == Why.BUY_MORE:
            items = "item" if self.count == 1 else "items"
            return f"Add {self.count} more {items}{on_covered} to use this code."
        return _WORDS[self.why].format(other=self.other_code, most=MAX_CODES)


_WORDS = {
    Why.UNKNOWN: "We do not know this code. Check it and try again.",
    Why.NOT_YET: "This code can be used from {when}.",
    Why.EXPIRED: "This code expired on {when}.",
    Why.USED_UP: "This code has been used up.",
    Why.USED_BY_CUSTOMER: "You have already used this code as many times as it allows.",
    Why.FIRST_ORDER: "This code is for a first order only.",
    Why.NOTHING_COVERED: "This code does not apply to anything in your basket.",
    Why.NOT_COMBINABLE: "This code cannot be combined with {other}.",
    Why.EMPTY_BASKET: "Add something to your basket before using a code.",
    Why.TOO_MANY: "A basket can hold at most {most} codes.",
}


@dataclass
class PricedLine:
    line: Line
    unit_price: int  # after the sale
    sale: Offer | None
    discount: int = 0  # its share of the ITEMS discounts

    @property
    def total(self) -> int:
        return self.unit_price * self.line.quantity


@dataclass(frozen=True)
class Applied:
    """A promotion that applies, and what it takes off the items (0 for free delivery)."""

    offer: Offer
    code: str
    amount: int


@dataclass(frozen=True)
class CodeOutcome:
    code: Code
    refusal: Refusal | None
    amount: int = 0

    @property
    def applies(self) -> bool:
        return self.refusal is None


@dataclass
class Priced:
    lines: list[PricedLine]
    applied: list[Applied]  # in the order they took their discounts
    codes: list[CodeOutcome]  # in the order the basket holds them
    # Promotions that need no code and ask for a bigger spend than the basket's, and how much.
    within_reach: list[tuple[Offer, Refusal]] = field(default_factory=list)

    @property
    def subtotal(self) -> int:
        return sum(line.total for line in self.lines)

    @property
    def discount(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def free_delivery(self) -> Offer | None:
        return next(
            (a.offer for a in self.applied if a.offer.benefit == Benefit.FREE_DELIVERY), None
        )

    def shipping(self, price: int, *, free_with_offer: bool) -> int:
        """A delivery's price for this basket: 0 when a free-delivery promotion covers it."""
        return 0 if free_with_offer and self.free_delivery is not None else price

    def total(self, shipping: int) -> int:
        return self.subtotal - self.discount + shipping


def best_sale(sales: Iterable[Offer], line: Line, now: datetime) -> Offer | None:
    """The live sale giving the lowest unit price for the line's product (ties: lowest id)."""
    best: tuple[int, int] | None = None
    chosen = None
    for sale in sales:
        if not (sale.is_sale and sale.covers(line.product_id, line.category_id)):
            continue
        price = sale.unit_price(line.price)
        if price < line.price and (best is None or (price, sale.id) < best) and sale.is_live(now):
            best, chosen = (price, sale.id), sale
    return chosen


def price_basket(
    lines: Sequence[Line],
    offers: Iterable[Offer],
    codes: Sequence[Code],
    now: datetime,
    customer: Customer = UNKNOWN_CUSTOMER,
) -> Priced:
    """The basket priced: steps 1 to 3 of the module's docstring. `offers` are the promotions
    that need no code (any window: those not live are left out here); `codes` the basket's, in
    the order they were added."""
    offers = list(offers)
    sales = [offer for offer in offers if offer.is_sale]
    priced = [
        PricedLine(line, (sale.unit_price(line.price) if sale else line.price), sale)
        for line in lines
        for sale in [best_sale(sales, line, now)]
    ]
    automatic = sorted(
        (o for o in offers if not o.is_sale and not o.needs_code and o.is_live(now)),
        key=lambda o: o.id,
    )
    chosen, within_reach = [], []
    for offer in automatic:
        refusal = _refusal(offer, priced, customer, now)
        if refusal is None:
            chosen.append((offer, ""))
        elif refusal.why == Why.SPEND_MORE:
            within_reach.append((offer, refusal))
    outcomes: list[CodeOutcome] = []
    taken: list[Code] = []
    for code in codes:
        refusal = code_refusal(code, priced, customer, now, taken)
        outcomes.append(CodeOutcome(code, refusal))
        if refusal is None:
            taken.append(code)
            chosen.append((code.offer, code.code))
    applied = _take_discounts(priced, chosen)
    amounts = {a.code: a.amount for a in applied if a.code}
    outcomes = [
        replace(outcome, amount=amounts.get(outcome.code.code, 0)) if outcome.applies else outcome
        for outcome in outcomes
    ]
    return Priced(priced, applied, outcomes, within_reach)


def code_refusal(
    code: Code,
    lines: Sequence[PricedLine],
    customer: Customer,
    now: datetime,
    taken: Sequence[Code] = (),
) -> Refusal | None:
    """Why `code` does not apply to these lines, next to the codes `taken` before it; None
    when it does."""
    if code.used_up:
        return Refusal(Why.USED_UP)
    if refusal := _refusal(code.offer, lines, customer, now):
        return refusal
    offer = code.offer
    for other in taken:
        if not offer.combinable or not other.offer.combinable:
            return Refusal(Why.NOT_COMBINABLE, other_code=other.code)
    return None


def _refusal(
    offer: Offer, lines: Sequence[PricedLine], customer: Customer, now: datetime
) -> Refusal | None:
    return (
        _window_refusal(offer, now)
        or _limit_refusal(offer, customer)
        or _basket_refusal(offer, lines)
    )


def _window_refusal(offer: Offer, now: datetime) -> Refusal | None:
    starts, ends = aware(offer.starts_at), aware(offer.ends_at)
    if starts is not None and now < starts:
        return Refusal(Why.NOT_YET, moment=starts)
    if ends is not None and now >= ends:
        return Refusal(Why.EXPIRED, moment=ends)
    return None


def _limit_refusal(offer: Offer, customer: Customer) -> Refusal | None:
    if offer.max_uses is not None and offer.times_used >= offer.max_uses:
        return Refusal(Why.USED_UP)
    if not customer.known:
        return None
    if offer.first_order_only and not customer.first_order:
        return Refusal(Why.FIRST_ORDER)
    used = customer.uses.get(offer.id, 0)
    if offer.max_uses_per_customer is not None and used >= offer.max_uses_per_customer:
        return Refusal(Why.USED_BY_CUSTOMER)
    return None


def _basket_refusal(offer: Offer, lines: Sequence[PricedLine]) -> Refusal | None:
    if not lines:
        return Refusal(Why.EMPTY_BASKET)
    covered = [line for line in lines if offer.covers(line.line.product_id, line.line.category_id)]
    if not covered:
        return Refusal(Why.NOTHING_COVERED)
    spent = sum(line.total for line in covered)
    if spent < offer.min_subtotal:
        return Refusal(
            Why.SPEND_MORE,
            amount=offer.min_subtotal - spent,
            currency=offer.currency,
            covered_only=not offer.everything,
        )
    if offer.benefit == Benefit.BUY_N_GET_M:
        units = sum(line.line.quantity for line in covered)
        group = offer.buy_quantity + offer.free_quantity
        if units < group:
            return Refusal(Why.BUY_MORE, count=group - units, covered_only=not offer.everything)
    return None


def _take_discounts(lines: list[PricedLine], chosen: list[tuple[Offer, str]]) -> list[Applied]:
    """Each chosen promotion's discount, in the stage order, off what is left of its lines."""
    ordered = sorted(chosen, key=lambda pair: (_STAGE[pair[0].benefit], pair[0].id, pair[1]))
    applied = []
    for offer, code in ordered:
        covered = [
            line for line in lines if offer.covers(line.line.product_id, line.line.category_id)
        ]
        if offer.benefit == Benefit.BUY_N_GET_M:
            amount = _free_units(offer, covered)
        elif offer.benefit == Benefit.FREE_DELIVERY:
            amount = 0
        else:
            amount = _share(offer.takes_off(sum(_left(line) for line in covered)), covered)
        applied.append(Applied(offer, code, amount))
    return applied


def _left(line: PricedLine) -> int:
    return line.total - line.discount


def _share(amount: int, lines: Sequence[PricedLine]) -> int:
    """Takes `amount` off `lines` in proportion to what each has left (largest remainder, ties
    in line order); what was taken (all of it, as amount <= what is left)."""
    left = [_left(line) for line in lines]
    whole = sum(left)
    amount = min(amount, whole)
    if amount <= 0:
        return 0
    shares = [amount * part // whole for part in left]
    remainders = sorted(
        range(len(lines)), key=lambda i: (-(amount * left[i] % whole), lines[i].line.key)
    )
    for i in remainders[: amount - sum(shares)]:
        shares[i] += 1
    for line, share in zip(lines, shares, strict=True):
        line.discount += share
    return amount


def _free_units(offer: Offer, lines: Sequence[PricedLine]) -> int:
    """Buy N get M: the covered units by price, dearest first (ties by line key); of each full
    group of N + M, the M last (cheapest) are free, each from its own line."""
    units = sorted(
        (
            (line.unit_price, line.line.key, line)
            for line in lines
            for _ in range(line.line.quantity)
        ),
        key=lambda unit: (-unit[0], unit[1]),
    )
    group = offer.buy_quantity + offer.free_quantity
    if group <= 0 or offer.free_quantity <= 0:
        return 0
    taken = 0
    for start in range(0, len(units) - group + 1, group):
        for price, _key, line in units[start + offer.buy_quantity : start + group]:
            share = min(price, _left(line))
            line.discount += share
            taken += share
    return taken
