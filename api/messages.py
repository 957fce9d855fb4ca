"""Database rows and cached objects turned into protobuf messages, the same way in every service."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import Row

from contract import catalog_pb2, common_pb2, landings_pb2
from contract.errors import Invalid

if TYPE_CHECKING:
    from api.category_tree import CategoryNode

# A result row of any shape, read by column name.
AnyRow: TypeAlias = Row[*tuple[Any, ...]]


def timestamp(moment: datetime) -> Timestamp:
    # SQLite hands datetimes back without a zone; everything is stored in UTC.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    message = Timestamp()
    message.FromDatetime(moment)
    return message


def moment_of(message: Timestamp, *, field: str) -> datetime:
    """A request's Timestamp as an aware UTC datetime."""
    try:
        return message.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError) as exc:
        raise Invalid(f"{field} is not a valid timestamp: {exc}") from None


def money(amount: int, currency: str) -> common_pb2.Money:
    return common_pb2.Money(amount=amount, currency=currency)


def image(row: Any) -> common_pb2.Image:
    """From a row, or anything with the same attributes (api/product_detail.py's Image)."""
    return common_pb2.Image(
        url=row.url, alt=row.alt, width=row.width, height=row.height, colour=row.colour
    )


def product_summary(
    row: AnyRow, first_image: Any, *, in_stock: bool, second_image: Any = None
) -> catalog_pb2.ProductSummary:
    summary = catalog_pb2.ProductSummary(
        id=row.id,
        slug=row.slug,
        name=row.name,
        brand=row.brand,
        price=money(row.price, row.currency),
        in_stock=in_stock,
    )
    if row.compare_at_price is not None:
        summary.compare_at_price.CopyFrom(money(row.compare_at_price, row.currency))
    if first_image is not None:
        summary.image.CopyFrom(image(first_image))
        summary.images.append(summary.image)
        if second_image is not None:
            summary.images.append(image(second_image))
    return summary


def category(node: CategoryNode) -> catalog_pb2.Category:
    """The category alone, as breadcrumbs carry it."""
    return catalog_pb2.Category(
        id=node.id,
        parent_id=node.parent_id or 0,
        slug=node.slug,
        name=node.name,
        description=node.description,
        depth=node.depth,
        position=node.position,
        product_count=node.product_count,
    )


def category_with_children(node: CategoryNode) -> catalog_pb2.Category:
    message = category(node)
    message.children.extend(category(child) for child in node.children)
    return message


def category_subtree(node: CategoryNode) -> catalog_pb2.Category:
    message = category(node)
    message.children.extend(category_subtree(child) for child in node.children)
    return message


def product(
    row: AnyRow,
    *,
    # Rows, or the named tuples of api/product_detail.py
    images: Iterable[Any],
    variants: Iterable[Any],
    attributes: Iterable[Any],
    breadcrumbs: Iterable[CategoryNode],
) -> catalog_pb2.Product:
    message = catalog_pb2.Product(
        id=row.id,
        slug=row.slug,
        name=row.name,
        brand=row.brand,
        sku=row.sku,
        description=row.description,
        category_id=row.category_id,
        price=money(row.price, row.currency),
        images=[image(image_row) for image_row in images],
        variants=[
            catalog_pb2.Variant(id=v.id, sku=v.sku, size=v.size, colour=v.colour, stock=v.stock)
            for v in variants
        ],
        attributes=[catalog_pb2.Attribute(name=a.name, value=a.value) for a in attributes],
        discontinued=row.discontinued,
        created_at=timestamp(row.created_at),
        updated_at=timestamp(row.updated_at),
        breadcrumbs=[category(node) for node in breadcrumbs],
    )
    if row.compare_at_price is not None:
        message.compare_at_price.CopyFrom(money(row.compare_at_price, row.currency))
    return message


def banner(row: AnyRow) -> landings_pb2.Banner:
    message = landings_pb2.Banner(
        id=row.id,
        title=row.title,
        link=row.link,
        image_url=row.image_url,
        alt=row.alt,
        position=row.position,
    )
    if row.starts_at is not None:
        message.starts_at.CopyFrom(timestamp(row.starts_at))
    if row.ends_at is not None:
        message.ends_at.CopyFrom(timestamp(row.ends_at))
    return message
