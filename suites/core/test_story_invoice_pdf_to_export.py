"""The whole story of an invoice PDF: from the vendor's document to the ERP export and back (CONTRACT §12, §13)."""

import allure
import pytest

from fixtures.checks import describe, expect_status, our_reading
from fixtures.invoices import IN_WORKFLOW, approve, export_id, invoice_status, lines_of, read_back
from fixtures.uploads import as_number

pytestmark = [pytest.mark.api_area("Invoices"), pytest.mark.contract("§12.1", "§12.4", "§12.6", "§12.8", "§13")]


def dimension_value(value):
    """A dimension as read back: the ERP id string, or an object carrying it (as purchase orders read)."""
    return value.get("erp_dimension_id") if isinstance(value, dict) else value


def check_extracted_as_printed(invoice, lines, document):
    want = document.expected
    got = {
        "number": invoice.get("number", invoice.get("invoice_number")),
        "invoice_date": invoice.get("invoice_date"),
        "vendor": invoice.get("ottimate_vendor_name"),
        "total": as_number(invoice.get("total_amount")),
        "lines": [(item.get("name"), as_number(item.get("quantity")), as_number(item.get("price"))) for item in lines],
    }
    printed = {
        "number": want.number,
        "invoice_date": want.invoice_date.isoformat(),
        "vendor": want.vendor_name,
        "total": float(want.total),
        "lines": [(line.description, float(line.quantity), float(line.unit_price)) for line in want.lines],
    }
    differences = [
        f"{key}: the PDF says {printed[key]!r}, the invoice {got[key]!r}" for key in printed if got[key] != printed[key]
    ]
    assert not differences, "the extracted invoice differs from the document:\n  " + "\n  ".join(differences)


@pytest.mark.waits
def test_an_invoice_pdf_goes_from_upload_to_export_and_back(
    api, uploads, documents, upload_location, invoice_vendor, department_dimension, class_dimension, guide_routes,
    waiter,
):  # fmt: skip
    """A vendor's invoice PDF is uploaded, extracted, coded, approved, exported and unexported"""
    vendor, department, cost_class = invoice_vendor, department_dimension, class_dimension
    coding = {"department": department["erp_dimension_id"], "class": cost_class["erp_dimension_id"]}

    document = documents.pdf(vendor_name=vendor["erp_vendor_name"])
    with allure.step(f"Receive invoice {document.expected.number} from {vendor['erp_vendor_name']!r} as a PDF"):
        assert document.content.startswith(b"%PDF"), "the generated document should be a PDF"
    sent = uploads.upload(document, upload_location)
    uploads.wait_for_extraction(sent)
    invoice = uploads.find_invoice(sent)

    with allure.step("Check the extracted number, date, vendor, total and lines against the PDF"):
        check_extracted_as_printed(invoice, lines_of(api, invoice), document)
        with our_reading("invoice-lifecycle", "a complete, consistent invoice enters the approval workflow"):
            assert invoice_status(invoice) in IN_WORKFLOW, (
                f"a complete, consistent invoice from a known vendor should enter the approval workflow, but is "
                f"{invoice.get('status')!r} ({invoice.get('error')!r})"
            )
    status = invoice_status(invoice)

    with allure.step(f"Code every line item to department and class ({coding})"):
        lines = [{"id": item["id"], "dimensions": coding} for item in lines_of(api, invoice)]
        response = api.patch(f"/invoices/{invoice['id']}", json={"items": lines})
        patched = expect_status(response, 200)
        result = patched.get("items_processing_result") if isinstance(patched, dict) else None
        assert isinstance(result, dict) and result.get("status") == "success", (
            f"{describe(response)} should report every line as updated, got items_processing_result {result!r}"
        )

    def coded(read):
        return all(
            {key: dimension_value((item.get("dimensions") or {}).get(key)) for key in coding} == coding
            for item in lines_of(api, read)
        )

    invoice = read_back(api, waiter, invoice["id"], coded, "the coded lines")
    with allure.step("Check every line item now carries both dimensions, and the invoice's status is kept"):
        stored_lines = lines_of(api, invoice)
        assert len(stored_lines) == len(lines), (
            f"the invoice should still have its {len(lines)} coded line items, got {stored_lines!r}"
        )
        uncoded = [
            (item.get("name"), item.get("dimensions"))
            for item in stored_lines
            if {key: dimension_value((item.get("dimensions") or {}).get(key)) for key in coding} != coding
        ]
        assert not uncoded, f"every line should be coded {coding}; these are not: {uncoded}"
        assert invoice_status(invoice) == status, (
            f"coding lines should not change the status {status!r}, got {invoice.get('status')!r}"
        )

    if status == "pending-approval":
        with allure.step("Read who has to approve the invoice"):
            approvers = expect_status(api.get(f"/invoices/{invoice['id']}/approvers"), 200).get("approvers")
            assert isinstance(approvers, list) and approvers, (
                f"an invoice waiting for approval should have approvers assigned, got {approvers!r}"
            )
        guide_routes.require_approval_actions(invoice["id"])
        for n, approval in enumerate(approvers, start=1):
            who = (approval.get("approver") or {}).get("email", approval.get("id"))
            with allure.step(f"Approve the invoice as approver {n} of {len(approvers)} ({who})"):
                answer = approve(api, invoice["id"], approval)
                if n < len(approvers):
                    assert invoice_status(answer) == "pending-approval", (
                        f"after {n} of {len(approvers)} approvals the invoice should still wait, but is "
                        f"{answer.get('status')!r}"
                    )
    invoice = read_back(api, waiter, invoice["id"], lambda i: invoice_status(i) == "ready-for-export", "its approval")
    with allure.step("Check the approved invoice is ready for export, with its approval date"):
        assert invoice_status(invoice) == "ready-for-export", (
            f"once every approver has approved, the invoice should be ready for export, got {invoice.get('status')!r}"
        )
        assert invoice.get("approved_date_utc") or invoice.get("approved_date"), (
            f"an approved invoice should carry its approval date: {invoice}"
        )

    with allure.step("Mark the invoice exported to the ERP"):
        body = {
            "invoices": [
                {
                    "invoice_id": export_id(invoice),
                    "export_transaction_id": f"ERP-{document.expected.number}",
                    "marked_reason": "Test Invoice - exported by the validation story",
                }
            ]
        }
        outcome = expect_status(api.post("/invoices/mark-exported", json=body), 200)
        assert outcome.get("updated") == [export_id(invoice)] and not outcome.get("failed"), (
            f"mark-exported should list the invoice as updated and nothing failed, got {outcome}"
        )
    invoice = read_back(api, waiter, invoice["id"], lambda i: invoice_status(i) == "exported", "its export")
    with allure.step("Check the invoice is exported, with its export date"):
        assert invoice_status(invoice) == "exported", f"the invoice should be exported, got {invoice.get('status')!r}"
        assert invoice.get("exported_date_utc") or invoice.get("exported_date"), (
            f"an exported invoice should carry its export date: {invoice}"
        )

    with allure.step("Mark the invoice not exported (the ERP rejected it)"):
        body = {"invoices": [{"invoice_id": export_id(invoice), "marked_reason": "Test Invoice - ERP rejected it"}]}
        outcome = expect_status(api.post("/invoices/mark-unexported", json=body), 200)
        assert export_id(invoice) in (outcome.get("updated") or []) and not outcome.get("failed"), (
            f"mark-unexported should list the invoice as updated and nothing failed, got {outcome}"
        )
    invoice = read_back(api, waiter, invoice["id"], lambda i: invoice_status(i) != "exported", "the unexport")
    # Which status an unexported invoice returns to is UNKNOWN (§12.1; DECISIONS "Export rules": ready-for-export).
    with allure.step("Check the invoice is no longer exported"):
        assert invoice_status(invoice) != "exported", (
            f"after mark-unexported the invoice should no longer be exported, got {invoice.get('status')!r}"
        )
