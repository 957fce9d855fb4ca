"""shop.v1.Catalog: the category tree, category listings with facets, products and related ones."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from api import messages, validation
from api.category_tree import CategoryNode, CategoryTree, category_tree
from api.context import CallContext
from api.facets import FACETS, FacetSelection, count_facet, facet_messages
from api.messages import AnyRow
from api.queries import (
    SUMMARY_COLUMNS,
    in_categories,
    is_live,
    product_summaries,
    sort_order,
)
from api.schema import product_attributes, product_images, product_old_slugs, products, variants
from contract import catalog_pb2
from contract.errors import Invalid, NotFound

# A category's total and facet counts without filters are kept per category for this long:
# most visitors and every crawler ask for them, and over a large subtree they are the costly
# part of a listing (every variant of every product is read). Filtered counts are computed on
# each call, as their combinations are too many to keep, but reuse these where they apply.
LISTING_STATS_TTL_SECONDS = 60.0
RELATED_DEFAULT = 8
RELATED_MAX = 24
# Longer than the slug column: no product has it.
MAX_SLUG_LENGTH = 200
# Sitemap reads: a page of product links, and the sitemap protocol's most URLs in one file.
PRODUCT_LINKS_DEFAULT = 1000
PRODUCT_LINKS_MAX = 5000
SITEMAP_MAX_URLS = 50_000


async def get_category_tree(
    ctx: CallContext,
    request: catalog_pb2.GetCategoryTreeRequest,  # noqa: ARG001 - every method takes its request
) -> catalog_pb2.GetCategoryTreeResponse:
    tree = await category_tree(ctx)
    return catalog_pb2.GetCategoryTreeResponse(
        roots=[messages.category_subtree(root) for root in tree.roots]
    )


@dataclass(frozen=True)
class _ListingStats:
    total: int
    facet_counts: dict[str, dict[str, int]]


async def list_category_products(
    ctx: CallContext, request: catalog_pb2.ListCategoryProductsRequest
) -> catalog_pb2.ListCategoryProductsResponse:
    page = validation.Page.from_request(request.page)
    sort = validation.product_sort(request.sort)
    selection = FacetSelection.from_filter(request.filter)
    tree = await category_tree(ctx)
    node = _requested_category(tree, request)
    scope = [is_live(), in_categories(tree.subtree_ids(node.id))]

    stats = await _listing_stats(ctx, node, scope, selection)

    summaries: list[catalog_pb2.ProductSummary] = []
    if page.offset < stats.total:
        async with ctx.db.connect() as conn:
            rows = await conn.execute(
                select(*SUMMARY_COLUMNS)
                .where(*scope, *selection.conditions())
                .order_by(*sort_order(sort))
                .limit(page.size)
                .offset(page.offset)
            )
            summaries = await product_summaries(conn, rows.all())
    return catalog_pb2.ListCategoryProductsResponse(
        category=messages.category_with_children(node),
        breadcrumbs=[messages.category(crumb) for crumb in tree.path(node.id)],
        products=summaries,
        page=page.info(stats.total),
        facets=facet_messages(stats.facet_counts, selection),
    )


def _requested_category(
    tree: CategoryTree, request: catalog_pb2.ListCategoryProductsRequest
) -> CategoryNode:
    which = request.WhichOneof("category")
    if which is None:
        raise Invalid("category_id or category_slug is required")
    if which == "category_slug":
        # Looked up in memory: any text is safe to try, and a strange one is simply not found.
        slug = request.category_slug.strip()
        if not slug:
            raise Invalid("category_slug is empty")
        node = tree.by_slug.get(slug)
        if node is None:
            raise NotFound(f"no category has slug {slug[:MAX_SLUG_LENGTH]!r}")
        return node
    node = tree.by_id.get(request.category_id)
    if node is None:
        raise NotFound(f"no category has id {request.category_id}")
    return node


async def _listing_stats(
    ctx: CallContext,
    node: CategoryNode,
    scope: list[ColumnElement[bool]],
    selection: FacetSelection,
) -> _ListingStats:
    # A facet's counts ignore its own filter: while no other facet is filtered, they are the
    # unfiltered counts, kept in the cache.
    reusable = [facet for facet in FACETS if not selection.conditions(besides=facet)]
    if reusable:
        unfiltered: _ListingStats = await ctx.cache.get(
            f"catalog.listing_stats:{node.id}",
            LISTING_STATS_TTL_SECONDS,
            lambda: _count_listing(ctx.db, scope, FacetSelection()),
        )
        if selection.is_empty():
            return unfiltered
        reused = {facet: unfiltered.facet_counts[facet] for facet in reusable}
        return await _count_listing(ctx.db, scope, selection, reused)
    return await _count_listing(ctx.db, scope, selection)


async def _count_listing(
    engine: AsyncEngine,
    scope: list[ColumnElement[bool]],
    selection: FacetSelection,
    known_counts: dict[str, dict[str, int]] | None = None,
) -> _ListingStats:
    """The total and the facet counts, each counted on a connection of its own at once: over a
    large subtree every one of them reads many rows, and the slowest, not the sum, is waited."""
    known_counts = known_counts or {}

    async def total() -> int:
        async with engine.connect() as conn:
            count = await conn.scalar(
                select(func.count()).select_from(products).where(*scope, *selection.conditions())
            )
        return count or 0

    async def facet_counts(facet: str) -> dict[str, int]:
        if facet in known_counts:
            return known_counts[facet]
        async with engine.connect() as conn:
            return await count_facet(conn, facet, scope, selection)

    async with asyncio.TaskGroup() as group:
        total_task = group.create_task(total())
        facet_tasks = {facet: group.create_task(facet_counts(facet)) for facet in FACETS}
    return _ListingStats(
        total=total_task.result(),
        facet_counts={facet: task.result() for facet, task in facet_tasks.items()},
    )


async def get_product(
    ctx: CallContext, request: catalog_pb2.GetProductRequest
) -> catalog_pb2.ProductResponse:
    if not validation.known_id(request.id):
        raise NotFound(f"no product has id {request.id}")
    return catalog_pb2.ProductResponse(
        product=await _full_product(ctx, products.c.id == request.id, f"id {request.id}")
    )


async def get_product_by_slug(
    ctx: CallContext, request: catalog_pb2.GetProductBySlugRequest
) -> catalog_pb2.ProductResponse:
    slug = validation.slug(request.slug, kind="product", max_length=MAX_SLUG_LENGTH)
    try:
        product = await _full_product(ctx, products.c.slug == slug, f"slug {slug!r}")
    except NotFound:
        async with ctx.db.connect() as conn:
            moved = (
                await conn.execute(
                    select(products.c.id, products.c.slug)
                    .join(product_old_slugs, product_old_slugs.c.product_id == products.c.id)
                    .where(product_old_slugs.c.slug == slug)
                )
            ).first()
        if moved is None:
            raise
        return catalog_pb2.ProductResponse(
            moved=catalog_pb2.ProductMoved(product_id=moved.id, canonical_slug=moved.slug)
        )
    return catalog_pb2.ProductResponse(product=product)


async def _full_product(
    ctx: CallContext, which: ColumnElement[bool], described: str
) -> catalog_pb2.Product:
    """The product with its images, variants and attributes; discontinued ones too."""
    tree = await category_tree(ctx)
    async with ctx.db.connect() as conn:
        row = (await conn.execute(select(products).where(which))).first()
        if row is None:
            raise NotFound(f"no product has {described}")
        images = await conn.execute(
            select(product_images)
            .where(product_images.c.product_id == row.id)
            .order_by(product_images.c.position)
        )
        product_variants = await conn.execute(
            select(variants)
            .where(variants.c.product_id == row.id)
            .order_by(variants.c.position, variants.c.id)
        )
        attributes = await conn.execute(
            select(product_attributes)
            .where(product_attributes.c.product_id == row.id)
            .order_by(product_attributes.c.position)
        )
        return messages.product(
            row,
            images=images.all(),
            variants=product_variants.all(),
            attributes=attributes.all(),
            breadcrumbs=tree.path(row.category_id),
        )


async def get_related_products(
    ctx: CallContext, request: catalog_pb2.GetRelatedProductsRequest
) -> catalog_pb2.GetRelatedProductsResponse:
    limit = validation.limit(
        request.limit, field="limit", default=RELATED_DEFAULT, maximum=RELATED_MAX
    )
    if not validation.known_id(request.product_id):
        raise NotFound(f"no product has id {request.product_id}")
    tree = await category_tree(ctx)
    async with ctx.db.connect() as conn:
        category_id = await conn.scalar(
            select(products.c.category_id).where(products.c.id == request.product_id)
        )
        if category_id is None:
            raise NotFound(f"no product has id {request.product_id}")

        async def live_in(category_ids: list[int], count: int) -> list[AnyRow]:
            result = await conn.execute(
                select(*SUMMARY_COLUMNS)
                .where(is_live(), in_categories(category_ids), products.c.id != request.product_id)
                .order_by(*sort_order(catalog_pb2.PRODUCT_SORT_UNSPECIFIED))
                .limit(count)
            )
            return list(result.all())

        # Siblings first; when the leaf category is too small, its parent's other subtrees.
        rows = await live_in([category_id], limit)
        node = tree.by_id.get(category_id)
        if len(rows) < limit and node is not None and node.parent_id is not None:
            cousins = [i for i in tree.subtree_ids(node.parent_id) if i != category_id]
            if cousins:
                rows += await live_in(cousins, limit - len(rows))
        return catalog_pb2.GetRelatedProductsResponse(products=await product_summaries(conn, rows))


async def list_product_links(
    ctx: CallContext, request: catalog_pb2.ListProductLinksRequest
) -> catalog_pb2.ListProductLinksResponse:
    limit = validation.limit(
        request.limit, field="limit", default=PRODUCT_LINKS_DEFAULT, maximum=PRODUCT_LINKS_MAX
    )
    bounds = [products.c.id > request.after_id]
    if request.up_to_id:
        bounds.append(products.c.id <= request.up_to_id)
    async with ctx.db.connect() as conn:
        rows = await conn.execute(
            select(products.c.id, products.c.slug, products.c.updated_at)
            .where(is_live(), *bounds)
            .order_by(products.c.id)
            .limit(limit)
        )
        return catalog_pb2.ListProductLinksResponse(
            links=[
                catalog_pb2.ProductLink(
                    id=row.id, slug=row.slug, updated_at=messages.timestamp(row.updated_at)
                )
                for row in rows
            ]
        )


async def get_product_link_ranges(
    ctx: CallContext, request: catalog_pb2.GetProductLinkRangesRequest
) -> catalog_pb2.GetProductLinkRangesResponse:
    size = validation.limit(
        request.size, field="size", default=SITEMAP_MAX_URLS, maximum=SITEMAP_MAX_URLS
    )
    # Ranges are spans of `size` ids, so none can hold more than `size` products, and one
    # grouped count over an index that holds (discontinued, id) finds the spans that hold any:
    # numbering the live products one by one read the whole table (5 s on a million).
    span = (products.c.id - 1) // size
    async with ctx.db.connect() as conn:
        rows = await conn.execute(
            select(span.label("span"), func.count().label("count"))
            .where(is_live())
            .group_by(span)
            .order_by(span)
        )
        ranges = [
            catalog_pb2.ProductLinkRange(
                first_id=row.span * size + 1, last_id=(row.span + 1) * size, count=row[1]
            )
            for row in rows
        ]
    return catalog_pb2.GetProductLinkRangesResponse(ranges=ranges)


async def list_category_links(
    ctx: CallContext,
    request: catalog_pb2.ListCategoryLinksRequest,  # noqa: ARG001 - every method takes its request
) -> catalog_pb2.ListCategoryLinksResponse:
    tree = await category_tree(ctx)
    async with ctx.db.connect() as conn:
        latest_in_leaf = {
            row.category_id: row.latest
            for row in await conn.execute(
                select(products.c.category_id, func.max(products.c.updated_at).label("latest"))
                .where(is_live())
                .group_by(products.c.category_id)
            )
        }
    links = []
    for node in tree.walk():
        changes = [latest_in_leaf[i] for i in tree.subtree_ids(node.id) if i in latest_in_leaf]
        if changes:
            links.append(
                catalog_pb2.CategoryLink(
                    slug=node.slug, updated_at=messages.timestamp(max(changes))
                )
            )
    return catalog_pb2.ListCategoryLinksResponse(categories=links)
