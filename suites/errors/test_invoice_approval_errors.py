"""Approvals: approving twice, removing a given approval, unknown approvals and invalid approvers are
refused with an ErrorResponse and change nothing (CONTRACT §7, §12.8)."""

import allure
import pytest

from fixtures.checks import assert_error_response, our_reading
from fixtures.invoices import approve, approvers_of, invoice_status, listed_invoice

pytestmark = [pytest.mark.api_area("Approvals"), pytest.mark.contract("§7", "§12.8")]


def assert_refused(response, what):
    """The approval actions are guide-only (CONTRACT §12.8: status codes UNKNOWN; DECISIONS "Approval
    actions (extension)"): any 4xx with an ErrorResponse is a clear refusal, except 401, which says the
    credentials were refused (§7), not the action."""
    assert 400 <= response.status_code < 500 and response.status_code != 401, (
        f"{what} should be refused with a 4xx other than 401, got {response.status_code}: {response.text[:500]}"
    )
    return assert_error_response(response, response.status_code)


def pending_approval(make_invoice, guide_routes):
    """A new invoice waiting for its approvers, on a sandbox that serves the approval actions (else skipped)."""
    invoice = make_invoice()
    if invoice_status(invoice) != "pending-approval":
        pytest.skip(
            f"this organisation's approval policy asks no approver: a complete invoice is {invoice.get('status')!r} "
            "as created, so there is no approval to refuse (approval policies are configured per organisation, §12.8)"
        )
    guide_routes.require_approval_actions(invoice["id"])
    return invoice


# The refusals below change nothing when they are refused, so the tests share their invoices (one per module).
@pytest.fixture(scope="module")
def invoice(make_invoice, guide_routes):
    """An invoice waiting for its approvers, shared by the refusals that need no approval given."""
    return pending_approval(make_invoice, guide_routes)


@pytest.fixture(scope="module")
def half_approved(api, make_invoice, guide_routes):
    """An invoice that one of its approvers has approved, the others not yet."""
    invoice = pending_approval(make_invoice, guide_routes)
    approvals = approvers_of(api, invoice["id"])
    if len(approvals) < 2:
        pytest.skip("the invoice has fewer than two assigned approvers")
    approve(api, invoice["id"], approvals[0])
    return invoice, approvals


def test_approving_twice_as_the_same_approver_is_refused(api, half_approved):
    """The same approver approving the invoice a second time is refused and completes nothing"""
    invoice, approvals = half_approved
    with allure.step("Approve again as the approver who already approved"):
        response = api.post(f"/invoices/{invoice['id']}/approve", json={"approval_id": approvals[0]["id"]})
    assert_refused(response, "a second approval by the same approver")
    with allure.step("Check the invoice still waits for the other approvers"):
        status = invoice_status(listed_invoice(api, invoice["id"]))
        assert status == "pending-approval", f"a refused approval moved the invoice to {status!r}"


def test_removing_an_approval_already_given_is_refused(api, half_approved):
    """Removing an approver who has already approved is refused, and the approval stays"""
    invoice, approvals = half_approved
    with allure.step("Remove the approver who already approved"):
        response = api.delete(f"/invoices/{invoice['id']}/approvers/{approvals[0]['id']}")
    assert_refused(response, "removing a given approval")
    with allure.step("Check the approval is still listed"):
        ids = [a["id"] for a in approvers_of(api, invoice["id"])]
        assert approvals[0]["id"] in ids, f"the refused removal dropped the approval anyway: {ids}"


def test_approving_with_an_unknown_approval_is_refused(api, invoice):
    """Approving with an approval id the invoice does not have is refused"""
    with allure.step("Approve with an approval id that does not exist"):
        response = api.post(f"/invoices/{invoice['id']}/approve", json={"approval_id": "pbjappr_unknown"})
    assert_refused(response, "an approval with an unknown approval id")


def test_removing_an_unknown_approval_is_not_found(api, invoice):
    """Removing an approval id the invoice does not have answers 404"""
    with allure.step("Remove an approval that does not exist"):
        response = api.delete(f"/invoices/{invoice['id']}/approvers/pbjappr_00000000000000000000000000000000")
    with our_reading("approval-actions-extension", "removing an approval the invoice does not have answers 404"):
        assert_error_response(response, 404)


def test_adding_an_approver_without_a_valid_email_is_refused(api, invoice):
    """Adding a manual approver whose e-mail is not an address is refused naming the e-mail"""
    with allure.step("Add an approver with the e-mail 'not-an-address'"):
        response = api.post(f"/invoices/{invoice['id']}/approvers", json={"email": "not-an-address"})
    assert_refused(response, "an approver without a valid e-mail")
    assert_error_response(response, response.status_code, mentions="email")
