"""Reviews service on the hand-made catalogue (tests/integration/catalogue_fixture.py), on SQLite
and, marked postgres, on PostgreSQL: who may review (an account that ordered the product), one
review per product per account, the moderation hold, editing and deleting, the rating figures
kept in step, votes, the limits, and the figures listings read.

Products used: 1 Summer Dress, 2 Evening Dress (both Dresses, category 3), 8 Linen Shirt.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from api import ratings
from api.schema import order_lines, orders, product_ratings, reviews, sessions, users
from api.services import catalog
from api.services import reviews as service
from contract import catalog_pb2, common_pb2, orders_pb2, reviews_pb2
from contract.errors import (
    FailedPrecondition,
    Invalid,
    NotFound,
    ResourceExhausted,
    Unauthenticated,
)
from tests.integration.catalogue_fixture import NOW, Shop, writable_shop  # noqa: F401 - the `shop` fixture

PUBLISHED = reviews_pb2.REVIEW_STATUS_PUBLISHED
HELD = reviews_pb2.REVIEW_STATUS_HELD
GOOD_TEXT = "Fits well, the fabric is soft and it washed without shrinking."


@dataclasses.dataclass
class Account:
    id: int
    session: str


def account(shop: Shop, name: str = "Ada Lovelace") -> Account:
    """An account with a live session, made as log-in leaves them (no password needed here)."""

    async def make() -> Account:
        async with shop.ctx.db.begin() as conn:
            user_id = await conn.scalar(
                insert(users)
                .values(
                    email=f"{secrets.token_hex(4)}@example.com",
                    name=name,
                    password_hash="-",
                    created_at=NOW,
                )
                .returning(users.c.id)
            )
            token = secrets.token_urlsafe(32)
            await conn.execute(
                insert(sessions).values(
                    token=token, user_id=user_id, created_at=NOW, expires_at=NOW + timedelta(days=1)
                )
            )
        return Account(user_id, token)

    return shop.run(make())


def buy(
    shop: Shop,
    who: Account,
    product_id: int,
    status: int = orders_pb2.ORDER_STATUS_PAID,
) -> None:
    """An order of the account holding the product, as checkout writes it."""

    async def place() -> None:
        async with shop.ctx.db.begin() as conn:
            order_id = await conn.scalar(
                insert(orders)
                .values(
                    number=secrets.token_hex(5).upper(),
                    access_token=secrets.token_urlsafe(16),
                    idempotency_key=secrets.token_urlsafe(16),
                    user_id=who.id,
                    status=status,
                    email="a@example.com",
                    shipping_method="standard",
                    shipping_label="Standard",
                    shipping_min_days=2,
                    shipping_max_days=4,
                    payment_reference="test",
                    currency="EUR",
                    subtotal=1000,
                    shipping=0,
                    total=1000,
                    placed_at=NOW,
                )
                .returning(orders.c.id)
            )
            await conn.execute(
                insert(order_lines).values(
                    order_id=order_id,
                    position=1,
                    variant_id=product_id * 10 + 1,
                    product_id=product_id,
                    product_slug="x",
                    name="x",
                    variant_label="x",
                    quantity=1,
                    unit_price=1000,
                    line_total=1000,
                )
            )

    shop.run(place())


def write(
    shop: Shop,
    who: Account,
    product_id: int = 1,
    *,
    rating: int = 5,
    title: str = "Lovely dress",
    text: str = GOOD_TEXT,
    address: str = "203.0.113.9",
) -> reviews_pb2.WriteReviewResponse:
    return shop.call(
        service.write_review,
        reviews_pb2.WriteReviewRequest(
            session_token=who.session,
            product_id=product_id,
            rating=rating,
            title=title,
            text=text,
            client_address=address,
        ),
    )


def listed(
    shop: Shop, product_id: int = 1, *, sort: int = 0, page: int = 1, size: int = 0
) -> reviews_pb2.ListReviewsResponse:
    request = reviews_pb2.ListReviewsRequest(
        product_id=product_id, sort=sort, page=common_pb2.PageRequest(page=page, page_size=size)
    )
    return shop.call(service.list_reviews, request)


def stored_figures(shop: Shop, product_id: int) -> tuple[int, int, list[int]] | None:
    """The maintained row, and what counting the published reviews gives: they must agree."""

    async def read() -> tuple[int, int, list[int]] | None:
        async with shop.ctx.db.connect() as conn:
            row = (
                await conn.execute(
                    select(product_ratings).where(product_ratings.c.product_id == product_id)
                )
            ).one_or_none()
            counted = dict(
                (
                    await conn.execute(
                        select(reviews.c.rating, func.count())
                        .where(reviews.c.product_id == product_id, reviews.c.status == PUBLISHED)
                        .group_by(reviews.c.rating)
                    )
                ).all()
            )
        if row is None:
            assert not counted, "published reviews but no figures"
            return None
        stars = [getattr(row, name) for name in ratings.STARS]
        assert stars == [counted.get(n, 0) for n in range(1, 6)]
        assert row.review_count == sum(counted.values())
        assert row.rating_sum == sum(n * c for n, c in counted.items())
        return row.review_count, row.rating_sum, stars

    return shop.run(read())


def test_only_an_account_that_ordered_the_product_may_review_it(shop):
    ada = account(shop)
    with pytest.raises(Unauthenticated):
        write(shop, Account(0, "not-a-session-token-at-all-0123456789abcdef"))
    with pytest.raises(FailedPrecondition, match="ordered this product"):
        write(shop, ada)
    mine = shop.call(
        service.get_my_review,
        reviews_pb2.GetMyReviewRequest(session_token=ada.session, product_id=1),
    )
    assert not mine.may_write
    assert "ordered" in mine.reason
    buy(shop, ada, 2)  # another product does not count
    with pytest.raises(FailedPrecondition):
        write(shop, ada)
    buy(shop, ada, 1, status=orders_pb2.ORDER_STATUS_CANCELLED)  # nor a cancelled order
    with pytest.raises(FailedPrecondition):
        write(shop, ada)
    buy(shop, ada, 1)
    answer = write(shop, ada)
    assert answer.review.status == PUBLISHED
    assert answer.review.verified_buyer
    assert answer.review.author_name == "Ada L."
    assert listed(shop).reviews[0].title == "Lovely dress"


def test_one_review_per_product_per_account_a_second_write_replaces_it(shop):
    ada = account(shop)
    buy(shop, ada, 1)
    first = write(shop, ada, rating=2, title="Too small")
    second = write(shop, ada, rating=4, title="Fine after all")
    assert second.review.id == first.review.id
    page = listed(shop)
    assert [(r.title, r.rating) for r in page.reviews] == [("Fine after all", 4)]
    assert page.summary.review_count == 1
    assert stored_figures(shop, 1) == (1, 4, [0, 0, 0, 1, 0])


def test_field_limits_are_field_errors_and_write_nothing(shop):
    ada = account(shop)
    buy(shop, ada, 1)
    answer = write(shop, ada, rating=6, title="ok", text="short")
    assert {e.field for e in answer.field_errors} == {"rating", "title", "text"}
    too_long = write(shop, ada, text="x" * 5001)
    assert [e.field for e in too_long.field_errors] == ["text"]
    assert "5000" in too_long.field_errors[0].message
    assert listed(shop).summary.review_count == 0
    assert stored_figures(shop, 1) is None


@pytest.mark.parametrize(
    ("title", "text", "reason"),
    [
        ("Great", "Buy it cheaper at https://example.com/bags please", "link"),
        ("Great", "Cheaper ones at www.example.org, trust me friends", "link"),
        ("Great", "My cousin sells these on cheap-dresses.shop for less", "link"),
        ("Casino night", GOOD_TEXT, "casino"),
        ("Great", "Use my promo  CODE for twenty percent off your order", "promo code"),
    ],
)
def test_links_and_listed_words_hold_a_review_for_moderation(shop, title, text, reason):
    ada = account(shop)
    buy(shop, ada, 1)
    answer = write(shop, ada, title=title, text=text)
    assert answer.review.status == HELD
    assert reason in answer.review.held_reason
    assert listed(shop).summary.review_count == 0  # nobody else sees it
    assert stored_figures(shop, 1) is None
    mine = shop.call(
        service.get_my_review,
        reviews_pb2.GetMyReviewRequest(session_token=ada.session, product_id=1),
    )
    assert mine.review.status == HELD  # its author does
    queue = shop.call(service.list_held_reviews, reviews_pb2.ListHeldReviewsRequest())
    assert [r.id for r in queue.reviews] == [answer.review.id]
    published = shop.call(
        service.moderate_review,
        reviews_pb2.ModerateReviewRequest(
            review_id=answer.review.id, decision=reviews_pb2.MODERATION_DECISION_PUBLISH
        ),
    )
    assert published.status == PUBLISHED
    assert listed(shop).summary.review_count == 1
    assert stored_figures(shop, 1) == (1, 5, [0, 0, 0, 0, 1])
    with pytest.raises(FailedPrecondition):  # decided already
        shop.call(
            service.moderate_review,
            reviews_pb2.ModerateReviewRequest(
                review_id=answer.review.id, decision=reviews_pb2.MODERATION_DECISION_REJECT
            ),
        )


def test_words_in_other_words_do_not_hold_and_the_list_is_a_setting(shop):
    ada = account(shop)
    buy(shop, ada, 1)
    # "loan" is listed; "sloane" is not "loan", and "scunthorpe" holds no listed whole word.
    text = "Wore it to a Sloane Square party and on a trip to Scunthorpe, no complaints."
    assert write(shop, ada, text=text).review.status == PUBLISHED
    strict = dataclasses.replace(
        shop.ctx, settings=dataclasses.replace(shop.ctx.settings, review_hold_words=("square",))
    )
    request = reviews_pb2.WriteReviewRequest(
        session_token=ada.session, product_id=1, rating=5, title="Again", text=text
    )
    assert shop.run(service.write_review(strict, request)).review.status == HELD


def test_rejecting_keeps_it_from_the_page_and_an_edit_is_screened_again(shop):
    ada = account(shop)
    buy(shop, ada, 1)
    held = write(shop, ada, text="See my photos at http://example.com/photos of it on").review
    rejected = shop.call(
        service.moderate_review,
        reviews_pb2.ModerateReviewRequest(
            review_id=held.id, decision=reviews_pb2.MODERATION_DECISION_REJECT
        ),
    )
    assert rejected.status == reviews_pb2.REVIEW_STATUS_REJECTED
    assert listed(shop).summary.review_count == 0
    edited = write(shop, ada, rating=3).review
    assert (edited.id, edited.status) == (held.id, PUBLISHED)
    assert stored_figures(shop, 1) == (1, 3, [0, 0, 1, 0, 0])


def test_an_edit_that_adds_a_link_takes_a_published_review_down_until_moderated(shop):
    ada = account(shop)
    buy(shop, ada, 1)
    write(shop, ada, rating=5)
    assert stored_figures(shop, 1) == (1, 5, [0, 0, 0, 0, 1])
    assert (
        write(shop, ada, text="Now on sale at bargains.example.com for half").review.status == HELD
    )
    assert stored_figures(shop, 1) is None
    assert listed(shop).reviews == []


def test_deleting_ones_own_review_and_the_figures_follow(shop):
    ada, bob = account(shop), account(shop, "Bob Stone")
    for who in (ada, bob):
        buy(shop, who, 1)
    write(shop, ada, rating=5)
    write(shop, bob, rating=2)
    assert stored_figures(shop, 1) == (2, 7, [0, 1, 0, 0, 1])
    summary = listed(shop).summary
    assert (summary.review_count, summary.average_tenths) == (2, 35)
    gone = shop.call(
        service.delete_review,
        reviews_pb2.DeleteReviewRequest(session_token=bob.session, product_id=1),
    )
    assert gone.deleted
    assert stored_figures(shop, 1) == (1, 5, [0, 0, 0, 0, 1])
    again = shop.call(
        service.delete_review,
        reviews_pb2.DeleteReviewRequest(session_token=bob.session, product_id=1),
    )
    assert not again.deleted
    assert [r.author_name for r in listed(shop).reviews] == ["Ada L."]  # bob's only
    shop.call(
        service.delete_review,
        reviews_pb2.DeleteReviewRequest(session_token=ada.session, product_id=1),
    )
    assert stored_figures(shop, 1) is None


def test_listings_show_the_maintained_figures(shop):
    ada, bob, cy = account(shop), account(shop, "Bob"), account(shop, "Cy Twombly")
    for who, stars in ((ada, 5), (bob, 4), (cy, 4)):
        buy(shop, who, 2)
        write(shop, who, product_id=2, rating=stars)
    listing = shop.call(
        catalog.list_category_products,
        catalog_pb2.ListCategoryProductsRequest(category_slug="women-dresses"),
    )
    by_id = {p.id: p for p in listing.products}
    assert (by_id[2].rating.review_count, by_id[2].rating.average_tenths) == (3, 43)
    assert not by_id[1].HasField("rating")
    related = shop.call(
        catalog.get_related_products, catalog_pb2.GetRelatedProductsRequest(product_id=1)
    )
    assert {p.id: p.rating.review_count for p in related.products}[2] == 3


def test_sorted_and_paged(shop):
    people = [account(shop, f"Shopper Number{n}") for n in range(5)]
    stars = [4, 1, 5, 2, 3]
    for n, (who, rating) in enumerate(zip(people, stars, strict=True)):
        buy(shop, who, 8)
        later = dataclasses.replace(shop.ctx, now=NOW + timedelta(minutes=n))
        request = reviews_pb2.WriteReviewRequest(
            session_token=who.session,
            product_id=8,
            rating=rating,
            title=f"Review {n}",
            text=GOOD_TEXT,
        )
        shop.run(service.write_review(later, request))
    newest = listed(shop, 8, size=2)
    assert [r.title for r in newest.reviews] == ["Review 4", "Review 3"]
    assert (newest.page.total_items, newest.page.total_pages) == (5, 3)
    assert [r.title for r in listed(shop, 8, size=2, page=3).reviews] == ["Review 0"]
    lowest = listed(shop, 8, sort=reviews_pb2.REVIEW_SORT_LOWEST)
    assert [r.rating for r in lowest.reviews] == [1, 2, 3, 4, 5]
    for voter in people[1:3]:  # people[0] wrote the 4-star one
        shop.call(
            service.mark_helpful,
            reviews_pb2.MarkHelpfulRequest(
                session_token=voter.session, review_id=lowest.reviews[3].id
            ),
        )
    helpful = listed(shop, 8, sort=reviews_pb2.REVIEW_SORT_MOST_HELPFUL)
    assert (helpful.reviews[0].rating, helpful.reviews[0].helpful_count) == (4, 2)
    assert [r.title for r in helpful.reviews[1:]] == [
        "Review 4",
        "Review 3",
        "Review 2",
        "Review 1",
    ]
    with pytest.raises(Invalid):
        listed(shop, 8, sort=99)
    with pytest.raises(Invalid):
        listed(shop, 8, size=51)
    assert listed(shop, 8, page=99).reviews == []
    with pytest.raises(NotFound):
        listed(shop, 999)


def test_helpful_votes_once_per_account_never_on_ones_own(shop):
    ada, bob = account(shop), account(shop, "Bob")
    buy(shop, ada, 1)
    review = write(shop, ada).review

    def vote(who: Account) -> int:
        request = reviews_pb2.MarkHelpfulRequest(session_token=who.session, review_id=review.id)
        return shop.call(service.mark_helpful, request).helpful_count

    with pytest.raises(FailedPrecondition, match="your own"):
        vote(ada)
    assert vote(bob) == 1
    assert vote(bob) == 1
    with pytest.raises(NotFound):
        shop.call(
            service.mark_helpful,
            reviews_pb2.MarkHelpfulRequest(session_token=bob.session, review_id=review.id + 1000),
        )


def test_the_writing_limit_holds_per_account(shop):
    ada = account(shop)
    buy(shop, ada, 1)
    for n in range(service.WRITES_PER_ACCOUNT):
        write(shop, ada, rating=1 + n % 5, address=f"198.51.100.{n}")
    with pytest.raises(ResourceExhausted, match="Try again in") as refused:
        write(shop, ada, address="198.51.100.200")
    assert 0 < refused.value.retry_after_seconds <= 3600
    # The refused write changed nothing: the last one that passed stands.
    assert listed(shop).reviews[0].rating == 1 + (service.WRITES_PER_ACCOUNT - 1) % 5


def test_the_writing_limit_holds_per_address(shop):
    people = [account(shop, f"Person P{n}") for n in range(service.WRITES_PER_ADDRESS + 1)]
    for who in people:
        buy(shop, who, 1)
    for who in people[:-1]:
        write(shop, who, address="192.0.2.1")
    with pytest.raises(ResourceExhausted):
        write(shop, people[-1], address="192.0.2.1")
    assert write(shop, people[-1], address="192.0.2.2").review.status == PUBLISHED


def test_concurrent_writes_keep_the_figures_exact(shop):
    people = [account(shop, f"Racer R{n}") for n in range(8)]
    for who in people:
        buy(shop, who, 2)

    async def race() -> None:
        await asyncio.gather(
            *(
                service.write_review(
                    shop.ctx,
                    reviews_pb2.WriteReviewRequest(
                        session_token=who.session,
                        product_id=2,
                        rating=1 + n % 5,
                        title="Race",
                        text=GOOD_TEXT,
                    ),
                )
                for n, who in enumerate(people)
            )
        )

    shop.run(race())
    assert stored_figures(shop, 2) == (8, sum(1 + n % 5 for n in range(8)), [2, 2, 2, 1, 1])


def test_markup_is_stored_as_text(shop):
    ada = account(shop)
    buy(shop, ada, 1)
    title = '<script>alert("x")</script>'
    review = write(shop, ada, title=title, text="<b>bold</b> & <i>fine</i> " * 2).review
    assert review.title == title
    assert listed(shop).reviews[0].text.startswith("<b>bold</b> & <i>fine</i>")
