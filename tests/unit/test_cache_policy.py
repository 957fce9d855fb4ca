"""A response's caching as a shared cache and a browser see it: Cache-Control and the ETag."""

from __future__ import annotations

from web.cache_policy import (
    ERROR_CACHE_CONTROL,
    PRIVATE_CACHE_CONTROL,
    SHARED_CACHE_CONTROL,
    CachePolicy,
)


def page(body: bytes, form_token: bytes | None = None) -> CachePolicy:
    policy = CachePolicy()
    policy.form_token = form_token
    policy.wrote(body)
    return policy


def test_an_anonymous_page_is_briefly_shareable_and_a_shoppers_own_is_private():
    assert CachePolicy().cache_control(200, personal=False) == SHARED_CACHE_CONTROL
    assert CachePolicy().cache_control(200, personal=True) == PRIVATE_CACHE_CONTROL
    with_cookie = CachePolicy()
    with_cookie.cookies_set["basket"] = "signed"
    assert with_cookie.cache_control(200, personal=False) == PRIVATE_CACHE_CONTROL
    assert page(b"<form>", form_token=b"2|ab|cd|1").cache_control(200, personal=False) == (
        PRIVATE_CACHE_CONTROL
    )


def test_an_error_is_never_stored_and_a_handlers_own_choice_stands():
    assert CachePolicy().cache_control(503, personal=False) == ERROR_CACHE_CONTROL
    chosen = CachePolicy()
    chosen.chosen = True
    assert chosen.cache_control(200, personal=False) is None


def test_the_form_tokens_random_mask_does_not_change_the_etag_but_the_cookie_does():
    first = page(b"<form><input value='2|aaaa|1111|1'></form>", form_token=b"2|aaaa|1111|1")
    second = page(b"<form><input value='2|bbbb|2222|1'></form>", form_token=b"2|bbbb|2222|1")
    assert first.etag("cookie-1") == second.etag("cookie-1")
    assert first.etag("cookie-1") != first.etag("cookie-2")


def test_a_different_body_has_a_different_etag_and_an_unhashable_one_has_none_of_ours():
    assert page(b"one").etag(None) != page(b"two").etag(None)
    dict_body = CachePolicy()
    dict_body.hashable = False
    assert dict_body.etag(None) is None


def test_clearing_a_response_forgets_what_it_had_set():
    policy = page(b"half an answer", form_token=b"2|aa|bb|1")
    policy.chosen = True
    policy.cookies_set["session"] = "x"
    policy.clear()
    assert policy.cache_control(200, personal=False) == SHARED_CACHE_CONTROL
    assert policy.etag(None) == CachePolicy().etag(None)


def test_a_streamed_response_stops_keeping_its_body_once_part_of_it_has_gone_out():
    # A feed of a million products is flushed page by page; what went out must not stay behind.
    policy = page(b"<rss>" + b"x" * 1000)
    policy.flushed()
    for _ in range(100):
        policy.wrote(b"<item>" + b"x" * 1000 + b"</item>")
    assert sum(len(part) for part in policy.body) == 0
