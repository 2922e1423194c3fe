"""ERP files: CSV and JSON vendors and dimensions, checked row by row, then tagged with the run id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from faker import Faker

from fixtures.data import Payloads
from fixtures.erp import dimension_item, vendor_item
from ottimate_validation.cli import validate as cli
from ottimate_validation.run.cleanup import run_id_of
from ottimate_validation.run.plan import (
    MAX_ERP_RECORDS,
    ErpDimension,
    ErpVendor,
    PlanError,
    load_erp_file,
    load_plan,
)
from tests.plan.conftest import ROOT

VENDOR_HEADER = "erp_vendor_id,erp_vendor_name,email,phone,net_terms,payment_method,city"
GOOD_VENDOR = "V-{n},Test Vendor - Acme {n},ap{n}@example.com,+1-200-555-01{n:02d},Net 30,ach,Springfield"
DIMENSION = {
    "erp_dimension_id": "D-1",
    "name": "Kitchen",
    "erp_type": "Department",
    "ottimate_type": "department",
    "code": "KIT",
    "reference_id": "REF-1",
}


def csv_file(folder: Path, *rows: str, header: str = VENDOR_HEADER, name: str = "vendors.csv") -> Path:
    path = folder / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def json_file(folder: Path, data: object, name: str = "dimensions.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def good_rows(count: int) -> list[str]:
    return [GOOD_VENDOR.format(n=n) for n in range(1, count + 1)]


# --- good files -------------------------------------------------------------------------------


def test_the_example_files_load_every_field() -> None:
    vendors = load_erp_file(ROOT / "examples/erp/vendors.csv", ErpVendor)
    dimensions = load_erp_file(ROOT / "examples/erp/dimensions.json", ErpDimension)

    assert [v.erp_vendor_id for v in vendors] == [f"V-{1000 + n}" for n in range(1, 9)]
    assert vendors[0].payment_method == "ach" and vendors[0].city
    assert vendors[7].payment_method is None  # an empty cell is no value
    assert {d.ottimate_type for d in dimensions} == {"account", "department", "location", "class", "project"}


def test_a_csv_from_a_spreadsheet_with_a_byte_order_mark_and_blank_lines_loads(tmp_path: Path) -> None:
    path = csv_file(tmp_path, GOOD_VENDOR.format(n=1), ",,,,,,", GOOD_VENDOR.format(n=2))
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())

    vendors = load_erp_file(path, ErpVendor)

    assert [v.erp_vendor_id for v in vendors] == ["V-1", "V-2"]
    assert vendors[1].email == "ap2@example.com"


def test_json_may_be_a_list_or_wrapped_as_the_bulk_endpoint_takes_it(tmp_path: Path) -> None:
    listed = load_erp_file(json_file(tmp_path, [DIMENSION], "a.json"), ErpDimension)
    wrapped = load_erp_file(json_file(tmp_path, {"dimensions": [DIMENSION]}, "b.json"), ErpDimension)

    assert listed == wrapped
    assert listed[0].model_dump() == DIMENSION


def test_a_plan_reads_its_erp_files_relative_to_itself(tmp_path: Path) -> None:
    (tmp_path / "erp").mkdir()
    csv_file(tmp_path / "erp", *good_rows(3))
    json_file(tmp_path / "erp", [DIMENSION])
    plan_path = tmp_path / "validation.toml"
    plan_path.write_text('[erp]\nvendors = "erp/vendors.csv"\ndimensions = "erp/dimensions.json"\n', encoding="utf-8")

    plan = load_plan(plan_path)

    assert plan.erp_vendors is not None and len(plan.erp_vendors) == 3
    assert plan.erp_dimensions is not None and plan.erp_dimensions[0].name == "Kitchen"
    assert plan.erp_vendors_file == tmp_path / "erp" / "vendors.csv"
    assert plan.operations is None  # ERP data alone does not narrow the plan


# --- a malformed row is named -----------------------------------------------------------------


def test_a_bad_payment_method_names_the_row_and_the_choices(tmp_path: Path) -> None:
    rows = good_rows(5)
    rows.append("V-6,Test Vendor - Cash,,,Net 30,cash,Springfield")
    path = csv_file(tmp_path, *rows)

    with pytest.raises(PlanError) as raised:
        load_erp_file(path, ErpVendor)

    assert str(raised.value) == (
        f"{path} row 7: 'payment_method' must be one of credit_card, ach, check, wire_transfer, unknown (not 'cash')."
    )


CSV_MISTAKES = {
    "missing name": ("V-9,,,,,,", "row 2: 'erp_vendor_name' is required and must not be empty."),
    "missing id": (",Test Vendor - X,,,,,", "row 2: 'erp_vendor_id' is required and must not be empty."),
    "short row": ("V-9", "row 2: 'erp_vendor_name' is required."),
    "extra cell": ("V-9,Test Vendor - X,,,,,,surplus", "row 2: it has more cells than the header has columns."),
}


@pytest.mark.parametrize("case", list(CSV_MISTAKES))
def test_each_malformed_csv_row_is_named(tmp_path: Path, case: str) -> None:
    row, sentence = CSV_MISTAKES[case]
    path = csv_file(tmp_path, row)

    with pytest.raises(PlanError) as raised:
        load_erp_file(path, ErpVendor)

    assert str(raised.value) == f"{path} {sentence}"


def test_an_unknown_column_is_named_with_the_closest_field(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "V-1,Test Vendor - X,Net 30", header="erp_vendor_id,erp_vendor_name,net_term")

    with pytest.raises(PlanError, match=r"row 1: unknown column 'net_term'; did you mean 'net_terms'\? \(the columns"):
        load_erp_file(path, ErpVendor)


def test_an_erp_id_that_repeats_names_both_rows(tmp_path: Path) -> None:
    path = csv_file(tmp_path, *good_rows(2), GOOD_VENDOR.format(n=1))

    with pytest.raises(PlanError) as raised:
        load_erp_file(path, ErpVendor)

    assert str(raised.value) == f"{path} row 4: erp_vendor_id 'V-1' repeats row 2."


JSON_MISTAKES = {
    "bad ottimate_type": (
        [DIMENSION, {**DIMENSION, "erp_dimension_id": "D-2", "ottimate_type": "gl"}],
        "item 2: 'ottimate_type' must be one of account, location, department, class, project, customer, entity, "
        "item, warehouse, task, costtype, employee, taxcode, property, company, subsidiary (not 'gl').",
    ),
    "missing code": ([{k: v for k, v in DIMENSION.items() if k != "code"}], "item 1: 'code' is required."),
    "number for text": ([{**DIMENSION, "code": 4000}], "item 1: 'code' must be text (not 4000)."),
    "unknown field": ([{**DIMENSION, "parent": "x"}], "item 1: 'parent' is not a field of this record."),
    "not an object": ([DIMENSION, "D-2"], "item 2: must be a JSON object, not str."),
    "not a list": ({"rows": []}, "must hold a JSON list of dimensions (or {'dimensions': [...]})."),
    "empty": ([], "The ERP file {path} has no dimensions."),
}


@pytest.mark.parametrize("case", list(JSON_MISTAKES))
def test_each_malformed_json_item_is_named(tmp_path: Path, case: str) -> None:
    data, sentence = JSON_MISTAKES[case]
    path = json_file(tmp_path, data)

    with pytest.raises(PlanError) as raised:
        load_erp_file(path, ErpDimension)

    expected = sentence.format(path=path) if "{path}" in sentence else f"{path} {sentence}"
    assert str(raised.value) == expected


def test_json_with_a_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "dimensions.json"
    path.write_text('[\n  {"name": "x",}\n]\n', encoding="utf-8")

    with pytest.raises(PlanError, match=r"is not valid JSON: .* \(line 2, column 16\)\.$"):
        load_erp_file(path, ErpDimension)


def test_more_records_than_a_run_syncs_is_refused(tmp_path: Path) -> None:
    path = csv_file(tmp_path, *good_rows(MAX_ERP_RECORDS + 1))

    with pytest.raises(PlanError, match=rf"has {MAX_ERP_RECORDS + 1} vendors; a run syncs at most {MAX_ERP_RECORDS}"):
        load_erp_file(path, ErpVendor)


def test_the_cli_refuses_a_malformed_erp_file_with_exit_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file(tmp_path, *good_rows(5), "V-6,Test Vendor - Cash,,,Net 30,cash,Springfield")
    plan_path = tmp_path / "validation.toml"
    plan_path.write_text('[erp]\nvendors = "vendors.csv"\n', encoding="utf-8")
    reports = tmp_path / "reports"

    code = cli.main(["--plan", str(plan_path), "--reports-dir", str(reports), "--no-report"])

    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("ottimate-validate: ") and err.count("\n") == 1
    assert "vendors.csv row 7: 'payment_method' must be one of" in err
    assert not reports.exists()


# --- tagging before the sync ------------------------------------------------------------------


def test_erp_records_are_tagged_with_the_prefix_and_the_run_id_the_clean_up_recognises() -> None:
    payloads = Payloads(run_id="ab12cd-gw1", faker=Faker())
    plain = ErpVendor(erp_vendor_id="V-7", erp_vendor_name="Acme Produce", payment_method="ach")
    prefixed = ErpVendor(erp_vendor_id="V-8", erp_vendor_name="Test Vendor - Acme Dairy")

    first, second = vendor_item(plain, payloads), vendor_item(prefixed, payloads)
    dimension = dimension_item(ErpDimension.model_validate(DIMENSION), payloads)

    assert first == {
        "erp_vendor_id": "V-7-ab12cd-gw1-1",
        "erp_vendor_name": "Test Vendor - Acme Produce - ab12cd-gw1 - 1",
        "payment_method": "ach",
    }
    assert second["erp_vendor_name"] == "Test Vendor - Acme Dairy - ab12cd-gw1 - 2"  # no second prefix
    assert dimension["name"] == "Test Dimension - Kitchen - ab12cd-gw1 - 3"
    assert (dimension["erp_dimension_id"], dimension["reference_id"]) == ("D-1-ab12cd-gw1-3", "REF-1-ab12cd-gw1-3")
    assert dimension["code"] == "KIT"  # the ERP's own code is what is being validated
    for kind, item, name in (("vendor", first, "erp_vendor_name"), ("dimension", dimension, "name")):
        assert run_id_of(kind, item[name], None) == "ab12cd-gw1"
