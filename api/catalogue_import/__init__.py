"""`vitrine import`: a shop's catalogue from a CSV or JSON Lines file, upserted by SKU
(docs/import.md): the file is read a batch of rows at a time, every row checked, the changes
written in one transaction that commits only when no row was bad (or bad rows are skipped).
"""

from api.catalogue_import.reading import FileError
from api.catalogue_import.run import ImportOptions, ImportReport, import_catalogue

__all__ = ["FileError", "ImportOptions", "ImportReport", "import_catalogue"]
