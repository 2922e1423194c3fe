"""Purchase orders: create one, read it back, list and filter it, update it (CONTRACT §14)."""

import re
from datetime import date, timedelta

import allure
import pytest

from fixtures.checks import assert_list_envelope, expect_status
from fixtures.procurement import (
    PO_DETAIL_KEYS,
    PO_STATUSES,
    assert_po_items_as_sent,
    assert_same_fields,
    item_by,
)

pytestmark = [pytest.mark.api_area("Purchase orders"), pytest.mark.contract("§14")]

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
HEADER = ("po_number", "external_id", "erp_vendor_id", "erp_vendor_name", "date", "total_amount")


def read_po(api, po_id):
    with allure.step(f"Read purchase order {po_id} back by its id"):
        body = expect_status(api.get(f"/purchase-orders/{po_id}"), 200)
    assert isinstance(body, dict) and isinstance(body.get("purchase_order"), dict), (
        f"GET /purchase-orders/{{id}} should answer {{version, purchase_order}}, got {body!r}"
    )
    return body["purchase_order"]


def test_a_purchase_order_is_created_with_its_items(purchase_order, company, po_location):
    """A purchase order is created at a location, with an id, a status and an id for each item"""
    sent = purchase_order["sent"]
    with allure.step("Check the create answer against what was sent"):
        assert UUID.match(str(purchase_order["id"])), f"a PO id is a UUID (§14), got {purchase_order['id']!r}"
        assert purchase_order["status"] in PO_STATUSES, (
            f"a new PO's status should be one of {PO_STATUSES}, got {purchase_order['status']!r}"
        )
        assert purchase_order["ottimate_location_id"] == po_location.id, (
            f"the PO was created at location {po_location.id}, answer says {purchase_order['ottimate_location_id']!r}"
        )
        assert purchase_order["ottimate_company_id"] == company.id, (
            f"location {po_location.id} belongs to company {company.id}, "
            f"the answer says {purchase_order['ottimate_company_id']!r}"
        )
        assert purchase_order["items_count"] == len(sent["items"]), (
            f"sent {len(sent['items'])} items, items_count says {purchase_order['items_count']!r}"
        )
        assert_same_fields(sent, purchase_order, "The create answer", HEADER)
        assert_po_items_as_sent(sent["items"], purchase_order["items"], "The create answer")


def test_a_purchase_order_reads_back_by_id(api, purchase_order):
    """A purchase order reads back by its id with its header, its items and its timestamps"""
    stored = read_po(api, purchase_order["id"])
    sent = purchase_order["sent"]
    with allure.step("Check every field of the stored purchase order"):
        missing = [key for key in PO_DETAIL_KEYS if key not in stored]
        assert not missing, f"the PO read by id lacks {missing}: {stored}"
        assert stored["id"] == purchase_order["id"], f"asked for {purchase_order['id']}, got {stored['id']!r}"
        assert_same_fields(sent, stored, "The PO read by id", (*HEADER, "ottimate_location_id"))
        assert_po_items_as_sent(sent["items"], stored["items"], "The PO read by id")
        assert stored["status"] == purchase_order["status"], (
            f"nothing changed the PO, yet its status went from {purchase_order['status']!r} to {stored['status']!r}"
        )


def test_the_purchase_order_list_finds_a_po_by_location_vendor_and_external_id(api, company, purchase_order):
    """The PO list, filtered by company, location, vendor and external id, holds exactly the PO"""
    sent = purchase_order["sent"]
    params = {
        "ottimate_company_id": company.id,
        "ottimate_location_id": sent["ottimate_location_id"],
        "erp_vendor_id": sent["erp_vendor_id"],
        "external_id": sent["external_id"],
    }
    with allure.step("List the purchase orders matching all four filters"):
        body = expect_status(api.get("/purchase-orders", params=params), 200)
    listed = assert_list_envelope(body, "purchase_orders", "GET /purchase-orders")
    assert [po.get("id") for po in listed] == [purchase_order["id"]] and body["count"] == 1, (
        f"the filters {params} should match only PO {purchase_order['id']}, got count {body['count']} and "
        f"{[po.get('id') for po in listed]}"
    )
    assert_same_fields(sent, listed[0], "The PO in the list", (*HEADER, "ottimate_location_id"))


def test_the_location_filter_leaves_out_other_locations_purchase_orders(api, purchase_order, sibling_location):
    """The PO list of another location of the company does not hold the PO"""
    params = {"ottimate_location_id": sibling_location.id, "external_id": purchase_order["sent"]["external_id"]}
    with allure.step(f"List the purchase orders of location {sibling_location.name!r} with the PO's external id"):
        body = expect_status(api.get("/purchase-orders", params=params), 200)
    listed = assert_list_envelope(body, "purchase_orders", "GET /purchase-orders")
    assert listed == [] and body["count"] == 0, (
        f"PO {purchase_order['id']} is at location {purchase_order['ottimate_location_id']}, yet the list of "
        f"location {sibling_location.id} holds {[po.get('id') for po in listed]} (count {body['count']})"
    )


def test_the_purchase_order_list_expands_items_within_a_date_window(api, purchase_order):
    """The PO list with expand=items and a date window shows each PO's items"""
    sent = purchase_order["sent"]
    day = date.fromisoformat(sent["date"])
    params = {
        "expand": "items",
        "date_from": (day - timedelta(days=1)).isoformat(),
        "date_to": (day + timedelta(days=1)).isoformat(),
        "external_id": sent["external_id"],
    }
    with allure.step(f"List purchase orders dated {params['date_from']} to {params['date_to']} with their items"):
        body = expect_status(api.get("/purchase-orders", params=params), 200)
    listed = assert_list_envelope(body, "purchase_orders", "GET /purchase-orders?expand=items")
    found = item_by(listed, "id", purchase_order["id"], "GET /purchase-orders?expand=items")
    assert_po_items_as_sent(sent["items"], found.get("items"), "The PO listed with expand=items")


def test_a_purchase_order_is_updated_with_patch(api, make_purchase_order, procurement_bodies):
    """Updating a purchase order changes its header, one item and adds an item, keeping the others"""
    po = make_purchase_order()
    first, second = po["items"]
    new_item = procurement_bodies.po_item(0)
    change = {
        "erp_vendor_name": f"{po['sent']['erp_vendor_name']} (renamed)",
        "total_amount": 321.5,
        "tax": 12.25,
        "invoice_number_ref": f"TINV-{procurement_bodies.run_id}-patched",
        "items": [{"id": first["id"], "quantity": 99}, new_item],
    }
    with allure.step("Rename the vendor, change the total and tax, change one item's quantity, add an item"):
        answer = expect_status(api.patch(f"/purchase-orders/{po['id']}", json=change), 200)
    assert isinstance(answer, dict), f"PATCH /purchase-orders/{{id}} should answer the PO, got {answer!r}"
    assert answer.get("id") == po["id"], f"the PATCH answer is about {answer.get('id')!r}, not {po['id']}"
    assert answer.get("items_count") == 3, (
        f"two items plus one added make 3, items_count says {answer.get('items_count')!r}"
    )
    assert_same_fields(change, answer, "The PATCH answer", ("erp_vendor_name", "total_amount"))
    assert "last_modified_date" in answer, f"the PATCH answer has no last_modified_date: {answer}"
    stored = read_po(api, po["id"])
    with allure.step("Check the purchase order read back carries every change and kept the rest"):
        assert_same_fields(
            change, stored, "The patched PO", ("erp_vendor_name", "total_amount", "tax", "invoice_number_ref")
        )
        assert_same_fields(po["sent"], stored, "The patched PO", ("po_number", "external_id", "date"))
        items = stored["items"]
        assert len(items) == 3, f"the PO should have 3 items after the PATCH, got {len(items)}: {items}"
        changed = item_by(items, "id", first["id"], "The patched PO")
        assert_same_fields({"quantity": 99, "name": first["name"]}, changed, "The changed item")
        kept = item_by(items, "id", second["id"], "The patched PO")
        assert_same_fields(po["sent"]["items"][1], kept, "The untouched item", ("name", "quantity", "price", "sku"))
        added = item_by(items, "external_id", new_item["external_id"], "The patched PO")
        assert_same_fields(new_item, added, "The added item")
