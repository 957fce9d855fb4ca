"""shop.v1.Landings: the home page and landing pages, as ordered blocks of banners and rails."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from api import messages, validation
from api.category_tree import CategoryTree, category_tree
from api.context import CallContext
from api.help_pages import HELP_PAGES, HELP_PAGES_BY_SLUG, description_figures
from api.messages import AnyRow
from api.queries import (
    SORT_COLUMNS,
    SUMMARY_COLUMNS,
    in_categories,
    is_live,
    product_summaries,
    sort_order,
)
from api.schema import banners, landing_blocks, landing_pages, landing_rail_products, products
from api.shop_policies import shop_policies
from contract import catalog_pb2, help_pb2, landings_pb2
from contract.errors import NotFound

HOME_SLUG = "home"
# Longer than the slug column: no page has it.
MAX_SLUG_LENGTH = 120
# A rail shows at most this many products, whatever its stored limit says.
RAIL_LIMIT_MAX = 24
_SORTS = frozenset(catalog_pb2.ProductSort.values())


async def get_home_page(
    ctx: CallContext, request: landings_pb2.GetHomePageRequest
) -> landings_pb2.LandingPage:
    return await _landing_page(ctx, HOME_SLUG, _moment(ctx, request))


async def get_landing_page(
    ctx: CallContext, request: landings_pb2.GetLandingPageRequest
) -> landings_pb2.LandingPage:
    slug = validation.slug(request.slug, kind="landing page", max_length=MAX_SLUG_LENGTH)
    return await _landing_page(ctx, slug, _moment(ctx, request))


async def list_landing_pages(
    ctx: CallContext,
    request: landings_pb2.ListLandingPagesRequest,  # noqa: ARG001 - every method takes its request
) -> landings_pb2.ListLandingPagesResponse:
    async with ctx.db.connect() as conn:
        rows = await conn.execute(
            select(landing_pages.c.slug, landing_pages.c.title, landing_pages.c.updated_at)
            .where(landing_pages.c.slug != HOME_SLUG)
            .order_by(landing_pages.c.title, landing_pages.c.id)
        )
        return landings_pb2.ListLandingPagesResponse(
            pages=[
                landings_pb2.LandingPageLink(
                    slug=row.slug, title=row.title, updated_at=messages.timestamp(row.updated_at)
                )
                for row in rows
            ]
        )


def _moment(
    ctx: CallContext, request: landings_pb2.GetHomePageRequest | landings_pb2.GetLandingPageRequest
) -> datetime:
    """When to show the page at, in UTC: stored datetimes are UTC, and SQLite compares text."""
    if request.HasField("at"):
        return messages.moment_of(request.at, field="at")
    return ctx.now.astimezone(UTC)


async def _landing_page(ctx: CallContext, slug: str, at: datetime) -> landings_pb2.LandingPage:
    tree = await category_tree(ctx)
    async with ctx.db.connect() as conn:
        page = (
            await conn.execute(select(landing_pages).where(landing_pages.c.slug == slug))
        ).first()
        if page is None:
            raise NotFound(f"no landing page has slug {slug!r}")
        blocks = (
            await conn.execute(
                select(landing_blocks)
                .where(landing_blocks.c.page_id == page.id)
                .order_by(landing_blocks.c.position, landing_blocks.c.id)
            )
        ).all()
        banners_by_block = await _banners_shown(
            conn, [block.id for block in blocks if block.kind == "banners"], at
        )
        rails = await _rails(conn, tree, [block for block in blocks if block.kind == "rail"])

    message = landings_pb2.LandingPage(
        slug=page.slug,
        title=page.title,
        description=page.description,
        updated_at=messages.timestamp(page.updated_at),
    )
    for block in blocks:
        if block.kind == "banners":
            shown = banners_by_block.get(block.id)
            if not shown:
                continue
            content: dict[str, Any] = {"banners": landings_pb2.BannerBlock(banners=shown)}
        elif block.kind == "rail":
            content = {"rail": rails[block.id]}
        else:
            continue
        message.blocks.append(
            landings_pb2.Block(id=block.id, title=block.title, position=block.position, **content)
        )
    return message


async def _banners_shown(
    conn: AsyncConnection, block_ids: list[int], at: datetime
) -> dict[int, list[landings_pb2.Banner]]:
    if not block_ids:
        return {}
    rows = await conn.execute(
        select(banners)
        .where(
            banners.c.block_id.in_(block_ids),
            or_(banners.c.starts_at.is_(None), banners.c.starts_at <= at),
            or_(banners.c.ends_at.is_(None), banners.c.ends_at > at),
        )
        .order_by(banners.c.block_id, banners.c.position, banners.c.id)
    )
    shown: dict[int, list[landings_pb2.Banner]] = defaultdict(list)
    for row in rows:
        shown[row.block_id].append(messages.banner(row))
    return shown


async def _rails(
    conn: AsyncConnection, tree: CategoryTree, blocks: list[AnyRow]
) -> dict[int, landings_pb2.ProductRail]:
    """Every rail of the page: one query for the category rails, one for the hand-picked ones,
    and one summary load for all their products."""
    limits = {block.id: max(0, min(block.rail_limit, RAIL_LIMIT_MAX)) for block in blocks}
    by_category = [b for b in blocks if b.rail_category_id is not None and limits[b.id]]
    picked = [b.id for b in blocks if b.rail_category_id is None and limits[b.id]]

    rows_by_block: dict[int, list[AnyRow]] = defaultdict(list)
    if by_category:
        for row in await conn.execute(_category_rails(tree, by_category, limits)):
            rows_by_block[row.block_id].append(row)
    if picked:
        rows = await conn.execute(
            select(landing_rail_products.c.block_id, *SUMMARY_COLUMNS)
            .join(products, products.c.id == landing_rail_products.c.product_id)
            .where(landing_rail_products.c.block_id.in_(picked), is_live())
            .order_by(landing_rail_products.c.block_id, landing_rail_products.c.position)
        )
        for row in rows:
            if len(rows_by_block[row.block_id]) < limits[row.block_id]:
                rows_by_block[row.block_id].append(row)

    all_rows = [row for block in blocks for row in rows_by_block.get(block.id, [])]
    summaries = iter(await product_summaries(conn, all_rows))
    rails = {}
    for block in blocks:
        category = tree.by_id.get(block.rail_category_id) if block.rail_category_id else None
        rails[block.id] = landings_pb2.ProductRail(
            category_slug=category.slug if category is not None else "",
            products=[next(summaries) for _ in rows_by_block.get(block.id, [])],
        )
    return rails


def _category_rails(tree: CategoryTree, blocks: list[AnyRow], limits: dict[int, int]) -> Any:
    """One UNION ALL of each rail's top products, each ranked in its own order.

    The rank is numbered over the few rows a rail keeps, outside its LIMIT, so that each
    member stays a plain top-N query the database can answer from an index.
    """
    members = []
    for block in blocks:
        sort = block.rail_sort if block.rail_sort in _SORTS else 0
        top = (
            select(*dict.fromkeys((*SUMMARY_COLUMNS, *SORT_COLUMNS)))
            .where(is_live(), in_categories(tree.subtree_ids(block.rail_category_id)))
            .order_by(*sort_order(sort))
            .limit(limits[block.id])
            .subquery()
        )
        members.append(
            select(
                literal(block.id).label("block_id"),
                func.row_number().over(order_by=sort_order(sort, top.c)).label("rank"),
                *(top.c[column.name] for column in SUMMARY_COLUMNS),
            )
        )
    rails = union_all(*members).subquery()
    return select(rails).order_by(rails.c.block_id, rails.c.rank)


async def get_help_page(
    ctx: CallContext, request: help_pb2.GetHelpPageRequest
) -> help_pb2.HelpPage:
    slug = validation.slug(request.slug, kind="help page", max_length=MAX_SLUG_LENGTH)
    page = HELP_PAGES_BY_SLUG.get(slug)
    if page is None:
        raise NotFound(f"no help page has slug {slug!r}")
    locale = ctx.settings.locale
    return help_pb2.HelpPage(
        slug=page.slug,
        title=page.title,
        description=page.description.format(**description_figures(locale)),
        sections=page.sections(locale),
        updated_at=messages.timestamp(page.updated),
    )


async def list_help_pages(
    ctx: CallContext,  # noqa: ARG001 - every method takes its context
    request: help_pb2.ListHelpPagesRequest,  # noqa: ARG001 - every method takes its request
) -> help_pb2.ListHelpPagesResponse:
    return help_pb2.ListHelpPagesResponse(
        pages=[
            help_pb2.HelpPageLink(
                slug=page.slug, title=page.title, updated_at=messages.timestamp(page.updated)
            )
            for page in HELP_PAGES
        ]
    )


async def get_shop_policies(
    ctx: CallContext,  # noqa: ARG001 - every method takes its context
    request: help_pb2.GetShopPoliciesRequest,  # noqa: ARG001 - every method takes its request
) -> help_pb2.ShopPolicies:
    return shop_policies()
