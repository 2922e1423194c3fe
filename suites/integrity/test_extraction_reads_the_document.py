"""Extraction: the invoice made from an uploaded PDF says what the document says (CONTRACT §12, §13)."""

from decimal import Decimal

import allure
import pytest

from fixtures.checks import our_reading
from fixtures.invoices import HELD, invoice_status, lines_of
from fixtures.uploads import MISSTATED_TOTAL, as_number

pytestmark = [pytest.mark.api_area("Uploads"), pytest.mark.contract("§12.3", "§13", "§18")]


# The two documents of this module are extracted together, with one wait (30 s or more on a real
# sandbox). Its checks are one test per document: each worker that ran a test of its own would wait for
# extractions of its own, and two waiting tests of one module are kept on one worker (fixtures/polling.py).
@pytest.mark.waits
def test_the_extracted_invoice_reads_as_the_document_header_lines_and_totals(api, extracted_invoice):
    """The extracted header, every line item and the totals are those printed on the PDF, and they add up"""
    invoice, want = extracted_invoice.invoice, extracted_invoice.expected
    problems: list[str] = []
    with allure.step("Compare the invoice header with the document"):
        number = invoice.get("number", invoice.get("invoice_number"))
        got = {
            "number": number,
            "invoice_date": invoice.get("invoice_date"),
            "ottimate_vendor_name": invoice.get("ottimate_vendor_name"),
            "total_amount": as_number(invoice.get("total_amount")),
            "total_tax": as_number(invoice.get("total_tax")),
        }
        printed = {
            "number": want.number,
            "invoice_date": want.invoice_date.isoformat(),
            "ottimate_vendor_name": want.vendor_name,
            "total_amount": float(want.total),
            "total_tax": float(want.tax),
        }
        problems += [
            f"{key}: the PDF says {printed[key]!r}, the invoice {got[key]!r}"
            for key in printed
            if got[key] != printed[key]
        ]
    # A due date is computed from the vendor's net terms (§18), not necessarily read off the document.
    with our_reading("extraction", "the due date is the one printed on the document", soft=True):
        assert invoice.get("due_date") == want.due_date.isoformat(), (
            f"the PDF says due {want.due_date.isoformat()}, the invoice {invoice.get('due_date')!r}"
        )
    items = lines_of(api, invoice)
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
        with our_reading("invoice-lifecycle", "an invoice whose lines do not add up is held, not sent for approval"):
            assert invoice_status(invoice) in HELD, (
                f"lines and tax add up to {extracted_misstated_invoice.expected.total}, not the stated "
                f"{MISSTATED_TOTAL}: the invoice should be held for review, but is {invoice.get('status')!r}"
            )
        with our_reading("invoice-lifecycle", "a held invoice is 'needs-attention' (not 'incomplete')", soft=True):
            assert invoice_status(invoice) == "needs-attention", f"the held invoice is {invoice.get('status')!r}"
        assert isinstance(invoice.get("error"), str) and invoice["error"].strip(), (
            f"an invoice that needs attention should say why in 'error', got {invoice.get('error')!r}"
        )
