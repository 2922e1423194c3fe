"""Invoices: the export status the API reports is the one it keeps (CONTRACT §12.6)."""

import allure
import pytest

from fixtures.checks import expect_status
from fixtures.invoices import export_id, invoice_status, mark_exported, read_back

pytestmark = [pytest.mark.api_area("Invoices"), pytest.mark.contract("§12.6")]


def test_an_invoice_reported_exported_is_stored_exported(api, ready_invoice, run_id, waiter):
    """An invoice mark-exported reports as updated reads back exported, by id and in the exported list"""
    answer = mark_exported(api, [ready_invoice], export_transaction_id=f"TX-{run_id}")
    with allure.step("Check mark-exported reports the invoice as updated"):
        assert export_id(ready_invoice) in answer["updated"], f"expected the invoice in updated[]: {answer}"
    stored = read_back(api, waiter, ready_invoice["id"], lambda i: invoice_status(i) == "exported", "its export")
    with allure.step("Check the stored invoice is exported, with its export date"):
        assert invoice_status(stored) == "exported", (
            f"mark-exported reported the invoice updated, but it reads back as {stored['status']!r}"
        )
        assert stored.get("exported_date_utc") or stored.get("exported_date"), f"no exported_date: {stored}"
    with allure.step("List exported invoices among this one and check it is there"):
        listed = expect_status(api.get("/invoices", params={"status": "exported", "invoice_ids": stored["id"]}), 200)
        ids = [inv.get("id") for inv in listed.get("results", [])]
        assert ids == [stored["id"]], f"status=exported should list the exported invoice {stored['id']}, got {ids}"
