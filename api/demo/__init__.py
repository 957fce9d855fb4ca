"""The demo catalogue: the same seed gives the same shop, written in chunks in bounded memory.

The data a merchandiser would edit (`kinds`, `taxonomy`, `landing_pages`) lives apart from the
code that turns it into rows (`categories`, `products`, `landings`) and from the code that
writes them (`seeding`).
"""

from api.demo.seeding import SeedSummary, seed_demo

__all__ = ["SeedSummary", "seed_demo"]
