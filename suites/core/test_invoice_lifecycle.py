"""Invoices: structured create, the statuses an invoice moves through, and the transitions the API
refuses (CONTRACT §12, §12.1, §12.7)."""

import allure
import pytest

from fixtures.checks import assert_error_response, assert_fields_equal, assert_keys, expect_status, our_reading
from fixtures.invoices import (
    HELD,
    IN_WORKFLOW,
    INVOICE_KEYS,
    approvers_of,
    export_id,
    invoice_status,
    listed_invoice,
    mark_exported,
    read_back,
)

pytestmark = [pytest.mark.api_area("Invoices"), pytest.mark.contract("§12", "§12.1", "§12.3", "§12.6", "§12.7")]

HEADER_FIELDS = ("invoice_date", "due_date", "total_amount", "total_tax", "currency", "type", "purchase_order")


def test_a_complete_structured_invoice_is_created_and_enters_the_approval_workflow(
    api, invoice_payloads, billing_vendor, guide_routes, waiter
):
    """A complete structured invoice is created with 201 and enters the approval workflow"""
    guide_routes.require_structured_create()
    body = invoice_payloads.body()
    with allure.step("Create an invoice whose lines and tax add up to its total"):
        response = api.post("/invoices", json=body)
    with our_reading("create-invoice-extension", "POST /invoices answers 201 with the invoice's detail"):
        created = expect_status(response, 201)
        assert_keys(created, INVOICE_KEYS, "POST /invoices answer")
    with allure.step("Check the answer is the invoice, in the approval workflow, with every header field as sent"):
        assert isinstance(created["id"], str) and created["id"], f"an invoice id is a string, got {created['id']!r}"
        with our_reading("invoice-lifecycle", "a complete, consistent invoice enters the approval workflow"):
            assert invoice_status(created) in IN_WORKFLOW, (
                f"a complete, consistent invoice should enter the approval workflow, it is {created['status']!r}: "
                f"{created.get('error')}"
            )
        assert_fields_equal({k: body[k] for k in HEADER_FIELDS}, created, "The created invoice")
        assert created.get("number") == body["invoice_number"], (
            f"'number' should be {body['invoice_number']!r}, got {created.get('number')!r}"
        )
        assert created.get("ottimate_vendor_name") == billing_vendor["erp_vendor_name"], (
            f"the invoice should be matched to vendor {billing_vendor['erp_vendor_name']!r}, "
            f"got {created.get('ottimate_vendor_name')!r}"
        )
    stored = read_back(api, waiter, created["id"], lambda i: True, "the invoice created")
    with allure.step("Check the invoice reads back by its id in the same status"):
        assert stored["id"] == created["id"], f"asked for invoice {created['id']}, got {stored['id']}"
        assert invoice_status(stored) == invoice_status(created), f"the stored invoice is {stored['status']!r}"
        assert_fields_equal({k: body[k] for k in HEADER_FIELDS}, stored, "The invoice read by id")


def test_an_invoice_whose_lines_do_not_add_up_is_held(api, make_invoice, invoice_payloads):
    """An invoice whose lines and tax do not add up to its total is held (needs attention) and has no approvers"""
    body = invoice_payloads.body()
    created = make_invoice(total_amount=round(body["total_amount"] + 10, 2))
    with allure.step("Check the invoice is held, not sent for approval, with the reason"):
        with our_reading("invoice-lifecycle", "an invoice whose lines do not add up is held, not sent for approval"):
            assert invoice_status(created) in HELD, (
                f"an invoice whose lines do not add up should be held for attention, it is {created['status']!r}"
            )
        with our_reading("invoice-lifecycle", "a held invoice is 'needs-attention' (not 'incomplete')", soft=True):
            assert invoice_status(created) == "needs-attention", f"the held invoice is {created['status']!r}"
        assert created.get("error"), f"a held invoice should say what is wrong in 'error': {created}"
    with allure.step("Check nobody is asked to approve it yet"):
        assert approvers_of(api, created["id"]) == [], "an invoice held for attention should not be in approval"


def test_flagging_an_invoice_makes_it_incomplete_with_the_reason(api, invoice, run_id, may_notify_users, waiter):
    """Flagging an invoice moves it to incomplete and records the reason"""
    reason = f"Test Invoice - missing purchase order - {run_id}"
    with allure.step("Flag the invoice: the purchase order is missing"):
        answer = expect_status(api.post(f"/invoices/{invoice['id']}/flag", json={"flagging_reason": reason}), 200)
    with allure.step("Check the answer: success, and the invoice now incomplete"):
        assert_keys(answer, ["success", "invoice"], "POST /invoices/{id}/flag answer")
        assert answer["success"] is True, f"'success' should be true, got {answer['success']!r}"
        assert answer["invoice"].get("id") == invoice["id"], f"the answer names another invoice: {answer['invoice']}"
        assert invoice_status(answer["invoice"]) == "incomplete", (
            f"a flagged invoice should be incomplete, the answer says {answer['invoice'].get('status')!r}"
        )
    stored = read_back(api, waiter, invoice["id"], lambda i: invoice_status(i) == "incomplete", "the flag")
    with allure.step("Check the stored invoice is incomplete"):
        assert invoice_status(stored) == "incomplete", f"the flagged invoice reads back as {stored['status']!r}"


def test_exporting_an_invoice_still_awaiting_approval_is_refused(api, awaiting_approval, waiter):
    """Marking an invoice that still awaits approval as exported is refused, and it stays unexported"""
    invoice = awaiting_approval
    answer = mark_exported(api, [invoice])
    with allure.step("Check the invoice is reported as failed, not updated"):
        assert export_id(invoice) not in answer["updated"], (
            f"an invoice awaiting approval was reported exported: {answer}"
        )
        failed = [f.get("id") for f in answer["failed"]]
        assert export_id(invoice) in failed, f"the refused invoice should be listed in failed[]: {answer}"
    stored = listed_invoice(api, invoice["id"])  # the current status (a detail read may be cached)
    with allure.step("Check the invoice still awaits approval"):
        assert invoice_status(stored) == "pending-approval", (
            f"a refused export must not change the invoice, it is now {stored['status']!r}"
        )


def test_an_exported_invoice_can_be_neither_approved_again_nor_flagged(api, exported_invoice, guide_routes, waiter):
    """An exported invoice refuses a force-approval and a flag with a clear error, and stays exported"""
    attempts = [("Flag the exported invoice", "flag", {"flagging_reason": "Test Invoice - late correction"})]
    if guide_routes.serves_approval_actions(exported_invoice["id"]):  # guide-only: tried where served
        attempts.insert(0, ("Force-approve the exported invoice", "force-approve", None))
    for step, action, body in attempts:
        with allure.step(step):
            response = api.post(f"/invoices/{exported_invoice['id']}/{action}", json=body)
        with allure.step(f"Check the {action} is refused with a 4xx ErrorResponse"):
            # Which 4xx is open: §12.1 leaves the transitions UNKNOWN (DECISIONS "Invalid invoice transitions"
            # chose 409). Not 401 (the credentials are good) nor 404 (the invoice exists): those would say
            # something else than "not from this status".
            assert 400 <= response.status_code < 500 and response.status_code not in (401, 404), (
                f"{action} of an exported invoice should be refused with a 4xx other than 401 and 404, got "
                f"{response.status_code}: {response.text[:500]}"
            )
            assert_error_response(response, response.status_code)
    stored = listed_invoice(api, exported_invoice["id"])  # the current status (a detail read may be cached)
    with allure.step("Check the invoice is still exported"):
        assert invoice_status(stored) == "exported", f"a refused action changed the invoice to {stored['status']!r}"
