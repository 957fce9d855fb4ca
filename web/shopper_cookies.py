"""The shopper's own cookies: the account session's and the guest basket's tokens, signed with
the cookie secret. Their attributes (HttpOnly, SameSite, Secure) are set where every cookie is
written, BaseHandler.set_cookie."""

from __future__ import annotations

import tornado.web

# The guest basket's token, in a signed cookie (Tornado's set_signed_cookie).
BASKET_COOKIE = "basket"
BASKET_COOKIE_DAYS = 30
# The account session's server-side token, in a signed cookie; the header shows who is logged in.
SESSION_COOKIE = "session"
SESSION_COOKIE_DAYS = 30


class ShopperCookies:
    """Reads and writes one request's session and basket cookies."""

    def __init__(self, handler: tornado.web.RequestHandler) -> None:
        self.handler = handler

    def session_token(self) -> str:
        return self._read(SESSION_COOKIE, SESSION_COOKIE_DAYS)

    def basket_token(self) -> str:
        """Empty when there is none, or it was tampered with: a bad signature reads as none."""
        return self._read(BASKET_COOKIE, BASKET_COOKIE_DAYS)

    def start_session(self, token: str) -> None:
        """A new session cookie (a new token at every log-in: the old one is not reused)."""
        self.handler.set_signed_cookie(SESSION_COOKIE, token, expires_days=SESSION_COOKIE_DAYS)

    def keep_basket_token(self, token: str) -> None:
        if token and token != self.basket_token():
            self.handler.set_signed_cookie(BASKET_COOKIE, token, expires_days=BASKET_COOKIE_DAYS)

    def forget_basket(self) -> None:
        self.handler.clear_cookie(BASKET_COOKIE)

    def end_session(self) -> None:
        self.handler.clear_cookie(SESSION_COOKIE)
        self.forget_basket()

    def _read(self, name: str, max_age_days: int) -> str:
        value = self.handler.get_signed_cookie(name, max_age_days=max_age_days)
        return value.decode() if value else ""
