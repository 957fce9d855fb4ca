"""Where the typed service names hang: `batch.catalog`, `api.catalog`.

At run time Batch and ApiClient resolve them from the descriptors (their __getattr__ and
ServiceCalls). For mypy and editors, `make protos` writes services.pyi beside this file
(api_client/stubs.py): a class per service with each method's request fields and answer.
"""


class BatchServices:
    """Mixed into Batch: `batch.catalog.GetProduct(...)` gives a Call of a shop.v1.Product."""


class ClientServices:
    """Mixed into ApiClient: `await api.catalog.GetProduct(...)` gives a shop.v1.Product."""
