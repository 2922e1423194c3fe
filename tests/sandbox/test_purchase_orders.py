"""Purchase orders (§14): upsert on external_id, immutable fields, item dimensions, scoping, bulk."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import Box, assert_error
from .procurement import finish_batches, location_of, po_body


def _department(api: httpx.Client, company_id: int) -> dict[str, Any]:
    dims = api.get("/dimensions", params={"ottimate_company_id": company_id}).json()["dimensions"]
    return next(d for d in dims if d["ottimate_type"] == "department")


def test_a_created_po_answers_201_with_its_items_and_resolved_dimensions(
    box: Box, api: httpx.Client, company_id: int
) -> None:
    dept = _department(api, company_id)
    body = po_body(location_of(box, api))
    body["items"][0]["dimensions"] = {"DEPARTMENT": dept["erp_dimension_id"]}
    r = api.post("/purchase-orders", json=body)
    assert r.status_code == 201, r.text
    po = r.json()
    assert (po["status"], po["items_count"], po["ottimate_company_id"]) == ("open", 2, company_id)
    assert po["items"][0]["dimensions"] == {
        "DEPARTMENT": {
            "id": dept["id"],
            "erp_dimension_id": dept["erp_dimension_id"],
            "name": dept["name"],
            "code": dept["code"],
        }
    }
    detail = api.get(f"/purchase-orders/{po['id']}").json()["purchase_order"]
    assert detail["items"][0]["dimensions"]["DEPARTMENT"]["id"] == dept["id"]


@pytest.mark.parametrize("key", ["department", "Department", "DEPARTMENT"])
def test_dimension_keys_match_the_type_case_insensitively(
    box: Box, api: httpx.Client, company_id: int, key: str
) -> None:
    body = po_body(location_of(box, api))
    body["items"][0]["dimensions"] = {key: _department(api, company_id)["erp_dimension_id"]}
    assert api.post("/purchase-orders", json=body).status_code == 201


def test_object_dimension_values_are_rejected_with_po4000(box: Box, api: httpx.Client, company_id: int) -> None:
    body = po_body(location_of(box, api))
    body["items"][0]["dimensions"] = {"PROJECT": {"id": "dim_x"}}
    error = assert_error(api.post("/purchase-orders", json=body), 400, "PO4000")
    assert error["message"] == "Dimension value for 'PROJECT' must be a string."


def test_empty_or_unknown_dimensions_are_rejected(box: Box, api: httpx.Client) -> None:
    body = po_body(location_of(box, api))
    body["items"][0]["dimensions"] = {}
    assert_error(api.post("/purchase-orders", json=body), 400)
    body["items"][0]["dimensions"] = {"DEPARTMENT": "NO-SUCH-ID"}
    error = assert_error(api.post("/purchase-orders", json=body), 400, "validation_error")
    assert "NO-SUCH-ID" in error["message"]


def test_posting_an_existing_external_id_updates_instead_of_duplicating(box: Box, api: httpx.Client) -> None:
    lid = location_of(box, api)
    first = api.post("/purchase-orders", json=po_body(lid)).json()
    again = api.post("/purchase-orders", json=po_body(lid, total_amount=99.0))
    assert again.status_code == 201
    assert again.json()["id"] == first["id"] and again.json()["total_amount"] == 99.0
    assert [i["id"] for i in again.json()["items"]] == [i["id"] for i in first["items"]]
    assert api.get("/purchase-orders", params={"external_id": "EXT-PO-1"}).json()["count"] == 1


def test_patch_rejects_a_change_to_an_immutable_field(box: Box, api: httpx.Client) -> None:
    po = api.post("/purchase-orders", json=po_body(location_of(box, api))).json()
    for field, value in (("po_number", "OTHER"), ("status", "closed"), ("erp_vendor_id", "V9"), ("external_id", "E9")):
        error = assert_error(api.patch(f"/purchase-orders/{po['id']}", json={field: value}), 400, "validation_error")
        assert field in error["message"]
    same = api.patch(f"/purchase-orders/{po['id']}", json={"po_number": po["po_number"], "tax": 2.5})
    assert same.status_code == 200 and same.json()["po_number"] == po["po_number"]


def test_patch_updates_items_by_id_and_adds_items_without_one(box: Box, api: httpx.Client) -> None:
    po = api.post("/purchase-orders", json=po_body(location_of(box, api))).json()
    first = po["items"][0]["id"]
    r = api.patch(
        f"/purchase-orders/{po['id']}",
        json={"items": [{"id": first, "quantity": 4}, {"name": "Test Item - Garlic", "quantity": 1, "price": 3}]},
    )
    assert r.status_code == 200 and r.json()["items_count"] == 3
    items = api.get(f"/purchase-orders/{po['id']}").json()["purchase_order"]["items"]
    assert items[0]["quantity"] == 4 and items[2]["name"] == "Test Item - Garlic"
    incomplete = api.patch(f"/purchase-orders/{po['id']}", json={"items": [{"name": "no quantity"}]})
    assert_error(incomplete, 400, "validation_error")


def test_the_status_filter_takes_the_filter_vocabulary(box: Box, api: httpx.Client) -> None:
    api.post("/purchase-orders", json=po_body(location_of(box, api)))
    assert api.get("/purchase-orders", params={"status": "approved"}).json()["count"] == 1
    assert api.get("/purchase-orders", params={"status": "closed"}).json()["count"] == 0
    assert_error(api.get("/purchase-orders", params={"status": "open"}), 400, "invalid_parameter")


def test_expanding_items_needs_both_dates_within_thirty_days(box: Box, api: httpx.Client) -> None:
    api.post("/purchase-orders", json=po_body(location_of(box, api)))
    assert_error(api.get("/purchase-orders", params={"expand": "items", "date_from": "2026-10-01"}), 400)
    too_wide = {"expand": "items", "date_from": "2026-09-01", "date_to": "2026-11-02"}
    assert_error(api.get("/purchase-orders", params=too_wide), 400, "invalid_parameter")
    ok = api.get("/purchase-orders", params={"expand": "items", "date_from": "2026-10-15", "date_to": "2026-11-02"})
    assert ok.status_code == 200 and len(ok.json()["purchase_orders"][0]["items"]) == 2


def test_a_location_user_sees_only_its_locations_purchase_orders(box: Box, api: httpx.Client) -> None:
    _, _, locations = box.ids(api)
    own, other = locations[0], locations[1]
    theirs = api.post("/purchase-orders", json=po_body(other, 2)).json()
    api.post("/purchase-orders", json=po_body(own, 1))
    with box.api("location") as scoped:
        assert_error(scoped.get(f"/purchase-orders/{theirs['id']}"), 403, "forbidden")
        assert_error(scoped.post("/purchase-orders", json=po_body(other, 3)), 403, "forbidden")
        assert scoped.post("/purchase-orders", json=po_body(own, 4)).status_code == 201
        listed = scoped.get("/purchase-orders").json()["purchase_orders"]
        assert {p["ottimate_location_id"] for p in listed} == {own}


def test_an_unknown_purchase_order_is_not_found(api: httpx.Client) -> None:
    assert_error(api.get("/purchase-orders/00000000-0000-4000-8000-000000000000"), 404, "not_found")


def test_bulk_enforces_the_limits_and_defaults_the_location(box: Box, api: httpx.Client, company_id: int) -> None:
    lid = location_of(box, api)
    envelope = {"ottimate_company_id": company_id, "ottimate_location_id": lid}
    too_many = [po_body(lid, n) for n in range(101)]
    assert_error(api.post("/purchase-orders/bulk", json={**envelope, "purchase_orders": too_many}), 400)
    heavy = po_body(lid)
    heavy["items"] = [{"name": "x", "quantity": 1, "price": 1}] * 1001
    assert_error(api.post("/purchase-orders/bulk", json={**envelope, "purchase_orders": [heavy]}), 400)
    without_location = {k: v for k, v in po_body(lid, 5).items() if k != "ottimate_location_id"}
    r = api.post("/purchase-orders/bulk-upsert/", json={**envelope, "purchase_orders": [without_location]})
    assert r.status_code == 202 and r.json()["summary"] == {"count": 1, "total_items": 2}
    finish_batches(box)
    created = api.get("/purchase-orders", params={"external_id": "EXT-PO-5"}).json()["purchase_orders"]
    assert created[0]["ottimate_location_id"] == lid


def test_fault_po_dimensions_dropped(box: Box, api: httpx.Client, company_id: int) -> None:
    body = po_body(location_of(box, api))
    body["items"][0]["dimensions"] = {"DEPARTMENT": _department(api, company_id)["erp_dimension_id"]}
    po = api.post("/purchase-orders", json=body).json()
    box.control("PUT", "faults", json={"enabled": ["po_dimensions_dropped"]})
    assert api.get(f"/purchase-orders/{po['id']}").json()["purchase_order"]["items"][0]["dimensions"] == {}
