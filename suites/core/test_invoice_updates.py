"""Invoices: updating the header, the lines, the dimensions and the images (CONTRACT §12.4, §12.9)."""

import allure
import pytest

from fixtures.checks import assert_fields_equal, assert_keys, expect_status, our_reading
from fixtures.documents import text_only_pdf
from fixtures.invoices import HELD, IN_WORKFLOW, invoice_status, lines_of, read_back, total_of

pytestmark = [pytest.mark.api_area("Invoices"), pytest.mark.contract("§12.1", "§12.4", "§12.9")]


def patch_invoice(api, invoice_id, body, what):
    with allure.step(what):
        answer = expect_status(api.patch(f"/invoices/{invoice_id}", json=body), 200)
    assert isinstance(answer, dict) and answer.get("id") == invoice_id, (
        f"PATCH /invoices/{{id}} should answer the invoice {invoice_id}, got {answer!r}"
    )
    return answer


def test_updating_header_fields_answers_the_updated_invoice(api, invoice, run_id):
    """Updating an invoice's header fields answers the invoice with the new values"""
    changes = {
        "due_date": "2026-12-31",
        "posting_date": "2026-12-01",
        "purchase_order": f"TPO-{run_id}-changed",
        "notes": f"Test Invoice - terms renegotiated - {run_id}",
    }
    answer = patch_invoice(api, invoice["id"], changes, "Change the due date, posting date, PO and notes")
    with allure.step("Check the answer carries every new value and the status is kept"):
        assert_fields_equal({k: v for k, v in changes.items() if k != "notes"}, answer, "The updated invoice")
        assert invoice_status(answer) == invoice_status(invoice), (
            f"a data change should not move the invoice from {invoice['status']!r} to {answer['status']!r}"
        )


def test_updating_lines_reports_each_line_and_keeps_the_others(api, invoice, run_id):
    """Updating one line and adding another reports each line's outcome"""
    before = lines_of(api, invoice)
    first = before[0] if before else None
    if first is None or "id" not in first:
        pytest.skip("the API does not return the invoice's lines with their ids (CONTRACT §12.3: item shape UNKNOWN)")
    new_line = {"name": f"Test Invoice - Lemons - {run_id} - added", "quantity": 3, "price": 1.25, "sku": "TI-ADD"}
    body = {"items": [{"id": first["id"], "quantity": first["quantity"] + 1}, new_line]}
    answer = patch_invoice(api, invoice["id"], body, "Raise the first line's quantity by one and add a line")
    with allure.step("Check the processing result: both lines succeeded, the first kept its id"):
        result = answer.get("items_processing_result")
        assert isinstance(result, dict), f"a PATCH with items should answer items_processing_result: {answer}"
        assert_keys(result, ["success", "failure", "status"], "items_processing_result")
        assert result["status"] == "success", f"both lines should succeed: {result}"
        # request indexes only: a later API version may add other keys to these maps
        succeeded = {key for key in map(str, result["success"]) if key.isdigit()}
        failed = {key for key in map(str, result["failure"]) if key.isdigit()}
        assert succeeded == {"0", "1"} and not failed, f"expected request indexes 0 and 1 to succeed: {result}"
        assert result["success"].get("0", result["success"].get(0)) == first["id"], (
            f"updating line {first['id']} should report that id: {result}"
        )
    with allure.step("Check the lines now: the first with its new quantity, the new one added, none lost"):
        lines = {line["id"]: line for line in lines_of(api, answer)}
        assert lines[first["id"]]["quantity"] == first["quantity"] + 1, f"line {first['id']}: {lines[first['id']]}"
        assert len(lines) == len(before) + 1, f"expected {len(before) + 1} lines after adding one, got {len(lines)}"
        added = [line for line in lines.values() if line.get("name") == new_line["name"]]
        assert len(added) == 1, f"the added line {new_line['name']!r} is missing: {list(lines.values())}"


def test_header_dimensions_are_replaced_and_cleared(api, invoice, department_dimension):
    """Header dimensions are replaced by the map sent, and {} clears them"""
    department = department_dimension
    wanted = {"department": department["erp_dimension_id"]}
    answer = patch_invoice(api, invoice["id"], {"dimensions": wanted}, "Code the invoice to a department")
    with allure.step("Check the invoice carries exactly that dimension"):
        dimensions = answer.get("dimensions") or {}
        assert dimensions.get("department") == wanted["department"], (
            f"dimensions should hold {wanted}, got {answer.get('dimensions')!r}"
        )
    answer = patch_invoice(api, invoice["id"], {"dimensions": {}}, "Clear the invoice's dimensions")
    with allure.step("Check the invoice carries no dimension"):
        assert "department" not in (answer.get("dimensions") or {}), (
            f"dimensions {{}} should clear them, got {answer.get('dimensions')!r}"
        )


def test_completing_a_held_invoice_sends_it_to_approval(api, make_invoice, invoice_payloads):
    """Correcting the total of an invoice held for attention sends it to approval"""
    body = invoice_payloads.body()
    held = make_invoice(total_amount=round(body["total_amount"] + 7, 2))
    with our_reading("invoice-lifecycle", "an invoice whose lines do not add up is held, not sent for approval"):
        assert invoice_status(held) in HELD, f"setup: the invoice should be held, it is {held['status']!r}"
    right = total_of(lines_of(api, held), held.get("total_tax") or 0)
    answer = patch_invoice(api, held["id"], {"total_amount": right}, f"Correct the total to {right}")
    with (
        allure.step("Check the invoice now enters the approval workflow and no longer reports an error"),
        our_reading("invoice-lifecycle", "an edit that makes a held invoice complete sends it to approval"),
    ):
        assert invoice_status(answer) in IN_WORKFLOW, (
            f"a corrected, complete invoice should enter approval, it is {answer['status']!r}: {answer.get('error')}"
        )
        assert not answer.get("error"), f"the corrected invoice still reports {answer.get('error')!r}"


def test_replacing_the_images_answers_the_new_images(api, invoice, waiter):
    """Replacing an invoice's images with a PDF answers the new image, and the invoice shows it"""
    files = [("images", ("Test Invoice - scan.pdf", text_only_pdf("Test Invoice - scan"), "application/pdf"))]
    with allure.step("Replace the invoice's images with one PDF"):
        answer = expect_status(api.patch(f"/invoices/{invoice['id']}/images", files=files), 200)
    with allure.step("Check one image is answered and no file was refused"):
        assert_keys(answer, ["images", "image_errors"], "PATCH /invoices/{id}/images answer")
        assert len(answer["images"]) == 1, f"one file sent, images: {answer['images']}"
        assert answer["image_errors"] == [], f"the PDF should be accepted: {answer['image_errors']}"
        assert_keys(answer["images"][0], ["id", "url"], "image")
    new = [answer["images"][0]["id"]]
    stored = read_back(api, waiter, invoice["id"], lambda i: [im.get("id") for im in i.get("images") or []] == new,
                       "the new image")  # fmt: skip
    with allure.step("Check the invoice now shows exactly the new image"):
        assert [im.get("id") for im in stored.get("images") or []] == [answer["images"][0]["id"]], (
            f"the invoice's images should be replaced by {answer['images']}, got {stored.get('images')}"
        )
