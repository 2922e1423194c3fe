"""The structured-invoice story, end to end as a partner's integration runs it: import an invoice from
the partner's system, find it, have every approver approve it, export it to the ERP (CONTRACT §12.1,
§12.5, §12.6, §12.8, §16)."""

import allure
import pytest

from fixtures.checks import assert_keys, our_reading
from fixtures.invoices import (
    IN_WORKFLOW,
    approve_by_every_approver,
    approvers_of,
    export_id,
    find_invoice,
    import_invoices,
    invoice_status,
    mark_exported,
    read_back,
    read_invoice,
)

pytestmark = [pytest.mark.api_area("Invoices"), pytest.mark.contract("§12.1", "§12.5", "§12.6", "§12.8", "§16")]


def test_an_imported_invoice_is_approved_by_every_approver_and_exported(
    api, invoice_payloads, waiter, run_id, guide_routes
):
    """A structured invoice imported from the partner's system is approved by every approver and exported"""
    item = invoice_payloads.import_item()

    run = import_invoices(api, waiter, [item])
    with allure.step("Check the import was accepted as a batch of one invoice and completed without failure"):
        assert run.accepted.get("status") == "processing", f"an import answers status 'processing': {run.accepted}"
        assert (run.accepted.get("summary") or {}).get("invoice_count") == 1, f"summary: {run.accepted}"
        assert run.progress.get("tasks_failed") == 0, f"the import of a valid invoice failed: {run.progress}"
        assert len(run.results) == 1 and run.results[0].get("result"), f"the batch created no invoice: {run.results}"

    # The invoice is found by what it says (its number), as a partner's integration finds it (§12.2); the shape
    # of the batch's result is open (§16: "the created resource"), so it is only compared where it names an id.
    listed = find_invoice(api, item["ottimate_location_id"], item["invoice_number"], run.accepted_at)
    with our_reading("invoice-import", "a task's result is the invoice, with its id"):
        named = run.results[0]["result"].get("id")
        assert named == listed["id"], f"the batch result names invoice {named!r}, the list {listed['id']!r}"

    invoice = read_invoice(api, listed["id"])
    with allure.step("Check the invoice arrived as sent and entered the approval workflow"):
        assert invoice.get("number") == item["invoice_number"], f"number: {invoice.get('number')!r}"
        assert invoice.get("total_amount") == item["total_amount"], f"total_amount: {invoice.get('total_amount')!r}"
        with our_reading("invoice-lifecycle", "a complete, consistent invoice enters the approval workflow"):
            assert invoice_status(invoice) in IN_WORKFLOW, (
                f"a complete imported invoice should enter the approval workflow, it is {invoice['status']!r}: "
                f"{invoice.get('error')}"
            )
        approvers = approvers_of(api, invoice["id"])
        if invoice_status(invoice) == "pending-approval":
            assert approvers, "an invoice waiting for approval should have assigned approvers"

    if invoice_status(invoice) == "pending-approval":
        guide_routes.require_approval_actions(invoice["id"])
        approve_by_every_approver(api, invoice, approvers)
    approved = read_back(api, waiter, invoice["id"], lambda i: invoice_status(i) == "ready-for-export", "its approval")
    with allure.step("Check that, every approver having approved, the invoice is ready for export"):
        assert invoice_status(approved) == "ready-for-export", f"the approved invoice is {approved['status']!r}"

    answer = mark_exported(api, [invoice], export_transaction_id=f"TX-STORY-{run_id}")
    with allure.step("Check the ERP export was recorded"):
        assert answer["updated"] == [export_id(invoice)], f"expected the invoice in updated[]: {answer}"
        exported = read_back(api, waiter, invoice["id"], lambda i: invoice_status(i) == "exported", "its export")
        assert invoice_status(exported) == "exported", f"the exported invoice reads back as {exported['status']!r}"
        assert_keys(exported, ["exported_date_utc"], "exported invoice")
        assert exported["exported_date_utc"], f"an exported invoice has its export date: {exported}"
