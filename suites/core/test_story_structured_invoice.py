"""The structured-invoice story, end to end as a partner's integration runs it: import an invoice from
the partner's system, find it, have every approver approve it, export it to the ERP (CONTRACT §12.1,
§12.5, §12.6, §12.8, §16)."""

import allure
import pytest

from fixtures.checks import assert_keys, expect_status
from fixtures.invoices import (
    approve_by_every_approver,
    approvers_of,
    export_id,
    import_invoices,
    mark_exported,
    read_invoice,
)

pytestmark = pytest.mark.api_area("Invoices")


def test_an_imported_invoice_is_approved_by_every_approver_and_exported(api, invoice_payloads, waiter, run_id):
    """A structured invoice imported from the partner's system is approved by every approver and exported"""
    item = invoice_payloads.import_item()

    run = import_invoices(api, waiter, [item])
    with allure.step("Check the import was accepted as a batch of one invoice and completed without failure"):
        assert run.accepted.get("status") == "processing", f"an import answers status 'processing': {run.accepted}"
        assert (run.accepted.get("summary") or {}).get("invoice_count") == 1, f"summary: {run.accepted}"
        assert run.progress.get("tasks_failed") == 0, f"the import of a valid invoice failed: {run.progress}"
        assert len(run.results) == 1 and run.results[0].get("result"), f"the batch created no invoice: {run.results}"
        invoice_id = run.results[0]["result"].get("id")
        assert invoice_id, f"the batch result names no invoice: {run.results[0]}"

    with allure.step(f"Find the imported invoice {item['invoice_number']} in the invoice list"):
        listed = expect_status(api.get("/invoices", params={"search": item["invoice_number"]}), 200)
        found = [inv for inv in listed.get("results", []) if inv.get("id") == invoice_id]
        assert len(found) == 1, f"searching {item['invoice_number']!r} should list the imported invoice once: {listed}"

    invoice = read_invoice(api, invoice_id)
    with allure.step("Check the invoice arrived as sent and waits for its approvers"):
        assert invoice.get("number") == item["invoice_number"], f"number: {invoice.get('number')!r}"
        assert invoice.get("total_amount") == item["total_amount"], f"total_amount: {invoice.get('total_amount')!r}"
        assert invoice["status"] == "pending-approval", (
            f"a complete imported invoice should wait for approval, it is {invoice['status']!r}: {invoice.get('error')}"
        )
        approvers = approvers_of(api, invoice_id)
        assert approvers, "an invoice waiting for approval should have assigned approvers"

    approved = approve_by_every_approver(api, invoice, approvers)
    with allure.step("Check that, every approver having approved, the invoice is ready for export"):
        assert approved["status"] == "ready-for-export", f"the approved invoice is {approved['status']!r}"

    answer = mark_exported(api, [invoice], export_transaction_id=f"TX-STORY-{run_id}")
    with allure.step("Check the ERP export was recorded"):
        assert answer["updated"] == [export_id(invoice)], f"expected the invoice in updated[]: {answer}"
        exported = read_invoice(api, invoice_id)
        assert exported["status"] == "exported", f"the exported invoice reads back as {exported['status']!r}"
        assert_keys(exported, ["exported_date_utc"], "exported invoice")
        assert exported["exported_date_utc"], f"an exported invoice has its export date: {exported}"
