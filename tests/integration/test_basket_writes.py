"""Basket changes are applied exactly once (api/basket_writes.py), on SQLite and PostgreSQL: a
retry with the change's key finds it applied, even a first add that made the basket; a change
whose caller's deadline passed before the commit is not applied at all."""

from __future__ import annotations

import dataclasses
import secrets
import time

import pytest

from api.services import basket
from contract import basket_pb2
from contract.errors import DeadlineExceeded, Invalid
from tests.integration.catalogue_fixture import Shop, writable_shop  # noqa: F401 - the `shop` fixture


def new_key() -> str:
    return secrets.token_urlsafe(16)


def add(shop: Shop, key: str, token: str = "", variant_id: int = 81, quantity: int = 2):
    request = basket_pb2.AddLineRequest(
        token=token, variant_id=variant_id, quantity=quantity, idempotency_key=key
    )
    return shop.call(basket.add_line, request)


def lines(shop: Shop, token: str) -> dict[int, int]:
    contents = shop.call(basket.get_basket, basket_pb2.GetBasketRequest(token=token))
    return {line.variant_id: line.quantity for line in contents.lines}


def test_a_retried_first_add_finds_the_basket_it_made_and_adds_nothing(shop):
    key = new_key()
    first = add(shop, key)
    # The 503 never reached the browser's cookie: the retry has no basket token either.
    retry = add(shop, key)
    assert retry.token == first.token
    assert lines(shop, first.token) == {81: 2}
    assert add(shop, new_key(), token=first.token).lines[0].quantity == 4  # a new click adds


def test_a_retried_quantity_change_does_not_undo_what_came_after(shop):
    token = add(shop, new_key()).token
    remove_key = new_key()
    remove = basket_pb2.SetQuantityRequest(
        token=token, variant_id=81, quantity=0, idempotency_key=remove_key
    )
    shop.call(basket.set_quantity, remove)
    add(shop, new_key(), token=token, quantity=1)
    shop.call(basket.set_quantity, remove)  # the remove's late retry
    assert lines(shop, token) == {81: 1}


def test_a_key_sent_with_another_change_is_refused(shop):
    key = new_key()
    token = add(shop, key).token
    with pytest.raises(Invalid, match="already used for another change"):
        add(shop, key, token=token, quantity=3)
    with pytest.raises(Invalid, match="idempotency_key must be"):
        add(shop, "short", token=token)
    assert lines(shop, token) == {81: 2}


def test_a_change_whose_caller_gave_up_before_the_commit_is_not_applied(shop):
    token = add(shop, new_key()).token
    gone = dataclasses.replace(shop.ctx, expires_at=time.monotonic() - 0.001)
    key = new_key()
    request = basket_pb2.AddLineRequest(token=token, variant_id=81, quantity=1, idempotency_key=key)
    with pytest.raises(DeadlineExceeded):
        shop.run(basket.add_line(gone, request))
    assert lines(shop, token) == {81: 2}
    assert add(shop, key, token=token, quantity=1).lines[0].quantity == 3  # the retry applies
