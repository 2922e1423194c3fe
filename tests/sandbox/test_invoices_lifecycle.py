"""The invoice lifecycle: every action from every status an invoice can be brought into through the API
either leads where `lifecycle.TRANSITIONS` says or is refused (409 `invalid_transition`, or a per-item
`failed[]`/`skipped[]` entry on the bulk export endpoints) — never a silent change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ottimate_validation.sandbox.invoices import lifecycle

from .conftest import Box, assert_error
from .invoice_helpers import Seeder

REACHABLE = ("needs-attention", "incomplete", "pending-approval", "ready-for-export", "exported")


def _flag(api: httpx.Client, inv: dict[str, Any]) -> httpx.Response:
    return api.post(f"/invoices/{inv['id']}/flag", json={"flagging_reason": "Test Invoice - check"})


def _force(api: httpx.Client, inv: dict[str, Any]) -> httpx.Response:
    return api.post(f"/invoices/{inv['id']}/force-approve")


def _approve_one(api: httpx.Client, inv: dict[str, Any]) -> httpx.Response:
    approvers = api.get(f"/invoices/{inv['id']}/approvers").json()["approvers"]
    approval_id = approvers[0]["id"] if approvers else "pbjappr_none"
    return api.post(f"/invoices/{inv['id']}/approve", json={"approval_id": approval_id})


def _edit(api: httpx.Client, inv: dict[str, Any]) -> httpx.Response:
    return api.patch(f"/invoices/{inv['id']}", json={"notes": "Test Invoice - edited"})


def _add_approver(api: httpx.Client, inv: dict[str, Any]) -> httpx.Response:
    return api.post(f"/invoices/{inv['id']}/approvers", json={"email": "adhoc@example.test"})


# action name in the table, the API call, and the status the call leads to where the table allows it
SINGLE: dict[str, tuple[Callable[[httpx.Client, dict[str, Any]], httpx.Response], Callable[[str], str]]] = {
    "flag": (_flag, lambda s: lifecycle.TRANSITIONS["flag"][s]),  # type: ignore[index]
    "force_approve": (_force, lambda s: "ready-for-export"),
    "approve": (_approve_one, lambda s: "pending-approval"),  # one approver of two
    # an edit keeps the status, except that a complete, consistent held invoice enters approval
    "edit": (_edit, lambda s: "pending-approval" if s == "incomplete" else s),
    "change_approvers": (_add_approver, lambda s: s),
}


@pytest.mark.parametrize("status", REACHABLE)
@pytest.mark.parametrize("action", sorted(SINGLE))
def test_an_invoice_action_follows_the_transition_table(box: Box, api: httpx.Client, action: str, status: str) -> None:
    seeder = Seeder(box, api)
    inv = seeder.in_status(status)
    call, leads_to = SINGLE[action]
    r = call(api, inv)
    if lifecycle.allowed(action, status):  # type: ignore[arg-type]
        assert r.status_code in (200, 201), r.text
        assert seeder.get(inv["id"])["status"] == leads_to(status)
    else:
        body = assert_error(r, 409, "invalid_transition")
        assert status in body["message"]
        assert seeder.get(inv["id"])["status"] == status, "a refused action must not change the status"


@pytest.mark.parametrize("status", REACHABLE)
def test_mark_exported_only_exports_ready_for_export_invoices(box: Box, api: httpx.Client, status: str) -> None:
    seeder = Seeder(box, api)
    inv = seeder.in_status(status)
    r = api.post("/invoices/mark-exported", json={"invoices": [{"invoice_id": inv["invoice_id"]}]})
    assert r.status_code == 200, r.text
    if lifecycle.allowed("mark_exported", status):  # type: ignore[arg-type]
        assert r.json() == {"version": r.json()["version"], "updated": [inv["invoice_id"]], "failed": []}
        assert seeder.get(inv["id"])["status"] == "exported"
    else:
        assert r.json()["updated"] == []
        assert [f["id"] for f in r.json()["failed"]] == [inv["invoice_id"]]
        assert "ready-for-export" in r.json()["failed"][0]["error"]
        assert seeder.get(inv["id"])["status"] == status


@pytest.mark.parametrize("flag_invoice", [False, True])
@pytest.mark.parametrize("status", REACHABLE)
def test_mark_unexported_only_touches_exported_invoices(
    box: Box, api: httpx.Client, status: str, flag_invoice: bool
) -> None:
    seeder = Seeder(box, api)
    inv = seeder.in_status(status)
    r = api.post(
        "/invoices/mark-unexported",
        json={"invoices": [{"invoice_id": inv["invoice_id"]}], "flag_invoice": flag_invoice, "marked_reason": "redo"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    action = "unexport_and_flag" if flag_invoice else "mark_unexported"
    if lifecycle.allowed(action, status):  # type: ignore[arg-type]
        assert body["updated"] == [inv["invoice_id"]] and body["failed"] == [] and body["skipped"] == []
        assert body["flagged"] == ([inv["invoice_id"]] if flag_invoice else [])
        after = seeder.get(inv["id"])
        assert after["status"] == lifecycle.TRANSITIONS[action]["exported"]
        assert "exported_date" not in after and after["exported_date_utc"] is None
    else:
        assert body["updated"] == [] and [s["id"] for s in body["skipped"]] == [inv["invoice_id"]]
        assert seeder.get(inv["id"])["status"] == status


def test_the_table_names_only_documented_statuses() -> None:
    for action, row in lifecycle.TRANSITIONS.items():
        for source, target in row.items():
            assert source in lifecycle.STATUSES and target in lifecycle.STATUSES, action


def test_a_refused_transition_is_applied_when_the_fault_is_on(box: Box, api: httpx.Client) -> None:
    seeder = Seeder(box, api)
    inv = seeder.in_status("exported")
    box.control("PUT", "faults", json={"enabled": ["invalid_transition_allowed"]})
    r = _flag(api, inv)
    assert r.status_code == 200, r.text
    assert seeder.get(inv["id"])["status"] == "incomplete"
