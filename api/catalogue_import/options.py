"""What an import is asked to do: the command line's options, without the code that runs them
(the command line reads these defaults every time it starts, whatever the command)."""

from __future__ import annotations

from dataclasses import dataclass

CSV, JSONL = "csv", "jsonl"
FORMATS = (CSV, JSONL)
# Rows read, checked and written together: a few megabytes of Python objects at most.
DEFAULT_BATCH_ROWS = 1000
DEFAULT_CURRENCY = "EUR"


@dataclass(frozen=True)
class ImportOptions:
    file_format: str = ""  # "csv" or "jsonl"; "" takes it from the file's extension
    stock_only: bool = False
    skip_bad_rows: bool = False
    discontinue_missing: bool = False
    dry_run: bool = False
    batch_rows: int = DEFAULT_BATCH_ROWS
    currency: str = DEFAULT_CURRENCY  # for new products whose rows name none
    progress: bool = False
