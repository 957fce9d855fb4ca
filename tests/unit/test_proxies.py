"""A front believes X-Real-IP and X-Forwarded-Proto only from its trusted proxies (nginx)."""

from __future__ import annotations

import types

import tornado.httputil

from vitrine.proxies import apply_proxy_headers

FORGED = {"X-Real-IP": "203.0.113.9", "X-Forwarded-Proto": "https"}


def request_from(peer: str, headers: dict[str, str]) -> tornado.httputil.HTTPServerRequest:
    connection = types.SimpleNamespace(
        context=types.SimpleNamespace(remote_ip=peer, protocol="http")
    )
    return tornado.httputil.HTTPServerRequest(
        start_line=tornado.httputil.RequestStartLine("GET", "/", "HTTP/1.1"),
        headers=tornado.httputil.HTTPHeaders({"Host": "shop.example", **headers}),
        connection=connection,  # type: ignore[arg-type]
    )


def test_a_trusted_proxy_names_the_shoppers_address_and_scheme():
    request = request_from("127.0.0.1", FORGED)
    apply_proxy_headers(request, ("127.0.0.1",))
    assert (request.remote_ip, request.protocol) == ("203.0.113.9", "https")


def test_anyone_else_cannot_choose_their_address_or_scheme():
    request = request_from("198.51.100.4", FORGED)
    apply_proxy_headers(request, ("127.0.0.1",))
    assert (request.remote_ip, request.protocol) == ("198.51.100.4", "http")


def test_with_no_trusted_proxy_the_headers_are_ignored():
    request = request_from("127.0.0.1", FORGED)
    apply_proxy_headers(request, ())
    assert (request.remote_ip, request.protocol) == ("127.0.0.1", "http")


def test_a_garbled_address_from_the_proxy_leaves_the_peer():
    garbled = {"X-Real-IP": "not an address", "X-Forwarded-Proto": "gopher"}
    request = request_from("127.0.0.1", garbled)
    apply_proxy_headers(request, ("127.0.0.1",))
    assert (request.remote_ip, request.protocol) == ("127.0.0.1", "http")
