"""The ERP's own vendors and dimensions sync through the bulk endpoints and read back field for field
(CONTRACT §9, §10). The records come from the plan's ERP files, else from Faker (``fixtures/erp.py``)."""

import allure
import pytest

from fixtures.checks import assert_fields_equal, expect_status
from fixtures.data import VENDOR_OPTIONAL_FIELDS
from fixtures.paging import find_by_id, server_time, vendors_near

pytestmark = pytest.mark.contract("§9", "§10")

BULK_LIMIT = 100  # records per bulk call (CONTRACT §9, §10)


def chunks(items):
    return [items[start : start + BULK_LIMIT] for start in range(0, len(items), BULK_LIMIT)]


def bulk_sync(api, path, body, what, source):
    response = api.post(path, json=body)
    answer = expect_status(response, 201)  # §9, §10: 201 when no record fails (any failure is reported below)
    errors = answer.get("errors") or []
    assert not errors and not answer.get("error_count"), f"the bulk call refused {what} from {source}: {errors}"
    return response, [*answer.get("created", []), *answer.get("updated", [])]


@pytest.mark.api_area("Vendors")
def test_the_erps_vendors_sync_in_bulk_and_read_back_field_for_field(api, company, payloads, erp_vendors):
    """The ERP's vendors sync through the bulk endpoint and every one reads back field for field"""
    items = erp_vendors.items
    allure.dynamic.description(f"{len(items)} vendors, {erp_vendors.source}.")
    assert items, f"no ERP vendors to sync ({erp_vendors.source})"  # the plan refuses an empty file
    ids = {}
    for chunk in chunks(items):
        with allure.step(f"Sync {len(chunk)} vendors in one bulk call ({erp_vendors.source})"):
            body = payloads.vendor_bulk(company.id, chunk)
            response, synced = bulk_sync(api, "/vendors/bulk", body, "vendors", erp_vendors.source)
            for vendor in synced:
                ids[vendor.get("erp_vendor_id")] = vendor.get("id")
            missing = [item["erp_vendor_id"] for item in chunk if item["erp_vendor_id"] not in ids]
            assert not missing, f"the bulk answer lists no created or updated vendor for {missing}"
    # Read back from the company's list (100 a page) rather than one read by id each: a large ERP file
    # costs a few requests of the daily quota, not one per record.
    with allure.step("List the company's vendors changed around the sync"):
        listed = vendors_near(api, company.id, server_time(response), seconds=900)
        if any(find_by_id(listed, ids[item["erp_vendor_id"]]) is None for item in items):  # the clocks disagree
            listed = vendors_near(api, company.id, None)
    for item in items:
        with allure.step(f"Find {item['erp_vendor_id']} in the list and compare every field"):
            stored = find_by_id(listed, ids[item["erp_vendor_id"]])
            assert stored is not None, f"synced vendor {item['erp_vendor_id']} is not in the company's vendor list"
            assert_fields_equal({**item, "ottimate_company_id": company.id}, stored, f"Vendor {item['erp_vendor_id']}")
            filled = {
                key: stored.get(key)
                for key in VENDOR_OPTIONAL_FIELDS
                if key not in item and stored.get(key) not in (None, "")
            }
            assert not filled, f"fields the ERP left empty came back filled: {filled}"


@pytest.mark.api_area("Dimensions")
def test_the_erps_dimensions_sync_in_bulk_and_read_back_field_for_field(api, company, payloads, erp_dimensions):
    """The ERP's dimensions sync through the bulk endpoint and every one reads back field for field"""
    items = erp_dimensions.items
    allure.dynamic.description(f"{len(items)} dimensions, {erp_dimensions.source}.")
    assert items, f"no ERP dimensions to sync ({erp_dimensions.source})"  # the plan refuses an empty file
    ids = {}
    for chunk in chunks(items):
        with allure.step(f"Sync {len(chunk)} dimensions in one bulk call ({erp_dimensions.source})"):
            body = payloads.dimension_bulk(company.id, chunk)
            _, synced = bulk_sync(api, "/dimensions/bulk", body, "dimensions", erp_dimensions.source)
            for dimension in synced:
                ids[dimension.get("name")] = dimension.get("id")
            missing = [item["name"] for item in chunk if item["name"] not in ids]
            assert not missing, f"the bulk answer names no created or updated dimension {missing}"
    for item in items:
        with allure.step(f"Read {item['erp_dimension_id']} back by id and compare every field"):
            stored = expect_status(api.get(f"/dimensions/{ids[item['name']]}"), 200)["dimension"]
            assert_fields_equal(
                {**item, "ottimate_company_id": company.id}, stored, f"Dimension {item['erp_dimension_id']}"
            )
