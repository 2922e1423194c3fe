"""Receipts in bulk: 202 and a batch receiving against POs found either way (CONTRACT §15, §16)."""

import allure
import pytest

from fixtures.batches import results_by_task
from fixtures.checks import expect_status
from fixtures.procurement import assert_same_fields

pytestmark = [pytest.mark.api_area("Receipts"), pytest.mark.contract("§15", "§16")]


def test_a_bulk_call_creates_receipts_against_pos_found_either_way(
    api, company, purchase_order, procurement_bodies, run_bulk
):
    """A receipt bulk call answers 202 with a batch whose results hold each receipt linked to its PO"""
    by_id = procurement_bodies.receipt(purchase_order, "ottimate_po_id")
    by_lookup = procurement_bodies.receipt(purchase_order, "po_number")
    run = run_bulk("/receipts/bulk", {"ottimate_company_id": company.id, "receipts": [by_id, by_lookup]})
    with allure.step("Check the 202 summary and the batch results"):
        summary = run.accepted.get("summary")
        assert isinstance(summary, dict), f"the 202 body should carry a summary, got {run.accepted}"
        assert_same_fields({"count": 2, "total_items": 2}, summary, "The bulk summary")
        results = results_by_task(run)
        assert run.progress["tasks_completed"] == 2 and run.progress["tasks_failed"] == 0, (
            f"both receipts are valid: expected 2 completed and 0 failed, got {run.progress}"
        )
        made = {r["result"].get("receipt_number"): r["result"] for r in results if isinstance(r.get("result"), dict)}
        assert set(made) == {by_id["receipt_number"], by_lookup["receipt_number"]}, (
            f"the results should be receipts {by_id['receipt_number']} and {by_lookup['receipt_number']}, "
            f"got {sorted(made)}"
        )
        for number, result in made.items():
            assert result.get("ottimate_po_id") == purchase_order["id"], (
                f"receipt {number} should be linked to PO {purchase_order['id']}, got {result.get('ottimate_po_id')!r}"
            )
    with allure.step("List the PO's receipts and find both"):
        body = expect_status(api.get("/receipts", params={"ottimate_po_id": purchase_order["id"], "limit": 100}), 200)
        listed = {r.get("receipt_number") for r in body["receipts"]}
        assert set(made) <= listed, f"the PO's receipt list lacks {sorted(set(made) - listed)}"
