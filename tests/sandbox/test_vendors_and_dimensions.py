"""Vendors and dimensions: fields, filters, detail=basic, bulk, validation (§9, §10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from .conftest import Box, assert_error, dimension_body, vendor_body

EVERY_VENDOR_FIELD = {
    "email": "ap@example.test",
    "phone": "+1 555 0100",
    "net_terms": "2% 10 net 30",
    "payment_method": "wire_transfer",
    "address_line_1": "1 Quay",
    "address_line_2": "Unit 2",
    "city": "Zürich",
    "state": "ZH",
    "zipcode": "8001",
}


def test_a_vendor_keeps_every_documented_field(api: httpx.Client, company_id: int) -> None:
    created = api.post("/vendors", json=vendor_body(company_id, **EVERY_VENDOR_FIELD))
    assert created.status_code == 201
    vendor = created.json()["vendor"]
    fetched = api.get(f"/vendors/{vendor['id']}").json()["vendor"]
    for name, value in {**vendor_body(company_id), **EVERY_VENDOR_FIELD}.items():
        assert vendor[name] == value and fetched[name] == value
    assert fetched["company_name"].startswith("Test Company") and "company_name" not in vendor


@pytest.mark.parametrize("field", ["ottimate_company_id", "erp_vendor_name", "erp_vendor_id"])
def test_each_required_vendor_field_is_required(api: httpx.Client, company_id: int, field: str) -> None:
    body = vendor_body(company_id)
    del body[field]
    assert field in assert_error(api.post("/vendors", json=body), 400, "validation_error")["message"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ottimate_company_id", "1"),
        ("ottimate_company_id", True),
        ("erp_vendor_name", 5),
        ("payment_method", "cash"),
        ("email", ["a"]),
        ("erp_vendor_id", ""),
        ("city", "x" * 256),
    ],
)
def test_a_mistyped_vendor_field_is_a_400_naming_it(api: httpx.Client, company_id: int, field, value) -> None:
    body = vendor_body(company_id, **{field: value})
    assert field in assert_error(api.post("/vendors", json=body), 400, "validation_error")["message"]


def test_text_of_255_characters_in_any_script_round_trips(api: httpx.Client, company_id: int) -> None:
    name = ("Test Vendor - 東京 Ωμέγα 🚀 " * 20)[:255]
    vendor = api.post("/vendors", json=vendor_body(company_id, erp_vendor_name=name)).json()["vendor"]
    assert api.get(f"/vendors/{vendor['id']}").json()["vendor"]["erp_vendor_name"] == name


def test_a_duplicate_erp_vendor_id_in_the_company_is_a_400(api: httpx.Client, company_id: int) -> None:
    api.post("/vendors", json=vendor_body(company_id))
    assert_error(api.post("/vendors", json=vendor_body(company_id)), 400, "duplicate")


@pytest.mark.parametrize("vendor_id", ["0", "abc", "12a", "%C2%B2"])
def test_an_unknown_or_malformed_vendor_id_is_404(api: httpx.Client, vendor_id: str) -> None:
    assert_error(api.get(f"/vendors/{vendor_id}"), 404, "not_found")


def test_detail_basic_lists_only_the_identity_fields(api: httpx.Client, company_id: int) -> None:
    api.post("/vendors", json=vendor_body(company_id, **EVERY_VENDOR_FIELD))
    basic = api.get("/vendors", params={"ottimate_company_id": company_id, "detail": "basic"}).json()["vendors"][0]
    assert set(basic) == {"id", "ottimate_company_id", "erp_vendor_id", "erp_vendor_name"}
    assert_error(api.get("/vendors", params={"detail": "full"}), 400, "invalid_parameter")


def test_the_company_filter_and_its_fault(box: Box, api: httpx.Client) -> None:
    _, (a, b), _ = box.ids(api)
    assert {
        v["ottimate_company_id"] for v in api.get("/vendors", params={"ottimate_company_id": a}).json()["vendors"]
    } == {a}
    box.control("PUT", "faults", json={"enabled": ["filters_ignored"]})
    seen = {
        v["ottimate_company_id"]
        for v in api.get("/vendors", params={"ottimate_company_id": a, "limit": 100}).json()["vendors"]
    }
    assert seen == {a, b}


def test_last_modified_filters_bound_the_window_inclusively(box: Box, api: httpx.Client, company_id: int) -> None:
    vendor = api.post("/vendors", json=vendor_body(company_id)).json()["vendor"]
    stamp = api.get(f"/vendors/{vendor['id']}").json()["vendor"]
    listed = next(
        v
        for v in api.get("/vendors", params={"ottimate_company_id": company_id, "limit": 100}).json()["vendors"]
        if v["id"] == vendor["id"]
    )
    modified = datetime.fromisoformat(listed["last_modified_date_utc"].replace("Z", "+00:00"))
    assert listed["last_modified_date_utc"].endswith("Z") and "last_modified_date" in listed and stamp

    def ids(**params: str) -> set[int]:
        r = api.get("/vendors", params={"ottimate_company_id": company_id, "limit": 100, **params})
        assert r.status_code == 200, r.text
        return {v["id"] for v in r.json()["vendors"]}

    day = modified.strftime("%Y-%m-%d")
    assert vendor["id"] in ids(last_modified_date_from=day)
    assert vendor["id"] not in ids(last_modified_date_to=day)  # a bare date is 00:00:00 UTC
    later = (modified + timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")
    assert vendor["id"] in ids(last_modified_date_from=day, last_modified_date_to=later)
    assert vendor["id"] in ids(last_modified_date_from_utc=modified.isoformat())
    assert vendor["id"] not in ids(last_modified_date_from_utc=(modified + timedelta(microseconds=1)).isoformat())
    past = (modified - timedelta(days=3)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    # the _utc twin wins when both are sent
    assert vendor["id"] not in ids(last_modified_date_to="2999-01-01", last_modified_date_to_utc=past)


def test_a_date_window_read_again_after_writes_shows_them(box: Box, api: httpx.Client, company_id: int) -> None:
    # The sandbox keeps a window's matches sorted between reads; a write must show in the next read.
    items = [{"erp_vendor_id": f"W-{n}", "erp_vendor_name": f"Test Vendor - Window {n}"} for n in range(3)]
    old = api.post("/vendors/bulk", json={"ottimate_company_id": company_id, "vendors": items}).json()["created"]
    box.control("POST", "clock", json={"advance_seconds": 60})
    since = box.sb.state.clock.now().isoformat()  # the sandbox's time, a minute after the older vendors
    first = api.post("/vendors", json=vendor_body(company_id, 71)).json()["vendor"]
    window = {"ottimate_company_id": company_id, "limit": 100, "last_modified_date_from_utc": since}

    def ids() -> list[int]:
        return [v["id"] for v in api.get("/vendors", params=window).json()["vendors"]]

    assert ids() == [first["id"]]
    items[1]["city"] = "Oslo"  # updates W-1: its last_modified moves into the window
    api.post("/vendors/bulk", json={"ottimate_company_id": company_id, "vendors": [items[1]]})
    assert ids() == [old[1]["id"], first["id"]], "the updated vendor joins the window, in id order"
    last = api.post("/vendors", json=vendor_body(company_id, 72)).json()["vendor"]
    assert ids() == [old[1]["id"], first["id"], last["id"]], "and so does a new one"


@pytest.mark.parametrize(
    "params", [{"last_modified_date_from": "2025-01-01"}, {"last_modified_date_to_utc": "2025-01-01T00:00:00Z"}]
)
def test_the_last_modified_filters_require_a_company(api: httpx.Client, params) -> None:
    assert_error(api.get("/vendors", params=params), 400, "invalid_parameter")


@pytest.mark.parametrize("value", ["yesterday", "2025-13-01", "2025-01-01T00:00:00"])
def test_a_malformed_date_filter_is_a_400(api: httpx.Client, company_id: int, value: str) -> None:
    r = api.get("/vendors", params={"ottimate_company_id": company_id, "last_modified_date_from": value})
    assert_error(r, 400, "invalid_parameter")


def test_vendor_bulk_creates_then_updates_by_erp_vendor_id(api: httpx.Client, company_id: int) -> None:
    items = [{"erp_vendor_id": f"B-{n}", "erp_vendor_name": f"Test Vendor - Bulk {n}"} for n in range(3)]
    first = api.post("/vendors/bulk", json={"ottimate_company_id": company_id, "vendors": items}).json()
    assert (first["created_count"], first["updated_count"], first["error_count"]) == (3, 0, 0)
    items[0]["city"] = "Oslo"
    items.append({"erp_vendor_name": "no id"})
    second = api.post("/vendors/bulk", json={"ottimate_company_id": company_id, "vendors": items})
    assert second.status_code == 201
    body = second.json()
    assert (body["created_count"], body["updated_count"], body["error_count"], body["success_count"]) == (0, 3, 1, 3)
    assert body["errors"][0]["index"] == 3 and "erp_vendor_id" in body["errors"][0]["error"]
    assert api.get(f"/vendors/{body['updated'][0]['id']}").json()["vendor"]["city"] == "Oslo"


@pytest.mark.parametrize("count", [0, 101])
def test_vendor_bulk_takes_1_to_100(api: httpx.Client, company_id: int, count: int) -> None:
    items = [{"erp_vendor_id": f"B-{n}"} for n in range(count)]
    assert_error(api.post("/vendors/bulk", json={"ottimate_company_id": company_id, "vendors": items}), 400)


def test_the_guide_bulk_path_is_an_alias(api: httpx.Client, company_id: int) -> None:
    r = api.post("/vendors/bulk-create/", json={"ottimate_company_id": company_id, "vendors": [{"erp_vendor_id": "Z"}]})
    assert r.status_code == 201


def test_a_dimension_keeps_every_field_and_is_answered_flat(api: httpx.Client, company_id: int) -> None:
    r = api.post("/dimensions", json=dimension_body(company_id))
    assert r.status_code == 201
    flat = r.json()
    assert flat["id"].startswith("dim_") and "dimension" not in flat
    fetched = api.get(f"/dimensions/{flat['id']}").json()["dimension"]
    for name, value in dimension_body(company_id).items():
        assert flat[name] == value == fetched[name]


@pytest.mark.parametrize(
    "field", ["erp_type", "ottimate_type", "name", "code", "reference_id", "erp_dimension_id", "ottimate_company_id"]
)
def test_every_dimension_field_is_required(api: httpx.Client, company_id: int, field: str) -> None:
    body = dimension_body(company_id)
    del body[field]
    assert field in assert_error(api.post("/dimensions", json=body), 400)["message"]


def test_cost_type_is_spelled_costtype(api: httpx.Client, company_id: int) -> None:
    assert api.post("/dimensions", json=dimension_body(company_id, ottimate_type="costtype")).status_code == 201
    assert_error(api.post("/dimensions", json=dimension_body(company_id, 2, ottimate_type="cost_type")), 400)


def test_erp_type_filter_matches_case_insensitively(api: httpx.Client, company_id: int) -> None:
    api.post("/dimensions", json=dimension_body(company_id, erp_type="CLASS", ottimate_type="class"))
    listed = api.get("/dimensions", params={"ottimate_company_id": company_id, "erp_type": "class"}).json()
    assert listed["count"] == 1 and listed["dimensions"][0]["erp_type"] == "CLASS"


def test_dimension_bulk_upserts_on_reference_id(api: httpx.Client, company_id: int) -> None:
    items = [{k: v for k, v in dimension_body(company_id, n).items() if k != "ottimate_company_id"} for n in range(2)]
    first = api.post("/dimensions/bulk", json={"ottimate_company_id": company_id, "dimensions": items}).json()
    assert first["created_count"] == 2
    items[0]["name"] = "Test Dimension - Renamed"
    items.append({"name": "incomplete"})
    second = api.post("/dimensions/bulk", json={"ottimate_company_id": company_id, "dimensions": items}).json()
    assert (second["created_count"], second["updated_count"], second["error_count"]) == (0, 2, 1)
    assert second["updated"][0] == {"id": first["created"][0]["id"], "name": "Test Dimension - Renamed"}


def test_unknown_dimension_is_404(api: httpx.Client) -> None:
    assert_error(api.get("/dimensions/dim_nothere"), 404, "not_found")


@pytest.mark.parametrize("fault", ["validation_not_enforced"])
def test_the_validation_fault_accepts_an_incomplete_vendor(box: Box, api: httpx.Client, company_id: int, fault) -> None:
    box.control("PUT", "faults", json={"enabled": [fault]})
    assert api.post("/vendors", json={"ottimate_company_id": company_id}).status_code == 201


def test_the_field_faults_drop_and_corrupt(box: Box, api: httpx.Client, company_id: int) -> None:
    box.control("PUT", "faults", json={"enabled": ["field_dropped", "field_corrupted"]})
    vendor = api.post(
        "/vendors", json=vendor_body(company_id, erp_vendor_name="Test Vendor - Café", net_terms="Net 30")
    ).json()["vendor"]
    assert "net_terms" not in vendor and vendor["erp_vendor_name"] == "Test Vendor - Caf?"
