"""The front reads a number a request sent as ASCII digits in bounds, or not at all."""

from __future__ import annotations

import pytest

from web.whole_numbers import parse_whole_number


@pytest.mark.parametrize(("raw", "value"), [("1", 1), ("0099", 99), (" 7\t", 7), ("10000", 10000)])
def test_ascii_digits_in_bounds_are_read(raw, value):
    assert parse_whole_number(raw, 1, 10_000) == value


@pytest.mark.parametrize(
    "raw",
    ["", "0", "10001", "-1", "+1", "1.0", "1e3", "0x10", "1_000", "\u00b2", "\u0663", "\uff11",
     "1\n", "1\x00", "9" * 5000],
)  # fmt: skip
def test_anything_else_is_no_number(raw):
    assert parse_whole_number(raw, 1, 10_000) is None
