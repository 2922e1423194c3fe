"""Catalog entries: create (upsert), read, list and filter, change, bulk create (CONTRACT §11, §16)."""

import allure
import pytest

from fixtures.catalog import ENTRY_KEYS, read_entry, run_catalog_bulk, same_amount
from fixtures.checks import assert_keys, expect_status, is_int

pytestmark = [pytest.mark.api_area("Catalog"), pytest.mark.contract("§11", "§16")]

TEXT_FIELDS = ("erp_vendor_id", "item_name", "sku", "upc", "buying_format", "uom", "reference_id")
MONEY_FIELDS = ("price", "unit_price", "last_purchased_price")
BASIC_ONLY = ("dimensions", "display_name", "prices", "allowances", "warnings")  # not in list results (§11)


def check_entry_as_sent(body, entry, where):
    """Every field sent reads back: text as sent, money as the same decimal, pack size as `pack_size`."""
    differences = [f"{k}: sent {body[k]!r}, got {entry.get(k)!r}" for k in TEXT_FIELDS if entry.get(k) != body[k]]
    differences += [
        f"{k}: sent {body[k]!r}, got {entry.get(k)!r}" for k in MONEY_FIELDS if not same_amount(body[k], entry.get(k))
    ]
    if entry.get("pack_size") != body["size"]:
        differences.append(f"size: sent {body['size']!r}, pack_size is {entry.get('pack_size')!r}")
    if entry.get("is_split_case") is not body["is_split_case"]:
        differences.append(f"is_split_case: sent {body['is_split_case']!r}, got {entry.get('is_split_case')!r}")
    if entry.get("ottimate_company_id") != body["ottimate_company_id"]:
        differences.append(
            f"ottimate_company_id: sent {body['ottimate_company_id']}, got {entry.get('ottimate_company_id')!r}"
        )
    assert not differences, f"{where} differs from what was sent:\n  " + "\n  ".join(differences)


def test_catalogue_an_item_with_every_documented_field(api, catalog_payloads):
    """Catalogue an item with every documented field: 201 with the entry as sent"""
    body = catalog_payloads.entry()
    with allure.step("Catalogue an item of the run's vendor with every documented field"):
        entry = expect_status(api.post("/catalog/entries", json=body), 201)
    with allure.step("Check the answer is the entry object with every field as sent"):
        assert_keys(entry, ENTRY_KEYS, "POST /catalog/entries answer")
        assert isinstance(entry["id"], str) and entry["id"], f"a catalog entry id is a string, got {entry['id']!r}"
        check_entry_as_sent(body, entry, "The created entry")
        for key in ("price", "unit_price"):
            assert isinstance(entry[key], str), f"'{key}' is a decimal string (§11), got {entry[key]!r}"
        assert (entry["dimensions"] or {}).get("CATEGORY") == "Test Category - Produce", (
            f"dimensions should be resolved by upper-case type to the name sent, got {entry['dimensions']!r}"
        )
        assert entry["prices"] == [] and entry["allowances"] == [], (
            f"an entry sent with prices and allowances null has none, got {entry['prices']!r} / {entry['allowances']!r}"
        )
        assert not entry.get("warnings"), f"nothing deprecated was sent, yet the answer warns: {entry.get('warnings')}"


def test_an_entry_reads_back_by_id_with_its_vendor_name(api, catalog_entry, catalog_vendor):
    """A catalog entry reads back by id with every field and its vendor's name"""
    entry = read_entry(api, catalog_entry["id"])
    with allure.step("Check the fields, the vendor's name and the display name"):
        assert_keys(entry, ENTRY_KEYS, "GET /catalog/entries/{id}")
        differences = [
            f"{k}: created as {catalog_entry.get(k)!r}, read as {entry.get(k)!r}"
            for k in (*TEXT_FIELDS, *MONEY_FIELDS, "pack_size", "is_split_case", "dimensions")
            if entry.get(k) != catalog_entry.get(k)
        ]
        assert not differences, "The entry read by id differs from the create answer:\n  " + "\n  ".join(differences)
        assert entry["erp_vendor_name"] == catalog_vendor["erp_vendor_name"], (
            f"erp_vendor_name should be the vendor's name {catalog_vendor['erp_vendor_name']!r}, "
            f"got {entry['erp_vendor_name']!r}"
        )
        assert isinstance(entry["display_name"], str) and entry["display_name"], (
            f"display_name should be a non-empty string, got {entry['display_name']!r}"
        )


def test_the_entry_list_finds_an_entry_by_sku_in_its_basic_form(api, company, catalog_entry):
    """The catalog list finds an entry by sku, in the documented envelope and basic form"""
    with allure.step(f"List the company's catalog filtered by sku {catalog_entry['sku']!r}"):
        body = expect_status(
            api.get("/catalog/entries", params={"ottimate_company_id": company.id, "sku": catalog_entry["sku"]}), 200
        )
    with allure.step("Check the envelope {count, results, page, per_page} and the one entry found"):
        assert_keys(body, ["count", "results", "page", "per_page"], "GET /catalog/entries")
        assert is_int(body["count"]) and body["page"] == 1, f"count should be an integer and page 1, got {body}"
        assert body["per_page"] == 50, f"the documented default page size is 50, got per_page {body['per_page']!r}"
        ids = [e.get("id") for e in body["results"]]
        assert ids == [catalog_entry["id"]] and body["count"] == 1, (
            f"the sku {catalog_entry['sku']!r} is the run's own: expected only entry {catalog_entry['id']}, "
            f"got count {body['count']} and ids {ids}"
        )
        listed = body["results"][0]
        for key in ("item_name", "sku", "price", "erp_vendor_id"):
            assert listed.get(key) == catalog_entry[key], (
                f"the listed entry's {key} should be {catalog_entry[key]!r}, got {listed.get(key)!r}"
            )
        extra = [key for key in BASIC_ONLY if key in listed]
        assert not extra, f"list results are the basic variant without {', '.join(BASIC_ONLY)}, got {extra}"


def test_the_entry_list_filters_by_vendor_and_search_text(api, company, catalog_entry, catalog_vendor):
    """Filtering the catalog by vendor and a search on the item name finds the entry and only matches"""
    words = catalog_entry["item_name"].split(" - ")
    search = f"{words[1]} - {words[2]}".lower()  # product and run id, in another case
    params = {"ottimate_company_id": company.id, "erp_vendor_id": catalog_vendor["erp_vendor_id"], "search": search}
    with allure.step(f"List the catalog of vendor {catalog_vendor['erp_vendor_id']!r} searching {search!r}"):
        body = expect_status(api.get("/catalog/entries", params=params), 200)
    found = body.get("results", [])
    with allure.step("Check the entry is found and every result matches both filters"):
        assert catalog_entry["id"] in [e.get("id") for e in found], (
            f"entry {catalog_entry['id']} ({catalog_entry['item_name']!r}) is missing from the filtered list: {found}"
        )
        strays = [
            e.get("id")
            for e in found
            if e.get("erp_vendor_id") != catalog_vendor["erp_vendor_id"] or search not in e.get("item_name", "").lower()
        ]
        assert not strays, f"entries outside the vendor or the search came back: {strays}"


def test_listing_with_expand_shows_an_entrys_prices_and_allowances(api, company, catalog_payloads, make_catalog_entry):
    """Listing the catalog with expand=prices,allowances shows an entry's prices and allowances"""
    nested_price = {"price": catalog_payloads.money(), "price_type": "company", "start_date": "2026-01-01T00:00:00Z"}
    reference = f"TCA-{catalog_payloads.run_id}-{catalog_payloads.payloads.number()}"
    nested_allowance = {"allowance": 1.25, "start_date": "2026-01-01T00:00:00Z", "reference_id": reference}
    entry = make_catalog_entry(prices=[nested_price], allowances=[nested_allowance])
    with allure.step("List the entry by sku with expand=prices,allowances"):
        params = {"ottimate_company_id": company.id, "sku": entry["sku"], "expand": "prices,allowances"}
        body = expect_status(api.get("/catalog/entries", params=params), 200)
    listed = next((e for e in body.get("results", []) if e.get("id") == entry["id"]), None)
    assert listed is not None, f"entry {entry['id']} is missing from the list: {body}"
    with allure.step("Check the price and the allowance sent with the entry are in it"):
        prices, allowances = listed.get("prices"), listed.get("allowances")
        assert isinstance(prices, list) and len(prices) == 1, f"expected the one price sent, got {prices!r}"
        assert same_amount(nested_price["price"], prices[0].get("price")), (
            f"the price should be {nested_price['price']}, got {prices[0].get('price')!r}"
        )
        assert isinstance(allowances, list) and len(allowances) == 1, f"expected the one allowance, got {allowances!r}"
        assert allowances[0].get("reference_id") == nested_allowance["reference_id"], (
            f"the allowance should carry reference {nested_allowance['reference_id']!r}, got {allowances[0]}"
        )


def test_patching_an_entry_changes_what_was_sent_and_keeps_the_rest(api, catalog_payloads, make_catalog_entry):
    """Changing an entry's unit, price and vendor name changes those and keeps everything else"""
    entry = make_catalog_entry()
    change = {"uom": "each", "price": catalog_payloads.money(), "erp_vendor_name": "Test Vendor - Catalog Alias"}
    with allure.step(f"Change entry {entry['id']}: unit, price and the vendor name shown"):
        patched = expect_status(api.patch(f"/catalog/entries/{entry['id']}", json=change), 200)
    with allure.step("Check the changes and that the identity and other fields stayed"):
        assert patched.get("id") == entry["id"], f"PATCH answered entry {patched.get('id')!r}, not {entry['id']}"
        assert patched.get("uom") == "each" and patched.get("erp_vendor_name") == change["erp_vendor_name"], (
            f"uom and erp_vendor_name should read 'each' and {change['erp_vendor_name']!r}, got {patched}"
        )
        assert same_amount(change["price"], patched.get("price")), (
            f"price should be {change['price']}, got {patched.get('price')!r}"
        )
        kept = [k for k in ("item_name", "sku", "upc", "pack_size", "unit_price") if patched.get(k) != entry.get(k)]
        assert not kept, f"fields not sent changed: {[(k, entry.get(k), patched.get(k)) for k in kept]}"


def test_posting_an_entry_again_with_its_unique_key_updates_it(api, catalog_payloads, make_catalog_entry):
    """Posting an entry again with its catalog_unique_key updates that entry instead of adding one"""
    entry = make_catalog_entry()
    key = entry.get("catalog_unique_key")
    assert isinstance(key, str) and key, f"the entry should return its catalog_unique_key (§11), got {key!r}"
    again = catalog_payloads.entry(
        item_name=entry["item_name"], sku=entry["sku"], catalog_unique_key=key, price=catalog_payloads.money()
    )
    with allure.step("Post the entry again with the returned unique key and a new price"):
        updated = expect_status(api.post("/catalog/entries", json=again), 201)  # §11: create or update, 201
    with allure.step("Check the same entry answers, with the new price"):
        assert updated.get("id") == entry["id"], (
            f"the same unique key should update entry {entry['id']}, got entry {updated.get('id')!r}"
        )
        assert same_amount(again["price"], updated.get("price")), (
            f"the price should now be {again['price']}, got {updated.get('price')!r}"
        )


def test_bulk_catalogues_entries_as_a_batch(api, waiter, catalog_payloads):
    """A bulk call catalogues entries as a batch: 202, then one created entry per item"""
    items = [catalog_payloads.entry_item() for _ in range(2)]
    run = run_catalog_bulk(api, waiter, "/catalog/entries/bulk", catalog_payloads.bulk("entries", items))
    with allure.step("Check the 202 answer has every documented field"):
        assert_keys(run.accepted, ["version", "status", "batch_id", "batch_url", "results_url", "summary"], "202")
        assert run.accepted["summary"] == {"count": 2} or run.accepted["summary"].get("count") == 2, (
            f"summary.count should be the 2 items sent, got {run.accepted['summary']!r}"
        )
    with allure.step("Check every item became an entry with its name and sku"):
        assert run.progress.get("tasks_failed") == 0, f"no item should fail, progress says {run.progress}"
        created = [r.get("result") or {} for r in run.results]
        sent = sorted((i["item_name"], i["sku"]) for i in items)
        got = sorted((c.get("item_name"), c.get("sku")) for c in created)
        assert got == sent, f"the batch results should be the entries sent {sent}, got {got} ({run.results})"
        assert all(isinstance(c.get("id"), str) and c["id"] for c in created), f"every entry has an id: {created}"
