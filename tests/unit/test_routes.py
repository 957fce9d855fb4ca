"""The route table: which URLs a shop front, a debug front and the preview-only front answer."""

from __future__ import annotations

import dataclasses

from vitrine.config import load_settings
from web.app import ROUTES, Serves, routes_served


def patterns(routes):
    return {route.pattern for route in routes}


def test_a_production_shop_front_answers_the_shop_and_never_the_preview():
    settings = dataclasses.replace(load_settings({}), debug=False)
    served = patterns(routes_served(settings, with_api=True))
    assert {r"/", r"/basket", r"/checkout/place", r"/sitemap.xml", r"/healthz"} <= served
    assert not [pattern for pattern in served if pattern.startswith("/_preview")]


def test_a_debug_shop_front_adds_the_preview():
    settings = dataclasses.replace(load_settings({}), debug=True)
    served = patterns(routes_served(settings, with_api=True))
    assert {r"/_preview/", r"/basket"} <= served


def test_the_preview_only_front_has_no_shop_route_and_sends_home_to_the_preview():
    settings = dataclasses.replace(load_settings({}), debug=True)
    served = routes_served(settings, with_api=False)
    assert not [route for route in served if route.serves in {Serves.SHOP, Serves.PAGE}]
    home = next(route for route in served if route.pattern == "/")
    assert home.arguments is not None
    assert home.arguments(settings) == {"url": "/_preview/"}


def test_every_route_is_declared_once():
    keys = [(route.pattern, route.serves) for route in ROUTES]
    assert len(keys) == len(set(keys))
