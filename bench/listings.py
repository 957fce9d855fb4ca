"""Uncached catalogue reads of one worker, in process: latency and CPU per call of each kind.

    VITRINE_DATABASE_URL=... [VITRINE_DATABASE_SCHEMA=...] .venv/bin/python bench/listings.py \
        [--rounds 200] [--label after]

Calls the Catalog service functions directly, as a worker's dispatcher does with the answer
cache off (VITRINE_API_ANSWER_CACHE=off), against the catalogue already in the database (seed it
with `vitrine seed --products 200000`). The process is fresh, so the first call of each kind is
its cold start (a worker's first request: connections opened, the category tree loaded); then
`--rounds` calls of each kind, kinds interleaved so a noisy moment hits them all. Prints one
Markdown row per kind: cold ms, p50 and p99 ms, and the process's CPU ms per call.

Runs against any tree with the same service signatures: PYTHONPATH=<another tree> measures
that tree's code on the same database (how docs/catalogue.md's before/after were taken).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from api.cache import TtlCache
from api.context import CallContext
from api.db import create_engine
from api.schema import categories, products
from api.services import catalog
from contract import catalog_pb2, common_pb2
from vitrine.config import load_settings

PAGE_SIZE = 24
DEEP_PAGE = 2000
Call = Callable[[], Awaitable[Any]]


async def _kinds(ctx: CallContext, rng: random.Random) -> dict[str, Call]:
    """Each kind of read, as a callable making a fresh request each time."""
    async with ctx.db.connect() as conn:
        top = (
            (
                await conn.execute(
                    select(categories.c.slug)
                    .where(categories.c.parent_id.is_(None))
                    .order_by(categories.c.position)
                )
            )
            .scalars()
            .all()
        )
        highest = await conn.scalar(select(func.max(products.c.id))) or 1
    tree = await catalog.get_category_tree(ctx, catalog_pb2.GetCategoryTreeRequest())
    biggest = max(tree.roots, key=lambda root: root.product_count).slug
    probe = await _listing(ctx, biggest, 1)
    facets = {f.name: [v.value for v in f.values] for f in probe.facets}
    colour, size, brand = (
        facets["colour"][len(facets["colour"]) // 2],
        facets["size"][1],
        (facets["brand"][0]),
    )

    def listing(page: int, **fields: Any) -> Call:
        return lambda: _listing(
            ctx, rng.choice(top) if fields.pop("any", False) else biggest, page, **fields
        )

    def product_id() -> int:
        return rng.randint(1, highest)

    async def get_product() -> Any:
        return await catalog.get_product(ctx, catalog_pb2.GetProductRequest(id=product_id()))

    async def related() -> Any:
        request = catalog_pb2.GetRelatedProductsRequest(product_id=product_id())
        return await catalog.get_related_products(ctx, request)

    print(
        f"category {biggest!r} ({probe.page.total_items} products), colour {colour!r}, "
        f"size {size!r}, brand {brand!r}, top level {list(top)}"
    )
    return {
        "category page 1": listing(1),
        f"deep page {DEEP_PAGE}": listing(DEEP_PAGE),
        "one facet (colour)": listing(1, filter=catalog_pb2.FacetFilter(colours=[colour])),
        "two facets (colour, size)": listing(
            1, filter=catalog_pb2.FacetFilter(colours=[colour], sizes=[size])
        ),
        "two facets (brand, price band)": listing(
            1, filter=catalog_pb2.FacetFilter(brands=[brand], price_bands=["50-100"])
        ),
        "GetProduct": get_product,
        "GetRelatedProducts": related,
    }


async def _listing(ctx: CallContext, slug: str, page: int, **fields: Any) -> Any:
    request = catalog_pb2.ListCategoryProductsRequest(
        category_slug=slug, page=common_pb2.PageRequest(page=page, page_size=PAGE_SIZE), **fields
    )
    return await catalog.list_category_products(ctx, request)


async def main(rounds: int, label: str) -> None:
    settings = load_settings()
    engine = create_engine(settings)
    ctx = CallContext(
        db=engine, settings=settings, cache=TtlCache(), trace_id="bench", now=datetime.now(UTC)
    )
    rng = random.Random(8)
    # A fresh worker's first request: a connection, the category tree, then the page.
    started = time.perf_counter()
    async with engine.connect() as conn:
        first = await conn.scalar(
            select(categories.c.slug).order_by(categories.c.depth, categories.c.position)
        )
    await _listing(ctx, first or "", 1)
    first_request_ms = (time.perf_counter() - started) * 1000
    kinds = await _kinds(ctx, rng)
    cold: dict[str, float] = {}
    for name, call in kinds.items():
        began = time.perf_counter()
        await call()
        cold[name] = (time.perf_counter() - began) * 1000
    times: dict[str, list[float]] = {name: [] for name in kinds}
    cpu: dict[str, float] = dict.fromkeys(kinds, 0.0)
    for _ in range(rounds):
        for name, call in kinds.items():
            began, began_cpu = time.perf_counter(), time.process_time()
            await call()
            cpu[name] += time.process_time() - began_cpu
            times[name].append((time.perf_counter() - began) * 1000)
    await engine.dispose()
    print(f"\n{label}: {settings.database_url.split(':')[0]}, {rounds} rounds")
    print(
        f"fresh worker's first request (category page 1 of {first!r}): {first_request_ms:.0f} ms\n"
    )
    print("| read | cold ms | p50 ms | p99 ms | CPU ms/call |")
    print("|---|---|---|---|---|")
    for name, samples in times.items():
        p50 = statistics.median(samples)
        p99 = statistics.quantiles(samples, n=100)[98] if len(samples) > 1 else samples[0]
        print(
            f"| {name} | {cold[name]:.1f} | {p50:.1f} | {p99:.1f} | "
            f"{cpu[name] / rounds * 1000:.2f} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--label", default="this tree")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rounds, arguments.label))
