"""The pricing rules of promotions (api/pricing.py), with no database: examples a merchant would
check by hand, and properties that hold for any basket, offers and codes (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from api.pricing import (
    Benefit,
    Code,
    Customer,
    Line,
    Offer,
    Refusal,
    Why,
    percent_of,
    price_basket,
)

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
LOCALE = "en_IE"


def line(key: int, price: int, quantity: int = 1, product: int = 0, category: int = 1) -> Line:
    return Line(key, product or key, category, quantity, price)


def offer(id_: int = 1, benefit: Benefit = Benefit.PERCENT_OFF, **fields) -> Offer:
    return Offer(id=id_, name=f"Offer {id_}", benefit=benefit, **fields)


def code(text: str, id_: int = 10, **fields) -> Code:
    limits = {k: fields.pop(k) for k in ("max_uses", "times_used") if k in fields}
    return Code(text, offer(id_, needs_code=True, **fields), **limits)


# -- Examples ------------------------------------------------------------------------------------


def test_a_percentage_rounds_half_up_to_the_cent():
    assert percent_of(3999, 20) == 800  # 799.8
    assert percent_of(1250, 10) == 125
    assert percent_of(5, 10) == 1  # 0.5 rounds up
    assert percent_of(4, 10) == 0


def test_a_sale_sets_the_unit_price_and_the_best_sale_wins():
    sales = [
        offer(1, percent_off=20, category_ids=frozenset({1})),
        offer(2, Benefit.AMOUNT_OFF, amount_off=1000, product_ids=frozenset({7})),
    ]
    priced = price_basket([line(7, 4000, quantity=2), line(8, 4000)], sales, [], NOW)
    first, second = priced.lines
    assert (first.unit_price, first.sale.id) == (3000, 2)  # 10 off beats 20 % (8)
    assert (second.unit_price, second.sale.id) == (3200, 1)
    assert priced.subtotal == 2 * 3000 + 3200
    assert priced.discount == 0  # a sale is a price, not a discount line


def test_a_sale_outside_its_window_does_not_apply():
    later = offer(1, percent_off=50, starts_at=NOW + timedelta(days=1))
    ended = offer(2, percent_off=50, ends_at=NOW)  # the end is exclusive
    priced = price_basket([line(1, 1000)], [later, ended], [], NOW)
    assert priced.lines[0].unit_price == 1000


def test_a_percentage_code_is_shared_over_the_lines_to_the_cent():
    priced = price_basket(
        [line(1, 1000), line(2, 999), line(3, 1)], [], [code("TEN", percent_off=10)], NOW
    )
    assert priced.discount == 200  # 10 % of 20.00
    assert [pl.discount for pl in priced.lines] == [100, 100, 0]
    assert priced.codes[0].applies
    assert priced.codes[0].amount == 200


def test_an_amount_code_never_takes_more_than_the_covered_lines_cost():
    covered = code("FIVER", benefit=Benefit.AMOUNT_OFF, amount_off=5000, product_ids=frozenset({1}))
    priced = price_basket([line(1, 1200), line(2, 9000)], [], [covered], NOW)
    assert [pl.discount for pl in priced.lines] == [1200, 0]
    assert priced.total(0) == 9000


def test_buy_two_get_one_free_frees_the_cheapest_of_each_group_of_three():
    three_for_two = offer(5, Benefit.BUY_N_GET_M, buy_quantity=2, free_quantity=1)
    lines = [line(1, 1000, quantity=2), line(2, 700, quantity=3), line(3, 500)]
    priced = price_basket(lines, [three_for_two], [], NOW)
    # By price: 1000 1000 700 | 700 700 500: the 700 and the 500 are free.
    assert priced.discount == 1200
    assert [pl.discount for pl in priced.lines] == [0, 700, 500]


def test_stages_apply_in_order_whatever_order_the_codes_came_in():
    percent = code("PCT", 11, percent_off=10)
    amount = code("AMT", 12, benefit=Benefit.AMOUNT_OFF, amount_off=500)
    lines = [line(1, 10000)]
    one = price_basket(lines, [], [amount, percent], NOW)
    other = price_basket(lines, [], [percent, amount], NOW)
    # 10 % of 100.00 first (10.00), then 5.00: 85.00 either way.
    assert one.total(0) == other.total(0) == 8500
    assert [(a.code, a.amount) for a in one.applied] == [("PCT", 1000), ("AMT", 500)]


def test_free_delivery_from_a_threshold_frees_standard_delivery_only():
    threshold = offer(3, Benefit.FREE_DELIVERY, min_subtotal=7500)
    below = price_basket([line(1, 7499)], [threshold], [], NOW)
    assert below.free_delivery is None
    assert below.shipping(495, free_with_offer=True) == 495
    above = price_basket([line(1, 7500)], [threshold], [], NOW)
    assert above.shipping(495, free_with_offer=True) == 0
    assert above.shipping(995, free_with_offer=False) == 995
    assert above.discount == 0


def test_every_refusal_is_said_in_words():
    expired = code("OLD", ends_at=datetime(2026, 3, 1, tzinfo=UTC), percent_off=15)
    spend = code("BIG", min_subtotal=5000, percent_off=10)
    used = code("GONE", percent_off=10, max_uses=5, times_used=5)
    first = code("WELCOME10", percent_off=10, first_order_only=True)
    cases = [
        (expired, Customer(), "This code expired on 1 March 2026."),
        (spend, Customer(), "Spend €20.00 more to use this code."),
        (used, Customer(), "This code has been used up."),
        (first, Customer(known=True, first_order=False), "This code is for a first order only."),
    ]
    for voucher, who, words in cases:
        priced = price_basket([line(1, 3000)], [], [voucher], NOW, who)
        refusal = priced.codes[0].refusal
        assert refusal is not None
        assert refusal.words(LOCALE) == words
        assert priced.discount == 0


def test_a_first_order_code_applies_while_the_customer_is_unknown():
    first = code("WELCOME10", percent_off=10, first_order_only=True)
    assert price_basket([line(1, 3000)], [], [first], NOW).codes[0].applies


def test_a_code_that_cannot_be_combined_says_with_which():
    alone = code("SUMMER20", 20, percent_off=20, combinable=False)
    other = code("TEN", 21, percent_off=10)
    priced = price_basket([line(1, 3000)], [], [alone, other], NOW)
    assert priced.codes[0].applies
    assert priced.codes[1].refusal == Refusal(Why.NOT_COMBINABLE, other_code="SUMMER20")
    assert priced.codes[1].refusal.words(LOCALE) == ("This code cannot be combined with SUMMER20.")
    later = price_basket([line(1, 3000)], [], [other, alone], NOW)
    assert later.codes[1].refusal.words(LOCALE) == "This code cannot be combined with TEN."


def test_minimum_spend_counts_the_covered_lines_at_sale_prices():
    sale = offer(1, percent_off=50, product_ids=frozenset({1}))
    shoes = code("SHOES", 2, min_subtotal=4000, product_ids=frozenset({1}), percent_off=10)
    priced = price_basket([line(1, 6000), line(2, 9000)], [sale], [shoes], NOW)
    refusal = priced.codes[0].refusal
    assert refusal.words(LOCALE) == "Spend €10.00 more on the items it covers to use this code."


# -- Properties ----------------------------------------------------------------------------------

lines_strategy = st.lists(
    st.builds(
        Line,
        key=st.integers(1, 50),
        product_id=st.integers(1, 8),
        category_id=st.integers(1, 4),
        quantity=st.integers(1, 5),
        price=st.integers(0, 50_000),
    ),
    max_size=6,
    unique_by=lambda item: item.key,
)
targets = st.frozensets(st.integers(1, 8), max_size=3)


@st.composite
def offers(draw: st.DrawFn, *, needs_code: bool) -> Offer:
    return Offer(
        id=draw(st.integers(1, 30)),
        name="x",
        benefit=draw(st.sampled_from(list(Benefit))),
        percent_off=draw(st.integers(0, 100)),
        amount_off=draw(st.integers(0, 30_000)),
        buy_quantity=draw(st.integers(0, 3)),
        free_quantity=draw(st.integers(0, 2)),
        min_subtotal=draw(st.sampled_from([0, 0, 1000, 20_000])),
        product_ids=draw(targets),
        category_ids=draw(st.frozensets(st.integers(1, 4), max_size=2)),
        needs_code=needs_code,
        combinable=draw(st.booleans()),
    )


automatic_strategy = st.lists(offers(needs_code=False), max_size=4, unique_by=lambda o: o.id)
codes_strategy = st.lists(offers(needs_code=True), max_size=3).map(
    lambda found: [Code(f"C{i}", o) for i, o in enumerate(found)]
)


@settings(max_examples=300, deadline=None)
@given(lines_strategy, automatic_strategy, codes_strategy)
def test_no_total_and_no_line_goes_below_zero(lines, automatic, codes):
    priced = price_basket(lines, automatic, codes, NOW)
    assert priced.total(0) >= 0
    for priced_line in priced.lines:
        assert 0 <= priced_line.discount <= priced_line.total
        assert 0 <= priced_line.unit_price <= priced_line.line.price


@settings(max_examples=300, deadline=None)
@given(lines_strategy, automatic_strategy, codes_strategy)
def test_a_discount_never_exceeds_what_its_covered_lines_cost(lines, automatic, codes):
    priced = price_basket(lines, automatic, codes, NOW)
    for applied in priced.applied:
        covered = sum(
            pl.total
            for pl in priced.lines
            if applied.offer.covers(pl.line.product_id, pl.line.category_id)
        )
        assert 0 <= applied.amount <= covered
    assert priced.discount == sum(a.amount for a in priced.applied)
    assert priced.discount <= priced.subtotal


@settings(max_examples=200, deadline=None)
@given(
    lines_strategy,
    automatic_strategy,
    codes_strategy,
    st.randoms(use_true_random=False),
)
def test_the_order_of_lines_and_automatic_offers_does_not_change_the_result(
    lines, automatic, codes, rng
):
    priced = price_basket(lines, automatic, codes, NOW)
    shuffled_lines, shuffled_offers = list(lines), list(automatic)
    rng.shuffle(shuffled_lines)
    rng.shuffle(shuffled_offers)
    again = price_basket(shuffled_lines, shuffled_offers, codes, NOW)
    assert again.total(0) == priced.total(0)
    assert [(a.offer.id, a.code, a.amount) for a in again.applied] == [
        (a.offer.id, a.code, a.amount) for a in priced.applied
    ]
    by_key = {pl.line.key: (pl.unit_price, pl.discount) for pl in priced.lines}
    assert {pl.line.key: (pl.unit_price, pl.discount) for pl in again.lines} == by_key
