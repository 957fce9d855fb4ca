"""Whether a POST says it comes from this site: Origin, else Sec-Fetch-Site, else Referer."""

from __future__ import annotations

import pytest
from tornado.httputil import HTTPHeaders

from web.request_origin import origin_of, site_evidence

SITE = {"https://shop.example", "http://127.0.0.1:8000"}


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://shop.example", "https://shop.example"),
        ("https://Shop.Example:443/p/1/scarf?x=1", "https://shop.example"),
        ("HTTP://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("http://shop.example:80", "http://shop.example"),
        ("http://[::1]:8000/basket", "http://[::1]:8000"),
        ("null", None),
        ("", None),
        ("/p/1/scarf", None),
        ("ftp://shop.example", None),
        ("https://shop.example:99999", None),
        ("https://shop.example, https://evil.example", None),
    ],
)
def test_an_origin_is_spelled_as_browsers_send_it(url, origin):
    assert origin_of(url) == origin


def said(**headers: str) -> bool:
    return site_evidence(HTTPHeaders({k.replace("_", "-"): v for k, v in headers.items()}), SITE)[0]


def test_this_sites_origin_is_from_this_site_whatever_else_is_said():
    assert said(Origin="https://shop.example")
    assert said(Origin="http://127.0.0.1:8000", Sec_Fetch_Site="same-origin")
    assert said(Origin="https://shop.example", Referer="https://evil.example/")


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "null", "", "http://shop.example", "https://shop.example:8443"],
)
def test_any_other_origin_decides_against_even_with_a_same_origin_referer(origin):
    assert not said(Origin=origin, Sec_Fetch_Site="same-origin", Referer="https://shop.example/")


def test_without_origin_fetch_metadata_decides():
    assert said(Sec_Fetch_Site="same-origin")
    assert said(Sec_Fetch_Site="same-origin", Referer="https://evil.example/")
    for value in ("same-site", "cross-site", "none", ""):
        assert not said(Sec_Fetch_Site=value, Referer="https://shop.example/p/1/scarf")


def test_without_either_the_referers_origin_decides():
    assert said(Referer="https://shop.example/p/1/scarf")
    assert not said(Referer="https://shop.example.evil.example/p/1/scarf")
    assert not said(Referer="https://evil.example/?https://shop.example/")


def test_no_evidence_at_all_is_not_from_this_site():
    evidence = site_evidence(HTTPHeaders(), SITE)
    assert not evidence.same_origin
    assert evidence.said == "no Origin, Sec-Fetch-Site or Referer"
