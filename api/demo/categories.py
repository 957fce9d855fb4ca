"""The category rows, made from the taxonomy: the same tree for every seed."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from api.demo.rows import Row
from api.demo.taxonomy import TAXONOMY, Leaf


@dataclass(frozen=True)
class DemoCategory:
    """A generated category row plus what product generation needs to know about it."""

    id: int
    parent_id: int | None
    slug: str
    name: str
    description: str
    depth: int
    position: int
    brands: tuple[str, ...]
    leaf: Leaf | None = None

    def row(self) -> Row:
        return {
            "id": self.id,
            "parent_id": self.parent_id,
            "slug": self.slug,
            "name": self.name,
            "description": self.description,
            "depth": self.depth,
            "position": self.position,
        }


def generate_categories() -> list[DemoCategory]:
    """The three-level tree, parents before children (the order the rows can be inserted in)."""
    categories: list[DemoCategory] = []
    ids = itertools.count(1)
    for dept_position, dept in enumerate(TAXONOMY):
        top = DemoCategory(
            next(ids), None, dept.slug, dept.name, dept.description, 0, dept_position, dept.brands
        )
        categories.append(top)
        for section_position, section in enumerate(dept.sections):
            middle = DemoCategory(
                next(ids),
                top.id,
                f"{top.slug}-{section.slug}",
                section.name,
                section.description,
                1,
                section_position,
                dept.brands,
            )
            categories.append(middle)
            for leaf_position, leaf in enumerate(section.leaves):
                categories.append(
                    DemoCategory(
                        next(ids),
                        middle.id,
                        f"{middle.slug}-{leaf.slug}",
                        leaf.name,
                        leaf.description,
                        2,
                        leaf_position,
                        dept.brands,
                        leaf,
                    )
                )
    return categories
