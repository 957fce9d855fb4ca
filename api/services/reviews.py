"""shop.v1.Reviews: shoppers' reviews of the products they ordered, the rating figures, the
"helpful" votes and the moderation queue (docs/reviews.md).

A review is written by an account that ordered the product (one per product per account; a
second write replaces the first), screened by api/review_rules.py, and published at once or held
for a moderator. Every change to what a product has published runs under that product's
figures row (api/ratings.py), so the figures listings read are exact after each commit.
Writes, deletions and votes are counted by the review limits (api/rate_limits.py).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from api import ratings, review_rules, validation
from api.context import CallContext
from api.db import read
from api.messages import AnyRow, timestamp
from api.rate_limits import Limit, in_words, take_turn
from api.schema import (
    order_lines,
    orders,
    product_ratings,
    products,
    review_actions,
    review_votes,
    reviews,
    sessions,
    users,
)
from api.services.auth import client_address
from api.services.basket import plausible_token
from contract import orders_pb2, reviews_pb2
from contract.errors import (
    FailedPrecondition,
    Invalid,
    NotFound,
    ResourceExhausted,
    Unauthenticated,
)

PUBLISHED = reviews_pb2.REVIEW_STATUS_PUBLISHED
HELD = reviews_pb2.REVIEW_STATUS_HELD
REJECTED = reviews_pb2.REVIEW_STATUS_REJECTED
PAGE_DEFAULT = 10
PAGE_MAX = 50
HELD_DEFAULT = 50
HELD_MAX = 500
# The review limits: writes, edits and deletions, and votes, per account and per client address.
LIMIT_WINDOW = timedelta(hours=1)
WRITES_PER_ACCOUNT = 10
WRITES_PER_ADDRESS = 30
VOTES_PER_ACCOUNT = 60
VOTES_PER_ADDRESS = 200
_actor, _address, _at = (
    review_actions.c.account,
    review_actions.c.client_address,
    review_actions.c.at,
)
LIMITS = {
    "write": (
        Limit(_actor, _at, WRITES_PER_ACCOUNT, LIMIT_WINDOW),
        Limit(_address, _at, WRITES_PER_ADDRESS, LIMIT_WINDOW),
    ),
    "vote": (
        Limit(_actor, _at, VOTES_PER_ACCOUNT, LIMIT_WINDOW),
        Limit(_address, _at, VOTES_PER_ADDRESS, LIMIT_WINDOW),
    ),
}

NOT_LOGGED_IN = "not logged in"
NO_SUCH_PRODUCT = "no product has id {}"
NOT_ORDERED = "Only shoppers who have ordered this product can review it."
TOO_MANY = "You have changed reviews too often. Try again in {}."
TOO_MANY_VOTES = "You have voted too often. Try again in {}."
OWN_REVIEW = "You cannot mark your own review as helpful."
NO_SUCH_REVIEW = "no published review has id {}"

_ORDERS = {
    reviews_pb2.REVIEW_SORT_UNSPECIFIED: (reviews.c.published_at.desc(), reviews.c.id.desc()),
    reviews_pb2.REVIEW_SORT_NEWEST: (reviews.c.published_at.desc(), reviews.c.id.desc()),
    reviews_pb2.REVIEW_SORT_MOST_HELPFUL: (
        reviews.c.helpful_count.desc(),
        reviews.c.published_at.desc(),
        reviews.c.id.desc(),
    ),
    reviews_pb2.REVIEW_SORT_LOWEST: (
        reviews.c.rating.asc(),
        reviews.c.published_at.desc(),
        reviews.c.id.desc(),
    ),
}


def _published_page(order: tuple[ColumnElement[Any], ...]) -> Select[Any]:
    return (
        select(reviews)
        .where(
            reviews.c.product_id == bindparam("product_id", type_=Integer),
            reviews.c.status == PUBLISHED,
        )
        .order_by(*order)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )


# A page of published reviews in each order, built once: a call binds its values (building
# the statement cost as much CPU as running it on an uncached product page).
_PUBLISHED_PAGES = {sort: _published_page(order) for sort, order in _ORDERS.items()}


async def list_reviews(
    ctx: CallContext, request: reviews_pb2.ListReviewsRequest
) -> reviews_pb2.ListReviewsResponse:
    published_page = _PUBLISHED_PAGES.get(request.sort)
    if published_page is None:
        raise Invalid(f"sort {request.sort} is not a ReviewSort value")
    size = validation.limit(
        request.page.page_size, field="page_size", default=PAGE_DEFAULT, maximum=PAGE_MAX
    )
    page = validation.Page(number=request.page.page or 1, size=size)
    if page.number > validation.MAX_ROW_ID // size:
        raise Invalid(f"page {page.number} is past any product's reviews")

    def statements(conn: Connection) -> tuple[reviews_pb2.RatingSummary, list[AnyRow]]:
        summary = _summary(conn, request.product_id)
        if page.offset >= summary.review_count:  # a page past the end costs no read
            return summary, []
        values = {"product_id": request.product_id, "limit": page.size, "offset": page.offset}
        return summary, list(conn.execute(published_page, values))

    summary, rows = await read(ctx.db, statements)
    return reviews_pb2.ListReviewsResponse(
        summary=summary,
        reviews=[review_message(row, public=True) for row in rows],
        page=page.info(summary.review_count),
    )


async def get_rating_summary(
    ctx: CallContext, request: reviews_pb2.GetRatingSummaryRequest
) -> reviews_pb2.RatingSummary:
    return await read(ctx.db, lambda conn: _summary(conn, request.product_id))


# Built once, as the review pages above: every product page asks for its rating summary.
_RATING = (
    select(products.c.id, *product_ratings.c)
    .select_from(products.outerjoin(product_ratings, product_ratings.c.product_id == products.c.id))
    .where(products.c.id == bindparam("product_id", type_=Integer))
)


def _summary(conn: Connection, product_id: int) -> reviews_pb2.RatingSummary:
    """The product's full summary; NOT_FOUND when there is no such product. One statement."""
    if not validation.known_id(product_id):
        raise NotFound(NO_SUCH_PRODUCT.format(product_id))
    row = conn.execute(_RATING, {"product_id": product_id}).one_or_none()
    if row is None:
        raise NotFound(NO_SUCH_PRODUCT.format(product_id))
    return ratings.summary(product_id, row if row.product_id is not None else None)


async def get_my_review(
    ctx: CallContext, request: reviews_pb2.GetMyReviewRequest
) -> reviews_pb2.MyReview:
    async with ctx.db.connect() as conn:
        account = await _account(conn, request.session_token, ctx)
        await _product(conn, request.product_id)
        own = await _own_review(conn, request.product_id, account.id)
        if own is not None:
            return reviews_pb2.MyReview(may_write=True, review=review_message(own, public=False))
        if await _has_ordered(conn, account.id, request.product_id):
            return reviews_pb2.MyReview(may_write=True)
    return reviews_pb2.MyReview(may_write=False, reason=NOT_ORDERED)


async def write_review(
    ctx: CallContext, request: reviews_pb2.WriteReviewRequest
) -> reviews_pb2.WriteReviewResponse:
    address = client_address(request.client_address)
    title = review_rules.clean(request.title)
    text = review_rules.clean(request.text)
    problems = review_rules.field_problems(request.rating, title, text)
    if problems:
        return reviews_pb2.WriteReviewResponse(
            field_errors=[
                reviews_pb2.ReviewFieldError(field=field, message=message)
                for field, message in problems
            ]
        )
    async with ctx.db.connect() as conn:
        account = await _account(conn, request.session_token, ctx)
        await _product(conn, request.product_id)
        if not await _has_ordered(conn, account.id, request.product_id):
            raise FailedPrecondition(NOT_ORDERED)
    await _take_turn(ctx, "write", account.id, address, TOO_MANY)
    reason = review_rules.hold_reason(title, text, ctx.settings.review_hold_words)
    status = HELD if reason else PUBLISHED
    async with ctx.db.begin() as conn:
        await ratings.lock(conn, request.product_id)
        own = await _own_review(conn, request.product_id, account.id)
        values: dict[str, Any] = {
            "rating": request.rating,
            "title": title,
            "text": text,
            "status": status,
            "held_reason": reason,
            "author_name": review_rules.shown_name(account.name),
            "updated_at": ctx.now,
        }
        if own is None:
            row = (
                await conn.execute(
                    reviews.insert()
                    .values(
                        product_id=request.product_id,
                        user_id=account.id,
                        verified_buyer=True,
                        helpful_count=0,
                        created_at=ctx.now,
                        published_at=ctx.now if status == PUBLISHED else None,
                        **values,
                    )
                    .returning(reviews)
                )
            ).one()
        else:
            # An edit keeps its votes and, when it stays published, its place among the newest.
            stays = own.status == PUBLISHED and status == PUBLISHED
            published_at = own.published_at if stays else ctx.now if status == PUBLISHED else None
            row = (
                await conn.execute(
                    update(reviews)
                    .where(reviews.c.id == own.id)
                    .values(published_at=published_at, **values)
                    .returning(reviews)
                )
            ).one()
        await ratings.recount(conn, request.product_id)
        ctx.check_deadline()
    return reviews_pb2.WriteReviewResponse(review=review_message(row, public=False))


async def delete_review(
    ctx: CallContext, request: reviews_pb2.DeleteReviewRequest
) -> reviews_pb2.DeleteReviewResponse:
    address = client_address(request.client_address)
    async with ctx.db.connect() as conn:
        account = await _account(conn, request.session_token, ctx)
        await _product(conn, request.product_id)
    await _take_turn(ctx, "write", account.id, address, TOO_MANY)
    async with ctx.db.begin() as conn:
        await ratings.lock(conn, request.product_id)
        own = await _own_review(conn, request.product_id, account.id)
        if own is None:
            return reviews_pb2.DeleteReviewResponse(deleted=False)
        await conn.execute(review_votes.delete().where(review_votes.c.review_id == own.id))
        await conn.execute(reviews.delete().where(reviews.c.id == own.id))
        await ratings.recount(conn, request.product_id)
        ctx.check_deadline()
    return reviews_pb2.DeleteReviewResponse(deleted=True)


async def mark_helpful(
    ctx: CallContext, request: reviews_pb2.MarkHelpfulRequest
) -> reviews_pb2.MarkHelpfulResponse:
    address = client_address(request.client_address)
    if not validation.known_id(request.review_id):
        raise NotFound(NO_SUCH_REVIEW.format(request.review_id))
    async with ctx.db.connect() as conn:
        account = await _account(conn, request.session_token, ctx)
        review = await _published(conn, request.review_id)
    if review.user_id == account.id:
        raise FailedPrecondition(OWN_REVIEW)
    await _take_turn(ctx, "vote", account.id, address, TOO_MANY_VOTES)
    dialect_insert: Any = postgres_insert if ctx.db.dialect.name == "postgresql" else sqlite_insert
    async with ctx.db.begin() as conn:
        voted = await conn.execute(
            dialect_insert(review_votes)
            .values(review_id=review.id, user_id=account.id, created_at=ctx.now)
            .on_conflict_do_nothing()
        )
        if voted.rowcount:
            await conn.execute(
                update(reviews)
                .where(reviews.c.id == review.id)
                .values(helpful_count=reviews.c.helpful_count + 1)
            )
        count = await conn.scalar(select(reviews.c.helpful_count).where(reviews.c.id == review.id))
        ctx.check_deadline()
    return reviews_pb2.MarkHelpfulResponse(helpful_count=count or 0, product_id=review.product_id)


async def list_held_reviews(
    ctx: CallContext, request: reviews_pb2.ListHeldReviewsRequest
) -> reviews_pb2.ListHeldReviewsResponse:
    limit = validation.limit(request.limit, field="limit", default=HELD_DEFAULT, maximum=HELD_MAX)
    async with ctx.db.connect() as conn:
        rows = await conn.execute(
            select(reviews)
            .where(reviews.c.status == HELD)
            .order_by(reviews.c.created_at, reviews.c.id)
            .limit(limit)
        )
        return reviews_pb2.ListHeldReviewsResponse(
            reviews=[review_message(row, public=False) for row in rows]
        )


async def moderate_review(
    ctx: CallContext, request: reviews_pb2.ModerateReviewRequest
) -> reviews_pb2.Review:
    decisions = {
        reviews_pb2.MODERATION_DECISION_PUBLISH: PUBLISHED,
        reviews_pb2.MODERATION_DECISION_REJECT: REJECTED,
    }
    status = decisions.get(request.decision)
    if status is None:
        raise Invalid("decision must be PUBLISH or REJECT")
    if not validation.known_id(request.review_id):
        raise NotFound(f"no review has id {request.review_id}")
    async with ctx.db.connect() as conn:
        product_id = await conn.scalar(
            select(reviews.c.product_id).where(reviews.c.id == request.review_id)
        )
    if product_id is None:
        raise NotFound(f"no review has id {request.review_id}")
    async with ctx.db.begin() as conn:
        await ratings.lock(conn, product_id)
        row = (
            await conn.execute(
                update(reviews)
                .where(reviews.c.id == request.review_id, reviews.c.status == HELD)
                .values(
                    status=status,
                    held_reason="" if status == PUBLISHED else reviews.c.held_reason,
                    published_at=ctx.now if status == PUBLISHED else None,
                )
                .returning(reviews)
            )
        ).one_or_none()
        if row is None:
            raise FailedPrecondition(f"review {request.review_id} is not waiting for moderation")
        await ratings.recount(conn, product_id)
    return review_message(row, public=False)


def review_message(row: AnyRow, *, public: bool) -> reviews_pb2.Review:
    """A review as shown; `public`: as anyone sees a published one (no moderation notes)."""
    message = reviews_pb2.Review(
        id=row.id,
        product_id=row.product_id,
        rating=row.rating,
        title=row.title,
        text=row.text,
        author_name=row.author_name,
        verified_buyer=row.verified_buyer,
        helpful_count=row.helpful_count,
        status=row.status,
        created_at=timestamp(row.created_at),
        updated_at=timestamp(row.updated_at),
        held_reason="" if public else row.held_reason,
    )
    if row.published_at is not None:
        message.published_at.CopyFrom(timestamp(row.published_at))
    return message


async def _account(conn: AsyncConnection, session_token: str, ctx: CallContext) -> AnyRow:
    """The logged-in account (id, name); UNAUTHENTICATED for no live session."""
    token = plausible_token(session_token)
    row = None
    if token:
        row = (
            await conn.execute(
                select(users.c.id, users.c.name)
                .select_from(sessions.join(users, users.c.id == sessions.c.user_id))
                .where(
                    sessions.c.token == token,
                    sessions.c.ended_at.is_(None),
                    sessions.c.expires_at > ctx.now,
                )
            )
        ).one_or_none()
    if row is None:
        raise Unauthenticated(NOT_LOGGED_IN)
    return row


async def _product(conn: AsyncConnection, product_id: int) -> None:
    if not validation.known_id(product_id) or not await conn.scalar(
        select(products.c.id).where(products.c.id == product_id)
    ):
        raise NotFound(NO_SUCH_PRODUCT.format(product_id))


async def _own_review(conn: AsyncConnection, product_id: int, user_id: int) -> AnyRow | None:
    return (
        await conn.execute(
            select(reviews).where(reviews.c.product_id == product_id, reviews.c.user_id == user_id)
        )
    ).one_or_none()


async def _published(conn: AsyncConnection, review_id: int) -> AnyRow:
    row = (
        await conn.execute(
            select(reviews.c.id, reviews.c.user_id, reviews.c.product_id).where(
                reviews.c.id == review_id, reviews.c.status == PUBLISHED
            )
        )
    ).one_or_none()
    if row is None:
        raise NotFound(NO_SUCH_REVIEW.format(review_id))
    return row


def _bought_by(user_id: int, product_id: int) -> ColumnElement[bool]:
    return and_(
        orders.c.user_id == user_id,
        orders.c.status != orders_pb2.ORDER_STATUS_CANCELLED,
        order_lines.c.product_id == product_id,
    )


async def _has_ordered(conn: AsyncConnection, user_id: int, product_id: int) -> bool:
    """Whether an order of the account, not cancelled, holds the product (any variant)."""
    found = await conn.scalar(
        select(orders.c.id)
        .select_from(orders.join(order_lines, order_lines.c.order_id == orders.c.id))
        .where(_bought_by(user_id, product_id))
        .limit(1)
    )
    return found is not None


async def _take_turn(ctx: CallContext, kind: str, user_id: int, address: str, words: str) -> None:
    """Count this action against the review limits; RESOURCE_EXHAUSTED past them."""
    by_account, by_address = LIMITS[kind]
    account_key = f"{kind}:{user_id}"
    address_key = f"{kind}:{address}" if address else ""
    action = {"account": account_key, "client_address": address_key, "at": ctx.now}
    limits = ((by_account, account_key), (by_address, address_key))
    _, wait = await take_turn(ctx.db, review_actions, action, limits, ctx.now)
    if wait:
        raise ResourceExhausted(words.format(in_words(wait)), retry_after_seconds=wait)
