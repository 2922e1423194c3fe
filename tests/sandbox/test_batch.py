"""The batch engine (§16): tasks finish on the sandbox clock; progress, results and the batch list."""

from __future__ import annotations

import httpx

from .conftest import Box, assert_error
from .procurement import finish_batches, location_of, po_body


def _submit(box: Box, api: httpx.Client, *pos: dict[str, object]) -> str:
    _, companies, locations = box.ids(api)
    r = api.post(
        "/purchase-orders/bulk",
        json={"ottimate_company_id": companies[0], "ottimate_location_id": locations[0], "purchase_orders": list(pos)},
    )
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "processing"
    assert body["batch_url"] == f"/v1/batch/{body['batch_id']}/progress"
    assert body["results_url"] == f"/v1/batch/{body['batch_id']}/results"
    return str(body["batch_id"])


def test_progress_moves_one_task_per_second_of_sandbox_time(box: Box, api: httpx.Client) -> None:
    lid = location_of(box, api)
    batch_id = _submit(box, api, po_body(lid, 1), po_body(lid, 2))
    first = api.get(f"/batch/{batch_id}/progress").json()
    assert (first["progress"], first["status"], first["results_url"]) == (0.0, "processing", None)
    box.control("POST", "clock", json={"advance_seconds": 1.2})
    half = api.get(f"/batch/{batch_id}/progress").json()
    assert (half["progress"], half["tasks_completed"], half["status"]) == (0.5, 1, "processing")
    box.control("POST", "clock", json={"advance_seconds": 1})
    done = api.get(f"/batch/{batch_id}/progress").json()
    assert (done["progress"], done["tasks_count"], done["tasks_completed"], done["tasks_failed"]) == (1.0, 2, 2, 0)
    assert done["status"] == "completed"
    assert done["results_url"] == f"/v1/batch/{batch_id}/results"
    assert done["error"] is None


def test_a_failing_item_fails_only_its_task_and_says_why(box: Box, api: httpx.Client) -> None:
    lid = location_of(box, api)
    batch_id = _submit(box, api, po_body(lid, 1), {"po_number": "missing everything else"})
    finish_batches(box)
    progress = api.get(f"/batch/{batch_id}/progress").json()
    assert (progress["tasks_completed"], progress["tasks_failed"], progress["error"]) == (1, 1, None)
    ok, failed = api.get(f"/batch/{batch_id}/results").json()["results"]
    assert ok["result"]["po_number"] == "PO-1" and "message" not in ok
    assert failed["result"] is None and "erp_vendor_id" in failed["message"]
    assert isinstance(ok["task"], int) and ok["task"] != failed["task"]


def test_a_batch_whose_every_task_failed_reports_an_error(box: Box, api: httpx.Client) -> None:
    batch_id = _submit(box, api, {"po_number": "x"}, {"po_number": "y"})
    finish_batches(box)
    progress = api.get(f"/batch/{batch_id}/progress").json()
    assert progress["status"] == "completed" and progress["tasks_failed"] == 2
    assert isinstance(progress["error"], str) and progress["error"]


def test_results_before_completion_hold_the_tasks_finished_so_far(box: Box, api: httpx.Client) -> None:
    lid = location_of(box, api)
    batch_id = _submit(box, api, po_body(lid, 1), po_body(lid, 2), po_body(lid, 3))
    assert api.get(f"/batch/{batch_id}/results").json()["results"] == []
    box.control("POST", "clock", json={"advance_seconds": 2.5})
    assert len(api.get(f"/batch/{batch_id}/results").json()["results"]) == 2


def test_the_created_purchase_orders_exist_once_their_tasks_ran(box: Box, api: httpx.Client) -> None:
    lid = location_of(box, api)
    _submit(box, api, po_body(lid, 7))
    assert api.get("/purchase-orders", params={"external_id": "EXT-PO-7"}).json()["count"] == 0
    finish_batches(box)
    assert api.get("/purchase-orders", params={"external_id": "EXT-PO-7"}).json()["count"] == 1


def test_task_duration_is_configurable_through_the_control_plane(box: Box, api: httpx.Client) -> None:
    box.control("PATCH", "config", json={"batch_task_seconds": 0})
    batch_id = _submit(box, api, po_body(location_of(box, api)))
    assert api.get(f"/batch/{batch_id}/progress").json()["status"] == "completed"


def test_another_users_batch_is_forbidden_and_an_unknown_one_not_found(box: Box, api: httpx.Client) -> None:
    batch_id = _submit(box, api, po_body(location_of(box, api)))
    with box.api("company") as other:
        assert_error(other.get(f"/batch/{batch_id}/progress"), 403, "forbidden")
        assert_error(other.get(f"/batch/{batch_id}/results"), 403, "forbidden")
        assert other.get("/batch").json()["count"] == 0
    assert_error(api.get("/batch/bat_unknown/progress"), 404, "not_found")


def test_the_batch_list_is_newest_modified_first_and_filters_by_status(box: Box, api: httpx.Client) -> None:
    lid = location_of(box, api)
    older = _submit(box, api, po_body(lid, 1))
    finish_batches(box)
    newer = _submit(box, api, po_body(lid, 2))
    listed = api.get("/batch").json()
    assert [b["batch_id"] for b in listed["results"]] == [newer, older]
    assert listed["results"][0]["completed_at"] is None
    completed = api.get("/batch", params={"status": "completed"}).json()["results"]
    assert [b["batch_id"] for b in completed] == [older]
    assert_error(api.get("/batch", params={"status": "done"}), 400, "invalid_parameter")
    assert api.get("/batch", params={"date_from": "2000-01-01", "date_to": "2000-01-02"}).json()["count"] == 0


def test_fault_batch_reports_success_for_failed_items(box: Box, api: httpx.Client) -> None:
    box.control("PUT", "faults", json={"enabled": ["batch_reports_success_for_failed_items"]})
    batch_id = _submit(box, api, {"po_number": "x"})
    finish_batches(box)
    progress = api.get(f"/batch/{batch_id}/progress").json()
    assert (progress["tasks_completed"], progress["tasks_failed"], progress["error"]) == (1, 0, None)


def test_the_engine_turns_a_raised_api_error_into_a_failed_task() -> None:
    """The producer interface other areas use (`state.batches.submit`), without HTTP."""
    from ottimate_validation.sandbox.core.errors import BadRequest
    from ottimate_validation.sandbox.state import SandboxState

    state = SandboxState(seed=1)
    user = state.org.named_users["account"]

    def process(index: int, item: object) -> tuple[dict[str, object] | None, str | None]:
        if item == "bad":
            raise BadRequest("item is bad")
        return {"item": item}, None

    batch = state.batches.submit(user, "test", ["good", "bad"], process)
    assert batch.id.startswith("bat_") and batch.status == "processing"
    state.clock.advance(2)
    with state.lock:
        state.scheduler.run_due()
    assert batch.status == "completed" and batch.completed_at == batch.modified_at
    assert [(t.result, t.message) for t in batch.tasks] == [({"item": "good"}, None), (None, "item is bad")]
    assert state.batches.submit(user, "test", [], process).status == "completed"
