"""shop.v1.Landings over the hand-made pages of catalogue_fixture, on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from api.services import landings
from contract import landings_pb2
from contract.errors import Invalid, NotFound
from tests.integration.catalogue_fixture import Shop, sqlite_shop


@pytest.fixture
def shop(tmp_path) -> Iterator[Shop]:
    with sqlite_shop(tmp_path) as shop:
        yield shop


def at(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def home(shop: Shop, moment: datetime | None = None) -> landings_pb2.LandingPage:
    request = landings_pb2.GetHomePageRequest()
    if moment is not None:
        request.at.CopyFrom(at(moment))
    return shop.call(landings.get_home_page, request)


def outline(page: landings_pb2.LandingPage) -> list[tuple[str, list]]:
    """Each block's title and what it shows: banner titles or product ids."""
    shown = []
    for block in page.blocks:
        if block.WhichOneof("content") == "banners":
            shown.append((block.title, [b.title for b in block.banners.banners]))
        else:
            shown.append((block.title, [p.id for p in block.rail.products]))
    return shown


def test_home_page_blocks_in_position_order(shop):
    page = home(shop)  # ctx.now is 2025-03-01

    assert (page.slug, page.title, page.description) == ("home", "Home", "Home at Vitrine")
    assert page.updated_at.ToDatetime(tzinfo=UTC) == datetime(2024, 12, 1, 9, 30, tzinfo=UTC)
    assert outline(page) == [
        ("Women's picks", [1, 3, 2]),  # the subtree's 3 cheapest live products
        ("Highlights", ["Always on"]),
        ("Coming soon", ["Spring 2025"]),
        ("Staff picks", [9, 5]),  # hand-picked, the discontinued first pick skipped, limit 2
    ]
    assert [block.position for block in page.blocks] == [1, 2, 3, 4]


def test_rails_say_where_see_all_leads(shop):
    page = home(shop)
    rails = {block.title: block.rail for block in page.blocks if block.HasField("rail")}

    assert rails["Women's picks"].category_slug == "women"
    assert rails["Staff picks"].category_slug == ""
    summary = rails["Women's picks"].products[0]
    assert (summary.slug, summary.price.amount, summary.image.url) == (
        "summer-dress",
        1999,
        "/img/1-1.jpg",
    )
    assert summary.in_stock


def test_banners_shown_inside_their_window_in_position_order(shop):
    page = home(shop, datetime(2024, 6, 15, tzinfo=UTC))

    # "Coming soon" has no banner live yet, so the block is dropped.
    assert outline(page) == [
        ("Women's picks", [1, 3, 2]),
        ("Highlights", ["June only", "Always on"]),
        ("Staff picks", [9, 5]),
    ]
    (june, _) = page.blocks[1].banners.banners
    assert june.starts_at.ToDatetime(tzinfo=UTC) == datetime(2024, 6, 1, 9, 30, tzinfo=UTC)
    assert june.ends_at.ToDatetime(tzinfo=UTC) == datetime(2024, 7, 1, 9, 30, tzinfo=UTC)
    assert (june.link, june.image_url, june.alt, june.position) == (
        "/l/banner-2",
        "/img/banner-2.jpg",
        "June only",
        1,
    )
    always = page.blocks[1].banners.banners[1]
    assert not always.HasField("starts_at")
    assert not always.HasField("ends_at")


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (datetime(2024, 6, 1, 9, 30, tzinfo=UTC), True),  # starts_at is inclusive
        (datetime(2024, 6, 1, 9, 29, 59, tzinfo=UTC), False),
        (datetime(2024, 7, 1, 9, 29, 59, tzinfo=UTC), True),
        (datetime(2024, 7, 1, 9, 30, tzinfo=UTC), False),  # ends_at is exclusive
        # The same moment as 11:30 in UTC+2: compared in UTC.
        (datetime(2024, 7, 1, 11, 29, 59, tzinfo=timezone(timedelta(hours=2))), True),
    ],
)
def test_banner_window_edges(shop, moment, shown):
    titles = [title for banners in dict(outline(home(shop, moment))).values() for title in banners]
    assert ("June only" in titles) is shown


def test_expired_banners_never_show(shop):
    page = home(shop, datetime(2023, 12, 31, tzinfo=UTC))
    assert dict(outline(page))["Highlights"] == ["Always on", "Expired"]
    assert "Expired" not in dict(outline(home(shop)))["Highlights"]


def test_landing_page_by_slug(shop):
    page = shop.call(
        landings.get_landing_page, landings_pb2.GetLandingPageRequest(slug="summer-sale")
    )

    assert page.title == "Summer Sale"
    # Newest first from the whole Outerwear subtree; the sale banner block ended, so it is gone.
    assert outline(page) == [("Outerwear", [11, 10, 9])]
    assert page.blocks[0].rail.category_slug == "men-outerwear"


def test_landing_page_banner_block_shows_within_its_window(shop):
    request = landings_pb2.GetLandingPageRequest(
        slug="summer-sale", at=at(datetime(2024, 6, 10, tzinfo=UTC))
    )
    page = shop.call(landings.get_landing_page, request)
    assert outline(page) == [("Outerwear", [11, 10, 9]), ("Sale banners", ["Sale ended"])]


def test_landing_page_without_blocks(shop):
    page = shop.call(landings.get_landing_page, landings_pb2.GetLandingPageRequest(slug="autumn"))
    assert page.title == "Autumn Looks"
    assert not page.blocks


def test_unknown_landing_page_is_not_found(shop):
    for slug in ("winter", "x" * 500):
        with pytest.raises(NotFound):
            shop.call(landings.get_landing_page, landings_pb2.GetLandingPageRequest(slug=slug))


@pytest.mark.parametrize("slug", ["", "  ", "a\x00b"])
def test_blank_or_broken_landing_slug_is_invalid(shop, slug):
    with pytest.raises(Invalid):
        shop.call(landings.get_landing_page, landings_pb2.GetLandingPageRequest(slug=slug))


def test_out_of_range_moment_is_invalid(shop):
    request = landings_pb2.GetHomePageRequest()
    request.at.seconds = 2**62
    with pytest.raises(Invalid, match="at is not a valid timestamp"):
        shop.call(landings.get_home_page, request)


def test_list_landing_pages_leaves_out_home_and_sorts_by_title(shop):
    response = shop.call(landings.list_landing_pages, landings_pb2.ListLandingPagesRequest())

    assert [(p.slug, p.title) for p in response.pages] == [
        ("autumn", "Autumn Looks"),
        ("summer-sale", "Summer Sale"),
    ]
    assert response.pages[1].updated_at.ToDatetime(tzinfo=UTC) == datetime(
        2024, 6, 1, 9, 30, tzinfo=UTC
    )
