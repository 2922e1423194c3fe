"""A batch tells the truth about every item: a bad item is counted as failed and reported with its error,
the good ones are stored, the bad one is not (CONTRACT §16)."""

import allure
import pytest

from fixtures.batches import failed_results, results_by_task
from fixtures.checks import expect_status

pytestmark = [pytest.mark.api_area("Batch"), pytest.mark.contract("§16")]


def test_a_bulk_with_one_bad_purchase_order_reports_that_item_failed(
    api, company, po_location, procurement_bodies, run_bulk
):
    """A PO bulk call with one invalid PO counts it in tasks_failed and reports its error in the results"""
    good = [procurement_bodies.purchase_order(None, items=1) for _ in range(2)]
    bad = procurement_bodies.purchase_order(None, items=1)
    del bad["erp_vendor_id"]
    body = {
        "ottimate_company_id": company.id,
        "ottimate_location_id": po_location.id,
        "purchase_orders": [good[0], bad, good[1]],
    }
    run = run_bulk("/purchase-orders/bulk", body)
    with allure.step("Check the progress counts two tasks completed and one failed"):
        counts = {k: run.progress[k] for k in ("tasks_count", "tasks_completed", "tasks_failed")}
        assert counts == {"tasks_count": 3, "tasks_completed": 2, "tasks_failed": 1}, (
            f"one of three POs lacks erp_vendor_id: expected 3 tasks, 2 completed, 1 failed, got {counts}"
        )
        assert run.progress["error"] is None, (
            f"'error' is set only when every task failed; two succeeded, got {run.progress['error']!r}"
        )
    with allure.step("Check the results: one failure naming the missing field, two stored POs"):
        results = results_by_task(run)
        assert len(results) == 3, f"three POs make three tasks, the results hold {len(results)}: {results}"
        failures = failed_results(run)
        assert len(failures) == 1, f"exactly one task should have failed (result null), got {failures}"
        message = failures[0].get("message")
        assert isinstance(message, str) and "erp_vendor_id" in message, (
            f"the failed task's message should name the missing erp_vendor_id, got {message!r}"
        )
        stored = sorted(r["result"].get("po_number") for r in results if isinstance(r.get("result"), dict))
        assert stored == sorted(po["po_number"] for po in good), (
            f"the results should hold the two good POs, got {stored}"
        )
    with allure.step("Look the bad purchase order up by its external id: it was not stored"):
        listed = expect_status(api.get("/purchase-orders", params={"external_id": bad["external_id"]}), 200)
        assert listed["count"] == 0, (
            f"the invalid PO {bad['external_id']} was stored anyway: {listed['purchase_orders']}"
        )


def test_a_receipt_bulk_with_one_unmatched_receipt_reports_that_item_failed(
    api, company, purchase_order, procurement_bodies, run_bulk
):
    """A receipt bulk call with a receipt for an unknown PO counts it in tasks_failed and says why"""
    good = procurement_bodies.receipt(purchase_order)
    bad = procurement_bodies.receipt(purchase_order, "po_number", po_number=f"TPO-{procurement_bodies.run_id}-none")
    run = run_bulk("/receipts/bulk", {"ottimate_company_id": company.id, "receipts": [bad, good]})
    with allure.step("Check one task completed, one failed with a message, and only the good receipt exists"):
        assert (run.progress["tasks_completed"], run.progress["tasks_failed"]) == (1, 1), (
            f"one of two receipts names no existing PO: expected 1 completed and 1 failed, got {run.progress}"
        )
        failures = failed_results(run)
        assert len(failures) == 1 and isinstance(failures[0].get("message"), str) and failures[0]["message"], (
            f"the failed receipt should be reported with an error message, got {failures}"
        )
        listed = expect_status(api.get("/receipts", params={"external_id": bad["external_id"]}), 200)
        assert listed["count"] == 0, (
            f"the unmatched receipt {bad['external_id']} was stored anyway: {listed['receipts']}"
        )
