"""Story: an item is catalogued, its price agreed, and an invoice billing more shows as a price variance
(CONTRACT §11 "item validation")."""

from decimal import Decimal

import allure
import pytest

from fixtures.catalog import amount, same_amount
from fixtures.checks import assert_keys, expect_status, is_int, our_reading

pytestmark = [pytest.mark.api_area("Catalog"), pytest.mark.contract("§11")]

# Which invoice lines count for an item is item validation, set up by Ottimate per vendor (§11): that the
# run's invoice line is matched to the run's item by its SKU is our reading (decision "variances").
MATCHED = ("variances", "the run's invoice line billing the item is matched to it (by its SKU)")

AGREED = 22.40  # the price agreed with the vendor for 2026
BILLED = 24.15  # what the vendor's invoice charges
QUANTITY = 3
INVOICE_DAY = "2026-06-15"


def variance_row(api, company, vendor, entry_id, **filters):
    """The entry's row among the vendor's price variances (None when it is not listed)."""
    params = {"ottimate_company_id": company.id, "erp_vendor_ids": vendor["erp_vendor_id"], **filters}
    body = expect_status(api.get("/catalog/variances", params=params), 200)
    assert isinstance(body, dict) and isinstance(body.get("results"), list), (
        f"GET /catalog/variances should answer {{count, results[]}}, got {body!r}"
    )
    return next((row for row in body["results"] if row.get("id") == entry_id), None)


def test_an_item_billed_above_its_agreed_price_shows_as_an_overbilling_variance(
    api, company, catalog_location, catalog_vendor, catalog_payloads, create_invoice
):
    """An item billed above its agreed catalog price shows as an overbilling price variance"""
    body = catalog_payloads.entry(price=None, unit_price=None, last_purchased_price=None)
    with allure.step(f"Catalogue {body['item_name']!r} from the vendor, without a list price"):
        entry = expect_status(api.post("/catalog/entries", json=body), 201)
    with allure.step(f"Agree a company price of {AGREED:.2f} for the item for 2026"):
        price = catalog_payloads.price(entry["id"], price=AGREED, unit_price=None)
        expect_status(api.post("/catalog/prices", json=price), 201)
    invoice_body = catalog_payloads.invoice(catalog_location.id, entry, BILLED, QUANTITY, INVOICE_DAY)
    with allure.step(f"Receive the vendor's invoice of {INVOICE_DAY} billing {QUANTITY} of the item at {BILLED:.2f}"):
        invoice = create_invoice(invoice_body)
    expected = Decimal(str(BILLED)) - Decimal(str(AGREED))

    with allure.step("Find the item among the vendor's price variances"):
        row = variance_row(api, company, catalog_vendor, entry["id"], variance_only="true")
    with our_reading(*MATCHED):
        assert row is not None, (
            f"item {entry['id']} billed at {BILLED} against an agreed {AGREED} is not among the vendor's variances"
        )
    with allure.step(f"Check the latest invoice line: billed {BILLED:.2f}, {expected} over the agreed price"):
        assert row.get("item_name") == entry["item_name"] and row.get("sku") == entry["sku"], (
            f"the variance row should name the item {entry['item_name']!r} / {entry['sku']!r}, got {row}"
        )
        last = row.get("last_invoice_item")
        assert isinstance(last, dict), f"a variance row carries last_invoice_item, got {row}"
        assert_keys(last, ["id", "price", "invoice_date"], "last_invoice_item")
        assert is_int(last["id"]), f"last_invoice_item.id is an integer (§11), got {last['id']!r}"
        assert same_amount(BILLED, last["price"]), (
            f"the invoiced price is {BILLED}, the variance says {last['price']!r}"
        )
        assert str(last["invoice_date"]).startswith(INVOICE_DAY), f"the invoice is of {INVOICE_DAY}, got {last}"
        assert amount(last.get("price_variance")) == expected, (
            f"price_variance should be {BILLED} - {AGREED} = {expected}, got {last.get('price_variance')!r}"
        )

    with allure.step("Check the item is reported as overbilling and not as underbilling"):
        over = variance_row(api, company, catalog_vendor, entry["id"], exception_type="overbilling")
        under = variance_row(api, company, catalog_vendor, entry["id"], exception_type="underbilling")
        assert over is not None, f"item {entry['id']} billed above its price is missing from exception_type=overbilling"
        assert under is None, f"item {entry['id']} billed above its price is listed as underbilling: {under}"

    with allure.step("Open the invoice lines behind the variance"):
        lines = expect_status(api.get(f"/catalog/variances/{entry['id']}/invoice-items"), 200)
    with allure.step("Check the one line is the invoice's, with its quantity and price"):
        assert_keys(
            lines, ["version", "count", "page", "limit", "results"], "GET /catalog/variances/{id}/invoice-items"
        )
        assert lines["count"] == 1 and len(lines["results"]) == 1, (
            f"one invoice bills the item, so one line is expected, got count {lines['count']}: {lines['results']}"
        )
        line = lines["results"][0]
        assert_keys(line, ["id", "invoice_id", "item_name", "price", "quantity", "invoice_date"], "invoice item")
        assert line["id"] == last["id"], f"the line {line['id']} should be the latest line {last['id']}"
        if is_int(invoice.get("invoice_id")):  # an extra field (§19 #14; DECISIONS "Invoice ids")
            assert line["invoice_id"] == invoice["invoice_id"], (
                f"the line should come from invoice {invoice['invoice_id']}, got invoice_id {line['invoice_id']!r}"
            )
        assert is_int(line["invoice_id"]), f"invoice_id is an integer (§11), got {line['invoice_id']!r}"
        assert same_amount(QUANTITY, line["quantity"]) and same_amount(BILLED, line["price"]), (
            f"the line should bill {QUANTITY} at {BILLED}, got {line['quantity']!r} at {line['price']!r}"
        )
