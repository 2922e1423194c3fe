"""Batches: a bulk job reports its progress as it advances, then its results, and is listed (CONTRACT §16)."""

import allure
import pytest

from fixtures.batches import BATCH_STATUSES, results_by_task
from fixtures.checks import expect_status, is_int

pytestmark = [pytest.mark.api_area("Batch"), pytest.mark.contract("§16")]

LIST_KEYS = ("batch_id", "status", "progress", "tasks_count", "tasks_completed", "tasks_failed", "modified_at")


@pytest.fixture(scope="module")
def finished_batch(company, po_location, procurement_bodies, run_bulk):
    """A PO bulk call of three POs, followed until its batch completed."""
    pos = [procurement_bodies.purchase_order(None, items=1) for _ in range(3)]
    body = {"ottimate_company_id": company.id, "ottimate_location_id": po_location.id, "purchase_orders": pos}
    return pos, run_bulk("/purchase-orders/bulk", body)


def test_batch_progress_advances_until_the_job_completes(finished_batch):
    """Batch progress only moves forward, task by task, until the job is completed"""
    _, run = finished_batch
    seen = run.seen
    if len(seen) < 2:
        # Seen only completed (a fast target finishes before the first poll): nothing shows progress moving.
        pytest.skip("the batch had completed by the first poll: no answer while it ran shows how progress moved")
    with allure.step(f"Check the {len(seen)} progress answers seen while waiting"):
        values = [answer["progress"] for answer in seen]
        assert values == sorted(values), f"progress went backwards while the batch ran: {values}"
        done = [answer["tasks_completed"] + answer["tasks_failed"] for answer in seen]
        assert done == sorted(done), f"finished tasks went backwards while the batch ran: {done}"
        assert all(answer["tasks_count"] == 3 for answer in seen), (
            f"three POs were sent, tasks_count should stay 3: {[a['tasks_count'] for a in seen]}"
        )
        for answer in seen[:-1]:
            assert answer["status"] == "processing" and answer["results_url"] is None, (
                f"before completion a batch is processing, with no results_url: {answer}"
            )


def test_a_completed_batch_has_done_every_task(finished_batch):
    """A completed batch reports every task done, no error, and where its results are"""
    _, run = finished_batch
    with allure.step("Check the completed batch"):
        final = run.progress
        assert (final["tasks_count"], final["tasks_completed"], final["tasks_failed"]) == (3, 3, 0), (
            f"three valid POs: expected 3 tasks, 3 completed and 0 failed, got {final}"
        )
        assert final["error"] is None, f"no task failed, so the batch has no error, got {final['error']!r}"
        assert run.batch_id in final["results_url"], (
            f"the results_url should point at batch {run.batch_id}, got {final['results_url']!r}"
        )


def test_batch_results_hold_one_result_per_task(finished_batch):
    """The results of a completed batch hold one result per task, each the PO it created"""
    pos, run = finished_batch
    results = results_by_task(run)
    with allure.step("Match each result to a PO sent"):
        assert len(results) == 3, f"three POs make three tasks, the results hold {len(results)}: {results}"
        numbers = sorted(r["result"].get("po_number") for r in results if isinstance(r.get("result"), dict))
        assert numbers == sorted(po["po_number"] for po in pos), (
            f"the results should be the POs sent ({sorted(po['po_number'] for po in pos)}), got {numbers}"
        )
        messages = [r.get("message") for r in results if r.get("message")]
        assert not messages, f"no task failed, yet results carry error messages: {messages}"


def test_the_batch_list_shows_a_completed_batch(api, finished_batch):
    """The batch list (completed batches, newest first) shows the batch with its counts"""
    _, run = finished_batch
    with allure.step("List the completed batches, newest first"):
        body = expect_status(api.get("/batch", params={"status": "completed", "limit": 100}), 200)
    assert isinstance(body, dict) and is_int(body.get("count")) and isinstance(body.get("results"), list), (
        f"GET /batch should answer {{count, results}}, got {body!r}"
    )
    mine = [b for b in body["results"] if b.get("batch_id") == run.batch_id]
    assert len(mine) == 1, f"batch {run.batch_id} completed just now but is not in the first page of the list"
    listed = mine[0]
    missing = [key for key in LIST_KEYS if key not in listed]
    assert not missing, f"the listed batch lacks {missing}: {listed}"
    assert listed["status"] == "completed" and listed["status"] in BATCH_STATUSES, f"asked for completed: {listed}"
    counts = (listed["tasks_count"], listed["tasks_completed"], listed["tasks_failed"], listed["progress"])
    assert counts == (3, 3, 0, 1.0), f"the list should show 3 tasks, 3 completed, 0 failed, progress 1.0, got {counts}"
    assert listed.get("completed_at"), f"a completed batch has completed_at, got {listed.get('completed_at')!r}"
    unfinished = [b.get("batch_id") for b in body["results"] if b.get("status") != "completed"]
    assert not unfinished, f"the status=completed filter let through batches still processing: {unfinished}"
