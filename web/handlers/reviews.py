"""Reviews on the storefront: the product page's reviews block (its query: sort and page), the
page where a shopper writes, edits or deletes their review, and the "helpful" button.

Every form works without JavaScript (POST, then 303). The product page's reviews block is an
optional call of its batch with its own deadline: late or failed, the page shows no reviews.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from api_client import NotFound
from contract import METHODS, reviews_pb2
from vitrine.urls import login_url
from web.handlers.base import WRITE_DEADLINE_MS, BaseHandler, PageError, whole_number
from web.handlers.same_site import SameSiteWrite
from web.local_redirect import local_target
from web.whole_numbers import parse_whole_number

log = logging.getLogger("vitrine.web")

# The reviews block is optional: cached on the workers, it is fast or it is left out.
REVIEWS_DEADLINE_MS = 150
MY_REVIEW_DEADLINE_MS = 150
REVIEWS_PER_PAGE = 10
MAX_REVIEWS_PAGE = 1000
# The product page's parameters: ?reviews=<sort>&reviews_page=<n> (absent: newest, page 1).
REVIEW_SORTS = {
    "": reviews_pb2.REVIEW_SORT_NEWEST,
    "helpful": reviews_pb2.REVIEW_SORT_MOST_HELPFUL,
    "lowest": reviews_pb2.REVIEW_SORT_LOWEST,
}
REVIEW_SORT_LABELS = {"": "Newest", "helpful": "Most helpful", "lowest": "Lowest rated"}
# Longer input is cut before it reaches the API, which refuses it with a field error anyway.
MAX_TITLE_FIELD = 200
MAX_TEXT_FIELD = 6000


@dataclass(frozen=True)
class ReviewQuery:
    """The product page's reviews parameters, checked."""

    sort: str = ""
    page: int = 1

    @classmethod
    def parse(cls, handler: BaseHandler) -> ReviewQuery:
        if not handler.request.query:
            return FIRST_PAGE  # most product pages: no query to read
        sort = handler.get_query_argument("reviews", "")
        if sort not in REVIEW_SORTS:
            raise PageError(
                400, f"Unknown reviews order {sort[:40]!r}: use helpful, lowest or none."
            )
        page = whole_number(
            handler.get_query_argument("reviews_page", "1"),
            name="Reviews page",
            lowest=1,
            highest=MAX_REVIEWS_PAGE,
        )
        return cls(sort, page)

    @property
    def is_variant(self) -> bool:
        """Sorted or past the first page: the same product page, not one to index."""
        return bool(self.sort) or self.page > 1

    def arguments(self) -> dict[str, Any]:
        return {"reviews": self.sort or None, "reviews_page": self.page if self.page > 1 else None}


FIRST_PAGE = ReviewQuery()
# Added with Batch.add rather than `batch.reviews.X(...)`: on the product page, the hottest page,
# a service's call table made per batch showed in the profile (docs/performance.md).
LIST_REVIEWS = METHODS["shop.v1.Reviews/ListReviews"]
GET_MY_REVIEW = METHODS["shop.v1.Reviews/GetMyReview"]


def ask_for_reviews(handler: BaseHandler, batch: Any, product_id: int, query: ReviewQuery) -> Any:
    """Add the product page's reviews calls to its batch: the published reviews, and, for a
    logged-in shopper, what they may write. Both optional, with short deadlines."""
    request = reviews_pb2.ListReviewsRequest(product_id=product_id, sort=REVIEW_SORTS[query.sort])
    if query.page > 1:  # the first page of REVIEWS_PER_PAGE is what the API answers unasked
        request.page.page = query.page
        request.page.page_size = REVIEWS_PER_PAGE
    listing = batch.add(LIST_REVIEWS, request, required=False, deadline_ms=REVIEWS_DEADLINE_MS)
    mine = None
    if session := handler.shopper.session_token():
        mine = batch.add(
            GET_MY_REVIEW,
            reviews_pb2.GetMyReviewRequest(session_token=session, product_id=product_id),
            required=False,
            deadline_ms=MY_REVIEW_DEADLINE_MS,
        )
    return listing, mine


def review_page_path(product_id: int) -> str:
    """The shopper's own review of a product: under /account, private and never indexed."""
    return f"/account/reviews/{product_id}"


class ReviewFormHandler(BaseHandler):
    """/account/reviews/<product id>: the logged-in shopper's review of a product: write it,
    see its status, edit it. Not for crawlers (noindex, private)."""

    async def get(self, product_id: str) -> None:
        if not self.shopper.session_token():
            self.redirect(login_url(review_page_path(int(product_id))))
            return
        batch = self.page_batch()
        product, mine = self.ask(batch, int(product_id))
        if not await self.answered(batch, int(product_id)):
            return
        own = mine.result()
        values = {}
        if own.HasField("review"):
            review = own.review
            values = {"rating": str(review.rating), "title": review.title, "text": review.text}
        self.render_form(product.result().product, own, values=values, errors={}, message="")

    async def post(self, product_id: str) -> None:
        if not self.shopper.session_token():
            self.redirect(login_url(review_page_path(int(product_id))), status=303)
            return
        values = {
            "rating": self.get_body_argument("rating", "")[:2],
            "title": self.get_body_argument("title", "")[:MAX_TITLE_FIELD],
            "text": self.get_body_argument("text", "")[:MAX_TEXT_FIELD],
        }
        rating = values["rating"]
        batch = self.api_batch()
        written = batch.reviews.WriteReview(
            session_token=self.shopper.session_token(),
            product_id=int(product_id),
            # Anything but a digit from 1 to 5 is 0, which the API refuses as a field error.
            rating=parse_whole_number(rating, 1, 5) or 0,
            title=values["title"],
            text=values["text"],
            client_address=self.client_address(),
            deadline_ms=WRITE_DEADLINE_MS,
        )
        message, errors = "", {}
        try:
            if not await self.answered(batch, int(product_id)):
                return
        except PageError as error:
            # Not ordered (409) or too many writes (429): the form again, saying why.
            if error.status_code not in (409, 429):
                raise
            self.set_status(error.status_code)
            self.say_when_to_retry(error)
            message = error.message
        else:
            answer = written.result()
            if not answer.field_errors:
                self.redirect(review_page_path(int(product_id)), status=303)
                return
            self.set_status(400)
            errors = {e.field: e.message for e in answer.field_errors}
        # The rare way: the page's own calls, to show the form again with what was typed.
        page = self.page_batch()
        product, mine = self.ask(page, int(product_id))
        if await self.answered(page, int(product_id)):
            self.render_form(product.result().product, mine.result(), values, errors, message)

    def ask(self, batch: Any, product_id: int) -> tuple[Any, Any]:
        product = batch.catalog.GetProduct(id=product_id)
        mine = batch.reviews.GetMyReview(
            session_token=self.shopper.session_token(), product_id=product_id
        )
        return product, mine

    async def answered(self, batch: Any, product_id: int) -> bool:
        """Wait for the batch; False when the session had ended (the shopper is sent to log
        in again)."""
        try:
            await self.wait_for_replies(batch)
        except PageError as error:
            if error.status_code != 401:
                raise
            self.shopper.end_session()
            self.redirect(login_url(review_page_path(product_id)), status=303)
            return False
        return True

    def render_form(
        self,
        product: Any,
        mine: Any,
        values: dict[str, str],
        errors: dict[str, str],
        message: str,
    ) -> None:
        self.set_header("Cache-Control", "private, no-store")
        self.render_page(
            "product/review.html",
            product=product,
            my_review=mine,
            values=values,
            errors=errors,
            message=message,
            xsrf_token=self.form_token(),
        )


class ReviewDeleteHandler(BaseHandler):
    """POST /account/reviews/<product id>/delete: the shopper deletes their review of it."""

    async def post(self, product_id: str) -> None:
        back = review_page_path(int(product_id))
        if not self.shopper.session_token():
            self.redirect(login_url(back), status=303)
            return
        batch = self.api_batch()
        batch.reviews.DeleteReview(
            session_token=self.shopper.session_token(),
            product_id=int(product_id),
            client_address=self.client_address(),
            deadline_ms=WRITE_DEADLINE_MS,
        )
        try:
            await self.wait_for_replies(batch)
        except PageError as error:
            if error.status_code != 401:
                raise
            self.shopper.end_session()
            self.redirect(login_url(back), status=303)
            return
        self.redirect(back, status=303)


class HelpfulVoteHandler(SameSiteWrite):
    """POST /reviews/<id>/helpful, from the product page's "Helpful" button.

    Like add-to-basket, taken without the xsrf token when the browser says it comes from this
    site, so the product page carries no token and stays one page for every anonymous shopper.
    Without JavaScript: 303 back to the page (`next`); with it, JSON with the new count."""

    WRITE = "helpful vote"
    NOT_DONE = "no vote was counted"

    async def post(self, review_id: str) -> None:
        back = local_target(self.get_body_argument("next", "/"), "/")
        if not self.shopper.session_token():
            if self.wants_json():
                raise PageError(401, "Log in to mark reviews as helpful.")
            self.redirect(login_url(back), status=303)
            return
        batch = self.api_batch()
        vote = batch.reviews.MarkHelpful(
            session_token=self.shopper.session_token(),
            review_id=int(review_id),
            client_address=self.client_address(),
            deadline_ms=WRITE_DEADLINE_MS,
        )
        try:
            await self.wait_for_replies(batch)
        except PageError as error:
            if error.status_code == 401 and not self.wants_json():
                self.shopper.end_session()
                self.redirect(login_url(back), status=303)
                return
            if isinstance(error.__cause__, NotFound):
                raise PageError(404, "That review is not published.") from error
            raise
        self.set_header("Cache-Control", "no-store")
        if self.wants_json():
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(json.dumps({"helpful_count": vote.result().helpful_count}))
            return
        self.redirect(back + "#review-" + review_id, status=303)


def reviews_context(listing: Any, mine: Any, query: ReviewQuery) -> dict[str, Any]:
    """What templates/partials/reviews.html reads, from the product page's two calls."""
    return {
        "reviews": listing.value if listing is not None else None,
        "my_review": mine.value if mine is not None else None,
        "review_query": query.arguments(),
        "review_sorts": REVIEW_SORT_LABELS,
    }
