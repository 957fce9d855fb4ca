"""What an editor and mypy see of the client: each call's request fields and answer, typed from
the contract (api_client/services.pyi, written by `make protos`)."""

from __future__ import annotations

import textwrap

from mypy import api as mypy_api

from api_client.stubs import STUB_PATH, render
from contract import METHODS
from vitrine.config import PROJECT_ROOT


def check(tmp_path, source: str) -> str:
    path = tmp_path / "page.py"
    path.write_text(textwrap.dedent(source))
    stdout, stderr, _status = mypy_api.run(
        ["--config-file", str(PROJECT_ROOT / "pyproject.toml"), "--no-error-summary", str(path)]
    )
    return stdout + stderr


def test_the_stub_names_every_method_of_the_contract_and_is_up_to_date():
    stub = render()
    for method in METHODS.values():
        assert f"def {method.name}(" in stub
    assert STUB_PATH.read_text() == stub  # make protos wrote it from these .proto files


def test_a_call_answers_its_response_message_to_mypy(tmp_path):
    out = check(
        tmp_path,
        """
        from api_client import ApiClient

        async def page(api: ApiClient) -> None:
            batch = api.batch()
            product = batch.catalog.GetProduct(id=1)
            await batch
            reveal_type(product.result())
            reveal_type(product.result().product.name)
            reveal_type(await api.search.Suggest(prefix="car"))
        """,
    )
    assert 'Revealed type is "shop.v1.catalog_pb2.ProductResponse"' in out
    assert 'Revealed type is "str"' in out
    assert 'Revealed type is "shop.v1.search_pb2.SuggestResponse"' in out


def test_a_misspelt_method_or_field_is_an_error_before_anything_runs(tmp_path):
    out = check(
        tmp_path,
        """
        from api_client import ApiClient

        def page(api: ApiClient) -> None:
            batch = api.batch()
            batch.catalog.GetProdutc(id=1)
            batch.catalog.GetProduct(product_id="1")
        """,
    )
    assert '"CatalogBatchCalls" has no attribute "GetProdutc"' in out
    assert 'Unexpected keyword argument "product_id" for "GetProduct"' in out
