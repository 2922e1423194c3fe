"""Receipts keep their link to the purchase order: the PO and, line by line, the PO item each received
line was matched to, whichever way it was named (CONTRACT §15)."""

import allure
import pytest

from fixtures.checks import expect_status
from fixtures.procurement import assert_same_fields, item_by

pytestmark = [pytest.mark.api_area("Receipts"), pytest.mark.contract("§15")]


@pytest.fixture(scope="module")
def three_line_po(make_purchase_order):
    """A purchase order with three lines, one for each way a receipt line can name its PO line."""
    return make_purchase_order(items=3)


def test_each_received_line_reads_back_against_the_po_line_it_named(api, three_line_po, procurement_bodies):
    """A receipt reads back linked to its PO, each line to the PO line it named by id, external id or SKU"""
    by_id, by_external, by_sku = three_line_po["items"]
    lines = [
        {
            "external_id": f"TRCX-{procurement_bodies.run_id}-a-{by_id['id'][:8]}",
            "ottimate_po_item_id": by_id["id"],
            "quantity": 1,
        },
        {
            "external_id": f"TRCX-{procurement_bodies.run_id}-b-{by_id['id'][:8]}",
            "po_external_item_id": by_external["external_id"],
            "quantity": 2,
            "price": 1.5,
        },
        {
            "external_id": f"TRCX-{procurement_bodies.run_id}-c-{by_id['id'][:8]}",
            "sku": by_sku["sku"],
            "quantity": 3,
            "uom": "each",
        },
    ]
    body = procurement_bodies.receipt(three_line_po, "po_external_id", items=lines, note="Test Receipt - Größe ✓ 東京")
    with allure.step("Receive three lines, naming their PO lines by id, by external id and by SKU"):
        created = expect_status(api.post("/receipts", json=body), 201)
    with allure.step(f"Read receipt {created['id']} back and check its links to the purchase order"):
        stored = expect_status(api.get(f"/receipts/{created['id']}"), 200)["receipt"]
        assert stored.get("ottimate_po_id") == three_line_po["id"], (
            f"the receipt was sent for PO {three_line_po['id']} (by vendor, location and external id); "
            f"it reads back with ottimate_po_id {stored.get('ottimate_po_id')!r}"
        )
        assert_same_fields(
            body,
            stored,
            "The receipt read by id",
            ("receipt_number", "date", "total_amount", "invoice_number_ref", "note"),
        )
        for line, po_line in zip(lines, (by_id, by_external, by_sku), strict=True):
            got = item_by(stored["items"], "external_id", line["external_id"], "The receipt read by id")
            assert got.get("ottimate_po_item_id") == po_line["id"], (
                f"receipt line {line['external_id']} was received against PO line {po_line['id']}; it reads back "
                f"against {got.get('ottimate_po_item_id')!r}"
            )
            assert_same_fields(
                {k: v for k, v in line.items() if k in ("quantity", "price", "uom")},
                got,
                f"Receipt line {line['external_id']}",
            )
    with allure.step("List the purchase order's receipts: the receipt is there, linked to the PO"):
        listed = expect_status(api.get("/receipts", params={"ottimate_po_id": three_line_po["id"]}), 200)
        row = item_by(listed["receipts"], "id", created["id"], "The PO's receipt list")
        assert row.get("ottimate_po_id") == three_line_po["id"], (
            f"the receipt list shows receipt {created['id']} with ottimate_po_id {row.get('ottimate_po_id')!r}, "
            f"expected {three_line_po['id']}"
        )


def test_posting_a_known_receipt_external_id_updates_that_receipt(api, three_line_po, procurement_bodies, make_receipt):
    """Posting a receipt again with the same external id updates it: one receipt, same id, new values"""
    first = make_receipt(three_line_po)
    again = {**first["sent"], "total_amount": 55.5, "note": f"Test Receipt - corrected - {procurement_bodies.run_id}"}
    with allure.step(f"Post receipt {again['receipt_number']} again with the same external id and new values"):
        second = expect_status(api.post("/receipts", json=again), 201)  # §15, §20: POST answers 201
    assert second.get("id") == first["id"], (
        f"external id {again['external_id']} belongs to receipt {first['id']}: posting it again should update "
        f"that receipt, but answered id {second.get('id')!r}"
    )
    with allure.step("List the receipts with that external id: exactly one, with the new values"):
        listed = expect_status(api.get("/receipts", params={"external_id": again["external_id"]}), 200)
        assert listed["count"] == 1 and len(listed["receipts"]) == 1, (
            f"external id {again['external_id']} should name one receipt, the list holds {listed['count']}"
        )
        assert_same_fields(
            again, listed["receipts"][0], "The receipt after the second post", ("total_amount", "ottimate_po_id")
        )
