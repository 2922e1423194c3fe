"""Three-way matching, end to end: a purchase order, its receipt, and the invoice that references them
(CONTRACT §12, §14, §15)."""

import allure
import pytest

from fixtures.checks import expect_status
from fixtures.procurement import assert_same_fields, item_by

pytestmark = [pytest.mark.api_area("Purchase orders"), pytest.mark.contract("§12", "§14", "§15")]


def test_a_purchase_order_is_received_and_invoiced(api, po_location, po_vendor, procurement_bodies, create_invoice):
    """A purchase order is received in full, then invoiced: PO, receipt and invoice all point at each other"""
    run_id = procurement_bodies.run_id
    order = procurement_bodies.purchase_order(po_location.id, items=2)

    with allure.step(f"Place purchase order {order['po_number']} with {po_vendor['erp_vendor_name']}"):
        po = expect_status(api.post("/purchase-orders", json=order), 201)
        assert isinstance(po, dict) and po.get("id"), f"POST /purchase-orders should answer the new PO, got {po!r}"
        # The receipt's lines are checked against these below: none there would check nothing.
        assert isinstance(po.get("items"), list) and len(po["items"]) == len(order["items"]), (
            f"POST /purchase-orders should answer the {len(order['items'])} items placed, got {po.get('items')!r}"
        )

    invoice_number = f"TINV-{run_id}-{order['po_number']}"
    delivery = {
        "erp_vendor_id": order["erp_vendor_id"],
        "ottimate_location_id": po_location.id,
        "po_number": order["po_number"],
        "external_id": f"TRCX-{run_id}-{order['po_number']}",
        "receipt_number": f"TRC-{run_id}-{order['po_number']}",
        "date": procurement_bodies.doc_date(1),
        "total_amount": order["total_amount"],
        "invoice_number_ref": invoice_number,
        "note": f"Test Receipt - delivered in full - {run_id}",
        "items": [
            {"po_external_item_id": line["external_id"], "quantity": line["quantity"], "price": line["price"]}
            for line in order["items"]
        ],
    }
    with allure.step("Record the delivery: a receipt for every line, found by vendor, location and PO number"):
        receipt = expect_status(api.post("/receipts", json=delivery), 201)
        assert isinstance(receipt, dict) and receipt.get("ottimate_po_id") == po["id"], (
            f"the receipt should be matched to PO {po['id']}, got {receipt!r}"
        )

    bill = {
        "ottimate_location_id": po_location.id,
        "erp_vendor_id": order["erp_vendor_id"],
        "invoice_number": invoice_number,
        "invoice_date": procurement_bodies.doc_date(0),
        "purchase_order": order["po_number"],
        "total_amount": order["total_amount"],
        "items": [
            {"name": line["name"], "sku": line["sku"], "quantity": line["quantity"], "price": line["price"]}
            for line in order["items"]
        ],
    }
    with allure.step(f"Enter the vendor's invoice {invoice_number}, referencing the purchase order"):
        invoice = create_invoice(bill)

    with allure.step("Read the invoice back: it names the purchase order, the invoice number and the total"):
        stored = expect_status(api.get(f"/invoices/{invoice['id']}"), 200)
        assert_same_fields(
            {"purchase_order": order["po_number"], "number": invoice_number, "total_amount": order["total_amount"]},
            stored,
            "The invoice read by id",
        )
        assert stored.get("ottimate_location_name") == po_location.name, (
            f"the invoice was entered at {po_location.name!r}, reads back at {stored.get('ottimate_location_name')!r}"
        )

    with allure.step("Find the invoice in the invoice list: its row names the purchase order"):
        found = expect_status(api.get("/invoices", params={"invoice_ids": invoice["id"]}), 200)
        row = item_by(found.get("results", []), "id", invoice["id"], "The invoice list")
        assert row.get("purchase_order") == order["po_number"], (
            f"the invoice list shows invoice {invoice['id']} with purchase_order {row.get('purchase_order')!r}, "
            f"expected {order['po_number']}"
        )

    with allure.step("Read the receipt back: it is on the purchase order, every line against its PO line"):
        kept = expect_status(api.get(f"/receipts/{receipt['id']}"), 200)["receipt"]
        assert_same_fields(
            {
                "ottimate_po_id": po["id"],
                "invoice_number_ref": invoice_number,
                "receipt_number": delivery["receipt_number"],
            },
            kept,
            "The receipt read by id",
        )
        for line in po["items"]:
            received = item_by(kept["items"], "ottimate_po_item_id", line["id"], "The receipt's items")
            assert_same_fields({"quantity": line["quantity"], "price": line["price"]}, received, "A received line")

    with allure.step("List the purchase order's receipts: the delivery is the only one"):
        listed = expect_status(api.get("/receipts", params={"ottimate_po_id": po["id"]}), 200)
        assert [r.get("id") for r in listed.get("receipts", [])] == [receipt["id"]], (
            f"PO {po['id']} has one receipt, {receipt['id']}; the list shows {listed.get('receipts')}"
        )
