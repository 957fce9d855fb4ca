"""shop.v1.Catalog: the category tree, category listings with facets, products and related ones."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from api import messages, validation
from api.category_tree import CategoryNode, CategoryTree, category_tree
from api.context import CallContext
from api.db import read
from api.facets import FacetSelection, facet_messages
from api.listings import RELATED_MAX, LeafRails, listing_page, listing_stats, related_page
from api.messages import AnyRow
from api.product_detail import ProductDetail, product_by_id, product_by_slug
from api.queries import is_live, summaries, summary_statement
from api.sales import sale_prices
from api.schema import categories, product_old_slugs, products
from contract import METHODS, catalog_pb2
from contract.errors import Invalid, NotFound

RELATED_DEFAULT = 8
# Longer than the slug column: no product has it.
MAX_SLUG_LENGTH = 200
# Sitemap reads: a page of product links, and the sitemap protocol's most URLs in one file.
PRODUCT_LINKS_DEFAULT = 1000
PRODUCT_LINKS_MAX = 5000
SITEMAP_MAX_URLS = 50_000
# Feed reads: a feed item is about ten times a link, so pages are smaller.
FEED_ITEMS_DEFAULT = 500
FEED_ITEMS_MAX = 2000


# The most products a filtered listing's pages reach (1,000, about 42 pages of 24), as a
# search's: a shopper narrows the filters or sorts rather than paging further.
FILTERED_LISTED_MAX = 1000


async def get_category_tree(
    ctx: CallContext,
    request: catalog_pb2.GetCategoryTreeRequest,  # noqa: ARG001 - every method takes its request
) -> catalog_pb2.GetCategoryTreeResponse:
    tree = await category_tree(ctx)
    return catalog_pb2.GetCategoryTreeResponse(
        roots=[messages.category_subtree(root) for root in tree.roots]
    )


async def list_category_products(
    ctx: CallContext, request: catalog_pb2.ListCategoryProductsRequest
) -> catalog_pb2.ListCategoryProductsResponse:
    page = validation.Page.from_request(request.page)
    sort = validation.product_sort(request.sort)
    selection = FacetSelection.from_filter(request.filter)
    tree = await category_tree(ctx)
    node = _requested_category(tree, request)
    stats = await listing_stats(ctx.db, node.id, selection)
    sales = await sale_prices(ctx)
    # A filtered page walks the sort's index probing every entry before it: its cost grows
    # with its offset (2.5 s for page 2,000 of a colour filter at a million products). Its
    # pages stop at FILTERED_LISTED_MAX products; unfiltered pages (crawled) all stay.
    listed = stats.total
    if not selection.is_empty():
        listed = min(listed, FILTERED_LISTED_MAX)
    rows: Sequence[AnyRow] = ()
    if page.offset < listed:  # a page past the end costs no read
        async with ctx.db.connect() as conn:
            rows = await listing_page(
                conn,
                node.id,
                selection,
                sort,
                offset=page.offset,
                limit=min(page.size, listed - page.offset),
                stats=stats,
            )
    return catalog_pb2.ListCategoryProductsResponse(
        category=messages.category_with_children(node),
        breadcrumbs=[messages.category(crumb) for crumb in tree.path(node.id)],
        products=summaries(rows, sales),
        page=page.info(stats.total, listed),
        facets=facet_messages(stats.facet_counts, selection),
        listed_max=listed if listed < stats.total else 0,
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


async def get_product(
    ctx: CallContext, request: catalog_pb2.GetProductRequest
) -> catalog_pb2.ProductResponse:
    if not validation.known_id(request.id):
        raise NotFound(f"no product has id {request.id}")
    return catalog_pb2.ProductResponse(
        product=await _full_product(
            ctx, lambda conn: product_by_id(conn, request.id), f"id {request.id}"
        )
    )


async def get_product_by_slug(
    ctx: CallContext, request: catalog_pb2.GetProductBySlugRequest
) -> catalog_pb2.ProductResponse:
    slug = validation.slug(request.slug, kind="product", max_length=MAX_SLUG_LENGTH)
    try:
        product = await _full_product(
            ctx, lambda conn: product_by_slug(conn, slug), f"slug {slug!r}"
        )
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
    ctx: CallContext,
    statements: Callable[[Connection], ProductDetail | None],
    described: str,
) -> catalog_pb2.Product:
    """The product with its images, variants and attributes; discontinued ones too."""
    tree = await category_tree(ctx)
    sales = await sale_prices(ctx)
    detail = await read(ctx.db, statements)
    if detail is None:
        raise NotFound(f"no product has {described}")
    return messages.product(
        detail.row,
        images=detail.images,
        variants=detail.variants,
        attributes=detail.attributes,
        breadcrumbs=tree.path(detail.row.category_id),
        sales=sales,
    )


async def get_related_products(
    ctx: CallContext, request: catalog_pb2.GetRelatedProductsRequest
) -> catalog_pb2.GetRelatedProductsResponse:
    limit = validation.limit(
        request.limit, field="limit", default=RELATED_DEFAULT, maximum=RELATED_MAX
    )
    if not validation.known_id(request.product_id):
        raise NotFound(f"no product has id {request.product_id}")
    sales = await sale_prices(ctx)
    rails = _leaf_rails(ctx)
    rows = await read(ctx.db, lambda conn: related_page(conn, request.product_id, limit, rails))
    if rows is None:
        raise NotFound(f"no product has id {request.product_id}")
    return catalog_pb2.GetRelatedProductsResponse(products=summaries(rows, sales))


def _leaf_rails(ctx: CallContext) -> LeafRails | None:
    """The worker's leaf rails for this database (api/listings.py): kept as long as the
    method's answers may be (its cache_seconds), so a rail's summaries are at most that much
    older than an answer read afresh; none with the answer cache off, when every call reads."""
    if not ctx.settings.api_answer_cache:
        return None
    rails = _RAILS.get(ctx.db)
    if rails is None:
        rails = _RAILS[ctx.db] = LeafRails(METHODS[_GET_RELATED].cache_seconds)
    return rails


_GET_RELATED = "shop.v1.Catalog/GetRelatedProducts"
_RAILS: weakref.WeakKeyDictionary[AsyncEngine, LeafRails] = weakref.WeakKeyDictionary()


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


async def list_feed_items(
    ctx: CallContext, request: catalog_pb2.ListFeedItemsRequest
) -> catalog_pb2.ListFeedItemsResponse:
    limit = validation.limit(
        request.limit, field="limit", default=FEED_ITEMS_DEFAULT, maximum=FEED_ITEMS_MAX
    )
    after_id, up_to_id = _id_range(request.after_id, request.up_to_id)
    if up_to_id and up_to_id == after_id:  # nothing is both above and at most one id
        return catalog_pb2.ListFeedItemsResponse()
    # The page's ids first (keyset, over the primary key), then their summaries in one statement.
    bounds = [products.c.id > after_id]
    if up_to_id:
        bounds.append(products.c.id <= up_to_id)
    page = (
        select(products.c.id.label("product_id"))
        .where(is_live(), *bounds)
        .order_by(products.c.id)
        .limit(limit)
        .subquery("page")
    )
    statement = summary_statement(page, page.c.product_id).add_columns(
        products.c.sku, products.c.description
    )
    sales = await sale_prices(ctx)
    async with ctx.db.connect() as conn:
        rows = (await conn.execute(statement.order_by(products.c.id))).all()
    return catalog_pb2.ListFeedItemsResponse(
        items=[
            catalog_pb2.FeedItem(summary=summary, sku=row.sku, description=row.description)
            for row, summary in zip(rows, summaries(rows, sales), strict=True)
        ]
    )


def _id_range(after_id: int, up_to_id: int) -> tuple[int, int]:
    """after_id and up_to_id as ids a 32-bit column can be compared with; up_to_id 0 is none.

    PostgreSQL refuses to bind a larger number to an integer column (a 500 from any caller), and
    an upper bound below the lower one is a caller's mistake, not an empty page."""
    if after_id > validation.MAX_ROW_ID:
        raise Invalid(f"after_id {after_id} is over the largest id, {validation.MAX_ROW_ID}")
    if up_to_id > validation.MAX_ROW_ID:
        raise Invalid(f"up_to_id {up_to_id} is over the largest id, {validation.MAX_ROW_ID}")
    if up_to_id and up_to_id < after_id:
        raise Invalid(f"up_to_id {up_to_id} is below after_id {after_id}")
    return after_id, up_to_id


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
        latest_in_category = {
            row.id: row.latest
            for row in await conn.execute(_LATEST_CHANGES)
            if row.latest is not None
        }
    links = []
    for node in tree.walk():
        changes = [
            latest_in_category[i] for i in tree.subtree_ids(node.id) if i in latest_in_category
        ]
        if changes:
            links.append(
                catalog_pb2.CategoryLink(
                    slug=node.slug, updated_at=messages.timestamp(max(changes))
                )
            )
    return catalog_pb2.ListCategoryLinksResponse(categories=links)


# Each category's latest change of its own live products: per category, one probe at the end of
# the products_category_updated index (a min/max look-up on both databases), never a grouped
# read of every product. Subtrees are rolled up from these in memory (the tree is small).
_LATEST_CHANGES = select(
    categories.c.id,
    select(func.max(products.c.updated_at))
    .where(products.c.category_id == categories.c.id, is_live())
    .scalar_subquery()
    .label("latest"),
)
