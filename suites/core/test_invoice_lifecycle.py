"""Invoices: structured create, the statuses an invoice moves through, and the transitions the API
refuses (CONTRACT §12, §12.1, §12.7)."""

import allure
import pytest

from fixtures.checks import assert_error_response, assert_fields_equal, assert_keys, expect_status
from fixtures.invoices import INVOICE_KEYS, approvers_of, export_id, mark_exported, read_invoice

pytestmark = pytest.mark.api_area("Invoices")

HEADER_FIELDS = ("invoice_date", "due_date", "total_amount", "total_tax", "currency", "type", "purchase_order")


def test_a_complete_structured_invoice_is_created_and_waits_for_approval(api, invoice_payloads, billing_vendor):
    """A complete structured invoice is created with 201 and waits for its approvers"""
    body = invoice_payloads.body()
    with allure.step("Create an invoice whose lines and tax add up to its total"):
        created = expect_status(api.post("/invoices", json=body), 201)
    with allure.step("Check the answer is the invoice, pending approval, with every header field as sent"):
        assert_keys(created, INVOICE_KEYS, "POST /invoices answer")
        assert isinstance(created["id"], str) and created["id"], f"an invoice id is a string, got {created['id']!r}"
        assert created["status"] == "pending-approval", (
            f"a complete, consistent invoice should wait for approval, it is {created['status']!r}: "
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
    stored = read_invoice(api, created["id"])
    with allure.step("Check the invoice reads back by its id in the same status"):
        assert stored["id"] == created["id"], f"asked for invoice {created['id']}, got {stored['id']}"
        assert stored["status"] == "pending-approval", f"the stored invoice is {stored['status']!r}"
        assert_fields_equal({k: body[k] for k in HEADER_FIELDS}, stored, "The invoice read by id")


def test_an_invoice_whose_lines_do_not_add_up_needs_attention(api, make_invoice, invoice_payloads):
    """An invoice whose lines and tax do not add up to its total needs attention and has no approvers"""
    body = invoice_payloads.body()
    created = make_invoice(total_amount=round(body["total_amount"] + 10, 2))
    with allure.step("Check the invoice is held for attention, with the reason"):
        assert created["status"] == "needs-attention", (
            f"an invoice whose lines do not add up should need attention, it is {created['status']!r}"
        )
        assert created.get("error"), f"a held invoice should say what is wrong in 'error': {created}"
    with allure.step("Check nobody is asked to approve it yet"):
        assert approvers_of(api, created["id"]) == [], "an invoice held for attention should not be in approval"


def test_flagging_an_invoice_makes_it_incomplete_with_the_reason(api, invoice, run_id):
    """Flagging an invoice moves it to incomplete and records the reason"""
    reason = f"Test Invoice - missing purchase order - {run_id}"
    with allure.step("Flag the invoice: the purchase order is missing"):
        answer = expect_status(api.post(f"/invoices/{invoice['id']}/flag", json={"flagging_reason": reason}), 200)
    with allure.step("Check the answer: success, and the invoice now incomplete"):
        assert_keys(answer, ["success", "invoice"], "POST /invoices/{id}/flag answer")
        assert answer["success"] is True, f"'success' should be true, got {answer['success']!r}"
        assert answer["invoice"].get("id") == invoice["id"], f"the answer names another invoice: {answer['invoice']}"
        assert answer["invoice"].get("status") == "incomplete", (
            f"a flagged invoice should be incomplete, the answer says {answer['invoice'].get('status')!r}"
        )
    stored = read_invoice(api, invoice["id"])
    with allure.step("Check the stored invoice is incomplete"):
        assert stored["status"] == "incomplete", f"the flagged invoice reads back as {stored['status']!r}"


def test_exporting_an_invoice_still_awaiting_approval_is_refused(api, invoice):
    """Marking an invoice that still awaits approval as exported is refused, and it stays unexported"""
    answer = mark_exported(api, [invoice])
    with allure.step("Check the invoice is reported as failed, not updated"):
        assert export_id(invoice) not in answer["updated"], (
            f"an invoice awaiting approval was reported exported: {answer}"
        )
        failed = [f.get("id") for f in answer["failed"]]
        assert export_id(invoice) in failed, f"the refused invoice should be listed in failed[]: {answer}"
    stored = read_invoice(api, invoice["id"])
    with allure.step("Check the invoice still awaits approval"):
        assert stored["status"] == "pending-approval", (
            f"a refused export must not change the invoice, it is now {stored['status']!r}"
        )


def test_an_exported_invoice_can_be_neither_approved_again_nor_flagged(api, exported_invoice):
    """An exported invoice refuses a force-approval and a flag with a clear error, and stays exported"""
    attempts = [
        ("Force-approve the exported invoice", "force-approve", None),
        ("Flag the exported invoice", "flag", {"flagging_reason": "Test Invoice - late correction"}),
    ]
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
    stored = read_invoice(api, exported_invoice["id"])
    with allure.step("Check the invoice is still exported"):
        assert stored["status"] == "exported", f"a refused action changed the invoice to {stored['status']!r}"
