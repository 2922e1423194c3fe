"""The catalog keeps exactly what was sent: money to the cent wherever it is read, any script in names,
one entry per unique key, one allowance per reference, bulk items as sent, duplicates skipped
(CONTRACT §11, §16)."""

import allure
import pytest

from fixtures.catalog import read_entry, run_catalog_bulk, same_amount
from fixtures.checks import expect_status

pytestmark = [pytest.mark.api_area("Catalog"), pytest.mark.contract("§11", "§16")]

MONEY = ("price", "unit_price", "last_purchased_price")
UNICODE_NAME = "Jalapeño crème brûlée – Ωμέγα Жук 東京 🍣"


def money_differences(sent, got):
    return [f"{k}: sent {sent[k]!r}, got {got.get(k)!r}" for k in MONEY if not same_amount(sent[k], got.get(k))]


def listed_by_sku(api, company, sku, **params):
    with allure.step(f"List the catalog entries with sku {sku!r}"):
        body = expect_status(
            api.get("/catalog/entries", params={"ottimate_company_id": company.id, "sku": sku, **params}), 200
        )
    return body.get("results", []), body.get("count")


@pytest.fixture(scope="module")
def sent_entry(api, company, catalog_payloads):
    """One item named in many scripts and priced to the cent, catalogued once for the module and read back
    by id and in the list by its sku: the money and the name checks below judge the same three answers."""
    n = catalog_payloads.payloads.number()
    name = f"Test Item - {UNICODE_NAME} - {catalog_payloads.run_id} - {n}"
    description = f"Test Item - « {UNICODE_NAME} » 🧀 – {catalog_payloads.run_id}"
    body = catalog_payloads.entry(
        n, item_name=name, original_description=description, price=12.34, unit_price=1.03, last_purchased_price=11.99
    )
    with allure.step("Prepare: catalogue an item named in many scripts at 12.34 (unit 1.03, last purchased 11.99)"):
        created = expect_status(api.post("/catalog/entries", json=body), 201)
    stored = read_entry(api, created["id"])
    listed, _ = listed_by_sku(api, company, body["sku"])
    return body, created, stored, next((e for e in listed if e.get("id") == created["id"]), {})


def test_an_entrys_prices_read_back_to_the_cent_wherever_they_are_read(sent_entry):
    """An entry's prices read back to the cent in the create answer, by id and in the list"""
    body, created, stored, in_list = sent_entry
    with allure.step("Check every money field is the amount sent, in all three answers"):
        problems = {
            where: money_differences(body, got)
            for where, got in (("create answer", created), ("read by id", stored), ("list", in_list))
        }
        problems = {where: found for where, found in problems.items() if found}
        assert not problems, f"catalog money changed on the way: {problems}"


def test_a_price_reads_back_to_the_cent_in_the_price_list(api, company, catalog_payloads, catalog_entry):
    """A price reads back to the cent in the create answer and the price list"""
    body = catalog_payloads.price(catalog_entry["id"], price=7.05, unit_price=0.59)
    with allure.step("Price the item at 7.05 (unit price 0.59)"):
        created = expect_status(api.post("/catalog/prices", json=body), 201)
    with allure.step("List the item's prices"):
        params = {"ottimate_company_id": company.id, "catalog_entry_id": catalog_entry["id"]}
        listed = expect_status(api.get("/catalog/prices", params=params), 200)
    found = next((p for p in listed.get("results", []) if p.get("id") == created.get("id")), None)
    assert found is not None, f"price {created.get('id')} is missing from the item's price list: {listed}"
    with allure.step("Check the price and unit price are the amounts sent, both times"):
        wrong = [
            f"{where} {k}: sent {body[k]}, got {got.get(k)!r}"
            for where, got in (("create answer", created), ("list", found))
            for k in ("price", "unit_price")
            if not same_amount(body[k], got.get(k))
        ]
        assert not wrong, "a price changed on the way:\n  " + "\n  ".join(wrong)
        assert found.get("reference_id") == body["reference_id"], (
            f"reference_id: sent {body['reference_id']!r}: {found}"
        )


def test_an_item_named_in_any_script_reads_back_unchanged(sent_entry):
    """An item named in any script reads back unchanged, in the create answer, by id and in the list"""
    body, created, stored, in_list = sent_entry
    name = body["item_name"]
    with allure.step("Check the name reads back exactly, in the create answer, by id and in the list"):
        for where, got in (("create answer", created), ("read by id", stored), ("list", in_list)):
            assert got.get("item_name") == name, f"{where}: item_name sent {name!r}, got {got.get('item_name')!r}"


def test_posting_the_same_item_twice_keeps_one_entry(api, company, catalog_payloads):
    """Posting the same item twice keeps one entry with the latest price"""
    body = catalog_payloads.entry()
    with allure.step("Catalogue an item"):
        first = expect_status(api.post("/catalog/entries", json=body), 201)
    again = {**body, "price": 33.33}
    with allure.step("Catalogue the same item again (same vendor, sku, size and name) at 33.33"):
        second = expect_status(api.post("/catalog/entries", json=again), 201)  # §11: create or update, 201
    listed, count = listed_by_sku(api, company, body["sku"])
    with allure.step("Check there is one entry, at the new price"):
        assert second.get("id") == first.get("id"), (
            f"the same item should update entry {first.get('id')}, but the second post answered {second.get('id')!r}"
        )
        assert count == 1 and [e.get("id") for e in listed] == [first["id"]], (
            f"the catalog should hold one entry with sku {body['sku']!r}, got count {count}: {listed}"
        )
        assert same_amount(33.33, listed[0].get("price")), (
            f"the price should now be 33.33, got {listed[0].get('price')!r}"
        )


def test_an_allowance_posted_twice_with_its_reference_is_one_allowance(api, company, catalog_payloads, catalog_entry):
    """An allowance posted twice with the same reference_id is one allowance with the latest amount"""
    body = catalog_payloads.allowance(catalog_entry["id"], amount=2.5)
    with allure.step(f"Grant an allowance of 2.50 with reference {body['reference_id']!r}"):
        first = expect_status(api.post("/catalog/allowances", json=body), 201)
    with allure.step("Grant it again with the same reference and an amount of 4.00"):
        second = expect_status(api.post("/catalog/allowances", json={**body, "amount": 4.0}), 201)  # §11: 201
    with allure.step("List the item's allowances"):
        params = {"ottimate_company_id": company.id, "catalog_entry_id": catalog_entry["id"]}
        listed = expect_status(api.get("/catalog/allowances", params=params), 200)
    mine = [a for a in listed.get("results", []) if a.get("reference_id") == body["reference_id"]]
    with allure.step("Check one allowance holds the reference, at 4.00"):
        assert second.get("id") == first.get("id"), (
            f"the reference should update {first.get('id')}, got {second.get('id')!r}"
        )
        assert len(mine) == 1, f"one allowance should carry reference {body['reference_id']!r}, got {len(mine)}: {mine}"
        assert same_amount(4.0, mine[0].get("amount")), f"the amount should now be 4.00, got {mine[0].get('amount')!r}"


def test_a_changed_entry_reads_back_changed(api, catalog_payloads, make_catalog_entry):
    """An entry's changes read back by id, and what was not sent stays"""
    entry = make_catalog_entry()
    change = {"upc": "0123456789012", "buying_format": None, "unit_price": 2.22, "properties": {"shelf": "B2"}}
    with allure.step(f"Change entry {entry['id']}: upc, buying format cleared, unit price"):
        expect_status(api.patch(f"/catalog/entries/{entry['id']}", json=change), 200)
    stored = read_entry(api, entry["id"])
    with allure.step("Check the changes persisted and the rest is as created"):
        assert stored.get("upc") == change["upc"] and stored.get("buying_format") is None, (
            f"upc should be {change['upc']!r} and buying_format null, "
            f"got {stored.get('upc')!r} / {stored.get('buying_format')!r}"
        )
        assert same_amount(2.22, stored.get("unit_price")), (
            f"unit_price should be 2.22, got {stored.get('unit_price')!r}"
        )
        kept = [
            k
            for k in ("item_name", "sku", "price", "pack_size", "uom", "erp_vendor_id")
            if stored.get(k) != entry.get(k)
        ]
        assert not kept, f"fields not sent changed: {[(k, entry.get(k), stored.get(k)) for k in kept]}"


def test_bulk_entries_persist_as_sent(api, waiter, catalog_payloads):
    """Entries created by a bulk batch read back by id as they were sent"""
    items = [catalog_payloads.entry_item() for _ in range(2)]
    run = run_catalog_bulk(api, waiter, "/catalog/entries/bulk", catalog_payloads.bulk("entries", items))
    created = {(r.get("result") or {}).get("sku"): r.get("result") or {} for r in run.results}
    for item in items:
        result = created.get(item["sku"])
        assert result and result.get("id"), f"the batch has no created entry for sku {item['sku']!r}: {run.results}"
        stored = read_entry(api, result["id"])
        with allure.step(f"Check entry {result['id']} is the item sent"):
            differences = [
                f"{k}: sent {item[k]!r}, got {stored.get(k)!r}"
                for k in ("item_name", "sku", "upc", "uom", "erp_vendor_id", "reference_id")
                if stored.get(k) != item[k]
            ] + money_differences(item, stored)
            where = f"bulk entry {result['id']}"
            assert not differences, f"{where} differs from what was sent:\n  " + "\n  ".join(differences)


def test_a_bulk_price_duplicating_an_existing_one_is_skipped(api, company, waiter, catalog_payloads, catalog_entry):
    """A bulk price duplicating an existing price is skipped, leaving one price with its reference"""
    price = catalog_payloads.price_item(catalog_entry["id"], start_date="2028-01-01T00:00:00Z", end_date=None)
    with allure.step(f"Price the item with reference {price['reference_id']!r}"):
        expect_status(api.post("/catalog/prices", json={"ottimate_company_id": company.id, **price}), 201)
    run = run_catalog_bulk(api, waiter, "/catalog/prices/bulk", catalog_payloads.bulk("prices", [price]))
    with allure.step("Check the duplicate was not created"):
        # What a skipped task reports is UNKNOWN (§11 says only "duplicates skipped"): the price list decides.
        assert len(run.results) == 1, f"one item was sent, so one task result is expected, got {run.results}"
        params = {
            "ottimate_company_id": company.id,
            "catalog_entry_id": catalog_entry["id"],
            "effective_date": "2028-06-01",
        }
        listed = expect_status(api.get("/catalog/prices", params=params), 200)
        same = [p for p in listed.get("results", []) if p.get("reference_id") == price["reference_id"]]
        assert len(same) == 1, f"one price should carry reference {price['reference_id']!r}, got {len(same)}: {same}"
