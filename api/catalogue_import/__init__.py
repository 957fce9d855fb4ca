"""`vitrine import`: a shop's catalogue from a CSV or JSON Lines file, upserted by SKU
(docs/import.md): the file is read a batch of rows at a time, every row checked, the changes
written in one transaction that commits only when no row was bad (or bad rows are skipped).

options.py (what is asked), reading.py (records from the file), fields.py and rows.py (checks,
and a product from its rows), writing.py (a batch against the database), staging.py (what the
run has seen), run.py (one import, start to end).
"""
