"""Invoices: marking invoices exported to the ERP and back, and the receiver export of exported
lines (CONTRACT §12.6, §12.10)."""

import allure
import pytest

from fixtures.checks import assert_keys, expect_status, our_reading
from fixtures.invoices import export_id, invoice_status, mark_exported, read_back

pytestmark = [pytest.mark.api_area("Invoices"), pytest.mark.contract("§12.1", "§12.6", "§12.10")]


def mark_unexported(api, invoice, **options):
    with allure.step("Mark the invoice as not exported" + (" and flag it" if options.get("flag_invoice") else "")):
        answer = expect_status(
            api.post("/invoices/mark-unexported", json={"invoices": [{"invoice_id": export_id(invoice)}], **options}),
            200,
        )
    assert_keys(answer, ["updated", "failed"], "POST /invoices/mark-unexported answer")
    return answer


def test_marking_a_ready_invoice_exported_records_the_export(
    api, company, invoice_location, ready_invoice, run_id, waiter
):
    """Marking an invoice ready for export as exported makes it exported, and the receiver export lists its lines"""
    answer = mark_exported(api, [ready_invoice], export_transaction_id=f"TX-{run_id}", marked_reason="Test export")
    with allure.step("Check the invoice is listed as updated and nothing failed"):
        assert answer["updated"] == [export_id(ready_invoice)], f"expected exactly the invoice in updated[]: {answer}"
        assert answer["failed"] == [], f"nothing should fail: {answer['failed']}"
    stored = read_back(api, waiter, ready_invoice["id"], lambda i: invoice_status(i) == "exported", "its export")
    with allure.step("Check the invoice is exported with an export date"):
        assert invoice_status(stored) == "exported", f"the exported invoice reads back as {stored['status']!r}"
        assert stored.get("exported_date_utc") or stored.get("exported_date"), f"no exported_date: {stored}"
    params = {"ottimate_company_id": company.id, "ottimate_location_id": invoice_location.id, "limit": 200}
    if stored.get("exported_date_utc"):
        params["exported_after"] = stored["exported_date_utc"]  # only the newest exports: the list stays short
    with allure.step("Read the receiver export of the location"):
        body = expect_status(api.get("/invoices/receiver-export", params=params), 200)
    with allure.step("Check the envelope"):
        assert_keys(body, ["count", "next", "previous", "page", "per_page", "results"], "receiver export")
    # Only vendors with item validation enabled (an Ottimate-side setting) and catalog-matched lines are
    # listed (§12.10): that the run's vendor and lines qualify is our reading of this sandbox.
    with (
        allure.step("Find the exported invoice with its lines"),
        our_reading("receiver-export", "the run's vendor is item-validated and its lines with a SKU qualify"),
    ):
        found = [r for r in body["results"] if r.get("ottimate_invoice_id") == stored["id"]]
        assert len(found) == 1, (
            f"the exported invoice {stored['id']} should be listed once in the receiver export, "
            f"found {len(found)} among {len(body['results'])}"
        )
        entry = found[0]
        assert entry.get("receiver_status") == "success", f"receiver_status should be 'success': {entry}"
        assert entry.get("ottimate_location_id") == invoice_location.id, f"listed for another location: {entry}"
        lines = entry.get("receiver_lines")
        assert isinstance(lines, list) and lines, f"the exported invoice's lines are missing: {entry}"
        assert_keys(lines[0], ["description", "quantity_received", "unit_price", "extended_price"], "receiver line")


def test_marking_an_exported_invoice_unexported_removes_the_export(api, exported_invoice, waiter):
    """Marking an exported invoice as not exported removes its export, and it can be exported again"""
    answer = mark_unexported(api, exported_invoice, marked_reason="Test Invoice - re-export")
    with allure.step("Check the invoice is listed as updated"):
        assert answer["updated"] == [export_id(exported_invoice)], f"expected the invoice in updated[]: {answer}"
    stored = read_back(api, waiter, exported_invoice["id"], lambda i: invoice_status(i) != "exported", "the unexport")
    with allure.step("Check the invoice is no longer exported"):
        assert invoice_status(stored) != "exported", f"the unexported invoice is still {stored['status']!r}"
        assert not stored.get("exported_date_utc") and not stored.get("exported_date"), (
            f"an unexported invoice should carry no exported_date: {stored}"
        )
    # Which status it returns to is open (§12.1): ours, ready for export again (decision "export-rules").
    with allure.step("Check it is ready for export again, and export it again"):
        with our_reading("export-rules", "an unexported invoice is ready for export again"):
            assert invoice_status(stored) == "ready-for-export", f"the unexported invoice is {stored['status']!r}"
        again = mark_exported(api, [stored])
        assert again["updated"] == [export_id(stored)], f"the unexported invoice could not be exported again: {again}"


def test_unexporting_with_a_flag_makes_the_invoice_incomplete(api, exported_invoice, may_notify_users, waiter):
    """Marking an exported invoice as not exported with flag_invoice makes it incomplete, flagged"""
    answer = mark_unexported(api, exported_invoice, marked_reason="Test Invoice - wrong GL", flag_invoice=True)
    with allure.step("Check the invoice is listed as updated and flagged"):
        assert export_id(exported_invoice) in answer["updated"], f"expected the invoice in updated[]: {answer}"
        assert export_id(exported_invoice) in (answer.get("flagged") or []), f"expected it in flagged[]: {answer}"
    stored = read_back(api, waiter, exported_invoice["id"], lambda i: invoice_status(i) == "incomplete", "the flag")
    with allure.step("Check the invoice is incomplete, waiting for the fix"):
        assert invoice_status(stored) == "incomplete", f"an unexported and flagged invoice is {stored['status']!r}"
