"""`vitrine reviews`: the moderation queue from the command line. It runs the Reviews service's
own internal methods (ListHeldReviews, ModerateReview) on the database, in this process, so a
held review is released by the same code and the same transaction rules as everywhere else."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TextIO

from api.cache import TtlCache
from api.context import CallContext
from api.db import create_engine
from api.services import reviews
from contract import reviews_pb2
from contract.errors import ApiError
from vitrine.config import Settings

DECISIONS = {
    "publish": reviews_pb2.MODERATION_DECISION_PUBLISH,
    "reject": reviews_pb2.MODERATION_DECISION_REJECT,
}


def run(settings: Settings, action: str, review_id: int, limit: int, out: TextIO) -> int:
    """`pending` lists the held reviews; `publish` or `reject` decides one. 0 when it worked,
    1 with a sentence on stderr-worthy failure (printed to `out`)."""
    if action == "pending":
        answer = _call(
            settings, reviews.list_held_reviews, reviews_pb2.ListHeldReviewsRequest(limit=limit)
        )
        if isinstance(answer, ApiError):
            print(f"vitrine: {answer.message}", file=out)
            return 1
        if not answer.reviews:
            print("No review is waiting for moderation.", file=out)
        for review in answer.reviews:
            print(_describe(review), file=out)
        return 0
    request = reviews_pb2.ModerateReviewRequest(review_id=review_id, decision=DECISIONS[action])
    decided = _call(settings, reviews.moderate_review, request)
    if isinstance(decided, ApiError):
        print(f"vitrine: {decided.message}", file=out)
        return 1
    verb = "published" if action == "publish" else "rejected"
    print(f"Review {decided.id} of product {decided.product_id} {verb}.", file=out)
    return 0


def _call(
    settings: Settings,
    method: Callable[[CallContext, Any], Awaitable[Any]],
    request: Any,
) -> Any:
    async def call() -> Any:
        engine = create_engine(settings)
        ctx = CallContext(
            db=engine,
            settings=settings,
            cache=TtlCache(),
            trace_id="vitrine-reviews",
            now=datetime.now(UTC),
        )
        try:
            return await method(ctx, request)
        except ApiError as error:
            return error
        finally:
            await engine.dispose()

    return asyncio.run(call())


def _describe(review: reviews_pb2.Review) -> str:
    written = review.created_at.ToDatetime().strftime("%Y-%m-%d %H:%M")
    body = textwrap.indent(textwrap.fill(review.text, 76), "    ")
    return (
        f"#{review.id}  product {review.product_id}  {review.rating}/5  by {review.author_name}"
        f"  written {written} UTC\n  held because {review.held_reason}\n"
        f"  {review.title}\n{body}\n"
    )
