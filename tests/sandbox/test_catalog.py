"""Catalog (§11): entry upserts and the unique key, deprecated fields, prices, allowances, variances."""

from __future__ import annotations

from datetime import date

import httpx

from ottimate_validation.sandbox.catalog.models import VarianceItem

from .conftest import Box, assert_error
from .procurement import entry_body, results_of


def test_an_entry_is_upserted_on_its_generated_unique_key(api: httpx.Client, company_id: int) -> None:
    first = api.post("/catalog/entries", json=entry_body(company_id))
    assert first.status_code == 201, first.text
    entry = first.json()
    assert entry["id"].startswith("cte_") and entry["price"] == "19.50" and entry["warnings"] == []
    again = api.post("/catalog/entries", json=entry_body(company_id, price=21))
    assert again.json()["id"] == entry["id"] and again.json()["price"] == "21.00"
    renamed = api.post("/catalog/entries", json=entry_body(company_id, item_name="Test Item - Renamed"))
    assert renamed.json()["id"] != entry["id"]  # an identity field changed: a new entry, the old one orphaned


def test_a_sent_unique_key_is_normalised_and_reused(api: httpx.Client, company_id: int) -> None:
    first = api.post("/catalog/entries", json=entry_body(company_id, catalog_unique_key="  My KEY  ")).json()
    assert first["catalog_unique_key"] == "my key"
    second = api.post("/catalog/entries", json=entry_body(company_id, 2, catalog_unique_key="my key")).json()
    assert second["id"] == first["id"] and second["item_name"] == "Test Item - Harness 2"


def test_deprecated_description_becomes_item_name_with_a_warning(api: httpx.Client, company_id: int) -> None:
    body = {k: v for k, v in entry_body(company_id).items() if k not in ("item_name", "prices", "allowances")}
    r = api.post("/catalog/entries", json={**body, "description": "Test Item - Old Style"})
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry["item_name"] == "Test Item - Old Style"
    messages = " ".join(w["message"] for w in entry["warnings"])
    assert "description" in messages and "prices" in messages and "allowances" in messages


def test_an_entry_without_a_name_or_vendor_is_rejected(api: httpx.Client, company_id: int) -> None:
    assert_error(api.post("/catalog/entries", json={"ottimate_company_id": company_id}), 400, "validation_error")


def test_nested_prices_and_allowances_are_created_and_expanded(api: httpx.Client, company_id: int) -> None:
    body = entry_body(
        company_id,
        prices=[{"price": 18.75, "start_date": "2026-01-01T00:00:00Z"}],
        allowances=[{"allowance": 1.5, "start_date": "2026-01-01", "reference_id": "AL-N"}],
    )
    entry = api.post("/catalog/entries", json=body).json()
    assert entry["prices"][0]["price"] == "18.75" and entry["prices"][0]["price_type"] == 10
    assert entry["allowances"][0]["amount"] == "1.50"
    plain = api.get("/catalog/entries", params={"ottimate_company_id": company_id, "sku": "CAT-SKU-1"}).json()
    assert "prices" not in plain["results"][0]
    expanded = api.get(
        "/catalog/entries", params={"ottimate_company_id": company_id, "sku": "CAT-SKU-1", "expand": "prices"}
    ).json()
    assert len(expanded["results"][0]["prices"]) == 1 and "allowances" not in expanded["results"][0]


def test_the_entry_list_needs_a_company_and_pages_by_fifty(api: httpx.Client, company_id: int) -> None:
    assert_error(api.get("/catalog/entries"), 400, "invalid_parameter")
    listed = api.get("/catalog/entries", params={"ottimate_company_id": company_id}).json()
    assert listed["per_page"] == 50 and listed["page"] == 1 and listed["count"] == len(listed["results"])
    assert_error(api.get("/catalog/entries", params={"ottimate_company_id": company_id, "limit": 101}), 400)


def test_entry_filters(api: httpx.Client, company_id: int) -> None:
    api.post("/catalog/entries", json=entry_body(company_id, buying_format="Case"))
    api.post("/catalog/entries", json=entry_body(company_id, 2))
    query = {"ottimate_company_id": company_id}
    assert api.get("/catalog/entries", params={**query, "search": "harness 2"}).json()["count"] == 1
    assert api.get("/catalog/entries", params={**query, "buying_format": "Case"}).json()["count"] == 1
    nulls = api.get("/catalog/entries", params={**query, "buying_format": "null"}).json()["results"]
    assert all(e["buying_format"] is None for e in nulls) and len(nulls) >= 1
    assert api.get("/catalog/entries", params={**query, "price": "19.5", "sku": "CAT-SKU-2"}).json()["count"] == 1


def test_patch_changes_an_entry_and_an_empty_vendor_name_clears_it(api: httpx.Client, company_id: int) -> None:
    entry = api.post("/catalog/entries", json=entry_body(company_id)).json()
    named = api.patch(f"/catalog/entries/{entry['id']}", json={"erp_vendor_name": "Test Vendor - Override"}).json()
    assert named["erp_vendor_name"] == "Test Vendor - Override"
    cleared = api.patch(f"/catalog/entries/{entry['id']}", json={"erp_vendor_name": "", "uom": "each"}).json()
    assert cleared["erp_vendor_name"] is None and cleared["uom"] == "each"
    assert_error(api.patch("/catalog/entries/cte_0", json={"uom": "each"}), 404, "not_found")


def test_a_location_user_may_read_but_not_write_the_catalog(box: Box, api: httpx.Client, company_id: int) -> None:
    with box.api("location") as scoped:
        assert scoped.get("/catalog/entries", params={"ottimate_company_id": company_id}).status_code == 200
        assert_error(scoped.post("/catalog/entries", json=entry_body(company_id)), 403, "forbidden")
    other_company = box.ids(api)[1][1]
    with box.api("company") as scoped:
        assert_error(scoped.get("/catalog/entries", params={"ottimate_company_id": other_company}), 403, "forbidden")


def test_allowances_upsert_on_reference_id_and_accept_an_integer_entry_id(api: httpx.Client, company_id: int) -> None:
    entry = api.post("/catalog/entries", json=entry_body(company_id)).json()
    body = {
        "ottimate_company_id": company_id,
        "catalog_entry_id": int(entry["id"].removeprefix("cte_")),
        "amount": 1.0,
        "start_date": "2026-01-01",
        "reference_id": "AL-1",
    }
    first = api.post("/catalog/allowances", json=body)
    assert first.status_code == 201, first.text
    assert first.json()["catalog_entry_id"] == entry["id"] and first.json()["target"] == 10
    second = api.post("/catalog/allowances", json={**body, "catalog_entry_id": entry["id"], "amount": 2.0}).json()
    assert second["id"] == first.json()["id"] and second["amount"] == "2.00"
    listed = api.get("/catalog/allowances", params={"ottimate_company_id": company_id, "catalog_entry_id": entry["id"]})
    assert listed.json()["count"] == 1
    patched = api.patch(f"/catalog/allowances/{second['id']}", json={"allowance_type": "rebate"}).json()
    assert patched["allowance_type"] == "rebate"
    assert_error(api.patch(f"/catalog/allowances/{second['id']}", json={"target": "location"}), 400)
    assert_error(api.patch("/catalog/allowances/cta_x", json={"amount": 1}), 404)


def test_prices_list_by_effective_date_and_bulk_skips_duplicates(box: Box, api: httpx.Client, company_id: int) -> None:
    entry = api.post("/catalog/entries", json=entry_body(company_id)).json()
    price = {"catalog_entry_id": entry["id"], "price": 17.0, "start_date": "2026-01-01", "end_date": "2026-01-31"}
    created = api.post("/catalog/prices", json={"ottimate_company_id": company_id, **price})
    assert created.status_code == 201 and created.json()["price_type_display"] == "company"
    query = {"ottimate_company_id": company_id, "catalog_entry_id": entry["id"]}
    assert api.get("/catalog/prices", params={**query, "effective_date": "2026-01-15"}).json()["count"] == 1
    assert api.get("/catalog/prices", params={**query, "effective_date": "2026-02-15"}).json()["count"] == 0
    bulk = api.post(
        "/catalog/prices/bulk",
        json={"ottimate_company_id": company_id, "prices": [price, {**price, "start_date": "2026-02-01"}]},
    )
    skipped, added = results_of(box, api, bulk)
    assert skipped["result"] is None and skipped["message"].startswith("skipped")
    assert added["result"]["start_date_utc"].startswith("2026-02-01")


def test_a_location_price_needs_a_location_of_the_company(api: httpx.Client, company_id: int) -> None:
    entry = api.post("/catalog/entries", json=entry_body(company_id)).json()
    body = {"ottimate_company_id": company_id, "catalog_entry_id": entry["id"], "price": 1, "start_date": "2026-01-01"}
    assert_error(api.post("/catalog/prices", json={**body, "price_type": "location"}), 400, "validation_error")


def test_entry_and_allowance_bulk_run_as_batches(box: Box, api: httpx.Client, company_id: int) -> None:
    r = api.post(
        "/catalog/entries/bulk",
        json={"ottimate_company_id": company_id, "entries": [entry_body(company_id, 5), {"x": 1}]},
    )
    assert r.json()["summary"] == {"count": 2}
    ok, failed = results_of(box, api, r)
    assert ok["result"]["item_name"] == "Test Item - Harness 5" and failed["result"] is None
    allowance = {"catalog_entry_id": ok["result"]["id"], "amount": 1, "start_date": "2026-01-01", "reference_id": "B"}
    r = api.post("/catalog/allowances/bulk", json={"ottimate_company_id": company_id, "allowances": [allowance]})
    assert results_of(box, api, r)[0]["result"]["reference_id"] == "B"
    too_many = {"ottimate_company_id": company_id, "entries": [entry_body(company_id)] * 1001}
    assert_error(api.post("/catalog/entries/bulk", json=too_many), 400)


def test_seeded_variances_are_listed_and_filtered(api: httpx.Client, company_id: int) -> None:
    query = {"ottimate_company_id": company_id}
    every = api.get("/catalog/variances", params=query).json()
    assert every["count"] == 2
    over = api.get("/catalog/variances", params={**query, "exception_type": "overbilling"}).json()["results"]
    under = api.get("/catalog/variances", params={**query, "exception_type": "underbilling"}).json()["results"]
    assert len(over) == len(under) == 1
    assert over[0]["last_invoice_item"]["price_variance"] > 0 > under[0]["last_invoice_item"]["price_variance"]
    items = api.get(f"/catalog/variances/{over[0]['id']}/invoice-items").json()
    assert items["count"] == 2 and items["limit"] == 20
    assert api.get("/catalog/variances", params={**query, "erp_vendor_ids": "NOBODY"}).json()["count"] == 0


def test_the_invoice_items_hook_feeds_variances(box: Box, api: httpx.Client, company_id: int) -> None:
    entry = api.post("/catalog/entries", json=entry_body(company_id)).json()
    location = box.ids(api)[2][0]
    line = VarianceItem(1, 2, location, "Test Item - Harness 1", 25.0, 1.0, date(2026, 11, 1), 5.5, 25.0)
    box.sb.state.catalog.invoice_items_hook = lambda e: [line] if e.id == entry["id"] else []
    found = api.get("/catalog/variances", params={"ottimate_company_id": company_id, "variance_only": "true"})
    assert entry["id"] in [r["id"] for r in found.json()["results"]]


def test_variance_batches_list_only_exported_ones_and_export_once(box: Box, api: httpx.Client, company_id: int) -> None:
    query = {"ottimate_company_id": company_id}
    before = api.get("/catalog/variance-batches", params=query).json()
    assert before["count"] == 1 and before["next"] is None and before["results"][0]["export_status"] == "exported"
    pending = next(
        b.id
        for b in box.sb.state.catalog.variance_batches.values()
        if b.ottimate_company_id == company_id and b.export_status == "pending"
    )
    exported = api.post(f"/catalog/variance-batches/{pending}/export")
    assert exported.status_code == 200 and exported.json()["export_status"] == "exported"
    assert api.get("/catalog/variance-batches", params=query).json()["count"] == 2
    assert_error(api.post(f"/catalog/variance-batches/{pending}/export"), 400, "already_exported")
    assert_error(api.post("/catalog/variance-batches/ctb_nope/export"), 404, "not_found")
    paged = api.get("/catalog/variance-batches", params={**query, "limit": 1}).json()
    assert paged["next"] is not None and paged["previous"] is None


def test_fault_catalog_price_corrupted(box: Box, api: httpx.Client, company_id: int) -> None:
    entry = api.post("/catalog/entries", json=entry_body(company_id)).json()
    box.control("PUT", "faults", json={"enabled": ["catalog_price_corrupted"]})
    assert api.get(f"/catalog/entries/{entry['id']}").json()["price"] == "195.00"


def test_an_invoice_line_billing_a_catalogued_item_is_a_variance_against_the_price_in_effect(
    box: Box, api: httpx.Client, company_id: int
) -> None:
    entry = api.post("/catalog/entries", json=entry_body(company_id, 7, price=20)).json()
    price = {"catalog_entry_id": entry["id"], "price": 22.4, "start_date": "2026-01-01", "end_date": "2026-12-31"}
    assert api.post("/catalog/prices", json={"ottimate_company_id": company_id, **price}).status_code == 201
    location = box.ids(api)[2][0]
    line = {"name": "whatever the vendor calls it", "sku": "CAT-SKU-7", "quantity": 2, "price": 24.15}
    for day, billed in (("2026-06-15", line), ("2027-02-01", {**line, "price": 19.0})):
        invoice = {"ottimate_location_id": location, "erp_vendor_id": "HV-1", "invoice_date": day, "items": [billed]}
        assert api.post("/invoices", json=invoice).status_code == 201
    items = api.get(f"/catalog/variances/{entry['id']}/invoice-items").json()["results"]
    # Newest first: in 2027 only the entry's own price (20) applies; in June 2026 the agreed 22.40 does.
    assert [(i["invoice_date"], i["price_variance"]) for i in items] == [("2027-02-01", -1.0), ("2026-06-15", 1.75)]
    query = {"ottimate_company_id": company_id, "erp_vendor_ids": "HV-1", "exception_type": "underbilling"}
    assert entry["id"] in [r["id"] for r in api.get("/catalog/variances", params=query).json()["results"]]
    other_vendor = {"ottimate_location_id": location, "erp_vendor_id": "HV-2", "items": [line]}
    assert api.post("/invoices", json=other_vendor).status_code == 201
    assert api.get(f"/catalog/variances/{entry['id']}/invoice-items").json()["count"] == 2  # another vendor's line
