"""Invoices beyond upload: structured create, approvals, export status, concurrent edits (412), scoping,
import through the batch engine, images and the receiver export."""

from __future__ import annotations

import base64

import httpx
import pytest

from fixtures.documents import text_only_pdf

from .conftest import Box, assert_error
from .invoice_helpers import Seeder


@pytest.fixture
def seeder(box: Box, api: httpx.Client) -> Seeder:
    return Seeder(box, api)


def _approvers(api: httpx.Client, invoice_id: str) -> list[dict[str, object]]:
    r = api.get(f"/invoices/{invoice_id}/approvers")
    assert r.status_code == 200, r.text
    return list(r.json()["approvers"])


# -- create ------------------------------------------------------------------------------------------


def test_a_complete_structured_invoice_enters_approval_with_the_policy_approvers(seeder: Seeder) -> None:
    inv = seeder.create()
    assert inv["status"] == "pending-approval" and "error" not in inv
    assert isinstance(inv["invoice_id"], int) and len(inv["id"]) == 36
    approvers = _approvers(seeder.api, inv["id"])
    assert len(approvers) == 2
    for a in approvers:
        assert str(a["id"]).startswith("pbjappr_")
        approver = a["approver"]
        assert isinstance(approver, dict)
        assert approver["display_name"].startswith("Test Approver - ")
        assert approver["email"].endswith("@example.test")
        assert a["policy"] is not None


def test_an_invoice_whose_lines_do_not_add_up_needs_attention(seeder: Seeder) -> None:
    inv = seeder.create(total_amount=99.0)
    assert inv["status"] == "needs-attention"
    assert "not the total" in inv["error"]
    assert _approvers(seeder.api, inv["id"]) == []


def test_the_integer_id_reaches_the_same_invoice_as_the_uuid(seeder: Seeder) -> None:
    inv = seeder.create()
    assert seeder.get(str(inv["invoice_id"]))["id"] == inv["id"]


def test_an_unknown_invoice_is_404(api: httpx.Client) -> None:
    assert_error(api.get("/invoices/00000000-0000-4000-8000-000000000000"), 404, "not_found")


def test_a_create_with_a_mistyped_field_names_it(seeder: Seeder) -> None:
    r = seeder.api.post("/invoices", json=seeder.body(total_amount="12"))
    body = assert_error(r, 400, "validation_error")
    assert "total_amount" in body["message"]


def test_custom_fields_are_refused_without_a_spec(seeder: Seeder) -> None:
    r = seeder.api.post("/invoices", json=seeder.body(custom_fields={"x": 1}))
    assert_error(r, 400, "validation_error")


# -- approvals ---------------------------------------------------------------------------------------


def test_every_assigned_approver_must_approve_before_ready_for_export(seeder: Seeder) -> None:
    inv = seeder.create()
    first, second = _approvers(seeder.api, inv["id"])
    r = seeder.api.post(f"/invoices/{inv['id']}/approve", json={"approval_id": first["id"]})
    assert r.status_code == 200 and r.json()["status"] == "pending-approval"
    assert r.json()["approved_date_utc"] is None
    r = seeder.api.post(f"/invoices/{inv['id']}/approve", json={"approver_id": second["approver"]["id"]})  # type: ignore[index]
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ready-for-export" and r.json()["approved_date_utc"]
    assert [a["status"] for a in _approvers(seeder.api, inv["id"])] == ["approved", "approved"]


def test_an_approver_cannot_approve_twice(seeder: Seeder) -> None:
    inv = seeder.create()
    first = _approvers(seeder.api, inv["id"])[0]
    seeder.api.post(f"/invoices/{inv['id']}/approve", json={"approval_id": first["id"]})
    r = seeder.api.post(f"/invoices/{inv['id']}/approve", json={"approval_id": first["id"]})
    assert_error(r, 409, "invalid_transition")


def test_approve_needs_an_approval_or_approver_id(seeder: Seeder) -> None:
    inv = seeder.create()
    assert_error(seeder.api.post(f"/invoices/{inv['id']}/approve", json={}), 400, "validation_error")
    r = seeder.api.post(f"/invoices/{inv['id']}/approve", json={"approval_id": "pbjappr_unknown"})
    assert_error(r, 404, "not_found")


def test_a_manual_approver_is_added_and_must_approve_too(seeder: Seeder) -> None:
    inv = seeder.create()
    r = seeder.api.post(f"/invoices/{inv['id']}/approvers", json={"email": "Manual.Approver@example.test"})
    assert r.status_code == 201, r.text
    manual = r.json()["approver"]
    assert manual["policy"] is None and manual["approver"]["email"] == "manual.approver@example.test"
    again = seeder.api.post(f"/invoices/{inv['id']}/approvers", json={"email": "manual.approver@example.test"})
    assert_error(again, 400, "duplicate")
    for a in _approvers(seeder.api, inv["id"])[:2]:
        seeder.api.post(f"/invoices/{inv['id']}/approve", json={"approval_id": a["id"]})
    assert seeder.get(inv["id"])["status"] == "pending-approval"
    seeder.api.post(f"/invoices/{inv['id']}/approve", json={"approval_id": manual["id"]})
    assert seeder.get(inv["id"])["status"] == "ready-for-export"


def test_removing_the_last_pending_approver_completes_the_approval(seeder: Seeder) -> None:
    inv = seeder.create()
    first, second = _approvers(seeder.api, inv["id"])
    seeder.api.post(f"/invoices/{inv['id']}/approve", json={"approval_id": first["id"]})
    r = seeder.api.delete(f"/invoices/{inv['id']}/approvers/{second['id']}")
    assert r.status_code == 204, r.text
    assert [a["id"] for a in _approvers(seeder.api, inv["id"])] == [first["id"]]
    assert seeder.get(inv["id"])["status"] == "ready-for-export"


def test_an_approval_already_given_cannot_be_removed(seeder: Seeder) -> None:
    inv = seeder.create()
    first = _approvers(seeder.api, inv["id"])[0]
    seeder.api.post(f"/invoices/{inv['id']}/approve", json={"approval_id": first["id"]})
    assert_error(seeder.api.delete(f"/invoices/{inv['id']}/approvers/{first['id']}"), 409, "invalid_transition")
    assert_error(seeder.api.delete(f"/invoices/{inv['id']}/approvers/pbjappr_x"), 404, "not_found")


def test_with_the_fault_one_approval_is_enough(box: Box, seeder: Seeder) -> None:
    inv = seeder.create()
    box.control("PUT", "faults", json={"enabled": ["approval_skips_approver"]})
    first = _approvers(seeder.api, inv["id"])[0]
    r = seeder.api.post(f"/invoices/{inv['id']}/approve", json={"approval_id": first["id"]})
    assert r.json()["status"] == "ready-for-export"


# -- flag, export --------------------------------------------------------------------------------------


def test_flag_answers_the_documented_shape_and_records_the_reason(seeder: Seeder) -> None:
    inv = seeder.create()
    r = seeder.api.post(f"/invoices/{inv['id']}/flag", json={"flagging_reason": "Test Invoice - missing PO"})
    assert r.status_code == 200, r.text
    assert r.json()["success"] is True
    assert r.json()["invoice"] == {"id": inv["id"], "invoice_number": inv["number"], "status": "incomplete"}
    assert seeder.get(inv["id"])["error"] == "Test Invoice - missing PO"
    assert seeder.api.post(f"/invoices/{inv['id']}/flag").status_code == 200, "the body is optional"


def test_mark_exported_reports_unknown_ids_as_failed_and_sets_the_export_date(seeder: Seeder) -> None:
    inv = seeder.in_status("ready-for-export")
    r = seeder.api.post(
        "/invoices/mark-exported",
        json={"invoices": [{"invoice_id": inv["invoice_id"]}, {"invoice_id": 1}], "export_transaction_id": "T-1"},
        headers={"X-Export-Batch-Id": "EB-1"},
    )
    assert r.json()["updated"] == [inv["invoice_id"]]
    assert r.json()["failed"] == [{"id": 1, "error": "invoice 1 not found"}]
    after = seeder.api.get(f"/invoices/{inv['id']}", params={"expand": "history"}).json()
    assert after["status"] == "exported" and after["exported_date_utc"]
    assert any("EB-1" in h["message"] for h in after["history"])


def test_mark_exported_needs_a_non_empty_list(api: httpx.Client) -> None:
    assert_error(api.post("/invoices/mark-exported", json={"invoices": []}), 400, "validation_error")
    assert_error(api.post("/invoices/mark-exported", json={}), 400, "validation_error")


def test_with_the_fault_the_export_status_is_not_kept(box: Box, seeder: Seeder) -> None:
    inv = seeder.in_status("ready-for-export")
    box.control("PUT", "faults", json={"enabled": ["export_status_not_persisted"]})
    r = seeder.api.post("/invoices/mark-exported", json={"invoices": [{"invoice_id": inv["invoice_id"]}]})
    assert r.json()["updated"] == [inv["invoice_id"]]
    assert seeder.get(inv["id"])["status"] == "ready-for-export"


# -- PATCH and 412 -------------------------------------------------------------------------------------


def test_patch_with_a_stale_etag_is_refused_with_412(seeder: Seeder) -> None:
    inv = seeder.create()
    etag = seeder.api.get(f"/invoices/{inv['id']}").headers["ETag"]
    r = seeder.api.patch(f"/invoices/{inv['id']}", json={"notes": "first"}, headers={"If-Match": etag})
    assert r.status_code == 200 and r.headers["ETag"] != etag
    stale = seeder.api.patch(f"/invoices/{inv['id']}", json={"notes": "second"}, headers={"If-Match": etag})
    body = assert_error(stale, 412, "precondition_failed")
    assert "modified" in body["message"]
    assert seeder.get(inv["id"])["notes"] == "first"


def test_with_the_fault_a_stale_patch_overwrites(box: Box, seeder: Seeder) -> None:
    inv = seeder.create()
    etag = seeder.api.get(f"/invoices/{inv['id']}").headers["ETag"]
    seeder.api.patch(f"/invoices/{inv['id']}", json={"notes": "first"}, headers={"If-Match": etag})
    box.control("PUT", "faults", json={"enabled": ["invoice_update_lost"]})
    r = seeder.api.patch(f"/invoices/{inv['id']}", json={"notes": "second"}, headers={"If-Match": etag})
    assert r.status_code == 200


def test_patch_updates_and_creates_lines_and_reports_each(seeder: Seeder) -> None:
    inv = seeder.create()
    line = inv["items"][0]
    r = seeder.api.patch(
        f"/invoices/{inv['id']}",
        json={
            "items": [
                {"id": line["id"], "quantity": 3, "dimensions": {"Department": "D1"}},
                {"name": "Test Invoice - Pears", "quantity": 1, "price": 4.0},
                {"id": 1},
                {"name": "no price"},
            ]
        },
    )
    assert r.status_code == 200, r.text
    result = r.json()["items_processing_result"]
    assert result["status"] == "partial_success"
    assert set(result["success"]) == {"0", "1"} and set(result["failure"]) == {"2", "3"}
    items = {i["id"]: i for i in r.json()["items"]}
    assert items[line["id"]]["quantity"] == 3 and items[line["id"]]["dimensions"] == {"Department": "D1"}
    assert len(items) == 3


def test_patch_with_a_new_erp_vendor_id_needs_a_name(seeder: Seeder) -> None:
    inv = seeder.create()
    r = seeder.api.patch(f"/invoices/{inv['id']}", json={"erp_vendor_id": "NEW-V"})
    assert_error(r, 400, "validation_error")
    r = seeder.api.patch(
        f"/invoices/{inv['id']}", json={"erp_vendor_id": "NEW-V", "erp_vendor_name": "Test Vendor - New"}
    )
    assert r.status_code == 200 and r.json()["ottimate_vendor_name"] == "Test Vendor - New"


def test_completing_a_held_invoice_by_patch_sends_it_to_approval(seeder: Seeder) -> None:
    inv = seeder.create(total_amount=1.0)
    assert inv["status"] == "needs-attention"
    r = seeder.api.patch(f"/invoices/{inv['id']}", json={"total_amount": 32.5})
    assert r.json()["status"] == "pending-approval" and "error" not in r.json()


def test_raw_images_replace_the_images(seeder: Seeder) -> None:
    inv = seeder.create()
    data = base64.b64encode(text_only_pdf()).decode()
    r = seeder.api.patch(f"/invoices/{inv['id']}", json={"raw_images": [{"filename": "a.pdf", "data": data}]})
    assert r.status_code == 200 and len(r.json()["images"]) == 1
    bad = base64.b64encode(b"plain text").decode()
    r = seeder.api.patch(f"/invoices/{inv['id']}", json={"raw_images": [{"filename": "a.pdf", "data": bad}]})
    assert_error(r, 400, "unsupported_file_type")


# -- scope ---------------------------------------------------------------------------------------------


def test_a_location_scoped_user_sees_only_its_location(box: Box, api: httpx.Client, seeder: Seeder) -> None:
    mine = seeder.create()
    _, _, locations = box.ids(api)
    other = api.post("/invoices", json={**seeder.body(), "ottimate_location_id": locations[1]}).json()
    with box.api("location") as scoped:
        ids = [i["id"] for i in scoped.get("/invoices").json()["results"]]
        assert mine["id"] in ids and other["id"] not in ids
        assert_error(scoped.get(f"/invoices/{other['id']}"), 403, "forbidden")
        assert_error(scoped.patch(f"/invoices/{other['id']}", json={"notes": "x"}), 403, "forbidden")
        assert_error(scoped.post(f"/invoices/{other['id']}/flag"), 403, "forbidden")
        assert_error(scoped.get(f"/invoices/{other['id']}/approvers"), 403, "forbidden")
        assert_error(scoped.get("/invoices", params={"ottimate_location_ids": locations[1]}), 403, "forbidden")
        r = scoped.post("/invoices/mark-exported", json={"invoices": [{"invoice_id": other["invoice_id"]}]})
        assert r.json()["failed"][0]["id"] == other["invoice_id"]


def test_a_location_of_another_company_is_a_validation_error(box: Box, api: httpx.Client, seeder: Seeder) -> None:
    _, companies, _ = box.ids(api)
    r = api.post("/invoices", json=seeder.body(ottimate_company_id=companies[1]))
    body = assert_error(r, 400, "validation_error")
    assert "does not belong" in body["message"]


# -- list filters --------------------------------------------------------------------------------------


def test_list_filters_by_status_ids_and_search(seeder: Seeder) -> None:
    held = seeder.create(items=[])
    ready = seeder.in_status("ready-for-export")
    api = seeder.api
    by_status = [i["id"] for i in api.get("/invoices", params={"status": "needs-attention"}).json()["results"]]
    assert held["id"] in by_status and ready["id"] not in by_status
    by_ids = api.get("/invoices", params={"invoice_ids": f"{ready['id']},{held['invoice_id']}"}).json()
    assert {i["id"] for i in by_ids["results"]} == {ready["id"], held["id"]}
    found = api.get("/invoices", params={"search": held["number"]}).json()["results"]
    assert [i["id"] for i in found] == [held["id"]]
    assert_error(api.get("/invoices", params={"status": "ready_for_export"}), 400, "invalid_parameter")
    assert_error(api.get("/invoices", params={"limit": 101}), 400, "invalid_parameter")


def test_expand_items_needs_a_window_of_at_most_30_days(api: httpx.Client, seeder: Seeder) -> None:
    seeder.create()
    assert_error(api.get("/invoices", params={"expand": "items"}), 400, "invalid_parameter")
    r = api.get("/invoices", params={"expand": "items", "date_from": "2020-01-01"})
    assert_error(r, 400, "invalid_parameter")
    now = api.get("/invoices").json()["results"][0]["created_at_utc"][:10]
    r = api.get("/invoices", params={"expand": "items", "date_from": now})
    assert r.status_code == 200 and r.json()["results"][0]["items"]


# -- import --------------------------------------------------------------------------------------------


def test_import_answers_202_and_creates_invoices_through_the_batch(box: Box, seeder: Seeder) -> None:
    good = {**seeder.body(), "upload_id": "Test Invoice - import 1"}
    good.pop("ottimate_company_id", None)
    bad = {"upload_id": "Test Invoice - import 2"}  # no location
    r = seeder.api.post("/invoices/import", json=[good, bad])
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "processing" and body["summary"] == {"invoice_count": 2}
    box.control("POST", "clock", json={"advance_seconds": 10})
    progress = seeder.api.get(f"/batch/{body['batch_id']}/progress").json()
    assert progress["status"] == "completed" and progress["tasks_failed"] == 1
    results = seeder.api.get(f"/batch/{body['batch_id']}/results").json()["results"]
    created = next(t["result"] for t in results if t["result"])
    assert created["status"] == "pending-approval" and created["upload_id"] == good["upload_id"]
    assert any("ottimate_location_id" in (t.get("message") or "") for t in results)
    again = seeder.api.post("/invoices/import", json=[good])
    box.control("POST", "clock", json={"advance_seconds": 10})
    rerun = seeder.api.get(f"/batch/{again.json()['batch_id']}/results").json()["results"]
    assert "already used" in rerun[0]["message"]


@pytest.mark.parametrize("body", [{}, [], [{}] * 101])
def test_import_needs_an_array_of_1_to_100_invoices(api: httpx.Client, body: object) -> None:
    assert_error(api.post("/invoices/import", json=body), 400, "validation_error")


def test_import_into_a_location_outside_the_scope_is_403(box: Box, seeder: Seeder) -> None:
    _, _, locations = box.ids(seeder.api)
    with box.api("location") as scoped:
        r = scoped.post("/invoices/import", json=[{"upload_id": "x", "ottimate_location_id": locations[1]}])
    assert_error(r, 403, "forbidden")


# -- images, receiver export ---------------------------------------------------------------------------


def test_images_are_replaced_and_bad_files_reported_per_file(seeder: Seeder) -> None:
    inv = seeder.create()
    files = [("images", ("a.pdf", text_only_pdf(), "application/pdf")), ("images", ("b.txt", b"text", "text/plain"))]
    r = seeder.api.patch(f"/invoices/{inv['id']}/images", files=files)
    assert r.status_code == 200, r.text
    assert len(r.json()["images"]) == 1
    assert r.json()["image_errors"] == [{"source": "b.txt", "error": "not a PDF, JPG/JPEG or PNG file"}]
    assert seeder.get(inv["id"])["images"] == r.json()["images"]
    assert_error(seeder.api.patch(f"/invoices/{inv['id']}/images", files={"x": ("a", b"1")}), 400)


def test_the_receiver_export_lists_exported_catalog_lines(box: Box, seeder: Seeder) -> None:
    inv = seeder.in_status("exported")
    seeder.in_status("ready-for-export")
    params = {"ottimate_company_id": seeder.company_id, "ottimate_location_id": seeder.loc["id"]}
    r = seeder.api.get("/invoices/receiver-export", params=params)
    assert r.status_code == 200, r.text
    assert [x["ottimate_invoice_id"] for x in r.json()["results"]] == [inv["id"]]
    lines = r.json()["results"][0]["receiver_lines"]
    assert [line["catalog_unique_key"] for line in lines] == ["APL-1"]
    assert_error(seeder.api.get("/invoices/receiver-export"), 400, "invalid_parameter")
    _, companies, _ = box.ids(seeder.api)
    wrong = {**params, "ottimate_company_id": companies[1]}
    assert_error(seeder.api.get("/invoices/receiver-export", params=wrong), 400, "validation_error")


def test_an_import_replayed_with_its_idempotency_key_submits_one_batch(seeder: Seeder) -> None:
    body = [{**seeder.body(), "upload_id": "Test Invoice - replayed"}]
    first = seeder.api.post("/invoices/import", json=body, headers={"Idempotency-Key": "imp-1"})
    again = seeder.api.post("/invoices/import", json=body, headers={"Idempotency-Key": "imp-1"})
    assert first.status_code == again.status_code == 202
    assert again.json()["batch_id"] == first.json()["batch_id"]
    assert again.headers["X-Idempotent-Replayed"] == "true"
