"""Reads an import file a record at a time, never whole: CSV with a header row, or JSON Lines
(one object a line). Each record carries the line it starts on, for the reasons a bad row is
reported with; how far into the file the reading is (in bytes) drives the progress bar.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from api.catalogue_import.fields import Cell
from api.catalogue_import.options import CSV, JSONL

_EXTENSIONS = {".csv": CSV, ".jsonl": JSONL, ".ndjson": JSONL}
# A CSV cell may hold a long description; csv's default limit (128 KiB) is kept, and a longer
# cell ends the import with its line number rather than growing without bound.
_BOM = "\ufeff"


class FileError(Exception):
    """The file as a whole cannot be imported (missing, unknown columns, not CSV): nothing is."""


@dataclass(frozen=True)
class Record:
    """One row: its cells by column, or why it could not be read as a row at all."""

    line: int
    cells: dict[str, Cell]
    problem: str = ""


def file_format(path: Path, asked: str = "") -> str:
    if asked:
        return asked
    found = _EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise FileError(
            f"{path.name}: cannot tell the format from its extension; name it .csv or .jsonl, "
            "or say --format csv|jsonl"
        )
    return found


class Reader:
    """The records of one file, and how many of its bytes are read so far."""

    def __init__(self, stream: BinaryIO, file_format: str, columns: Collection[str]) -> None:
        self._stream = stream
        self._format = file_format
        self._columns = frozenset(columns)
        self.bytes_read = 0
        self.header: tuple[str, ...] = ()

    def records(self) -> Iterator[Record]:
        if self._format == CSV:
            return self._csv_records()
        return self._json_records()

    def _lines(self, bad_lines: set[int]) -> Iterator[str]:
        """The file's lines as text; a line that is not UTF-8 is noted in bad_lines (its row
        is reported) and read with replacement characters, so the rest of the file reads on."""
        for number, raw in enumerate(self._stream, start=1):
            self.bytes_read += len(raw)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                bad_lines.add(number)
                line = raw.decode("utf-8", errors="replace")
            if number == 1:
                line = line.removeprefix(_BOM)
            yield line

    def _csv_records(self) -> Iterator[Record]:
        bad_lines: set[int] = set()
        reader = csv.reader(self._lines(bad_lines), strict=True)
        try:
            header = next(reader, None)
            if header is None:
                raise FileError("the file is empty: a CSV file starts with a header row")
            self.header = self._checked_header([name.strip().lower() for name in header])
            end = reader.line_num
            for fields in reader:
                start, end = end + 1, reader.line_num
                if not fields:  # a blank line
                    continue
                if any(line in bad_lines for line in range(start, end + 1)):
                    bad_lines.difference_update(range(start, end + 1))
                    yield Record(start, {}, "is not UTF-8 text")
                elif len(fields) != len(self.header):
                    yield Record(
                        start,
                        {},
                        f"has {len(fields)} fields; the header has {len(self.header)}",
                    )
                else:
                    yield Record(start, dict(zip(self.header, fields, strict=True)))
        except csv.Error as error:
            raise FileError(f"line {reader.line_num}: not CSV as expected: {error}") from None

    def _checked_header(self, names: list[str]) -> tuple[str, ...]:
        unknown = [name for name in names if name not in self._columns]
        if unknown:
            raise FileError(
                f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                f"the columns are {', '.join(sorted(self._columns))} (docs/import.md)"
            )
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise FileError(f"column {', '.join(repeated)} appears twice in the header")
        return tuple(names)

    def _json_records(self) -> Iterator[Record]:
        bad_lines: set[int] = set()
        for number, line in enumerate(self._lines(bad_lines), start=1):
            if not line.strip():
                continue
            if number in bad_lines:
                bad_lines.discard(number)
                yield Record(number, {}, "is not UTF-8 text")
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as error:
                yield Record(number, {}, f"is not JSON: {error.msg} at column {error.colno}")
                continue
            if not isinstance(value, dict):
                yield Record(number, {}, "is not a JSON object")
                continue
            unknown = sorted(key for key in value if key not in self._columns)
            cells = {key: _cell(item) for key, item in value.items() if key in self._columns}
            problem = f"unknown field {', '.join(map(repr, unknown))}" if unknown else ""
            yield Record(number, cells, problem)


def _cell(value: object) -> Cell:
    """A JSON value as a cell: numbers as their text, lists of texts kept, null empty."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        return [item if isinstance(item, str) else json.dumps(item) for item in value]
    return json.dumps(value)
