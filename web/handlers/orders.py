"""An order's page: the confirmation a guest reaches by its link (/orders/<number>/<token>), and
an account's order history and order pages (/account/orders...). Never cached."""

from __future__ import annotations

from vitrine.urls import account_order_url, login_url
from web.handlers.base import BaseHandler, PageError, whole_number

ORDERS_PER_PAGE = 20
MAX_PAGE = 10_000


class OrderPageHandler(BaseHandler):
    """GET /orders/<number>/<access token>: right after placing it, from the email, bookmarked."""

    async def get(self, number: str, access_token: str) -> None:
        batch = self.page_batch()
        order = batch.orders.GetOrder(
            number=number, access_token=access_token, session_token=self.shopper.session_token()
        )
        await self.wait_for_replies(batch)
        self.set_header("Cache-Control", "private, no-store")
        # The token is in this page's URL: links out of it must not carry it along.
        self.set_header("Referrer-Policy", "no-referrer")
        self.render_page("orders/detail.html", order=order.result(), from_account=False)


class AccountOrdersHandler(BaseHandler):
    """GET /account/orders: the account's orders, newest first."""

    async def get(self) -> None:
        if not self.shopper.session_token():
            self.redirect(login_url("/account/orders"))
            return
        page = whole_number(self.get_argument("page", "1"), name="Page", lowest=1, highest=MAX_PAGE)
        batch = self.page_batch()
        history = batch.orders.ListOrders(
            session_token=self.shopper.session_token(),
            page={"page": page, "page_size": ORDERS_PER_PAGE},
        )
        try:
            await self.wait_for_replies(batch)
        except PageError as error:
            if error.status_code != 401:
                raise
            self.shopper.end_session()
            self.redirect(login_url("/account/orders"))
            return
        self.set_header("Cache-Control", "private, no-store")
        self.render_page("account/orders.html", history=history.result())


class AccountOrderHandler(BaseHandler):
    """GET /account/orders/<number>: one of the account's orders."""

    async def get(self, number: str) -> None:
        if not self.shopper.session_token():
            self.redirect(login_url(account_order_url(number)))
            return
        batch = self.page_batch()
        order = batch.orders.GetOrder(number=number, session_token=self.shopper.session_token())
        await self.wait_for_replies(batch)
        self.set_header("Cache-Control", "private, no-store")
        self.render_page("orders/detail.html", order=order.result(), from_account=True)
