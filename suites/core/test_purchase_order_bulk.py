"""Purchase orders in bulk: 202 and a batch that creates new POs and updates known ones (CONTRACT §14, §16)."""

import allure
import pytest

from fixtures.batches import results_by_task
from fixtures.checks import expect_status
from fixtures.procurement import assert_same_fields

pytestmark = [pytest.mark.api_area("Purchase orders"), pytest.mark.contract("§14", "§16")]


def test_a_bulk_call_creates_new_purchase_orders_and_updates_known_ones(
    api, company, po_location, make_purchase_order, procurement_bodies, run_bulk
):
    """A PO bulk call answers 202 with a batch whose results hold one new and one updated PO"""
    known = make_purchase_order()
    update = {**known["sent"], "total_amount": 777.25, "erp_vendor_name": f"{known['sent']['erp_vendor_name']} (bulk)"}
    update.pop("ottimate_location_id")
    new = procurement_bodies.purchase_order(None, items=3)
    body = {"ottimate_company_id": company.id, "ottimate_location_id": po_location.id, "purchase_orders": [new, update]}
    run = run_bulk("/purchase-orders/bulk", body)
    summary = run.accepted.get("summary")
    with allure.step("Check the 202 summary counts the POs and their items"):
        assert isinstance(summary, dict), f"the 202 body should carry a summary, got {run.accepted}"
        assert_same_fields({"count": 2, "total_items": 5}, summary, "The bulk summary")
    with allure.step("Check the batch results: both POs succeeded"):
        results = results_by_task(run)
        assert len(results) == 2, f"two POs make two tasks, the results hold {len(results)}: {results}"
        assert run.progress["tasks_completed"] == 2 and run.progress["tasks_failed"] == 0, (
            f"both POs are valid: expected 2 completed and 0 failed, got {run.progress}"
        )
        by_number = {r["result"].get("po_number"): r["result"] for r in results if isinstance(r.get("result"), dict)}
        assert set(by_number) == {new["po_number"], update["po_number"]}, (
            f"the results should be POs {new['po_number']} and {update['po_number']}, got {sorted(by_number)}"
        )
        assert by_number[update["po_number"]].get("id") == known["id"], (
            f"PO {update['po_number']} exists with id {known['id']} (same external id): the bulk call should "
            f"update it, but answered id {by_number[update['po_number']].get('id')!r}"
        )
    with allure.step(f"Read the updated purchase order {known['id']} back"):
        stored = expect_status(api.get(f"/purchase-orders/{known['id']}"), 200)["purchase_order"]
        assert_same_fields(update, stored, "The PO updated in bulk", ("total_amount", "erp_vendor_name"))
    with allure.step("Find the new purchase order by its external id at the default location"):
        listed = expect_status(api.get("/purchase-orders", params={"external_id": new["external_id"]}), 200)
        assert listed["count"] == 1, f"the bulk call should have created one PO {new['external_id']}: {listed}"
        assert listed["purchase_orders"][0].get("ottimate_location_id") == po_location.id, (
            f"a bulk PO without a location takes the envelope's location {po_location.id}: "
            f"{listed['purchase_orders'][0]}"
        )
