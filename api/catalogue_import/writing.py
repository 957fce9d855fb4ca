"""A batch of products checked against the database and written: each product compared with what
the database holds, and only what differs written (a re-run of the same file writes nothing).

Per batch a fixed number of statements, whatever its size: the batch's products, variants,
images and slugs are read with one IN list each, and the changes written with one executemany
per kind. A product that cannot be imported (its category unknown, a SKU of another product, a
slug another product has) gets its problem and is left out whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from api.back_in_stock import stock_returned
from api.catalogue_import import fields, staging
from api.catalogue_import.fields import RowError
from api.catalogue_import.rows import Problem, ProductInput, VariantInput
from api.messages import AnyRow
from api.schema import (
    basket_lines,
    categories,
    order_lines,
    product_images,
    product_old_slugs,
    products,
    variants,
)

# The product columns an import sets; compared to tell an update from an unchanged product.
_PRODUCT_COLUMNS = (
    "slug",
    "name",
    "brand",
    "description",
    "category_id",
    "price",
    "compare_at_price",
    "currency",
    "discontinued",
    "position",
    "search_text",
)
# Changing these moves the product in listings (api/listing_index.py); the others do not.
_LISTED_COLUMNS = frozenset(
    {"name", "brand", "category_id", "price", "discontinued", "position", "search_text"}
)
# Suffixes tried for a new product's slug made from a name another product has.
_SLUG_SUFFIXES = 50


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    discontinued: int = 0
    variants_created: int = 0
    variants_updated: int = 0
    variants_unchanged: int = 0
    variants_removed: int = 0


@dataclass(frozen=True)
class Category:
    id: int
    name: str
    leaf: bool


async def load_categories(conn: AsyncConnection) -> dict[str, Category]:
    parents = select(categories.c.parent_id).where(categories.c.parent_id.is_not(None))
    parent_ids = set(await conn.scalars(parents))
    rows = await conn.execute(select(categories.c.id, categories.c.slug, categories.c.name))
    return {row.slug: Category(row.id, row.name, row.id not in parent_ids) for row in rows}


@dataclass(eq=False)
class _Plan:
    """What one product's import writes."""

    product: ProductInput
    existing: AnyRow | None
    row: dict[str, Any]  # the product's columns after the import
    changed: set[str] = field(default_factory=set)  # of _PRODUCT_COLUMNS
    new_variants: list[dict[str, Any]] = field(default_factory=list)
    variant_updates: list[dict[str, Any]] = field(default_factory=list)
    variants_updated: int = 0
    variants_unchanged: int = 0
    removed_variant_ids: list[int] = field(default_factory=list)
    retired_variants: int = 0  # ordered once, so kept with no stock instead of removed
    images: list[dict[str, Any]] | None = None  # the new images, when they change
    variants_reshaped: bool = False  # added, removed, or another size or colour

    @property
    def touched(self) -> bool:
        """An existing product whose row, images or variants (beyond stock) change."""
        return self.existing is not None and bool(
            self.changed or self.images is not None or self.variants_reshaped
        )

    @property
    def product_id(self) -> int | None:
        return self.existing.id if self.existing is not None else None


@dataclass
class _Batch:
    """The database's rows for one batch of products, read once."""

    products: dict[str, AnyRow]
    variants: dict[int, list[AnyRow]]
    sku_owners: dict[str, tuple[int, str]]  # sku -> (product id, product code)
    images: dict[int, list[AnyRow]]
    slug_owners: dict[str, int]  # a current slug -> its product's id
    old_slugs: set[str]  # slugs products had before, kept for their redirects
    ordered_variants: set[int]
    slugs_taken: set[str] = field(default_factory=set)  # by this batch's new products


class CatalogueWrites:
    """Writes batches of products in the caller's transaction, counting what it did."""

    def __init__(
        self,
        conn: AsyncConnection,
        *,
        categories_by_slug: dict[str, Category],
        default_currency: str,
        now: datetime,
        next_position: int,
    ) -> None:
        self._conn = conn
        self._categories = categories_by_slug
        self._category_names = {c.id: c.name for c in categories_by_slug.values()}
        self._currency = default_currency
        self._now = now
        self._next_position = next_position
        self.counts = Counts()

    async def write(self, batch: Sequence[ProductInput]) -> list[ProductInput]:
        """Write the batch's good products; the ones refused, with their problems added."""
        accepted, refused = await self._first_sightings(batch)
        known = await self._read(accepted)
        plans = []
        for product in accepted:
            try:
                plans.append(self._plan(product, known))
            except RowError as error:
                product.problems.append(Problem(error.line or product.first_line, str(error)))
                refused.append(product)
        await self._write(plans, known.old_slugs)
        return refused

    async def _first_sightings(
        self, batch: Sequence[ProductInput]
    ) -> tuple[list[ProductInput], list[ProductInput]]:
        """Products whose rows are together and whose SKUs the file has not given before."""
        codes = [product.code for product in batch]
        seen = await staging.lines_seen(self._conn, staging.seen_products, codes)
        first_lines: dict[str, int] = {}
        accepted: list[ProductInput] = []
        refused: list[ProductInput] = []
        for product in batch:
            earlier = seen.get(product.code) or first_lines.get(product.code)
            if earlier is not None:
                product.problems.append(
                    Problem(
                        product.first_line,
                        f"product {product.code}'s rows must be together: they began on line "
                        f"{earlier}",
                    )
                )
            else:
                first_lines[product.code] = product.first_line
            (refused if product.problems else accepted).append(product)
        await staging.note(self._conn, staging.seen_products, first_lines)

        skus = [variant.sku for product in accepted for variant in product.variants]
        seen = await staging.lines_seen(self._conn, staging.seen_skus, skus)
        sku_lines: dict[str, int] = {}
        for product in accepted:
            for variant in product.variants:
                earlier = seen.get(variant.sku) or sku_lines.get(variant.sku)
                if earlier is not None:
                    product.problems.append(
                        Problem(variant.line, f"sku {variant.sku} is also on line {earlier}")
                    )
                else:
                    sku_lines[variant.sku] = variant.line
        await staging.note(self._conn, staging.seen_skus, sku_lines)
        refused.extend(product for product in accepted if product.problems)
        return [product for product in accepted if not product.problems], refused

    async def _read(self, batch: Sequence[ProductInput]) -> _Batch:
        conn = self._conn
        codes = [product.code for product in batch]
        found = (
            {
                row.sku: row
                for row in await conn.execute(select(products).where(products.c.sku.in_(codes)))
            }
            if codes
            else {}
        )
        ids = [row.id for row in found.values()]
        by_product: dict[int, list[AnyRow]] = {}
        images: dict[int, list[AnyRow]] = {}
        ordered: set[int] = set()
        if ids:
            rows = await conn.execute(
                select(variants)
                .where(variants.c.product_id.in_(ids))
                .order_by(variants.c.product_id, variants.c.position, variants.c.id)
            )
            for row in rows:
                by_product.setdefault(row.product_id, []).append(row)
            if any(column in product.given for product in batch for column in fields.IMAGE_COLUMNS):
                rows = await conn.execute(
                    select(product_images)
                    .where(product_images.c.product_id.in_(ids))
                    .order_by(product_images.c.product_id, product_images.c.position)
                )
                for row in rows:
                    images.setdefault(row.product_id, []).append(row)
            variant_ids = [row.id for rows_ in by_product.values() for row in rows_]
            ordered = set(
                await conn.scalars(
                    select(order_lines.c.variant_id)
                    .where(order_lines.c.variant_id.in_(variant_ids))
                    .distinct()
                )
            )
        skus = [variant.sku for product in batch for variant in product.variants]
        owners = await conn.execute(
            select(variants.c.sku, products.c.id, products.c.sku.label("code"))
            .join(products, products.c.id == variants.c.product_id)
            .where(variants.c.sku.in_(skus))
        )
        slug_owners, old_slugs = await self._slugs_in_use(batch, found)
        return _Batch(
            products=found,
            variants=by_product,
            sku_owners={row.sku: (row.id, row.code) for row in owners},
            images=images,
            slug_owners=slug_owners,
            old_slugs=old_slugs,
            ordered_variants=ordered,
        )

    async def _slugs_in_use(
        self, batch: Sequence[ProductInput], found: dict[str, AnyRow]
    ) -> tuple[dict[str, int], set[str]]:
        """The current and old slugs, among those the batch's products may take: the ones the
        file gives, and for new products without one, their name's and its numbered forms."""
        given = {str(product.given["slug"]) for product in batch if product.given.get("slug")}
        made = {
            fields.slug_from_name(str(product.given["name"]))
            for product in batch
            if product.code not in found
            and not product.given.get("slug")
            and product.given.get("name")
        }
        owners, old = await self._slug_rows(given | made)
        taken = {slug for slug in made if slug in owners or slug in old}
        if taken:
            numbered = {f"{slug}-{n}" for slug in taken for n in range(2, _SLUG_SUFFIXES + 1)}
            more_owners, more_old = await self._slug_rows(numbered)
            owners.update(more_owners)
            old |= more_old
        return owners, old

    async def _slug_rows(self, slugs: set[str]) -> tuple[dict[str, int], set[str]]:
        if not slugs:
            return {}, set()
        wanted = sorted(slugs)
        rows = await self._conn.execute(
            select(products.c.slug, products.c.id).where(products.c.slug.in_(wanted))
        )
        old = await self._conn.scalars(
            select(product_old_slugs.c.slug).where(product_old_slugs.c.slug.in_(wanted))
        )
        return {row.slug: row.id for row in rows}, set(old)

    def _plan(self, product: ProductInput, known: _Batch) -> _Plan:
        existing = known.products.get(product.code)
        given = product.given
        row = dict(existing._mapping) if existing is not None else {}  # noqa: SLF001 - Row's public mapping
        category = self._category(given.get("category"), existing)
        currency = given.get("currency") or (existing.currency if existing else self._currency)
        price = self._price(product, "price", currency, existing)
        if price is None:
            raise RowError(f"new product {product.code} has no price")
        compare_at = row.get("compare_at_price")
        if "compare_at_price" in given:
            compare_at = self._price(product, "compare_at_price", currency, None)
            if compare_at is not None and compare_at <= price:
                raise RowError(
                    f"compare_at_price {given['compare_at_price']} is not above the price "
                    f"({fields.major_units(price, currency)}): it is the price before a reduction"
                )
        elif compare_at is not None and compare_at <= price:
            compare_at = None  # a kept "was" price the new price has passed means nothing now
        name = given.get("name") or (existing.name if existing else None)
        if name is None:
            raise RowError(f"new product {product.code} has no name")
        brand = _optional(given, "brand", row)
        description = _optional(given, "description", row)
        status = given.get("status")
        discontinued = status if status is not None else bool(row.get("discontinued", False))
        position = given.get("position")
        if position is None:
            position = existing.position if existing else self._take_position()
        plan = _Plan(product, existing, row)
        self._plan_variants(plan, known)
        colours = dict.fromkeys(
            v["colour"] for v in self._final_variants(plan, known) if v["colour"]
        )
        row.update(
            sku=product.code,
            slug=self._slug(product, existing, known, name),
            name=name,
            brand=brand,
            description=description,
            category_id=category.id,
            price=price,
            compare_at_price=compare_at,
            currency=currency,
            discontinued=discontinued,
            position=position,
            search_text=" ".join((name, brand, category.name, *colours)).lower(),
        )
        if existing is not None:
            plan.changed = {c for c in _PRODUCT_COLUMNS if row[c] != getattr(existing, c)}
        self._plan_images(plan, known, name)
        return plan

    def _category(self, slug: str | None, existing: AnyRow | None) -> Category:
        if slug is None:
            if existing is None:
                raise RowError("a new product needs a category")
            category_id = existing.category_id
            return Category(category_id, self._category_names[category_id], leaf=True)
        category = self._categories.get(slug)
        if category is None:
            raise RowError(f"category {fields.shown(slug)} is not a category of the shop")
        if not category.leaf:
            raise RowError(f"category {slug} has subcategories: a product goes in one of them")
        return category

    @staticmethod
    def _price(
        product: ProductInput, column: str, currency: str, existing: AnyRow | None
    ) -> int | None:
        number = product.decimal(column)
        if number is None:
            return getattr(existing, column) if existing is not None else None
        return fields.minor_units(column, number, currency)

    def _take_position(self) -> int:
        position = self._next_position
        self._next_position += 1
        return position

    def _slug(
        self, product: ProductInput, existing: AnyRow | None, known: _Batch, name: str
    ) -> str:
        given = product.given.get("slug")
        own_id = existing.id if existing is not None else None
        if given is not None:
            owner = known.slug_owners.get(given)
            if (owner is not None and owner != own_id) or (
                given in known.slugs_taken and (existing is None or existing.slug != given)
            ):
                raise RowError(f"slug {given} is another product's")
            known.slugs_taken.add(given)
            return str(given)
        if existing is not None:
            return str(existing.slug)
        base = fields.slug_from_name(name)
        for suffix in range(1, _SLUG_SUFFIXES + 1):
            candidate = base if suffix == 1 else f"{base}-{suffix}"
            if (
                candidate not in known.slug_owners
                and candidate not in known.old_slugs
                and candidate not in known.slugs_taken
            ):
                known.slugs_taken.add(candidate)
                return candidate
        raise RowError(f"slug {base} and its first {_SLUG_SUFFIXES} numbered forms are taken")

    def _plan_variants(self, plan: _Plan, known: _Batch) -> None:
        product_id = plan.product_id
        before = {row.sku: row for row in known.variants.get(product_id or 0, [])}
        for position, variant in enumerate(plan.product.variants):
            owner = known.sku_owners.get(variant.sku)
            if owner is not None and owner[0] != product_id:
                raise RowError(
                    f"sku {variant.sku} is a variant of product {owner[1]}", variant.line
                )
            row = before.get(variant.sku)
            if row is None:
                if variant.stock is None:
                    raise RowError(f"new variant {variant.sku} has no stock", variant.line)
                plan.new_variants.append(_variant_row(variant, position, variant.stock))
                plan.variants_reshaped = True
                continue
            stock = row.stock if variant.stock is None else variant.stock
            wanted = _variant_row(variant, position, stock)
            if (row.size, row.colour) != (variant.size, variant.colour):
                plan.variants_reshaped = True
            if _variant_row(row, row.position, row.stock) != wanted:
                plan.variant_updates.append({**wanted, "_id": row.id})
                plan.variants_updated += 1
            else:
                plan.variants_unchanged += 1
        listed = {variant.sku for variant in plan.product.variants}
        self._plan_unlisted([row for row in before.values() if row.sku not in listed], plan, known)

    @staticmethod
    def _plan_unlisted(rows: list[AnyRow], plan: _Plan, known: _Batch) -> None:
        """A product's variants its rows no longer list: removed, or, when an order line refers
        to one, kept with no stock (its order keeps the line; the product page shows it sold
        out)."""
        for row in rows:
            if row.id not in known.ordered_variants:
                plan.removed_variant_ids.append(row.id)
                plan.variants_reshaped = True
            elif row.stock != 0:
                plan.variant_updates.append({**_variant_row(row, row.position, 0), "_id": row.id})
                plan.retired_variants += 1

    @staticmethod
    def _final_variants(plan: _Plan, known: _Batch) -> list[dict[str, Any]]:
        removed = set(plan.removed_variant_ids)
        listed = {variant.sku for variant in plan.product.variants}
        kept = [
            {"colour": row.colour}
            for row in known.variants.get(plan.product_id or 0, [])
            if row.id not in removed and row.sku not in listed
        ]
        return [{"colour": v.colour} for v in plan.product.variants] + kept

    @staticmethod
    def _plan_images(plan: _Plan, known: _Batch, name: str) -> None:
        given = plan.product.given
        if not any(column in given for column in fields.IMAGE_COLUMNS):
            return
        before = known.images.get(plan.product_id or 0, [])
        urls = given.get("image_urls")
        if "image_urls" not in given:
            urls = tuple(row.url for row in before)
        alts = given.get("image_alts") or ()
        width = given.get("image_width") or (before[0].width if before else None)
        height = given.get("image_height") or (before[0].height if before else None)
        wanted = [
            {
                "position": position,
                "url": url,
                "alt": alts[position] if position < len(alts) and alts[position] else name,
                "width": width or fields.DEFAULT_IMAGE_WIDTH,
                "height": height or fields.DEFAULT_IMAGE_HEIGHT,
            }
            for position, url in enumerate(urls or ())
        ]
        if len(alts) > len(wanted):
            raise RowError(f"image_alts has {len(alts)} texts for {len(wanted)} images")
        now = [
            {
                "position": r.position,
                "url": r.url,
                "alt": r.alt,
                "width": r.width,
                "height": r.height,
            }
            for r in before
        ]
        if wanted != now:
            plan.images = wanted

    async def _write(self, plans: list[_Plan], old_slugs: set[str]) -> None:
        conn = self._conn
        counts = self.counts
        new = [plan for plan in plans if plan.existing is None]
        if new:
            rows = [{**plan.row, "created_at": self._now, "updated_at": self._now} for plan in new]
            await conn.execute(insert(products), rows)
            found = await conn.execute(
                select(products.c.sku, products.c.id).where(
                    products.c.sku.in_([plan.product.code for plan in new])
                )
            )
            ids = {row.sku: row.id for row in found}
            for plan in new:
                plan.row["id"] = ids[plan.product.code]
            counts.created += len(new)

        changed = [plan for plan in plans if plan.touched]
        if changed:
            await conn.execute(
                update(products)
                .where(products.c.id == bindparam("_id"))
                .values(
                    {column: bindparam(column) for column in (*_PRODUCT_COLUMNS, "updated_at")}
                ),
                [
                    {
                        "_id": plan.row["id"],
                        **{column: plan.row[column] for column in _PRODUCT_COLUMNS},
                        "updated_at": self._now,
                    }
                    for plan in changed
                ],
            )
        for plan in plans:
            if plan.existing is None:
                continue
            if not plan.existing.discontinued and plan.row["discontinued"]:
                counts.discontinued += 1
            elif plan.touched:
                counts.updated += 1
            else:
                counts.unchanged += 1

        await self._write_slugs(plans, old_slugs)
        await self._write_variants(plans)
        await self._write_images(plans)
        await staging.mark_changed(
            conn,
            (
                plan.row["id"]
                for plan in plans
                if plan.existing is None or plan.changed & _LISTED_COLUMNS or plan.variants_reshaped
            ),
        )

    async def _write_slugs(self, plans: list[_Plan], old_slugs: set[str]) -> None:
        """Old slugs kept for their redirects; `old_slugs` are the batch's wanted slugs that
        were some product's old slug when the batch was read."""
        moved = [
            {"slug": plan.existing.slug, "product_id": plan.existing.id}
            for plan in plans
            if plan.existing is not None and "slug" in plan.changed
        ]
        current = [
            plan.row["slug"]
            for plan in plans
            if (plan.existing is None or "slug" in plan.changed) and plan.row["slug"] in old_slugs
        ]
        if current:
            # A slug in use again is no longer an old one of any product.
            await self._conn.execute(
                delete(product_old_slugs).where(product_old_slugs.c.slug.in_(current))
            )
        if moved:
            await self._conn.execute(
                delete(product_old_slugs).where(
                    product_old_slugs.c.slug.in_([row["slug"] for row in moved])
                )
            )
            await self._conn.execute(insert(product_old_slugs), moved)

    async def _write_variants(self, plans: list[_Plan]) -> None:
        conn = self._conn
        counts = self.counts
        removed = [variant_id for plan in plans for variant_id in plan.removed_variant_ids]
        if removed:
            await conn.execute(delete(basket_lines).where(basket_lines.c.variant_id.in_(removed)))
            await conn.execute(delete(variants).where(variants.c.id.in_(removed)))
            counts.variants_removed += len(removed)
        updates = [row for plan in plans for row in plan.variant_updates]
        if updates:
            await conn.execute(
                update(variants)
                .where(variants.c.id == bindparam("_id"))
                .values(
                    size=bindparam("size"),
                    colour=bindparam("colour"),
                    stock=bindparam("stock"),
                    position=bindparam("position"),
                ),
                updates,
            )
            # Shoppers waiting for a restocked variant are mailed once this commits.
            await stock_returned(conn, [row["_id"] for row in updates if row["stock"] > 0])
        counts.variants_updated += sum(plan.variants_updated for plan in plans)
        counts.variants_removed += sum(plan.retired_variants for plan in plans)
        inserts = [
            {**row, "product_id": plan.row["id"]} for plan in plans for row in plan.new_variants
        ]
        if inserts:
            await conn.execute(insert(variants), inserts)
        counts.variants_created += len(inserts)
        counts.variants_unchanged += sum(plan.variants_unchanged for plan in plans)

    async def _write_images(self, plans: list[_Plan]) -> None:
        replaced = [plan for plan in plans if plan.images is not None]
        if not replaced:
            return
        had_images = [plan.row["id"] for plan in replaced if plan.existing is not None]
        if had_images:
            await self._conn.execute(
                delete(product_images).where(product_images.c.product_id.in_(had_images))
            )
        rows = [
            {**image, "product_id": plan.row["id"]}
            for plan in replaced
            for image in plan.images or ()
        ]
        if rows:
            await self._conn.execute(insert(product_images), rows)


def _variant_row(variant: VariantInput | AnyRow, position: int, stock: int) -> dict[str, Any]:
    return {
        "sku": variant.sku,
        "size": variant.size,
        "colour": variant.colour,
        "stock": stock,
        "position": position,
    }


def _optional(given: dict[str, Any], column: str, row: dict[str, Any]) -> str:
    """A column that may be empty: the file's value, "" for an empty cell, or the product's."""
    if column in given:
        return str(given[column] or "")
    return str(row.get(column, ""))


async def highest_position(conn: AsyncConnection) -> int:
    return await conn.scalar(select(func.max(products.c.position))) or 0
