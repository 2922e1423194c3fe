"""Approvals: who must approve an invoice, approving one by one, manual approvers added and removed,
force-approval (CONTRACT §12.1, §12.8).

Who must approve is the organisation's approval policy, configured in the dashboard (§12.8): it is read
from the invoice's approvers, never assumed. The actions (add, remove, approve, force-approve) are in the
approvals guide only, at paths the embedded sandbox chose: probed first, and skipped as "not available on
this sandbox" where they are not served; how they answer is our reading ("approval-actions-extension").
"""

import allure
import pytest

from fixtures.checks import assert_keys, expect_status, our_reading
from fixtures.invoices import (
    APPROVER_KEYS,
    approve,
    approver_name,
    approvers_of,
    invoice_status,
    listed_invoice,
    read_back,
)

pytestmark = [pytest.mark.api_area("Approvals"), pytest.mark.contract("§12.1", "§12.8")]

ACTIONS = "approval-actions-extension"


@pytest.fixture
def to_approve(awaiting_approval, guide_routes):
    """The test's invoice, waiting for its approvers, on a sandbox that serves the approval actions."""
    guide_routes.require_approval_actions(awaiting_approval["id"])
    return awaiting_approval


def add_manual_approver(api, invoice_id, run_id, label):
    email = f"approver+{run_id}-{label}@example.com"
    with allure.step(f"Add {email} as a manual approver"):
        response = api.post(
            f"/invoices/{invoice_id}/approvers",
            json={"email": email, "display_name": f"Test Approver - {label} - {run_id}"},
        )
    with our_reading(ACTIONS, "adding an approver answers 201 with the approval record {approver}"):
        answer = expect_status(response, 201)
        assert isinstance(answer, dict) and isinstance(answer.get("approver"), dict), (
            f"adding an approver should answer the approval record, got {answer!r}"
        )
    return answer["approver"], email


def test_the_invoice_is_ready_for_export_only_after_every_approver_approved(api, to_approve, run_id, waiter):
    """Every approver, a manual one too, must approve before the invoice is ready for export"""
    invoice = to_approve
    manual, email = add_manual_approver(api, invoice["id"], run_id, "controller")
    approvers = approvers_of(api, invoice["id"])
    with allure.step("Check the manual approver joined the assigned ones, each with id, approver, policy and date"):
        assert manual["id"] in [a["id"] for a in approvers], f"{email} is not among the approvers: {approvers}"
        assert len(approvers) >= 2, f"expected the assigned approvers and the manual one, got {len(approvers)}"
        for approval in approvers:
            assert_keys(approval, APPROVER_KEYS, "approval record")
            assert isinstance(approval["id"], str) and approval["id"], f"approval id should be a string: {approval}"
            assert_keys(approval["approver"], ["id", "email", "display_name"], "approver")
        ids = [a["id"] for a in approvers]
        assert len(set(ids)) == len(ids), f"each approval record should have its own id: {ids}"
    *first, last = approvers
    for approval in first:
        approve(api, invoice["id"], approval)
        waiting = listed_invoice(api, invoice["id"])  # the current status (a detail read may be cached)
        with allure.step(f"Check the invoice still waits for the others after {approver_name(approval)}"):
            assert invoice_status(waiting) == "pending-approval", (
                f"after the approval of {approver_name(approval)} the invoice should still wait for the remaining "
                f"approvers (§12.1: all assigned approvers), it is {waiting['status']!r}"
            )
    approve(api, invoice["id"], last)
    stored = read_back(api, waiter, invoice["id"], lambda i: invoice_status(i) != "pending-approval", "its approval")
    with allure.step("Check the last approval made it ready for export, with its approval date"):
        assert invoice_status(stored) == "ready-for-export", (
            f"after every approver approved, the invoice should be ready for export, it is {stored['status']!r}"
        )
        assert stored.get("approved_date_utc") or stored.get("approved_date"), (
            f"the approved invoice has no approved_date: {stored}"
        )


def test_a_manual_approver_is_added_without_a_policy_and_can_be_removed(api, to_approve, run_id, waiter):
    """A manual approver is added without a policy and can be removed again"""
    invoice = to_approve
    manual, email = add_manual_approver(api, invoice["id"], run_id, "temp")
    with allure.step("Check the added approver: the e-mail sent and no approval policy"):
        assert_keys(manual, APPROVER_KEYS, "added approval record")
        assert manual["approver"].get("email") == email, f"approver e-mail should be {email!r}: {manual}"
        assert not manual["policy"], f"a manually added approver comes from no policy, got {manual['policy']!r}"
    with allure.step("Remove the manual approver"):
        response = api.delete(f"/invoices/{invoice['id']}/approvers/{manual['id']}")
    with our_reading(ACTIONS, "removing an approver answers 204 (or 200)"):
        expect_status(response, 204, 200)
    remaining = approvers_of(api, invoice["id"])
    with allure.step("Check the approver is gone and the invoice still waits for the others"):
        assert manual["id"] not in [a["id"] for a in remaining], f"the removed approver is still listed: {remaining}"
        assert remaining, "removing the manual approver should leave the assigned ones"
    stored = listed_invoice(api, invoice["id"])  # the current status (a detail read may be cached)
    assert invoice_status(stored) == "pending-approval", (
        "removing one approver while others still have to approve should leave the invoice pending approval"
    )


def test_force_approval_bypasses_the_approval_chain(api, to_approve, waiter):
    """Force-approving an invoice makes it ready for export without waiting for the approvers"""
    invoice = to_approve
    with allure.step("Force-approve the invoice"):
        response = api.post(f"/invoices/{invoice['id']}/force-approve")
    with our_reading(ACTIONS, "force-approve answers 200"):
        expect_status(response, 200)
    stored = read_back(api, waiter, invoice["id"], lambda i: invoice_status(i) != "pending-approval", "the approval")
    with allure.step("Check the invoice is ready for export with an approval date"):
        assert invoice_status(stored) == "ready-for-export", f"a force-approved invoice is {stored['status']!r}"
        assert stored.get("approved_date_utc") or stored.get("approved_date"), f"no approved_date: {stored}"
