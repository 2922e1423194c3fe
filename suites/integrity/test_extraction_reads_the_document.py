"""Extraction: the invoice made from an uploaded PDF says what the document says (CONTRACT §12, §13)."""

from decimal import Decimal

import allure
import pytest

from fixtures.uploads import MISSTATED_TOTAL, as_number

pytestmark = pytest.mark.api_area("Uploads")


# The two documents of this module are extracted together, with one wait (30 s or more on a real
# sandbox). Its checks are one test per document: each worker that ran a test of its own would wait for
# extractions of its own, and two waiting tests of one module are kept on one worker (fixtures/polling.py).
@pytest.mark.waits
def test_the_extracted_invoice_reads_as_the_document_header_lines_and_totals(extracted_invoice):
    """The extracted header, every line item and the totals are those printed on the PDF, and they add up"""
    invoice, want = extracted_invoice.invoice, extracted_invoice.expected
    problems: list[str] = []
    with allure.step("Compare the invoice header with the document"):
        number = invoice.get("number", invoice.get("invoice_number"))
        got = {
            "number": number,
            "invoice_date": invoice.get("invoice_date"),
            "due_date": invoice.get("due_date"),
            "ottimate_vendor_name": invoice.get("ottimate_vendor_name"),
            "total_amount": as_number(invoice.get("total_amount")),
            "total_tax": as_number(invoice.get("total_tax")),
        }
        printed = {
            "number": want.number,
            "invoice_date": want.invoice_date.isoformat(),
            "due_date": want.due_date.isoformat(),
            "ottimate_vendor_name": want.vendor_name,
            "total_amount": float(want.total),
            "total_tax": float(want.tax),
        }
        problems += [
            f"{key}: the PDF says {printed[key]!r}, the invoice {got[key]!r}"
            for key in printed
            if got[key] != printed[key]
        ]
    items = invoice.get("items")
    assert isinstance(items, list), f"the invoice read by id should carry its line items, got items={items!r}"
    with allure.step(f"Compare the {len(items)} line items with the {len(want.lines)} rows of the document"):
        got_lines = [
            (
                item.get("name"),
                as_number(item.get("quantity")),
                as_number(item.get("price")),
                as_number(item.get("amount")),
            )
            for item in items
        ]
        printed_lines = [
            (line.description, float(line.quantity), float(line.unit_price), float(line.amount)) for line in want.lines
        ]
        if got_lines != printed_lines:
            problems.append(
                "the line items should be the document's rows (description, quantity, unit price, amount):\n"
                f"    document: {printed_lines}\n    invoice:  {got_lines}"
            )
    with allure.step("Add up the line amounts and the tax and compare with the total"):
        lines = sum(Decimal(str(item.get("amount") or 0)) for item in items)
        tax = Decimal(str(invoice.get("total_tax") or 0))
        total = Decimal(str(invoice.get("total_amount")))
        if abs(lines + tax - total) > Decimal("0.01"):
            problems.append(f"the lines ({lines}) and tax ({tax}) add up to {lines + tax}, but the total is {total}")
    assert not problems, "the extracted invoice differs from the document:\n  " + "\n  ".join(problems)


@pytest.mark.waits
def test_a_document_whose_total_does_not_add_up_is_held_for_attention(extracted_misstated_invoice):
    """A PDF whose printed total disagrees with its lines becomes an invoice that needs attention, total as printed"""
    invoice = extracted_misstated_invoice.invoice
    with allure.step("Check the invoice keeps the printed total and is held for manual review"):
        assert as_number(invoice.get("total_amount")) == float(MISSTATED_TOTAL), (
            f"the PDF states a total of {MISSTATED_TOTAL}, the invoice says {invoice.get('total_amount')!r}"
        )
        assert invoice.get("status") == "needs-attention", (
            f"lines and tax add up to {extracted_misstated_invoice.expected.total}, not the stated "
            f"{MISSTATED_TOTAL}: the invoice should need attention, but is {invoice.get('status')!r}"
        )
        assert isinstance(invoice.get("error"), str) and invoice["error"].strip(), (
            f"an invoice that needs attention should say why in 'error', got {invoice.get('error')!r}"
        )
