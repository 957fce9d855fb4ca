"""Accounts: register (and confirm by the emailed link), log in, log out, and the account page.

Forms keep what the shopper typed (never the password) and show each problem beside its field.
The session is a server-side token in a signed, HttpOnly, SameSite=Lax cookie, new at every
log-in and ended at log-out; the basket cookie then carries the account's basket.
"""

from __future__ import annotations

from typing import Any

from vitrine.urls import login_url
from web.handlers.base import WRITE_DEADLINE_MS, BaseHandler, PageError
from web.local_redirect import local_target

# Longer input is cut before it reaches the API, which refuses it anyway.
MAX_FIELD_LENGTH = 300


def safe_next(target: str) -> str:
    """Where to go after logging in or registering: `next` when it is a path on this site."""
    return local_target(target, "/account")


class AccountFormHandler(BaseHandler):
    """What the register and log-in forms share."""

    def field(self, name: str) -> str:
        return self.get_body_argument(name, "")[:MAX_FIELD_LENGTH]

    def render_form(self, template: str, **context: Any) -> None:
        self.set_header("Cache-Control", "private, no-store")
        self.render_page(
            template,
            xsrf_token=self.form_token(),
            next_path=safe_next(self.get_argument("next", "/account")),
            **context,
        )

    def logged_in(self, answer: Any) -> None:
        self.shopper.start_session(answer.session.token)
        if answer.basket_token:
            self.shopper.keep_basket_token(answer.basket_token)
        else:
            self.shopper.forget_basket()
        self.redirect(safe_next(self.get_argument("next", "/account")), status=303)


class RegisterHandler(AccountFormHandler):
    async def get(self) -> None:
        if self.shopper.session_token():
            self.redirect("/account")
            return
        await self.wait_for_replies(self.page_batch())
        self.render_form("account/register.html", values={}, errors={}, message="")

    async def post(self) -> None:
        values = {name: self.field(name) for name in ("email", "name")}
        batch = self.page_batch()
        call = batch.auth.Register(
            email=values["email"],
            name=values["name"],
            password=self.field("password"),
            client_address=self.client_address(),
            deadline_ms=WRITE_DEADLINE_MS,
        )
        try:
            await self.wait_for_replies(batch)
        except PageError as error:
            if error.status_code != 429:
                raise
            self.set_status(429)
            self.say_when_to_retry(error)
            self.render_form(
                "account/register.html", values=values, errors={}, message=error.message
            )
            return
        answer = call.result()
        if answer.field_errors:
            self.set_status(400)
            self.render_form(
                "account/register.html",
                values=values,
                errors={e.field: e.message for e in answer.field_errors},
                message="",
            )
            return
        # The same page whether the address had an account or not: the email says which.
        self.redirect("/account/register/sent", status=303)


class RegisterSentHandler(BaseHandler):
    async def get(self) -> None:
        await self.wait_for_replies(self.page_batch())
        self.set_header("Cache-Control", "private, no-store")
        self.render_page("account/register_sent.html")


class ConfirmRegistrationHandler(AccountFormHandler):
    """The emailed link opens a page with one button: the account is made by its POST, so a
    mail scanner that fetches links does not use the link up."""

    async def get(self, _token: str) -> None:
        await self.wait_for_replies(self.page_batch())
        self.render_form("account/confirm.html", message="")

    async def post(self, token: str) -> None:
        batch = self.page_batch()
        call = batch.auth.ConfirmRegistration(
            token=token, basket_token=self.shopper.basket_token(), deadline_ms=WRITE_DEADLINE_MS
        )
        try:
            await self.wait_for_replies(batch)
        except PageError as error:
            if error.status_code != 409:
                raise
            self.set_status(409)
            self.render_form("account/confirm.html", message=error.message)
            return
        self.logged_in(call.result())


class LogInHandler(AccountFormHandler):
    async def get(self) -> None:
        if self.shopper.session_token():
            self.redirect("/account")
            return
        await self.wait_for_replies(self.page_batch())
        self.render_form("account/login.html", email="", message="")

    async def post(self) -> None:
        email = self.field("email")
        batch = self.page_batch()
        call = batch.auth.LogIn(
            email=email,
            password=self.field("password"),
            client_address=self.client_address(),
            basket_token=self.shopper.basket_token(),
            deadline_ms=WRITE_DEADLINE_MS,
        )
        try:
            await self.wait_for_replies(batch)
        except PageError as error:
            if error.status_code not in (401, 429):
                raise
            # Wrong credentials (401) or too many tries (429): the form again, with the reason.
            self.set_status(error.status_code)
            self.say_when_to_retry(error)
            self.render_form("account/login.html", email=email, message=error.message)
            return
        self.logged_in(call.result())


class LogOutHandler(BaseHandler):
    async def post(self) -> None:
        if token := self.shopper.session_token():
            batch = self.api_batch()
            batch.auth.LogOut(session_token=token)
            await self.wait_for_replies(batch)
        self.shopper.end_session()
        self.redirect("/", status=303)


class AccountPageHandler(BaseHandler):
    async def get(self) -> None:
        if not self.shopper.session_token():
            self.redirect(login_url("/account"))
            return
        batch = self.page_batch()
        await self.wait_for_replies(batch)
        if self.session is None or self.session.value is None:
            # Ended or expired elsewhere: log in again.
            self.shopper.end_session()
            self.redirect(login_url("/account"))
            return
        self.set_header("Cache-Control", "private, no-store")
        self.render_page(
            "account/page.html", user=self.session.value.user, xsrf_token=self.form_token()
        )
