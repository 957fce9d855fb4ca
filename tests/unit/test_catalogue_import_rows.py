"""`vitrine import`'s reading and checking of rows, without a database: what a shop is told about
each bad cell, and how a product's rows become one product."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from api.catalogue_import import fields
from api.catalogue_import.fields import COLUMNS, RowError
from api.catalogue_import.options import CSV, JSONL
from api.catalogue_import.reading import FileError, Reader, Record, file_format
from api.catalogue_import.rows import (
    MAX_VARIANTS,
    ProductInput,
    Unattributed,
    products_of,
    stock_of,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"


def read(content: str | bytes, file_format: str = CSV) -> list[Record]:
    data = content.encode() if isinstance(content, str) else content
    return list(Reader(io.BytesIO(data), file_format, COLUMNS).records())


def products(content: str, file_format: str = CSV) -> list[ProductInput | Unattributed]:
    return list(products_of(read(content, file_format)))


def reason(call, *args, **kwargs) -> str:
    with pytest.raises(RowError) as raised:
        call(*args, **kwargs)
    return str(raised.value)


# -- cells -------------------------------------------------------------------------------------


def test_a_price_is_read_in_the_currencys_major_unit():
    assert fields.amount("price", "59.95") == Decimal("59.95")
    assert fields.minor_units("price", Decimal("59.95"), "EUR") == 5995
    assert fields.minor_units("price", Decimal(12), "EUR") == 1200
    assert fields.minor_units("price", Decimal(1500), "JPY") == 1500
    assert fields.amount("price", "  ") is None


@pytest.mark.parametrize(
    ("cell", "said"),
    [
        ("abc", "price 'abc' is not a number"),
        ("59,95", "price '59,95' is not a number"),
        ("NaN", "price 'NaN' is not a number"),
        ("-1", "price '-1' is negative"),
        ("1e12", "price '1e12' is over 1,000,000,000"),
    ],
)
def test_a_bad_price_is_named_with_what_was_written(cell, said):
    assert reason(fields.amount, "price", cell) == said


def test_a_price_with_more_decimals_than_its_currency_is_refused_not_rounded():
    said = reason(fields.minor_units, "price", Decimal("10.999"), "EUR")
    assert said == "price 10.999 has more than 2 decimals, the most EUR has"
    assert "0 decimals" in reason(fields.minor_units, "price", Decimal("10.5"), "JPY")


@pytest.mark.parametrize(
    ("cell", "said"),
    [
        ("-3", "stock '-3' is not a whole number of 0 or more"),
        ("2.5", "stock '2.5' is not a whole number of 0 or more"),
        ("many", "stock 'many' is not a whole number of 0 or more"),
        ("99999999999", "stock 99999999999 is not between 0 and 2147483647"),
    ],
)
def test_stock_is_a_whole_number(cell, said):
    assert reason(fields.whole, "stock", cell) == said


def test_slugs_are_lower_case_words_with_a_letter():
    assert fields.slug(" merino-cardigan-2 ") == "merino-cardigan-2"
    for bad in ("Merino", "merino--cardigan", "-merino", "1234", "merino cardigan"):
        assert "is not a slug" in reason(fields.slug, bad)


def test_a_new_products_slug_is_made_from_its_name():
    assert (
        fields.slug_from_name("Speckled Stoneware Mug (350 ml)") == "speckled-stoneware-mug-350-ml"
    )
    assert fields.slug_from_name("2024") == "product-2024"


def test_currency_status_and_text_limits():
    assert fields.currency("eur") == "EUR"
    assert reason(fields.currency, "EURO") == "currency 'EURO' is not an ISO 4217 currency code"
    assert reason(fields.currency, "XYZ") == "currency 'XYZ' is not an ISO 4217 currency code"
    assert fields.status("Discontinued") is True
    assert fields.status("active") is False
    assert "neither 'active' nor 'discontinued'" in reason(fields.status, "gone")
    assert reason(fields.text, "name", "x" * 201) == "name is 201 characters long; the most is 200"
    assert reason(fields.text, "name", "a\x00b") == "name contains a NUL character"


def test_image_urls_are_site_paths_or_http():
    assert fields.image_urls("/media/a.svg https://cdn.example.com/b.jpg") == (
        "/media/a.svg",
        "https://cdn.example.com/b.jpg",
    )
    assert fields.image_urls(["/a.jpg"]) == ("/a.jpg",)
    assert "neither http(s)://" in reason(fields.image_urls, "javascript:alert(1)")
    assert "neither http(s)://" in reason(fields.image_urls, "//evil.example.com/a.jpg")
    assert fields.image_alts("Front view|Back, detail") == ("Front view", "Back, detail")


# -- reading -----------------------------------------------------------------------------------


def test_the_format_comes_from_the_extension_or_is_asked_for():
    assert file_format(Path("feed.CSV")) == CSV
    assert file_format(Path("feed.jsonl")) == JSONL
    assert file_format(Path("feed.ndjson")) == JSONL
    assert file_format(Path("feed.txt"), CSV) == CSV
    with pytest.raises(FileError, match="--format"):
        file_format(Path("feed.txt"))


def test_csv_records_carry_the_line_they_start_on():
    content = (
        "\ufeffProduct_Code,sku,description\n"  # Excel's byte order mark, any case
        'A,A-1,"two\nlines"\n'
        "\n"
        "B,B-1,one\n"
    )
    records = read(content)
    assert [record.line for record in records] == [2, 5]
    assert records[0].cells == {"product_code": "A", "sku": "A-1", "description": "two\nlines"}


def test_a_csv_row_with_the_wrong_number_of_fields_is_a_bad_row():
    records = read("product_code,sku\nA,A-1,extra\nB,B-1\n")
    assert records[0].problem == "has 3 fields; the header has 2"
    assert records[1].cells == {"product_code": "B", "sku": "B-1"}


def test_a_line_that_is_not_utf8_is_a_bad_row_and_the_rest_reads_on():
    records = read(b"product_code,sku,name\nA,A-1,caf\xe9\nB,B-1,cafe\n")
    assert records[0].problem == "is not UTF-8 text"
    assert records[1].cells["name"] == "cafe"


@pytest.mark.parametrize(
    ("header", "said"),
    [
        ("product_code,sku,pric\n", "unknown column pric; the columns are"),
        ("product_code,sku,sku\n", "column sku appears twice"),
    ],
)
def test_a_header_the_import_cannot_read_stops_it_before_any_row(header, said):
    with pytest.raises(FileError, match=said):
        read(header + "A,A-1,1\n")
    with pytest.raises(FileError, match="the file is empty"):
        read("")


def test_json_lines_records():
    lines = [
        json.dumps({"product_code": "A", "sku": "A-1", "price": 59.95, "image_urls": ["/a.jpg"]}),
        "",
        "{not json",
        "[1, 2]",
        json.dumps({"product_code": "B", "sku": "B-1", "pric": 1}),
    ]
    records = read("\n".join(lines) + "\n", JSONL)
    assert [record.line for record in records] == [1, 3, 4, 5]
    assert records[0].cells == {
        "product_code": "A",
        "sku": "A-1",
        "price": "59.95",
        "image_urls": ["/a.jpg"],
    }
    assert records[1].problem.startswith("is not JSON: ")
    assert records[2].problem == "is not a JSON object"
    assert records[3].problem == "unknown field 'pric'"
    assert records[3].cells == {"product_code": "B", "sku": "B-1"}


# -- products ----------------------------------------------------------------------------------


def test_consecutive_rows_of_one_code_are_one_product_and_later_rows_may_leave_it_empty():
    content = (
        "product_code,name,price,sku,size,stock\n"
        "TEE,Tee,24.95,TEE-S,S,3\n"
        "TEE,,,TEE-M,M,\n"
        "TEE,Tee,24.950,TEE-L,L,1\n"
        "MUG,Mug,9,MUG-1,,5\n"
    )
    tee, mug = products(content)
    assert isinstance(tee, ProductInput)
    assert isinstance(mug, ProductInput)
    assert (tee.code, tee.first_line, tee.last_line, tee.rows) == ("TEE", 2, 4, 3)
    assert tee.given == {"name": "Tee", "price": Decimal("24.95")}
    assert [(v.sku, v.size, v.stock) for v in tee.variants] == [
        ("TEE-S", "S", 3),
        ("TEE-M", "M", None),
        ("TEE-L", "L", 1),
    ]
    assert not tee.problems
    assert mug.given["price"] == Decimal(9)


def test_a_later_row_that_disagrees_is_reported_on_its_own_line():
    content = "product_code,price,sku\nTEE,10.00,TEE-S\nTEE,12.00,TEE-M\n"
    (tee,) = products(content)
    assert [str(problem) for problem in tee.problems] == [
        (
            "line 3: price differs from line 2's: the rows of product TEE must agree "
            "(or leave it empty after the first)"
        )
    ]


def test_each_bad_cell_of_a_product_is_reported_and_the_product_is_refused():
    content = "product_code,price,sku,stock\nTEE,abc,TEE-S,1\nTEE,,TEE-M,-3\nTEE,,,2\n"
    (tee,) = products(content)
    assert [str(problem) for problem in tee.problems] == [
        "line 2: price 'abc' is not a number",
        "line 3: stock '-3' is not a whole number of 0 or more",
        "line 4: sku is empty",
    ]


def test_a_row_without_a_product_code_is_reported_alone_and_the_product_reads_on():
    content = "product_code,sku\nTEE,TEE-S\n,X\nTEE,TEE-M\n"
    orphan, tee = products(content)
    assert isinstance(orphan, Unattributed)
    assert str(orphan.problem) == "line 3: product_code is empty"
    assert isinstance(tee, ProductInput)
    assert [v.sku for v in tee.variants] == ["TEE-S", "TEE-M"]


def test_a_product_holds_at_most_max_variants():
    rows = "".join(f"BIG,BIG-{n}\n" for n in range(MAX_VARIANTS + 5))
    (big,) = products("product_code,sku\n" + rows)
    assert len(big.variants) == MAX_VARIANTS
    assert [str(p) for p in big.problems] == [
        f"line {MAX_VARIANTS + 2}: product BIG has {MAX_VARIANTS} variants at most"
    ]
    assert big.rows == MAX_VARIANTS + 5


def test_a_stock_row_reads_sku_and_stock_only():
    (record,) = read("product_code,name,sku,stock\nTEE,Tee,TEE-S,4\n")
    stock = stock_of(record)
    assert (stock.line, stock.sku, stock.stock) == (2, "TEE-S", 4)
    (empty,) = read("sku,stock\nTEE-S,\n")
    assert reason(stock_of, empty) == "stock is empty"


def test_the_sample_files_read_without_a_problem():
    for name, kind in (("import-sample.csv", CSV), ("import-sample.jsonl", JSONL)):
        with (DOCS / name).open("rb") as stream:
            found = list(products_of(Reader(stream, kind, COLUMNS).records()))
        assert found
        for product in found:
            assert isinstance(product, ProductInput), product
            assert not product.problems, product.problems
            assert product.variants


def test_a_csv_cell_past_the_field_limit_stops_the_import_with_its_line():
    huge = "x" * 200_000
    with pytest.raises(FileError, match=r"line \d+: not CSV as expected: field larger"):
        read(f"product_code,sku,description\nA,A-1,ok\nB,B-1,{huge}\n")
