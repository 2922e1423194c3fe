"""Catalog price variances and variance (cost) batches: list, filter, expand, invoice lines (CONTRACT §11)."""

import allure
import pytest

from fixtures.catalog import same_amount
from fixtures.checks import assert_keys, expect_status, is_int, our_reading

pytestmark = [pytest.mark.api_area("Catalog"), pytest.mark.contract("§6.1", "§11")]

# Which invoice lines count for an item is item validation, set up by Ottimate per vendor (§11): that the
# run's invoice line is matched to the run's item by its SKU is our reading (decision "variances").
MATCHED = ("variances", "the run's invoice line billing the item is matched to it (by its SKU)")

AGREED, BILLED, QUANTITY, INVOICE_DAY = 18.60, 17.95, 2, "2026-05-20"
ROW_KEYS = ("id", "item_name", "last_invoice_item")
LAST_ITEM_KEYS = ("id", "price", "invoice_date")
BATCH_KEYS = ("id", "ottimate_company_id", "batch_number", "export_status", "exported_at", "costbatch_payload")


@pytest.fixture(scope="module")
def underbilled_entry(api, catalog_location, catalog_payloads, create_invoice):
    """A catalogued item priced at 18.60 and billed at 17.95 on one invoice: an underbilling variance."""
    body = catalog_payloads.entry(price=AGREED, unit_price=None, last_purchased_price=None)
    with allure.step(f"Prepare: catalogue {body['item_name']!r} at {AGREED:.2f}"):
        entry = expect_status(api.post("/catalog/entries", json=body), 201)
    invoice = catalog_payloads.invoice(catalog_location.id, entry, BILLED, QUANTITY, INVOICE_DAY)
    with allure.step(f"Prepare: an invoice of {INVOICE_DAY} billing the item at {BILLED:.2f}"):
        create_invoice(invoice)
    return entry


def variances(api, company, catalog_vendor, **filters):
    params = {"ottimate_company_id": company.id, "erp_vendor_ids": catalog_vendor["erp_vendor_id"], **filters}
    return expect_status(api.get("/catalog/variances", params=params), 200)


def ids_of(body):
    return [row.get("id") for row in body.get("results", [])]


def test_the_variance_list_shows_an_underbilled_item_with_its_latest_invoice_line(
    api, company, catalog_location, catalog_vendor, underbilled_entry
):
    """The variance list shows an underbilled item with its latest invoice line, filtered by vendor and location"""
    with allure.step("List the underbilling variances of the vendor at the invoice's location"):
        body = variances(
            api,
            company,
            catalog_vendor,
            exception_type="underbilling",
            ottimate_location_ids=str(catalog_location.id),
        )
    with allure.step("Check the envelope {count, results} and the item's row"):
        assert_keys(body, ["count", "results"], "GET /catalog/variances")
        assert is_int(body["count"]), f"count should be an integer, got {body['count']!r}"
        row = next((r for r in body["results"] if r.get("id") == underbilled_entry["id"]), None)
        with our_reading(*MATCHED):
            assert row is not None, f"item {underbilled_entry['id']} billed below its price is not listed: {body}"
        assert_keys(row, ROW_KEYS, "variance row")
        last = row["last_invoice_item"]
        assert_keys(last, LAST_ITEM_KEYS, "last_invoice_item")
        assert same_amount(BILLED, last["price"]), f"the line was billed at {BILLED}, got {last['price']!r}"
        assert same_amount(round(BILLED - AGREED, 2), last.get("price_variance")), (
            f"price_variance should be {BILLED} - {AGREED}, got {last.get('price_variance')!r}"
        )
        strays = [
            r.get("id")
            for r in body["results"]
            if r.get("erp_vendor_id", catalog_vendor["erp_vendor_id"]) != catalog_vendor["erp_vendor_id"]
        ]
        assert not strays, f"erp_vendor_ids filter let other vendors' items through: {strays}"


def test_expanding_a_variance_lists_its_invoice_lines(api, company, catalog_vendor, underbilled_entry):
    """Listing variances with expand=invoice_items shows the invoice lines behind each item"""
    with allure.step("List the vendor's variances with expand=invoice_items"):
        body = variances(api, company, catalog_vendor, expand="invoice_items")
    row = next((r for r in body.get("results", []) if r.get("id") == underbilled_entry["id"]), None)
    with our_reading(*MATCHED):
        assert row is not None, f"item {underbilled_entry['id']} is missing from the vendor's variances: {body}"
    with allure.step("Check the item's invoice lines are in its row"):
        lines = row.get("invoice_items")
        assert isinstance(lines, list) and len(lines) == 1, f"one invoice line is expected in invoice_items: {row}"
        assert lines[0].get("id") == row["last_invoice_item"]["id"], (
            f"the only line should be the latest one {row['last_invoice_item']['id']}, got {lines[0]}"
        )
        assert same_amount(QUANTITY, lines[0].get("quantity")), f"quantity should be {QUANTITY}: {lines[0]}"


def test_invoice_dates_outside_the_window_leave_the_item_out(api, company, catalog_vendor, underbilled_entry):
    """Variances filtered to invoices after the item's only invoice leave the item out"""
    with allure.step(f"List the vendor's variances for invoices from the day after {INVOICE_DAY}"):
        after = variances(api, company, catalog_vendor, invoice_start_date="2026-05-21")
    with allure.step(f"List the vendor's variances for invoices up to {INVOICE_DAY}"):
        until = variances(api, company, catalog_vendor, invoice_end_date=INVOICE_DAY)
    with allure.step("Check the item is only in the window holding its invoice"):
        assert underbilled_entry["id"] not in ids_of(after), (
            f"item {underbilled_entry['id']} was invoiced on {INVOICE_DAY} only, yet listed from 2026-05-21 on"
        )
        with our_reading(*MATCHED):
            assert underbilled_entry["id"] in ids_of(until), (
                f"item {underbilled_entry['id']} invoiced on {INVOICE_DAY} is missing up to that day: {ids_of(until)}"
            )


def test_the_invoice_lines_of_a_variance_page_in_the_documented_envelope(api, underbilled_entry):
    """The invoice lines of a variance come in the documented envelope with every line field"""
    with allure.step(f"List the invoice lines of item {underbilled_entry['id']}"):
        body = expect_status(api.get(f"/catalog/variances/{underbilled_entry['id']}/invoice-items"), 200)
    with allure.step("Check the envelope {version, count, page, limit, results} and the line"):
        assert_keys(body, ["version", "count", "page", "limit", "results"], "GET /catalog/variances/{id}/invoice-items")
        assert body["page"] == 1 and body["limit"] == 20, f"defaults are page 1 and limit 20 (§6.1), got {body}"
    with our_reading(*MATCHED):
        assert body["count"] == len(body["results"]) == 1, f"one line bills the item, got {body}"
    with allure.step("Check the line's fields"):
        line = body["results"][0]
        assert_keys(line, ["id", "invoice_id", "item_name", "price", "quantity", "invoice_date"], "invoice item")
        assert is_int(line["id"]) and is_int(line["invoice_id"]), f"line and invoice ids are integers: {line}"
        assert str(line["invoice_date"]).startswith(INVOICE_DAY), f"the invoice is of {INVOICE_DAY}: {line}"


def test_the_variance_batch_list_holds_only_exported_batches(api, company):
    """The variance batch list holds only exported cost batches, each with its documented fields"""
    with allure.step("List the company's variance (cost) batches"):
        body = expect_status(api.get("/catalog/variance-batches", params={"ottimate_company_id": company.id}), 200)
    with allure.step("Check the envelope {count, next, previous, results}"):
        assert_keys(body, ["count", "next", "previous", "results"], "GET /catalog/variance-batches")
        assert is_int(body["count"]) and body["previous"] is None, f"page 1 has no previous page: {body}"
    if not body["results"]:
        pytest.skip("the company has no exported variance batch: an empty list shows nothing about the batches")
    with allure.step("Check every batch listed is exported, of the company, with its documented fields"):
        for batch in body["results"]:
            assert_keys(batch, BATCH_KEYS, f"variance batch {batch.get('id')}")
            assert batch["export_status"] == "exported" and batch["exported_at"], (
                f"only exported batches are listed (§11), got {batch['id']} {batch['export_status']!r}"
            )
            assert batch["ottimate_company_id"] == company.id, f"batch of another company listed: {batch}"
            payload = batch["costbatch_payload"]
            assert isinstance(payload, dict) and is_int(payload.get("import_def_id")), (
                f"costbatch_payload carries an integer import_def_id (§11), got {payload!r}"
            )
