"""Catalog: invalid writes, unknown ids and bad list parameters are refused with their documented status
and an ErrorResponse (CONTRACT §7, §11)."""

import allure
import pytest

from fixtures.checks import assert_error_response, expect_status, our_reading

pytestmark = [pytest.mark.api_area("Catalog"), pytest.mark.contract("§2.2", "§7", "§11")]

ENTRY_REQUIRED = ("ottimate_company_id", "erp_vendor_id", "item_name")
ENTRY_WRONG_TYPES = [
    ("price", "twelve dollars"),
    ("dimensions", {"CATEGORY": "not a list"}),
]
UNKNOWN_ENTRY = "cte_999999999999"


@pytest.mark.parametrize("missing", ENTRY_REQUIRED)
def test_cataloguing_an_item_without_a_required_field_is_refused(api, catalog_payloads, missing):
    """Cataloguing an item without a required field is refused with 400 naming the field"""
    body = catalog_payloads.entry()
    del body[missing]
    with allure.step(f"Catalogue an item without '{missing}'"):
        response = api.post("/catalog/entries", json=body)
    assert_error_response(response, 400, mentions=missing)


@pytest.mark.parametrize(
    ("field", "value"), ENTRY_WRONG_TYPES, ids=[f"{f}={type(v).__name__}" for f, v in ENTRY_WRONG_TYPES]
)
def test_cataloguing_an_item_with_a_wrongly_typed_field_is_refused(api, catalog_payloads, field, value):
    """Cataloguing an item with a field of the wrong type is refused with 400 naming the field"""
    body = catalog_payloads.entry(**{field: value})
    with allure.step(f"Catalogue an item whose '{field}' is {type(value).__name__} {value!r}"):
        response = api.post("/catalog/entries", json=body)
    assert_error_response(response, 400, mentions=field)


def test_listing_the_catalog_without_a_company_is_refused(api):
    """Listing catalog entries without ottimate_company_id is refused with 400 naming it"""
    with allure.step("List catalog entries with no company"):
        response = api.get("/catalog/entries")
    assert_error_response(response, 400, mentions="ottimate_company_id")


def test_listing_the_catalog_beyond_the_page_size_limit_is_refused(api, company):
    """Asking for more than 100 catalog entries per page is refused with 400"""
    with allure.step("List catalog entries with limit=101"):
        response = api.get("/catalog/entries", params={"ottimate_company_id": company.id, "limit": 101})
    # The maximum is documented (100, §11); what a larger limit answers is not.
    with our_reading("page-size-limits", "a page size above the maximum is refused with 400"):
        assert_error_response(response, 400, mentions="limit")


def test_reading_an_unknown_catalog_entry_answers_404(api):
    """Reading a catalog entry that does not exist answers 404"""
    with allure.step(f"Read catalog entry {UNKNOWN_ENTRY}"):
        response = api.get(f"/catalog/entries/{UNKNOWN_ENTRY}")
    assert_error_response(response, 404)


def test_changing_an_unknown_catalog_entry_answers_404(api):
    """Changing a catalog entry that does not exist answers 404"""
    with allure.step(f"Change the unit of catalog entry {UNKNOWN_ENTRY}"):
        response = api.patch(f"/catalog/entries/{UNKNOWN_ENTRY}", json={"uom": "each"})
    assert_error_response(response, 404)


def test_changing_an_entry_with_a_wrongly_typed_price_is_refused(api, catalog_entry):
    """Changing an entry's price to text is refused with 400 and leaves the entry as it was"""
    with allure.step(f"Change the price of entry {catalog_entry['id']} to 'free'"):
        response = api.patch(f"/catalog/entries/{catalog_entry['id']}", json={"price": "free"})
    assert_error_response(response, 400, mentions="price")
    with allure.step("Read the entry back"):
        stored = expect_status(api.get(f"/catalog/entries/{catalog_entry['id']}"), 200)
    assert stored.get("price") == catalog_entry["price"], (
        f"a refused change must not apply: price was {catalog_entry['price']!r}, now {stored.get('price')!r}"
    )


@pytest.mark.parametrize(
    ("path", "list_name"),
    [
        ("/catalog/entries/bulk", "entries"),
        ("/catalog/prices/bulk", "prices"),
        ("/catalog/allowances/bulk", "allowances"),
    ],
)
def test_a_catalog_bulk_of_more_than_1000_items_is_refused(api, catalog_payloads, catalog_entry, path, list_name):
    """A catalog bulk call with more than 1,000 items is refused with 400"""
    one = {
        "entries": catalog_payloads.entry_item(n=0),
        "prices": catalog_payloads.price_item(catalog_entry["id"]),
        "allowances": catalog_payloads.allowance_item(catalog_entry["id"]),
    }[list_name]
    with allure.step(f"Send 1,001 {list_name} in one bulk call"):
        response = api.post(path, json=catalog_payloads.bulk(list_name, [one] * 1001))
    assert_error_response(response, 400, mentions=(list_name, "1000", "1,000"))


def test_a_catalog_bulk_without_a_company_is_refused(api, catalog_payloads):
    """A catalog entries bulk call without ottimate_company_id is refused with 400 naming it"""
    with allure.step("Send a bulk call with one entry but no company"):
        response = api.post("/catalog/entries/bulk", json={"entries": [catalog_payloads.entry_item()]})
    assert_error_response(response, 400, mentions="ottimate_company_id")


@pytest.mark.parametrize("missing", ["price", "start_date", "catalog_entry_id"])
def test_a_price_without_a_required_field_is_refused(api, catalog_payloads, catalog_entry, missing):
    """Pricing an item without a required field is refused with 400 naming the field"""
    body = catalog_payloads.price(catalog_entry["id"])
    del body[missing]
    with allure.step(f"Price an item without '{missing}'"):
        response = api.post("/catalog/prices", json=body)
    assert_error_response(response, 400, mentions=missing)


def test_a_location_price_without_a_location_is_refused(api, catalog_payloads, catalog_entry):
    """A location price without ottimate_location_id is refused with 400 naming it"""
    body = catalog_payloads.price(catalog_entry["id"], price_type="location")
    with allure.step("Price an item for a location without naming the location"):
        response = api.post("/catalog/prices", json=body)
    assert_error_response(response, 400, mentions="ottimate_location_id")


def test_pricing_an_unknown_entry_is_refused(api, catalog_payloads):
    """Pricing a catalog entry that does not exist is refused with 400 naming catalog_entry_id"""
    with allure.step(f"Price catalog entry {UNKNOWN_ENTRY}"):
        response = api.post("/catalog/prices", json=catalog_payloads.price(UNKNOWN_ENTRY))
    assert_error_response(response, 400, mentions="catalog_entry_id")


@pytest.mark.parametrize(
    "path", ["/catalog/prices", "/catalog/allowances", "/catalog/variances", "/catalog/variance-batches"]
)
def test_a_catalog_list_without_a_company_is_refused(api, path):
    """A catalog list without its required ottimate_company_id is refused with 400"""
    with allure.step(f"List {path} with no company"):
        response = api.get(path)
    assert_error_response(response, 400, mentions="ottimate_company_id")


def test_an_undocumented_price_type_filter_is_refused(api, company):
    """Listing prices of an undocumented price_type is refused with 400 naming it"""
    with allure.step("List prices with price_type=region"):
        response = api.get("/catalog/prices", params={"ottimate_company_id": company.id, "price_type": "region"})
    with our_reading("undocumented-filter-values", "a price type outside company/location_group/location is 400"):
        assert_error_response(response, 400, mentions="price_type")


@pytest.mark.parametrize(
    ("field", "value"), [("amount", None), ("allowance_type", "cashback")], ids=["no-amount", "bad-type"]
)
def test_an_invalid_allowance_is_refused(api, catalog_payloads, catalog_entry, field, value):
    """Granting an allowance without an amount, or of an undocumented type, is refused with 400 naming it"""
    body = catalog_payloads.allowance(catalog_entry["id"])
    if value is None:
        del body[field]
    else:
        body[field] = value
    with allure.step(f"Grant an allowance with {field} {'missing' if value is None else repr(value)}"):
        response = api.post("/catalog/allowances", json=body)
    assert_error_response(response, 400, mentions=field)


def test_changing_an_unknown_allowance_answers_404(api):
    """Changing an allowance that does not exist answers 404"""
    with allure.step("Change the amount of allowance cta_unknown0000"):
        response = api.patch("/catalog/allowances/cta_unknown0000", json={"amount": 1.0})
    assert_error_response(response, 404)


def test_moving_an_allowance_to_a_location_without_naming_it_is_refused(api, catalog_payloads, catalog_entry):
    """Targeting an allowance at a location without naming the location is refused with 400"""
    with allure.step("Grant a company allowance"):
        allowance = expect_status(
            api.post("/catalog/allowances", json=catalog_payloads.allowance(catalog_entry["id"])), 201
        )
    with allure.step("Change its target to location, naming no location"):
        response = api.patch(f"/catalog/allowances/{allowance['id']}", json={"target": "location"})
    assert_error_response(response, 400, mentions="ottimate_location_id")


def test_an_undocumented_exception_type_is_refused(api, company):
    """Listing variances of an undocumented exception_type is refused with 400 naming it"""
    with allure.step("List variances with exception_type=fraud"):
        response = api.get("/catalog/variances", params={"ottimate_company_id": company.id, "exception_type": "fraud"})
    with our_reading("undocumented-filter-values", "an exception type outside underbilling/overbilling is 400"):
        assert_error_response(response, 400, mentions="exception_type")


def test_the_invoice_lines_of_an_unknown_entry_answer_404(api):
    """The invoice lines of a catalog entry that does not exist answer 404"""
    with allure.step(f"List the variance invoice lines of {UNKNOWN_ENTRY}"):
        response = api.get(f"/catalog/variances/{UNKNOWN_ENTRY}/invoice-items")
    assert_error_response(response, 404)


def test_exporting_an_unknown_variance_batch_answers_404(api):
    """Exporting a variance batch that does not exist answers 404"""
    with allure.step("Export variance batch ctb_unknown0000"):
        response = api.post("/catalog/variance-batches/ctb_unknown0000/export")
    assert_error_response(response, 404)


def test_exporting_an_already_exported_variance_batch_is_refused(api, company):
    """Exporting a variance batch that is already exported is refused with 400 and keeps its export time"""
    with allure.step("List the company's exported variance batches (first one)"):
        listed = expect_status(
            api.get("/catalog/variance-batches", params={"ottimate_company_id": company.id, "limit": 1}), 200
        )
    if not listed.get("results"):
        pytest.skip("the company has no exported variance batch to export again")
    batch = listed["results"][0]
    with allure.step(f"Export batch {batch['id']} again"):
        response = api.post(f"/catalog/variance-batches/{batch['id']}/export")
    assert_error_response(response, 400)
    with allure.step("List the batch again by its number"):
        params = {"ottimate_company_id": company.id, "batch_number": batch["batch_number"]}
        again = expect_status(api.get("/catalog/variance-batches", params=params), 200)
    same = [b for b in again.get("results", []) if b.get("id") == batch["id"]]
    assert same and same[0].get("exported_at") == batch["exported_at"], (
        f"a refused export must not change the batch: exported_at was {batch['exported_at']!r}, now {same}"
    )


def test_a_company_scoped_user_cannot_change_another_companys_catalog_entry(
    scoped_api, out_of_scope_company, catalog_payloads, out_of_scope_vendor, make_catalog_entry
):
    """An API user scoped to one company cannot change another company's catalog entry (403)"""
    vendor = out_of_scope_vendor
    entry = make_catalog_entry(ottimate_company_id=out_of_scope_company.id, erp_vendor_id=vendor["erp_vendor_id"])
    with allure.step(
        f"As the scoped user, change the unit of entry {entry['id']} of company {out_of_scope_company.id}"
    ):
        response = scoped_api.patch(f"/catalog/entries/{entry['id']}", json={"uom": "each"})
    assert_error_response(response, 403)


def test_a_company_scoped_user_cannot_list_another_companys_variance_batches(scoped_api, out_of_scope_company):
    """An API user scoped to one company cannot list another company's variance batches (403)"""
    with allure.step(f"As the scoped user, list the variance batches of company {out_of_scope_company.id}"):
        response = scoped_api.get("/catalog/variance-batches", params={"ottimate_company_id": out_of_scope_company.id})
    assert_error_response(response, 403)
