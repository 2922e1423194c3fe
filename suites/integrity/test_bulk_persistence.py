"""Bulk writes persist every field of every vendor (CONTRACT §9)."""

import allure
import pytest

from fixtures.checks import assert_fields_equal, expect_status
from fixtures.paging import find_by_id, server_time, vendors_near
from fixtures.strategies import NON_LATIN_SAMPLE

pytestmark = [pytest.mark.api_area("Vendors"), pytest.mark.contract("§9")]


def test_every_field_of_bulk_created_vendors_is_stored(api, company, payloads):
    """Every field of every bulk-created vendor is stored: read back by id and in the list"""
    items = [
        payloads.vendor_item(),
        payloads.vendor_item(address_line_2=NON_LATIN_SAMPLE, city="Zürich", state="ZH"),
        payloads.vendor_item(payment_method="wire_transfer", net_terms="EOM 15", zipcode="〒100-0001"),
    ]
    with allure.step("Create three vendors in one bulk call"):
        response = api.post("/vendors/bulk", json=payloads.vendor_bulk(company.id, items))
        answer = expect_status(response, 201)  # every vendor valid: 201 (§9)
        created = {v.get("erp_vendor_id"): v for v in answer.get("created", [])}
        assert len(created) == 3, f"three vendors should be created: {answer}"
    for item in items:
        vendor_id = created[item["erp_vendor_id"]]["id"]
        with allure.step(f"Read {item['erp_vendor_id']} back by id and compare every field"):
            stored = expect_status(api.get(f"/vendors/{vendor_id}"), 200)["vendor"]
            assert_fields_equal({**item, "ottimate_company_id": company.id}, stored, f"Vendor {vendor_id}")
    with allure.step("List the company's vendors changed around then"):
        listed = vendors_near(api, company.id, server_time(response), seconds=900)
        if any(find_by_id(listed, v["id"]) is None for v in created.values()):  # the clocks disagree
            listed = vendors_near(api, company.id, None)
    for item in items:
        vendor_id = created[item["erp_vendor_id"]]["id"]
        with allure.step(f"Find {item['erp_vendor_id']} in the list and compare every field"):
            found = find_by_id(listed, vendor_id)
            assert found is not None, f"bulk-created vendor {vendor_id} is not in the company's list"
            assert_fields_equal(item, found, f"Vendor {vendor_id} in the list")


def test_every_field_of_bulk_created_dimensions_is_stored(api, company, payloads, run_id):
    """Every field of every bulk-created dimension is stored and listed under its ERP type"""
    erp_type = f"Bulk {run_id}-{payloads.number()}"
    items = [payloads.dimension_item(ottimate_type=t, erp_type=erp_type) for t in ("employee", "taxcode", "property")]
    items[1]["name"] = f"Test Dimension - Налог 税 - {run_id} - {payloads.number()}"
    with allure.step("Create three dimensions in one bulk call"):
        answer = expect_status(api.post("/dimensions/bulk", json=payloads.dimension_bulk(company.id, items)), 201)
        ids = {entry.get("name"): entry.get("id") for entry in answer.get("created", [])}
        assert len(ids) == 3, f"three dimensions should be created: {answer}"
        unnamed = [item["name"] for item in items if item["name"] not in ids]
        assert not unnamed, f"the bulk answer does not name these dimensions as sent: {unnamed}; it names {list(ids)}"
    with allure.step("List the dimensions of that ERP type"):
        body = expect_status(
            api.get("/dimensions", params={"ottimate_company_id": company.id, "erp_type": erp_type}), 200
        )
    for item in items:
        with allure.step(f"Compare {item['name']!r} by id and in the list"):
            stored = expect_status(api.get(f"/dimensions/{ids[item['name']]}"), 200)["dimension"]
            assert_fields_equal(item, stored, f"Dimension {ids[item['name']]}")
            listed = next((d for d in body["dimensions"] if d.get("id") == ids[item["name"]]), None)
            assert listed is not None, f"dimension {ids[item['name']]} is not listed under {erp_type!r}"
            assert_fields_equal(item, listed, f"Dimension {ids[item['name']]} in the list")
