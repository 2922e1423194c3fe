"""Receipts: receive against a PO found either way, read back, list and filter, update (CONTRACT §15)."""

import allure
import pytest

from fixtures.checks import assert_list_envelope, expect_status
from fixtures.procurement import RECEIPT_DETAIL_KEYS, RECEIPT_STATUSES, assert_same_fields, item_by

pytestmark = [pytest.mark.api_area("Receipts"), pytest.mark.contract("§15")]

HEADER = ("receipt_number", "external_id", "date", "total_amount")
WAYS = {
    "ottimate_po_id": "by the PO's Ottimate id",
    "po_number": "by vendor, location and PO number",
    "po_external_id": "by vendor, location and the PO's external id",
}


def read_receipt(api, receipt_id):
    with allure.step(f"Read receipt {receipt_id} back by its id"):
        body = expect_status(api.get(f"/receipts/{receipt_id}"), 200)
    assert isinstance(body, dict) and isinstance(body.get("receipt"), dict), (
        f"GET /receipts/{{id}} should answer {{version, receipt}}, got {body!r}"
    )
    return body["receipt"]


def test_a_receipt_is_created_against_a_purchase_order(receipt, purchase_order):
    """A receipt is created against a purchase order by the PO's id, with a status and its item count"""
    with allure.step("Check the create answer against what was sent"):
        assert receipt["ottimate_po_id"] == purchase_order["id"], (
            f"the receipt was sent for PO {purchase_order['id']}, the answer says {receipt['ottimate_po_id']!r}"
        )
        assert receipt["status"] in RECEIPT_STATUSES, (
            f"a receipt's status should be one of {RECEIPT_STATUSES}, got {receipt['status']!r}"
        )
        assert isinstance(receipt["id"], str) and receipt["id"], f"a receipt id is a string, got {receipt['id']!r}"
        assert receipt["items_count"] == len(receipt["sent"]["items"]), (
            f"sent {len(receipt['sent']['items'])} items, items_count says {receipt['items_count']!r}"
        )
        assert_same_fields(receipt["sent"], receipt, "The create answer", HEADER)


@pytest.mark.parametrize("how", ["po_number", "po_external_id"])
def test_a_receipt_finds_its_purchase_order_by_the_lookup_fields(api, purchase_order, procurement_bodies, how):
    """A receipt finds its purchase order by vendor, location and PO number or external id"""
    body = procurement_bodies.receipt(purchase_order, how)
    with allure.step(f"Receive against purchase order {purchase_order['po_number']} found {WAYS[how]}"):
        created = expect_status(api.post("/receipts", json=body), 201)
    assert isinstance(created, dict), f"POST /receipts should answer the receipt, got {created!r}"
    assert created.get("ottimate_po_id") == purchase_order["id"], (
        f"the lookup fields ({how}) name PO {purchase_order['id']}, the receipt was linked to "
        f"{created.get('ottimate_po_id')!r}"
    )
    assert_same_fields(body, created, "The create answer", HEADER)


def test_a_receipt_reads_back_by_id(api, receipt):
    """A receipt reads back by its id with its note, invoice reference and items"""
    stored = read_receipt(api, receipt["id"])
    sent = receipt["sent"]
    with allure.step("Check every field of the stored receipt"):
        missing = [key for key in RECEIPT_DETAIL_KEYS if key not in stored]
        assert not missing, f"the receipt read by id lacks {missing}: {stored}"
        assert_same_fields(sent, stored, "The receipt read by id", (*HEADER, "invoice_number_ref", "note"))
        assert stored["ottimate_po_id"] == receipt["ottimate_po_id"], (
            f"the receipt belongs to PO {receipt['ottimate_po_id']}, read back {stored['ottimate_po_id']!r}"
        )
        line = item_by(stored["items"], "external_id", sent["items"][0]["external_id"], "The receipt read by id")
        assert_same_fields(sent["items"][0], line, "The receipt item", ("sku", "quantity"))


def test_the_receipt_list_finds_receipts_by_purchase_order_and_external_id(api, company, receipt, po_location):
    """The receipt list, filtered by company, location, PO and external id, holds exactly the receipt"""
    params = {
        "ottimate_company_id": company.id,
        "ottimate_location_id": po_location.id,
        "ottimate_po_id": receipt["ottimate_po_id"],
        "external_id": receipt["sent"]["external_id"],
    }
    with allure.step("List the receipts matching all four filters"):
        body = expect_status(api.get("/receipts", params=params), 200)
    listed = assert_list_envelope(body, "receipts", "GET /receipts")
    assert [r.get("id") for r in listed] == [receipt["id"]] and body["count"] == 1, (
        f"the filters {params} should match only receipt {receipt['id']}, got count {body['count']} and "
        f"{[r.get('id') for r in listed]}"
    )
    assert_same_fields(receipt["sent"], listed[0], "The receipt in the list", HEADER)


def test_the_location_filter_leaves_out_other_locations_receipts(api, receipt, sibling_location):
    """The receipt list of another location of the company does not hold the receipt"""
    params = {"ottimate_location_id": sibling_location.id, "ottimate_po_id": receipt["ottimate_po_id"]}
    with allure.step(f"List the receipts of location {sibling_location.name!r} for the receipt's PO"):
        body = expect_status(api.get("/receipts", params=params), 200)
    listed = assert_list_envelope(body, "receipts", "GET /receipts")
    assert listed == [] and body["count"] == 0, (
        f"the receipt's PO is at another location, yet the list of location {sibling_location.id} holds "
        f"{[r.get('id') for r in listed]} (count {body['count']})"
    )


def test_a_receipt_is_updated_with_patch(api, make_receipt, purchase_order, procurement_bodies):
    """Updating a receipt changes its note, total and a quantity, and receives another PO item"""
    receipt = make_receipt(purchase_order)
    stored = read_receipt(api, receipt["id"])
    line = stored["items"][0]
    second = purchase_order["items"][1]
    change = {
        "note": f"Test Receipt - two crates short - {procurement_bodies.run_id}",
        "total_amount": 10.5,
        "items": [{"id": line["id"], "quantity": 2}, {"po_external_item_id": second["external_id"], "quantity": 1}],
    }
    with allure.step("Change the note, the total, one quantity, and receive a second PO item"):
        answer = expect_status(api.patch(f"/receipts/{receipt['id']}", json=change), 200)
    assert isinstance(answer, dict) and answer.get("id") == receipt["id"], (
        f"PATCH /receipts/{{id}} should answer receipt {receipt['id']}, got {answer!r}"
    )
    assert answer.get("items_count") == 2, (
        f"one item plus one added make 2, items_count says {answer.get('items_count')!r}"
    )
    assert answer.get("ottimate_po_id") == purchase_order["id"], (
        f"a PATCH keeps the receipt on PO {purchase_order['id']}, the answer says {answer.get('ottimate_po_id')!r}"
    )
    after = read_receipt(api, receipt["id"])
    with allure.step("Check the receipt read back carries every change and kept the rest"):
        assert_same_fields(change, after, "The patched receipt", ("note", "total_amount"))
        assert_same_fields(
            receipt["sent"], after, "The patched receipt", ("receipt_number", "date", "invoice_number_ref")
        )
        assert len(after["items"]) == 2, f"the receipt should have 2 items after the PATCH, got {after['items']}"
        assert_same_fields(
            {"quantity": 2}, item_by(after["items"], "id", line["id"], "The patched receipt"), "The changed item"
        )
        added = next(i for i in after["items"] if i.get("id") != line["id"])
        assert added.get("ottimate_po_item_id") == second["id"], (
            f"the added item was received against PO item {second['id']} (by its external id), "
            f"read back against {added.get('ottimate_po_item_id')!r}"
        )
