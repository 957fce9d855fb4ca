"""Writes a page of this site makes without an xsrf token: add to basket, a helpful vote, an
"Email me when it is back" request. The product page then carries no token, so it is one page
for every anonymous shopper, which nginx and browsers may cache (docs/storefront.md). Such a
POST is taken with a valid token, or when the browser says (Origin, else Referer) that it comes
from a page of this site; otherwise it is refused with a 403 that says what was not done."""

from __future__ import annotations

import logging
from typing import ClassVar

import tornado.web

from web.handlers.base import BaseHandler, PageError
from web.request_origin import origin_of, site_evidence

log = logging.getLogger("vitrine.web")


class SameSiteWrite(BaseHandler):
    """Mixed in before a handler's own base: `class X(SameSiteWrite, BasketChangeHandler)`."""

    # What the log calls the write ("add to basket"), and what the refusal says was not done
    # ("nothing was added to your basket").
    WRITE: ClassVar[str]
    NOT_DONE: ClassVar[str]

    def check_xsrf_cookie(self) -> None:
        try:
            super().check_xsrf_cookie()
        except tornado.web.HTTPError:
            evidence = site_evidence(self.request.headers, self.site_origins())
            if not evidence.same_origin:
                log.info("%s refused: no valid xsrf token, and %s", self.WRITE, evidence.said)
                raise PageError(
                    403,
                    f"This request did not come from a page of this shop, so {self.NOT_DONE}. "
                    "Reload the product page and try again.",
                ) from None

    def site_origins(self) -> set[str]:
        """This site's origin as the request names it, and as shoppers know it
        (VITRINE_PUBLIC_URL, when the front sits behind a proxy that renames it)."""
        request = self.request
        named = (
            origin_of(f"{request.protocol}://{request.host}"),
            origin_of(self.application.config.public_base),
        )
        return {origin for origin in named if origin}
