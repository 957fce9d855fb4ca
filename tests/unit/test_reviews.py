"""Reviews without a database: the rules (lengths, links, held words, names), the average in
tenths, the hold-words setting, and the JSON-LD a product page carries for its reviews."""

from __future__ import annotations

import json
import re

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from api import review_rules
from api.ratings import average_tenths
from contract import catalog_pb2, common_pb2, reviews_pb2
from vitrine.config import DEFAULT_REVIEW_HOLD_WORDS_FILE, ConfigError, Settings, load_settings
from web.structured_data import StructuredData

WORDS = ("casino", "promo code")


@pytest.mark.parametrize(
    "text",
    [
        "see http://example.com",
        "see HTTPS://EXAMPLE.COM/x",
        "ask at www.example.org",
        "cheaper on bags-for-less.shop",
        "my site: shop.example.co.uk",
        "ftp://files.example/x",
    ],
)
def test_links_in_any_form_hold(text):
    assert review_rules.hold_reason("Title", text, WORDS) == "it contains a link"


@pytest.mark.parametrize(
    "text",
    [
        "It fits well. Really pleased.",
        "Size 4.5 fits, 100% cotton, 3.5 stars at most... fine.",
        "Good for the office.Comfortable too",
    ],
)
def test_ordinary_text_is_published(text):
    assert review_rules.hold_reason("Nice", text, WORDS) == ""


def test_listed_words_hold_as_whole_words_in_any_case_and_spacing():
    assert "casino" in review_rules.hold_reason("CASINO night", "x", WORDS)
    assert "promo code" in review_rules.hold_reason("t", "my Promo\n  Code is", WORDS)
    assert review_rules.hold_reason("t", "casinos are not listed", WORDS) == ""
    assert review_rules.hold_reason("t", "nothing", ()) == ""


def test_field_limits():
    assert review_rules.field_problems(5, "Fine", "x" * 20) == []
    problems = dict(review_rules.field_problems(0, "ab", "x" * 19))
    assert set(problems) == {"rating", "title", "text"}
    assert "5000" in dict(review_rules.field_problems(3, "Fine", "x" * 5001))["text"]
    assert "120" in dict(review_rules.field_problems(3, "x" * 121, "x" * 30))["title"]


def test_text_is_kept_plain_with_paragraphs():
    assert review_rules.clean("  a\r\n\r\n\r\n\r\nb\x07\tc  ") == "a\n\nb c"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Ada Lovelace", "Ada L."),
        ("Ada", "Ada"),
        ("  ", "A shopper"),
        ("Jean de la Tour", "Jean T."),
    ],
)
def test_reviewers_are_shown_by_first_name_and_last_initial(name, shown):
    assert review_rules.shown_name(name) == shown


@pytest.mark.parametrize(
    ("ratings", "tenths"), [([5], 50), ([4, 5], 45), ([4, 4, 5], 43), ([1, 2], 15), ([], 0)]
)
def test_the_average_is_tenths_rounded_half_up(ratings, tenths):
    assert average_tenths(sum(ratings), len(ratings)) == tenths


def test_the_hold_words_come_from_a_file_a_setting_names(tmp_path):
    assert "casino" in Settings().review_hold_words
    assert "casino" in load_settings({}).review_hold_words
    assert DEFAULT_REVIEW_HOLD_WORDS_FILE.exists()
    words = tmp_path / "words.txt"
    words.write_text("# ours\nBargain  Bin\n\nfree shipping # a phrase\n", encoding="utf-8")
    env = {"VITRINE_REVIEW_HOLD_WORDS_FILE": str(words)}
    assert load_settings(env).review_hold_words == ("bargain bin", "free shipping")
    with pytest.raises(ConfigError, match="VITRINE_REVIEW_HOLD_WORDS_FILE"):
        load_settings({"VITRINE_REVIEW_HOLD_WORDS_FILE": str(tmp_path / "missing.txt")})


def parsed(markup) -> dict:
    found = re.fullmatch(r'<script type="application/ld\+json">(.*)</script>', str(markup))
    return json.loads(found.group(1))


PRODUCT = catalog_pb2.Product(
    id=7,
    slug="blue-scarf",
    name="Blue Scarf",
    brand="Acme",
    sku="VT7",
    price=common_pb2.Money(amount=1999, currency="EUR"),
)


def listing(count: int) -> reviews_pb2.ListReviewsResponse:
    when = Timestamp()
    when.FromJsonString("2026-10-03T23:30:00Z")
    published = [
        reviews_pb2.Review(
            id=n,
            rating=4,
            title="Warm </script>",
            text="Soft & warm",
            author_name="Ada L.",
            published_at=when,
            status=reviews_pb2.REVIEW_STATUS_PUBLISHED,
        )
        for n in range(min(count, 2))
    ]
    summary = reviews_pb2.RatingSummary(review_count=count, average_tenths=43 if count else 0)
    return reviews_pb2.ListReviewsResponse(summary=summary, reviews=published)


def test_json_ld_has_the_rating_and_the_reviews_shown_when_some_are_published():
    data = parsed(StructuredData("https://shop.example").product(PRODUCT, reviews=listing(12)))
    assert data["aggregateRating"] == {
        "@type": "AggregateRating",
        "ratingValue": "4.3",
        "reviewCount": 12,
        "bestRating": 5,
        "worstRating": 1,
    }
    assert len(data["review"]) == 2
    assert data["review"][0] == {
        "@type": "Review",
        "author": {"@type": "Person", "name": "Ada L."},
        "datePublished": "2026-10-03",
        "name": "Warm </script>",
        "reviewBody": "Soft & warm",
        "reviewRating": {"@type": "Rating", "ratingValue": 4, "bestRating": 5, "worstRating": 1},
    }


@pytest.mark.parametrize("reviews", [None, listing(0)])
def test_json_ld_has_no_rating_without_published_reviews(reviews):
    data = parsed(StructuredData("https://shop.example").product(PRODUCT, reviews=reviews))
    assert "aggregateRating" not in data
    assert "review" not in data
