"""A product with its images, variants and attributes, read in one statement.

Four statements cost four round trips (each several thread hops on aiosqlite) for a read of a few
dozen rows; here the product's row comes once per child row, the children of the three kinds
sharing one column layout (the `child_*` columns), in the order the product page shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import (
    Integer,
    Select,
    String,
    bindparam,
    cast,
    literal,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.engine import Connection

from api.messages import AnyRow
from api.schema import product_attributes, product_images, products, variants

IMAGE, VARIANT, ATTRIBUTE = 0, 1, 2


class Image(NamedTuple):
    url: str
    alt: str
    width: int
    height: int
    colour: str


class Variant(NamedTuple):
    id: int
    sku: str
    size: str
    colour: str
    stock: int


class Attribute(NamedTuple):
    name: str
    value: str


class ProductDetail(NamedTuple):
    row: AnyRow
    images: list[Image]
    variants: list[Variant]
    attributes: list[Attribute]


def _no_text() -> Any:
    return cast(null(), String)


def _no_number() -> Any:
    return cast(null(), Integer)


def _statement(product_id: Any) -> Select[Any]:
    # Each kind's rows are picked by product id, so each reads its own index, once.
    children = union_all(
        select(
            literal(IMAGE).label("kind"),
            product_images.c.position,
            _no_number().label("id"),
            product_images.c.url.label("a"),
            product_images.c.alt.label("b"),
            product_images.c.colour.label("c"),
            product_images.c.width.label("n1"),
            product_images.c.height.label("n2"),
        ).where(product_images.c.product_id == product_id),
        select(
            literal(VARIANT),
            variants.c.position,
            variants.c.id,
            variants.c.sku,
            variants.c.size,
            variants.c.colour,
            variants.c.stock,
            _no_number(),
        ).where(variants.c.product_id == product_id),
        select(
            literal(ATTRIBUTE),
            product_attributes.c.position,
            _no_number(),
            product_attributes.c.name,
            product_attributes.c.value,
            _no_text(),
            _no_number(),
            _no_number(),
        ).where(product_attributes.c.product_id == product_id),
    ).subquery("child")
    child = children.c
    return (
        select(products, *(column.label(f"child_{column.name}") for column in children.c))
        .select_from(products.outerjoin(children, true()))
        .where(products.c.id == product_id)
        .order_by(child.kind, child.position, child.id)
    )


# Built once: building the statement per call cost more CPU than the round trips it saves.
_BY_ID = _statement(bindparam("product_id", type_=Integer))
_BY_SLUG = _statement(
    select(products.c.id).where(products.c.slug == bindparam("slug")).scalar_subquery()
)


def product_by_id(conn: Connection, product_id: int) -> ProductDetail | None:
    """The product with this id; None when none has it (a read for `api.db.read`)."""
    return _detail(conn.execute(_BY_ID, {"product_id": product_id}).all())


def product_by_slug(conn: Connection, slug: str) -> ProductDetail | None:
    """The product with this (current) slug; None when none has it."""
    return _detail(conn.execute(_BY_SLUG, {"slug": slug}).all())


def _detail(rows: Sequence[AnyRow]) -> ProductDetail | None:
    if not rows:
        return None
    images, product_variants, attributes = [], [], []
    for row in rows:
        if row.child_kind == IMAGE:
            images.append(Image(row.child_a, row.child_b, row.child_n1, row.child_n2, row.child_c))
        elif row.child_kind == VARIANT:
            product_variants.append(
                Variant(row.child_id, row.child_a, row.child_b, row.child_c, row.child_n1)
            )
        elif row.child_kind == ATTRIBUTE:
            attributes.append(Attribute(row.child_a, row.child_b))
    return ProductDetail(rows[0], images, product_variants, attributes)
