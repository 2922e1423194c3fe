"""Purchase orders keep exactly what was sent: every field, item dimensions resolved, one PO per external id
(CONTRACT §14)."""

import allure
import pytest

from fixtures.checks import expect_status
from fixtures.procurement import (
    DIMENSION_TYPE,
    assert_dimension_resolved,
    assert_po_items_as_sent,
    assert_same_fields,
    item_by,
)

pytestmark = [pytest.mark.api_area("Purchase orders"), pytest.mark.contract("§14")]

DETAIL_FIELDS = (
    "external_id",
    "po_number",
    "erp_vendor_id",
    "erp_vendor_name",
    "date",
    "total_amount",
    "tax",
    "freight",
    "miscellaneous_charges",
    "invoice_number_ref",
    "is_2_way",
    "ottimate_location_id",
)
LIST_FIELDS = ("external_id", "po_number", "erp_vendor_id", "erp_vendor_name", "date", "total_amount")


def read_po(api, po_id):
    with allure.step(f"Read purchase order {po_id} back by its id"):
        return expect_status(api.get(f"/purchase-orders/{po_id}"), 200)["purchase_order"]


def test_a_purchase_order_with_every_field_and_item_dimensions_reads_back_as_sent(
    api, procurement_bodies, po_location, po_dimension
):
    """A purchase order with every documented field and a dimension on each item reads back identical"""
    body = procurement_bodies.purchase_order(
        po_location.id,
        items=2,
        tax=3.15,
        freight=12.5,
        miscellaneous_charges=0.75,
        invoice_number_ref=f"TINV-{procurement_bodies.run_id}-Ωμέγα 東京",
        is_2_way=True,
        erp_vendor_name=f"Test Vendor - Café Crème Ж - {procurement_bodies.run_id}",
    )
    for item in body["items"]:
        item["dimensions"] = {DIMENSION_TYPE: po_dimension["erp_dimension_id"]}
    body["items"][1]["name"] = f"Test Item - Jalapeño 🌶 - {procurement_bodies.run_id}"
    with allure.step("Create a purchase order with every documented field, each item in a department"):
        created = expect_status(api.post("/purchase-orders", json=body), 201)
        assert_po_items_as_sent(body["items"], created["items"], "The create answer")
        for item in created["items"]:
            assert_dimension_resolved(item, po_dimension, "The create answer")
    stored = read_po(api, created["id"])
    with allure.step("Check every field and every item dimension of the purchase order read by id"):
        assert_same_fields(body, stored, "The PO read by id", DETAIL_FIELDS)
        assert_po_items_as_sent(body["items"], stored["items"], "The PO read by id")
        for item in stored["items"]:
            assert_dimension_resolved(item, po_dimension, "The PO read by id")
    with allure.step("Find the purchase order in the list by its external id"):
        listed = expect_status(api.get("/purchase-orders", params={"external_id": body["external_id"]}), 200)
        row = item_by(listed["purchase_orders"], "id", created["id"], "The PO list")
        assert_same_fields(body, row, "The PO in the list", LIST_FIELDS)


def test_an_item_dimension_moves_to_another_department_and_the_others_keep_theirs(
    api, procurement_bodies, po_location, po_dimension, other_po_dimension
):
    """Changing one item's dimension replaces it there and leaves the other item's dimension alone"""
    body = procurement_bodies.purchase_order(po_location.id, items=2)
    for item in body["items"]:
        item["dimensions"] = {DIMENSION_TYPE: po_dimension["erp_dimension_id"]}
    with allure.step("Create a purchase order with both items in one department"):
        created = expect_status(api.post("/purchase-orders", json=body), 201)
    moved, kept = created["items"]
    change = {"items": [{"id": moved["id"], "dimensions": {DIMENSION_TYPE: other_po_dimension["erp_dimension_id"]}}]}
    with allure.step(f"Move item {moved['id']} to another department"):
        expect_status(api.patch(f"/purchase-orders/{created['id']}", json=change), 200)
    stored = read_po(api, created["id"])
    with allure.step("Check the moved item is in the new department and the other item stayed"):
        assert_dimension_resolved(
            item_by(stored["items"], "id", moved["id"], "The PO"), other_po_dimension, "The moved item"
        )
        assert_dimension_resolved(
            item_by(stored["items"], "id", kept["id"], "The PO"), po_dimension, "The untouched item"
        )


def test_posting_a_known_external_id_updates_that_purchase_order(api, make_purchase_order, procurement_bodies):
    """Posting a purchase order again with the same external id updates it: one PO, same id, new values"""
    first = make_purchase_order(items=2)
    again = {**first["sent"], "total_amount": 999.99, "erp_vendor_name": f"{first['sent']['erp_vendor_name']} (v2)"}
    again["items"] = [{**first["sent"]["items"][0], "quantity": 42}, procurement_bodies.po_item(0)]
    with allure.step(f"Post purchase order {again['po_number']} again with the same external id and new values"):
        second = expect_status(api.post("/purchase-orders", json=again), 201)  # §14, §20: POST answers 201
    assert second.get("id") == first["id"], (
        f"external id {again['external_id']} belongs to PO {first['id']}: posting it again should update that PO, "
        f"but answered id {second.get('id')!r}"
    )
    with allure.step("List the purchase orders with that external id: exactly one, with the new values"):
        listed = expect_status(api.get("/purchase-orders", params={"external_id": again["external_id"]}), 200)
        assert listed["count"] == 1 and len(listed["purchase_orders"]) == 1, (
            f"external id {again['external_id']} should name one PO, the list holds {listed['count']}"
        )
        assert_same_fields(
            again, listed["purchase_orders"][0], "The PO after the second post", ("total_amount", "erp_vendor_name")
        )
    stored = read_po(api, first["id"])
    with allure.step("Check the items: the resent item has its new quantity, once; the new item is there"):
        # Whether items left out of the second post are kept is not documented: only what was sent is checked.
        resent = item_by(stored["items"], "external_id", again["items"][0]["external_id"], "The PO")
        assert_same_fields(again["items"][0], resent, "The resent item", ("name", "quantity", "price", "sku"))
        added = item_by(stored["items"], "external_id", again["items"][1]["external_id"], "The PO")
        assert_same_fields(again["items"][1], added, "The item added by the second post")
