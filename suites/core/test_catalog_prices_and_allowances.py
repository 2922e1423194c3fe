"""Catalog prices and allowances: create, list by entry, location and date, change, bulk (CONTRACT §11, §16)."""

import allure
import pytest

from fixtures.catalog import PRICE_TYPES, run_catalog_bulk, same_amount
from fixtures.checks import assert_keys, expect_status, is_int

pytestmark = [pytest.mark.api_area("Catalog"), pytest.mark.contract("§11", "§16")]

PRICE_KEYS = ("id", "catalog_entry_id", "price", "price_type", "start_date")
ALLOWANCE_KEYS = ("id", "catalog_entry_id", "allowance_type", "amount", "target", "start_date")


@pytest.fixture(scope="module")
def priced_entry(make_catalog_entry):
    """An entry holding exactly one company price and one allowance (no other test of the module adds any)."""
    return make_catalog_entry()


@pytest.fixture(scope="module")
def company_price(api, catalog_payloads, priced_entry):
    """A company price of the module's entry for 2026, with the body it was created from."""
    body = catalog_payloads.price(priced_entry["id"])
    with allure.step(f"Prepare: price entry {priced_entry['id']} at {body['price']} for 2026"):
        created = expect_status(api.post("/catalog/prices", json=body), 201)
    return body, created


@pytest.fixture(scope="module")
def company_allowance(api, catalog_payloads, priced_entry):
    """A company allowance of the module's entry, with the body it was created from."""
    body = catalog_payloads.allowance(priced_entry["id"])
    with allure.step(f"Prepare: grant an allowance of {body['amount']} on entry {priced_entry['id']}"):
        created = expect_status(api.post("/catalog/allowances", json=body), 201)
    return body, created


def test_pricing_an_item_for_the_company_answers_201_with_the_price(priced_entry, company_price):
    """Pricing a catalogued item for the whole company answers 201 with the price"""
    body, price = company_price
    with allure.step("Check the price object: its entry, amounts, type code and dates"):
        assert_keys(price, PRICE_KEYS, "POST /catalog/prices answer")
        assert isinstance(price["id"], str) and price["id"], f"a price id is a string (§11), got {price['id']!r}"
        assert price["catalog_entry_id"] == priced_entry["id"], (
            f"the price should belong to entry {priced_entry['id']}, got {price['catalog_entry_id']!r}"
        )
        for key in ("price", "unit_price"):
            assert same_amount(body[key], price.get(key)), f"{key}: sent {body[key]}, got {price.get(key)!r}"
        # §11: price_type is an integer code in answers; its mapping is only documented for allowance targets.
        assert is_int(price["price_type"]), (
            f"price_type is an integer code in answers (§11), got {price['price_type']!r}"
        )
        assert price.get("reference_id") == body["reference_id"], (
            f"reference_id: sent {body['reference_id']!r}, got {price.get('reference_id')!r}"
        )
        assert str(price["start_date"]).startswith("2026-01-01"), f"start_date should be 2026-01-01, got {price}"


def test_the_price_list_shows_an_entrys_price_only_on_days_it_is_in_effect(api, company, priced_entry, company_price):
    """The price list shows an item's price on a day it is in effect, and not after it ends"""
    _, price = company_price
    query = {"ottimate_company_id": company.id, "catalog_entry_id": priced_entry["id"]}
    with allure.step("List the item's prices in effect on 2026-06-15"):
        during = expect_status(api.get("/catalog/prices", params={**query, "effective_date": "2026-06-15"}), 200)
    with allure.step("List the item's prices in effect on 2027-06-15, after the price ends"):
        after = expect_status(api.get("/catalog/prices", params={**query, "effective_date": "2027-06-15"}), 200)
    with allure.step("Check the envelope and that the price is listed only while in effect"):
        assert_keys(during, ["count", "page", "per_page", "results"], "GET /catalog/prices")
        assert during["per_page"] == 20, f"the documented default page size is 20, got {during['per_page']!r}"
        ids = [p.get("id") for p in during["results"]]
        assert ids == [price["id"]] and during["count"] == 1, (
            f"on 2026-06-15 only price {price['id']} is in effect, got count {during['count']} and ids {ids}"
        )
        late = [p.get("id") for p in after.get("results", [])]
        assert price["id"] not in late, f"the price ends 2026-12-31 but is listed as in effect on 2027-06-15: {late}"


def test_a_location_price_applies_to_that_location(
    api, company, catalog_location, catalog_payloads, catalog_entry, company_price
):
    """Pricing an item for one location answers a location price the location's price list shows"""
    company_code = company_price[1].get("price_type")
    location = catalog_location
    body = catalog_payloads.price(catalog_entry["id"], price_type="location", ottimate_location_id=location.id)
    with allure.step(f"Price the item for location {location.name!r}"):
        price = expect_status(api.post("/catalog/prices", json=body), 201)
    with allure.step("List the item's location prices at that location"):
        params = {
            "ottimate_company_id": company.id,
            "catalog_entry_id": catalog_entry["id"],
            "ottimate_location_id": location.id,
            "price_type": "location",
        }
        listed = expect_status(api.get("/catalog/prices", params=params), 200)
    with allure.step("Check the price is a location price of that location, and listed"):
        assert (
            is_int(price.get("price_type"))
            and price["price_type"] != company_code
            and price.get("ottimate_location_id") == location.id
        ), f"expected an integer price_type other than the company's {company_code} at location {location.id}: {price}"
        found = [p for p in listed.get("results", []) if p.get("id") == price.get("id")]
        assert found, f"the location price {price.get('id')} is missing from the location's list: {listed}"
        strays = [p.get("id") for p in listed["results"] if p.get("price_type") != price["price_type"]]
        assert not strays, f"price_type=location listed prices of another type: {strays}"


def test_bulk_prices_an_item_as_a_batch(api, waiter, catalog_payloads, catalog_entry):
    """A bulk call adds prices as a batch: 202, then one created price per item"""
    items = [
        catalog_payloads.price_item(catalog_entry["id"], start_date=start, end_date=None)
        for start in ("2027-01-01T00:00:00Z", "2027-07-01T00:00:00Z")
    ]
    run = run_catalog_bulk(api, waiter, "/catalog/prices/bulk", catalog_payloads.bulk("prices", items))
    with allure.step("Check every item became a price of the entry with its amount"):
        assert run.progress.get("tasks_failed") == 0, f"no price should fail, progress says {run.progress}"
        created = [r.get("result") or {} for r in run.results]
        sent = sorted((i["reference_id"], str(i["price"])) for i in items)
        got = sorted((c.get("reference_id"), c.get("price")) for c in created)
        assert [r for r, _ in got] == [r for r, _ in sent], f"the results should be the prices sent: {sent}, got {got}"
        wrong = [(s, g) for (_, s), (_, g) in zip(sent, got, strict=True) if not same_amount(s, g)]
        assert not wrong, f"prices read back with other amounts (sent, got): {wrong}"
        assert all(c.get("catalog_entry_id") == catalog_entry["id"] for c in created), f"entry mismatch: {created}"


def test_granting_an_allowance_answers_201_with_the_allowance(priced_entry, company_allowance):
    """Granting an allowance on a catalogued item answers 201 with the allowance"""
    body, allowance = company_allowance
    with allure.step("Check the allowance object: its entry, type, amounts and target code"):
        assert_keys(allowance, ALLOWANCE_KEYS, "POST /catalog/allowances answer")
        assert isinstance(allowance["id"], str) and allowance["id"], f"an allowance id is a string, got {allowance}"
        assert allowance["catalog_entry_id"] == priced_entry["id"], (
            f"the allowance should belong to entry {priced_entry['id']}, got {allowance['catalog_entry_id']!r}"
        )
        assert allowance["allowance_type"] == body["allowance_type"], f"allowance_type: sent discount, got {allowance}"
        for key in ("amount", "unit_allowance"):
            assert same_amount(body[key], allowance.get(key)), f"{key}: sent {body[key]}, got {allowance.get(key)!r}"
        assert allowance["target"] == PRICE_TYPES["company"], (
            f"a company allowance has target {PRICE_TYPES['company']} (§11), got {allowance['target']!r}"
        )


def test_the_allowance_list_shows_an_entrys_allowances(api, company, priced_entry, company_allowance):
    """The allowance list of an item shows its allowance, in the documented envelope"""
    _, allowance = company_allowance
    params = {
        "ottimate_company_id": company.id,
        "catalog_entry_id": priced_entry["id"],
        "effective_date": "2026-06-15",
    }
    with allure.step("List the item's allowances in effect on 2026-06-15"):
        body = expect_status(api.get("/catalog/allowances", params=params), 200)
    with allure.step("Check the envelope {count, results} and the allowance in it"):
        assert_keys(body, ["count", "results"], "GET /catalog/allowances")
        assert is_int(body["count"]), f"count should be an integer, got {body['count']!r}"
        ids = [a.get("id") for a in body["results"]]
        assert ids == [allowance["id"]] and body["count"] == 1, (
            f"the item has exactly allowance {allowance['id']}, got count {body['count']} and ids {ids}"
        )


def test_changing_an_allowance_updates_its_type_and_amount(api, catalog_payloads, catalog_entry):
    """Changing an allowance's type and amount answers the allowance with both changed"""
    body = catalog_payloads.allowance(catalog_entry["id"])
    with allure.step("Grant an allowance"):
        allowance = expect_status(api.post("/catalog/allowances", json=body), 201)
    change = {"allowance_type": "rebate", "amount": 3.75}
    with allure.step(f"Change allowance {allowance['id']} to a rebate of 3.75"):
        changed = expect_status(api.patch(f"/catalog/allowances/{allowance['id']}", json=change), 200)
    with allure.step("Check the type and amount changed and the rest stayed"):
        assert changed.get("id") == allowance["id"], f"PATCH answered allowance {changed.get('id')!r}"
        assert changed.get("allowance_type") == "rebate" and same_amount(3.75, changed.get("amount")), (
            f"expected a rebate of 3.75, got {changed}"
        )
        kept = [
            k
            for k in ("catalog_entry_id", "target", "unit_allowance", "reference_id")
            if changed.get(k) != allowance.get(k)
        ]
        assert not kept, f"fields not sent changed: {[(k, allowance.get(k), changed.get(k)) for k in kept]}"


def test_bulk_grants_allowances_as_a_batch(api, waiter, catalog_payloads, catalog_entry):
    """A bulk call grants allowances as a batch: 202, then the allowance created"""
    item = catalog_payloads.allowance_item(catalog_entry["id"], allowance_type="allowance")
    run = run_catalog_bulk(api, waiter, "/catalog/allowances/bulk", catalog_payloads.bulk("allowances", [item]))
    with allure.step("Check the one item became the allowance sent"):
        assert len(run.results) == 1 and run.results[0].get("message") is None, f"expected one success: {run.results}"
        created = run.results[0].get("result") or {}
        assert created.get("reference_id") == item["reference_id"], (
            f"expected reference {item['reference_id']!r}: {created}"
        )
        assert same_amount(item["amount"], created.get("amount")), f"amount: sent {item['amount']}, got {created}"
        assert created.get("catalog_entry_id") == catalog_entry["id"], f"entry mismatch: {created}"
