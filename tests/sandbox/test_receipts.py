"""Receipts (§15): PO resolution, item → PO item resolution, upsert, immutable fields, scoping, bulk."""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import Box, assert_error
from .procurement import finish_batches, location_of, po_body, receipt_body


def _po(box: Box, api: httpx.Client, n: int = 1, **extra: Any) -> dict[str, Any]:
    r = api.post("/purchase-orders", json=po_body(location_of(box, api), n, **extra))
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_receipt_resolves_its_po_by_id_and_its_item_by_sku(box: Box, api: httpx.Client) -> None:
    po = _po(box, api)
    r = api.post("/receipts", json=receipt_body(po["id"]))
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert (receipt["ottimate_po_id"], receipt["status"], receipt["items_count"]) == (po["id"], "open", 1)
    item = api.get(f"/receipts/{receipt['id']}").json()["receipt"]["items"][0]
    assert item["ottimate_po_item_id"] == po["items"][0]["id"] and item["name"] == "Test Item - Tomatoes"


def test_a_receipt_resolves_its_po_by_the_lookup_trio(box: Box, api: httpx.Client) -> None:
    po = _po(box, api)
    lookup = {"erp_vendor_id": po["erp_vendor_id"], "ottimate_location_id": po["ottimate_location_id"]}
    body = {k: v for k, v in receipt_body(po["id"]).items() if k != "ottimate_po_id"}
    by_number = api.post("/receipts", json={**body, **lookup, "po_number": po["po_number"]})
    assert by_number.status_code == 201 and by_number.json()["ottimate_po_id"] == po["id"]
    body["external_id"] = "EXT-RC-2"
    by_external = api.post("/receipts", json={**body, **lookup, "po_external_id": po["external_id"]})
    assert by_external.status_code == 201 and by_external.json()["ottimate_po_id"] == po["id"]
    error = assert_error(api.post("/receipts", json={**body, "erp_vendor_id": "V"}), 400, "validation_error")
    assert "ottimate_po_id" in error["message"]
    missing = {**body, **lookup, "po_number": "NO-SUCH-PO"}
    assert_error(api.post("/receipts", json=missing), 400, "validation_error")


def test_items_resolve_by_po_item_id_or_po_external_item_id(box: Box, api: httpx.Client) -> None:
    po = _po(box, api)
    items = [
        {"ottimate_po_item_id": po["items"][1]["id"], "quantity": 1},
        {"po_external_item_id": "EXT-PO-1-1", "quantity": 2},
    ]
    receipt = api.post("/receipts", json=receipt_body(po["id"], items=items)).json()
    stored = api.get(f"/receipts/{receipt['id']}").json()["receipt"]["items"]
    assert [i["ottimate_po_item_id"] for i in stored] == [po["items"][1]["id"], po["items"][0]["id"]]


def test_an_item_that_matches_no_or_several_po_items_is_rejected(box: Box, api: httpx.Client) -> None:
    po = _po(box, api)
    none = receipt_body(po["id"], items=[{"sku": "NOPE", "quantity": 1}])
    assert "matches no item" in assert_error(api.post("/receipts", json=none), 400)["message"]
    twins = po_body(location_of(box, api), 2)
    twins["items"][1]["sku"] = twins["items"][0]["sku"]
    po2 = api.post("/purchase-orders", json=twins).json()
    ambiguous = receipt_body(po2["id"], 2)
    assert "matches 2 items" in assert_error(api.post("/receipts", json=ambiguous), 400)["message"]
    unnamed = receipt_body(po["id"], items=[{"quantity": 1}])
    assert_error(api.post("/receipts", json=unnamed), 400, "validation_error")


def test_posting_an_existing_external_id_updates_the_receipt(box: Box, api: httpx.Client) -> None:
    po = _po(box, api)
    first = api.post("/receipts", json=receipt_body(po["id"])).json()
    again = api.post("/receipts", json=receipt_body(po["id"], total_amount=30.0)).json()
    assert again["id"] == first["id"] and again["total_amount"] == 30.0
    assert api.get("/receipts", params={"ottimate_po_id": po["id"]}).json()["count"] == 1


def test_patch_rejects_immutable_changes_and_adds_items(box: Box, api: httpx.Client) -> None:
    po = _po(box, api)
    receipt = api.post("/receipts", json=receipt_body(po["id"])).json()
    for field, value in (("receipt_number", "OTHER"), ("status", "closed"), ("ottimate_po_id", "x")):
        assert_error(api.patch(f"/receipts/{receipt['id']}", json={field: value}), 400, "validation_error")
    r = api.patch(
        f"/receipts/{receipt['id']}",
        json={"receipt_number": "RC-1", "note": "Test note", "items": [{"sku": "SKU-1-B", "quantity": 5}]},
    )
    assert r.status_code == 200 and r.json()["items_count"] == 2
    assert api.get(f"/receipts/{receipt['id']}").json()["receipt"]["note"] == "Test note"


def test_list_filters_and_the_expand_window(box: Box, api: httpx.Client) -> None:
    po = _po(box, api)
    api.post("/receipts", json=receipt_body(po["id"]))
    assert api.get("/receipts", params={"status": "open"}).json()["count"] == 1
    assert api.get("/receipts", params={"status": "closed"}).json()["count"] == 0
    assert api.get("/receipts", params={"external_id": "EXT-RC-1"}).json()["count"] == 1
    assert_error(api.get("/receipts", params={"expand": "items", "date_to": "2026-11-05"}), 400)
    window = {"expand": "items", "date_from": "2026-11-01", "date_to": "2026-11-05"}
    assert len(api.get("/receipts", params=window).json()["receipts"][0]["items"]) == 1


def test_a_location_user_cannot_reach_another_locations_receipts(box: Box, api: httpx.Client) -> None:
    _, _, locations = box.ids(api)
    po = api.post("/purchase-orders", json=po_body(locations[1], 2)).json()
    receipt = api.post("/receipts", json=receipt_body(po["id"], 2)).json()
    with box.api("location") as scoped:
        assert_error(scoped.get(f"/receipts/{receipt['id']}"), 403, "forbidden")
        assert_error(scoped.post("/receipts", json=receipt_body(po["id"], 2)), 403, "forbidden")
        assert scoped.get("/receipts").json()["count"] == 0


def test_bulk_creates_receipts_through_a_batch(box: Box, api: httpx.Client, company_id: int) -> None:
    po = _po(box, api)
    r = api.post(
        "/receipts/bulk-upsert/",
        json={"ottimate_company_id": company_id, "receipts": [receipt_body(po["id"]), receipt_body("nope", 2)]},
    )
    assert r.status_code == 202 and r.json()["summary"] == {"count": 2, "total_items": 2}
    finish_batches(box)
    results = api.get(f"/batch/{r.json()['batch_id']}/results").json()["results"]
    assert results[0]["result"]["ottimate_po_id"] == po["id"]
    assert results[1]["result"] is None and "nope" in results[1]["message"]
    too_many = {"ottimate_company_id": company_id, "receipts": [receipt_body(po["id"], n) for n in range(101)]}
    assert_error(api.post("/receipts/bulk", json=too_many), 400)


def test_fault_receipt_po_link_lost(box: Box, api: httpx.Client) -> None:
    po = _po(box, api)
    receipt = api.post("/receipts", json=receipt_body(po["id"])).json()
    box.control("PUT", "faults", json={"enabled": ["receipt_po_link_lost"]})
    read = api.get(f"/receipts/{receipt['id']}").json()["receipt"]
    assert "ottimate_po_id" not in read and "ottimate_po_item_id" not in read["items"][0]
