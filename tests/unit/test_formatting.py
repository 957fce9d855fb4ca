"""Dates as text: a Timestamp or a datetime, its day in the shop's locale (cached per day)."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from vitrine.formatting import date


def test_a_timestamp_and_a_datetime_of_the_same_day_read_the_same():
    late = datetime(2026, 3, 9, 23, 59, tzinfo=UTC)
    stamp = Timestamp(seconds=int(late.timestamp()))
    assert date(late, "en_IE") == date(stamp, "en_IE") == "9 Mar 2026"
    assert date(datetime(2026, 3, 10, 0, 1, tzinfo=UTC), "en_IE") == "10 Mar 2026"
    assert date(late, "en_IE", "long") == "9 March 2026"
