"""The landing page rows (pages, blocks, banners, hand-picked rail products)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from datetime import timedelta

from api.demo.categories import DemoCategory
from api.demo.landing_pages import LANDING_PAGES, SORT_MERCHANDISED, Banners
from api.demo.products import REFERENCE_TIME
from api.demo.rows import LandingRows

RAIL_LIMIT = 8


def generate_landings(
    rng: random.Random, categories: Sequence[DemoCategory], rail_candidates: Sequence[int]
) -> LandingRows:
    """The home page and the landing pages; hand-picked rails draw from `rail_candidates`."""
    category_ids = {category.slug: category.id for category in categories}
    page_slugs = {page.slug for page in LANDING_PAGES}
    rows = LandingRows()
    block_ids = itertools.count(1)
    banner_ids = itertools.count(1)
    for page_id, page in enumerate(LANDING_PAGES, start=1):
        rows.pages.append(
            {
                "id": page_id,
                "slug": page.slug,
                "title": page.title,
                "description": page.description,
                "updated_at": REFERENCE_TIME - timedelta(days=page.updated_days_ago),
            }
        )
        for position, block in enumerate(page.blocks):
            block_id = next(block_ids)
            row = {
                "id": block_id,
                "page_id": page_id,
                "position": position,
                "title": block.title,
                "rail_category_id": None,
                "rail_sort": SORT_MERCHANDISED,
                "rail_limit": RAIL_LIMIT,
            }
            rows.blocks.append(row)
            if isinstance(block, Banners):
                row["kind"] = "banners"
                for banner_position, banner in enumerate(block.banners):
                    _check_link(banner.link, category_ids, page_slugs)
                    banner_id = next(banner_ids)
                    starts, ends = banner.window
                    rows.banners.append(
                        {
                            "id": banner_id,
                            "block_id": block_id,
                            "position": banner_position,
                            "title": banner.title,
                            "link": banner.link,
                            "image_url": f"/media/demo/banners/{banner.scene.picture()}.svg",
                            "alt": banner.scene.alt(),
                            "starts_at": None if starts is None else REFERENCE_TIME + starts,
                            "ends_at": None if ends is None else REFERENCE_TIME + ends,
                        }
                    )
            else:
                row["kind"] = "rail"
                row["rail_sort"] = block.sort
                if block.category_slug is not None:
                    row["rail_category_id"] = category_ids[block.category_slug]
                else:
                    picks = rng.sample(list(rail_candidates), min(RAIL_LIMIT, len(rail_candidates)))
                    rows.rail_products.extend(
                        {"block_id": block_id, "position": pick_position, "product_id": product_id}
                        for pick_position, product_id in enumerate(picks)
                    )
    return rows


def _check_link(link: str, category_ids: dict[str, int], page_slugs: set[str]) -> None:
    # A typo in the editorial data (landing_pages.py) would otherwise ship as a banner that
    # leads to a 404.
    prefix, _, slug = link.rpartition("/")
    if not ((prefix == "/c" and slug in category_ids) or (prefix == "/l" and slug in page_slugs)):
        raise ValueError(f"demo banner link {link!r} leads nowhere")
