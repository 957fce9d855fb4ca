"""The category tree with live product counts, loaded once per worker and kept for a while.

Every page needs it (navigation, breadcrumbs, subtree listings), categories change rarely, and
a catalogue has hundreds of categories, not millions: holding it in memory for TREE_TTL_SECONDS
turns subtree and breadcrumb questions into dictionary look-ups.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from api.context import CallContext
from api.listing_index import TOTAL
from api.schema import categories, category_facet_counts

TREE_CACHE_KEY = "catalog.category_tree"
# A new category or a changed product count shows within this time.
TREE_TTL_SECONDS = 30.0


@dataclass(eq=False)
class CategoryNode:
    id: int
    parent_id: int | None
    slug: str
    name: str
    description: str
    depth: int
    position: int
    # Live products in the whole subtree.
    product_count: int = 0
    children: list[CategoryNode] = field(default_factory=list)


class CategoryTree:
    def __init__(self, nodes: list[CategoryNode], subtree_counts: dict[int, int]) -> None:
        # nodes come in (position, id) order, so children lists are built in that order.
        self.by_id = {node.id: node for node in nodes}
        self.by_slug = {node.slug: node for node in nodes}
        self.roots: list[CategoryNode] = []
        for node in nodes:
            parent = self.by_id.get(node.parent_id) if node.parent_id is not None else None
            (parent.children if parent is not None else self.roots).append(node)
        for node in nodes:
            node.product_count = subtree_counts.get(node.id, 0)

    def subtree_ids(self, category_id: int) -> list[int]:
        node = self.by_id.get(category_id)
        if node is None:
            return []
        ids: list[int] = []
        seen: set[int] = set()
        stack = [node]
        while stack:
            current = stack.pop()
            if current.id in seen:  # a cycle in bad data is walked once
                continue
            seen.add(current.id)
            ids.append(current.id)
            stack.extend(current.children)
        return ids

    def walk(self) -> list[CategoryNode]:
        """Every category in tree order: each one before its children, siblings by position."""
        order: list[CategoryNode] = []
        seen: set[int] = set()
        stack = list(reversed(self.roots))
        while stack:
            node = stack.pop()
            if node.id in seen:
                continue
            seen.add(node.id)
            order.append(node)
            stack.extend(reversed(node.children))
        return order

    def path(self, category_id: int) -> list[CategoryNode]:
        """From the top level down to this category; empty for an unknown one."""
        path: list[CategoryNode] = []
        node = self.by_id.get(category_id)
        seen: set[int] = set()
        while node is not None and node.id not in seen:  # a cycle in bad data ends the walk
            seen.add(node.id)
            path.append(node)
            node = self.by_id.get(node.parent_id) if node.parent_id is not None else None
        path.reverse()
        return path


async def category_tree(ctx: CallContext) -> CategoryTree:
    tree: CategoryTree = await ctx.cache.get(
        TREE_CACHE_KEY, TREE_TTL_SECONDS, lambda: load_category_tree(ctx.db)
    )
    return tree


async def load_category_tree(engine: AsyncEngine) -> CategoryTree:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(categories).order_by(categories.c.position, categories.c.id)
        )
        nodes = [
            CategoryNode(
                id=row.id,
                parent_id=row.parent_id,
                slug=row.slug,
                name=row.name,
                description=row.description,
                depth=row.depth,
                position=row.position,
            )
            for row in rows
        ]
        # Read from the listing index's totals: counting a million products per load was the
        # first request's cost on a fresh worker.
        counts = await conn.execute(
            select(category_facet_counts.c.category_id, category_facet_counts.c.count).where(
                category_facet_counts.c.facet == TOTAL, category_facet_counts.c.value == TOTAL
            )
        )
        subtree_counts: dict[int, int] = dict(counts.all())
    return CategoryTree(nodes, subtree_counts)
