"""One import from start to end: the file read a batch at a time, every batch written in one
transaction for the whole file, then the derived data brought in step (the listing index; search
follows the products by itself), and the transaction committed only when it should be.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from sqlalchemy import bindparam, exists, false, func, select, text, true, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from tqdm import tqdm

from api import listing_index
from api.back_in_stock import stock_returned
from api.catalogue_import import staging
from api.catalogue_import.fields import COLUMNS, RowError
from api.catalogue_import.options import ImportOptions
from api.catalogue_import.reading import FileError, Reader, Record, file_format
from api.catalogue_import.rows import (
    Problem,
    ProductInput,
    StockInput,
    Unattributed,
    products_of,
    stock_of,
)
from api.catalogue_import.writing import (
    CatalogueWrites,
    Counts,
    highest_position,
    load_categories,
)
from api.schema import products, variants

# Problems kept for the report; the rest are counted.
MAX_REPORTED_PROBLEMS = 100
# Past this share of the catalogue changed, the listing index is rebuilt rather than refreshed
# product by product (a refresh moves each count it touches one statement at a time).
REBUILD_SHARE = 0.1
REFRESH_IDS = 5000
# SQLite's page cache for the import's connection, then back to SQLite's default for the pool.
SQLITE_IMPORT_CACHE_KIB = 64 * 1024
SQLITE_DEFAULT_CACHE_KIB = 2000


@dataclass
class ImportReport:
    path: Path
    file_format: str
    options: ImportOptions
    rows: int = 0
    bad_rows: int = 0
    skipped_rows: int = 0
    unattributed_rows: int = 0  # bad rows that name no product
    problems: list[Problem] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    committed: bool = False
    index: str = "unchanged"
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def refuse(self, problems: list[Problem], rows: int) -> None:
        self.bad_rows += len({problem.line for problem in problems})
        self.skipped_rows += rows
        room = MAX_REPORTED_PROBLEMS - len(self.problems)
        if room > 0:
            self.problems.extend(problems[:room])

    def summary(self) -> list[str]:
        """What was done, as the command prints it."""
        counts = self.counts
        rate = self.rows / self.seconds if self.seconds else 0.0
        lines = [
            (
                f"{self.path} ({self.file_format}): {self.rows:,} rows in {self.seconds:.1f} s "
                f"({rate:,.0f} rows/s)"
            )
        ]
        # Counted as the import went; a rolled back import wrote none of it.
        written = "" if self.committed else " (not written)"
        if not self.options.stock_only:
            lines.append(
                f"products{written}: {counts.created:,} created, {counts.updated:,} updated, "
                f"{counts.unchanged:,} unchanged, {counts.discontinued:,} discontinued"
            )
        variants_line = (
            f"variants{written}: {counts.variants_updated:,} updated, "
            f"{counts.variants_unchanged:,} unchanged"
        )
        if not self.options.stock_only:
            variants_line = (
                f"variants{written}: {counts.variants_created:,} created, "
                f"{counts.variants_updated:,} updated, {counts.variants_unchanged:,} unchanged, "
                f"{counts.variants_removed:,} removed"
            )
        lines.append(variants_line)
        return lines

    def problem_lines(self) -> list[str]:
        """Each bad row's line and reason (the first MAX_REPORTED_PROBLEMS), and notes."""
        lines = [str(problem) for problem in sorted(self.problems, key=lambda p: p.line)]
        if self.bad_rows > len(self.problems):
            lines.append(f"... and more: {self.bad_rows:,} bad rows in all")
        lines.extend(self.notes)
        return lines

    def outcome(self) -> str:
        if self.options.dry_run:
            return "dry run: nothing was written"
        if not self.committed:
            return (
                f"{self.bad_rows:,} bad row{'s' if self.bad_rows != 1 else ''}: nothing was "
                "imported (fix them, or --skip-bad-rows to import the rest)"
            )
        if self.bad_rows:
            return (
                f"{self.bad_rows:,} bad rows: {self.skipped_rows:,} rows skipped, the rest imported"
                f"; listing index {self.index}"
            )
        return f"imported; listing index {self.index}"


async def import_catalogue(engine: AsyncEngine, path: Path, options: ImportOptions) -> ImportReport:
    """Import the file; FileError when it cannot be read as an import file at all."""
    chosen = file_format(path, options.file_format)
    report = ImportReport(path, chosen, options)
    started = time.monotonic()
    try:
        stream = path.open("rb")
    except OSError as error:
        raise FileError(f"cannot read {path}: {error.strerror}") from None
    with stream, _Progress(path, enabled=options.progress) as progress:
        reader = Reader(stream, chosen, COLUMNS)
        async with engine.connect() as conn:
            rebuilt = await _in_one_transaction(conn, reader, report, progress)
    if rebuilt:
        await listing_index.vacuum(engine)
        await _analyse_postgres(engine)
    report.seconds = time.monotonic() - started
    return report


async def _in_one_transaction(
    conn: AsyncConnection, reader: Reader, report: ImportReport, progress: _Progress
) -> bool:
    """Everything in one transaction; whether the listing index was rebuilt."""
    options = report.options
    transaction = await conn.begin()
    try:
        await _bigger_sqlite_cache(conn, SQLITE_IMPORT_CACHE_KIB)
        await staging.create(conn)
        if options.stock_only:
            await _import_stock(conn, reader, report, progress)
        else:
            await _import_products(conn, reader, report, progress)
        commit = not options.dry_run and (report.bad_rows == 0 or options.skip_bad_rows)
        rebuilt = False
        if not options.stock_only and (commit or options.dry_run):
            if options.discontinue_missing:
                await _discontinue_missing(conn, report)
            if commit:
                rebuilt = await _update_listing_index(conn, report)
    except BaseException:
        await transaction.rollback()
        # The temporary tables may outlive a failed statement: this connection is not reused.
        await conn.invalidate()
        raise
    if commit:
        await transaction.commit()
        report.committed = True
    else:
        await transaction.rollback()
    await staging.drop(conn)
    await _bigger_sqlite_cache(conn, SQLITE_DEFAULT_CACHE_KIB)
    await conn.commit()
    return rebuilt


async def _bigger_sqlite_cache(conn: AsyncConnection, kib: int) -> None:
    """SQLite's page cache of this connection (2 MiB by default): one transaction over a whole
    file otherwise spills and rewrites the same index pages over and over."""
    if conn.dialect.name == "sqlite":
        await conn.execute(text(f"PRAGMA cache_size = -{int(kib)}"))


async def _import_products(
    conn: AsyncConnection, reader: Reader, report: ImportReport, progress: _Progress
) -> None:
    options = report.options
    writes = CatalogueWrites(
        conn,
        categories_by_slug=await load_categories(conn),
        default_currency=options.currency,
        now=datetime.now(UTC),
        next_position=await highest_position(conn) + 1,
    )
    report.counts = writes.counts
    for batch in _batches(products_of(reader.records()), options.batch_rows, report):
        refused = await writes.write(batch)
        for product in refused:
            report.refuse(product.problems, product.rows)
        report.rows += sum(product.rows for product in batch)
        progress.show(reader.bytes_read, report.rows)


def _batches(
    items: Iterator[ProductInput | Unattributed], batch_rows: int, report: ImportReport
) -> Iterator[list[ProductInput]]:
    batch: list[ProductInput] = []
    rows = 0
    for item in items:
        if isinstance(item, Unattributed):
            report.refuse([item.problem], 1)
            report.unattributed_rows += 1
            report.rows += 1
            continue
        batch.append(item)
        rows += item.rows
        if rows >= batch_rows:
            yield batch
            batch, rows = [], 0
    if batch:
        yield batch


async def _discontinue_missing(conn: AsyncConnection, report: ImportReport) -> None:
    """Live products whose code the file does not have become discontinued."""
    if report.unattributed_rows:
        report.notes.append(
            "--discontinue-missing: not done, since some bad rows name no product it could keep"
        )
        return
    if not await conn.scalar(select(func.count()).select_from(staging.seen_products)):
        # An empty export would otherwise take the whole shop down.
        report.notes.append("--discontinue-missing: not done, since the file lists no product")
        return
    missing = select(products.c.id).where(
        products.c.discontinued == false(),
        ~exists().where(staging.seen_products.c.code == products.c.sku),
    )
    await conn.execute(
        staging.changed_products.insert().from_select(
            ["product_id"], missing.where(staging.not_changed(products.c.id))
        )
    )
    done = await conn.execute(
        update(products)
        .where(
            products.c.discontinued == false(),
            ~exists().where(staging.seen_products.c.code == products.c.sku),
        )
        .values(discontinued=true(), updated_at=datetime.now(UTC))
    )
    report.counts.discontinued += done.rowcount


async def _update_listing_index(conn: AsyncConnection, report: ImportReport) -> bool:
    changed = await staging.changed_count(conn)
    if not changed:
        return False
    total = await conn.scalar(select(func.count()).select_from(products)) or 0
    if changed > total * REBUILD_SHARE:
        await listing_index.rebuild(conn)
        report.index = f"rebuilt ({changed:,} products changed)"
        return True
    async for ids in staging.changed_ids(conn, REFRESH_IDS):
        await listing_index.refresh_products(conn, ids)
    report.index = f"refreshed for {changed:,} products"
    return False


async def _import_stock(
    conn: AsyncConnection, reader: Reader, report: ImportReport, progress: _Progress
) -> None:
    """sku,stock rows: each variant's stock, nothing else."""
    batch: list[StockInput] = []
    for record in reader.records():
        report.rows += 1
        stock = _stock_row(record, report)
        if stock is not None:
            batch.append(stock)
        if len(batch) >= report.options.batch_rows:
            await _write_stock(conn, batch, report)
            batch = []
            progress.show(reader.bytes_read, report.rows)
    await _write_stock(conn, batch, report)
    progress.show(reader.bytes_read, report.rows)


def _stock_row(record: Record, report: ImportReport) -> StockInput | None:
    try:
        return stock_of(record)
    except RowError as error:
        report.refuse([Problem(record.line, str(error))], 1)
        return None


async def _write_stock(
    conn: AsyncConnection, batch: list[StockInput], report: ImportReport
) -> None:
    if not batch:
        return
    seen = await staging.lines_seen(conn, staging.seen_skus, [row.sku for row in batch])
    first: dict[str, int] = {}
    good: list[StockInput] = []
    for row in batch:
        earlier = seen.get(row.sku) or first.get(row.sku)
        if earlier is not None:
            report.refuse([Problem(row.line, f"sku {row.sku} is also on line {earlier}")], 1)
        else:
            first[row.sku] = row.line
            good.append(row)
    await staging.note(conn, staging.seen_skus, first)
    found = {
        row.sku: row
        for row in await conn.execute(
            select(variants.c.id, variants.c.sku, variants.c.stock).where(
                variants.c.sku.in_([row.sku for row in good])
            )
        )
    }
    changes = []
    for row in good:
        variant = found.get(row.sku)
        if variant is None:
            report.refuse([Problem(row.line, f"no variant has sku {row.sku}")], 1)
        elif variant.stock != row.stock:
            changes.append({"_id": variant.id, "stock": row.stock})
        else:
            report.counts.variants_unchanged += 1
    if changes:
        await conn.execute(
            update(variants)
            .where(variants.c.id == bindparam("_id"))
            .values(stock=bindparam("stock")),
            changes,
        )
        # Shoppers waiting for a restocked variant are mailed once this commits.
        await stock_returned(conn, [change["_id"] for change in changes if change["stock"] > 0])
    report.counts.variants_updated += len(changes)


async def _analyse_postgres(engine: AsyncEngine) -> None:
    if engine.dialect.name != "postgresql":
        return
    async with engine.begin() as conn:
        for table in ("products", "variants", "product_images", "product_old_slugs"):
            await conn.execute(text(f"ANALYZE {table}"))


class _Progress:
    """A progress bar on stderr: how far into the file, rows read and rows per second."""

    def __init__(self, path: Path, *, enabled: bool) -> None:
        size = path.stat().st_size if enabled and path.exists() else 0
        self._bar = tqdm(
            total=size,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc="import",
            file=sys.stderr,
            disable=not enabled,
        )
        self._done = 0
        self._started = time.monotonic()

    def show(self, bytes_read: int, rows: int) -> None:
        self._bar.update(bytes_read - self._done)
        self._done = bytes_read
        elapsed = time.monotonic() - self._started
        rate = rows / elapsed if elapsed > 0 else 0.0
        self._bar.set_postfix_str(f"{rows:,} rows, {rate:,.0f} rows/s", refresh=False)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._bar.close()
