"""Invoices: what is sent is what is stored — header fields, lines, Unicode text, dimensions, through
create, import, update and the list (CONTRACT §12.2–§12.5)."""

import allure
import pytest

from fixtures.checks import assert_fields_equal, expect_status, our_reading
from fixtures.invoices import find_invoice, import_invoices, lines_of, read_back, read_invoice, total_of

pytestmark = [pytest.mark.api_area("Invoices"), pytest.mark.contract("§12.2", "§12.3", "§12.4", "§12.5")]

HEADER_FIELDS = ("invoice_date", "due_date", "total_amount", "total_tax", "currency", "type", "purchase_order")
LINE_FIELDS = ("name", "quantity", "price", "sku", "is_taxed")
UNICODE_NAME = "Test Invoice - Crème fraîche 東京 Ærøskøbing – “Größe” ½ kg"


def assert_lines_equal(sent, got, where):
    """Every line sent is stored once with its fields (the API may add lines' ids and amounts)."""
    assert isinstance(got, list), f"{where}: the invoice should carry its lines, got {got!r}"
    assert len(got) == len(sent), f"{where}: {len(sent)} lines sent, {len(got)} stored: {got}"
    by_name = {line.get("name"): line for line in got}
    for line in sent:
        stored = by_name.get(line["name"])
        assert stored is not None, f"{where}: line {line['name']!r} is missing; stored names {list(by_name)}"
        assert_fields_equal({k: line[k] for k in LINE_FIELDS if k in line}, stored, f"{where}, line {line['name']!r}")


def test_a_structured_invoice_reads_back_with_every_field_and_line(api, make_invoice, invoice_payloads):
    """A structured invoice reads back by id and in the list with every field and line as sent"""
    body = invoice_payloads.body(lines=3)
    body["items"][1]["name"] = UNICODE_NAME
    created = make_invoice(**body)
    stored = read_invoice(api, created["id"])
    with allure.step("Check the invoice read by id: header fields, number and every line"):
        assert_fields_equal({k: body[k] for k in HEADER_FIELDS}, stored, "The invoice read by id")
        assert stored.get("number") == body["invoice_number"], f"number: {stored.get('number')!r}"
        # The detail's line items are not in [S] (§12.3); the list's expand=items is, where the detail has none.
        assert_lines_equal(body["items"], lines_of(api, stored), "The invoice's lines")
    with allure.step("List the invoice by its id and check the listed header fields"):
        listed = expect_status(api.get("/invoices", params={"invoice_ids": created["id"]}), 200)
        found = [inv for inv in listed.get("results", []) if inv.get("id") == created["id"]]
        assert len(found) == 1, f"the invoice should be listed once by its id, found {len(found)}"
        assert_fields_equal({k: body[k] for k in HEADER_FIELDS}, found[0], "The listed invoice")
        assert found[0].get("invoice_number") == body["invoice_number"], f"listed as {found[0]}"
        assert found[0].get("last_modified_date_utc") == stored.get("last_modified_date_utc"), (
            "the list and the detail should give the same modification time: "
            f"{found[0].get('last_modified_date_utc')!r} vs {stored.get('last_modified_date_utc')!r}"
        )


def test_an_imported_invoice_is_stored_once_with_every_field(api, invoice_payloads, waiter):
    """An imported invoice is stored once with every field, and its upload id cannot create a second one"""
    item = invoice_payloads.import_item()
    first = import_invoices(api, waiter, [item])
    assert first.results and first.results[0].get("result"), f"the import of a valid invoice created nothing: {first}"
    created = find_invoice(api, item["ottimate_location_id"], item["invoice_number"], first.accepted_at)
    stored = read_invoice(api, created["id"])
    with allure.step("Check the imported invoice carries every field and line as sent"):
        assert_fields_equal({k: item[k] for k in HEADER_FIELDS}, stored, "The imported invoice")
        assert_lines_equal(item["items"], lines_of(api, stored), "The imported invoice's lines")
    again = import_invoices(api, waiter, [item])
    with allure.step("Check the same upload id imported again created no second invoice"):
        result = again.results[0] if again.results else {}
        with our_reading("invoice-import", "a task's result is the invoice, with its id"):
            assert not result.get("result") or result["result"].get("id") == created["id"], (
                f"importing upload_id {item['upload_id']!r} twice answered another invoice: {result}"
            )
        listed = expect_status(api.get("/invoices", params={"search": item["invoice_number"]}), 200)
        same = [inv["id"] for inv in listed.get("results", []) if inv.get("invoice_number") == item["invoice_number"]]
        assert same == [created["id"]], f"invoice {item['invoice_number']!r} should exist once, found {same}"


def test_updated_fields_and_line_dimensions_are_stored(
    api, invoice, department_dimension, class_dimension, run_id, waiter
):
    """Updated header fields are stored, and line dimensions merge with null removing one"""
    department, klass = department_dimension, class_dimension
    lines = lines_of(api, invoice)
    line = (lines or [{}])[0]
    if "id" not in line:
        pytest.skip("the API does not return the invoice's lines with their ids (CONTRACT §12.3: item shape UNKNOWN)")
    quantity = line["quantity"] + 2
    items = [{**i, "quantity": quantity} if i["id"] == line["id"] else i for i in lines]
    changes = {
        "total_amount": total_of(items, invoice.get("total_tax") or 0),
        "due_date": "2027-01-15",
        "purchase_order": f"TPO-{run_id}-Ünïcödé",
    }
    both = {"department": department["erp_dimension_id"], "class": klass["erp_dimension_id"]}
    with allure.step("Change the total, due date and PO; code the first line to a department and a class"):
        expect_status(
            api.patch(
                f"/invoices/{invoice['id']}",
                json={**changes, "items": [{"id": line["id"], "quantity": quantity, "dimensions": both}]},
            ),
            200,
        )
    stored = read_back(api, waiter, invoice["id"], lambda i: i.get("due_date") == changes["due_date"], "the update")
    with allure.step("Check the changes and both line dimensions are stored"):
        assert_fields_equal(changes, stored, "The updated invoice")
        stored_line = next((i for i in lines_of(api, stored) if i.get("id") == line["id"]), {})
        assert stored_line.get("quantity") == quantity, f"line {line['id']} quantity: {stored_line}"
        dimensions = stored_line.get("dimensions") or {}
        assert {key: dimensions.get(key) for key in both} == both, f"line dimensions should be {both}: {stored_line}"
    with allure.step("Remove the class from the line (null) and leave the department"):
        expect_status(
            api.patch(
                f"/invoices/{invoice['id']}", json={"items": [{"id": line["id"], "dimensions": {"class": None}}]}
            ),
            200,
        )

    def class_removed(read):
        stored_line = next((i for i in lines_of(api, read) if i.get("id") == line["id"]), {})
        return "class" not in (stored_line.get("dimensions") or {})

    stored = read_back(api, waiter, invoice["id"], class_removed, "the class removed")
    with allure.step("Check only the department is left on the line and the other fields are kept"):
        stored_line = next((i for i in lines_of(api, stored) if i.get("id") == line["id"]), {})
        dimensions = stored_line.get("dimensions") or {}
        assert dimensions.get("department") == department["erp_dimension_id"] and "class" not in dimensions, (
            f"a null should remove only the class: {stored_line.get('dimensions')}"
        )
        assert_fields_equal(changes, stored, "The invoice after the second update")
