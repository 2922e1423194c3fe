"""Vendors in bulk: create or update up to 100 vendors in one call, matched by ERP id (CONTRACT §9)."""

import allure
import pytest

from fixtures.checks import assert_fields_equal, assert_keys, expect_status, is_int
from fixtures.paging import find_by_id, server_time, vendors_near

pytestmark = [pytest.mark.api_area("Vendors"), pytest.mark.contract("§9")]

# A bulk whose every vendor is valid answers 201 (§9: the Reference and the guide agree). When some fail,
# the Reference says 201 and the guide 207 Multi-Status (§19 #6; DECISIONS "Vendor bulk partial failure"):
# only then are both accepted.
PARTIAL_FAILURE_OK = (201, 207)
COUNT_KEYS = ("success_count", "created_count", "updated_count", "error_count")


def check_bulk_answer(answer):
    """The bulk answer's counts agree with its lists."""
    assert_keys(answer, ["version", *COUNT_KEYS, "created", "updated", "errors"], "POST /vendors/bulk answer")
    for key in COUNT_KEYS:
        assert is_int(answer[key]), f"'{key}' should be an integer, got {answer[key]!r}"
    assert answer["created_count"] == len(answer["created"]), (
        f"created_count {answer['created_count']} but {len(answer['created'])} vendors in 'created'"
    )
    assert answer["updated_count"] == len(answer["updated"]), (
        f"updated_count {answer['updated_count']} but {len(answer['updated'])} vendors in 'updated'"
    )
    assert answer["error_count"] == len(answer["errors"]), (
        f"error_count {answer['error_count']} but {len(answer['errors'])} entries in 'errors'"
    )
    assert answer["success_count"] == answer["created_count"] + answer["updated_count"], (
        f"success_count {answer['success_count']} should be created {answer['created_count']} "
        f"+ updated {answer['updated_count']}"
    )


def by_erp_id(vendors):
    return {v.get("erp_vendor_id"): v for v in vendors}


def test_bulk_creates_new_vendors_and_then_updates_them_by_erp_id(api, company, payloads):
    """Bulk creates new vendors, then updates the same vendors when sent again with their ERP ids"""
    items = [payloads.vendor_item() for _ in range(3)]
    with allure.step("Send three new vendors in one bulk call"):
        first = expect_status(api.post("/vendors/bulk", json=payloads.vendor_bulk(company.id, items)), 201)
    with allure.step("Check all three were created, with every field as sent"):
        check_bulk_answer(first)
        assert (first["created_count"], first["updated_count"], first["error_count"]) == (3, 0, 0), (
            f"expected 3 created, 0 updated, 0 errors; got {first['created_count']}, "
            f"{first['updated_count']}, {first['error_count']}: {first['errors']}"
        )
        created = by_erp_id(first["created"])
        for item in items:
            assert item["erp_vendor_id"] in created, f"{item['erp_vendor_id']} is not among the created vendors"
            assert_fields_equal(item, created[item["erp_vendor_id"]], f"Bulk-created vendor {item['erp_vendor_id']}")
            assert created[item["erp_vendor_id"]].get("ottimate_company_id") == company.id

    changed = [
        {
            **item,
            "erp_vendor_name": item["erp_vendor_name"] + " (renamed)",
            "city": "Springfield",
            "net_terms": "Net 60",
        }
        for item in items
    ]
    with allure.step("Send the same three ERP ids again with a new name, city and terms"):
        response = api.post("/vendors/bulk", json=payloads.vendor_bulk(company.id, changed))
        second = expect_status(response, 201)
    with allure.step("Check all three were updated in place, not created again"):
        check_bulk_answer(second)
        assert (second["created_count"], second["updated_count"], second["error_count"]) == (0, 3, 0), (
            f"expected 0 created, 3 updated, 0 errors; got {second['created_count']}, "
            f"{second['updated_count']}, {second['error_count']}: {second['errors']}"
        )
        updated = by_erp_id(second["updated"])
        for item in changed:
            erp_id = item["erp_vendor_id"]
            assert erp_id in updated, f"{erp_id} is not among the updated vendors"
            assert updated[erp_id].get("id") == created[erp_id].get("id"), (
                f"{erp_id} was updated into a different vendor: "
                f"{created[erp_id].get('id')} → {updated[erp_id].get('id')}"
            )
            assert_fields_equal(item, updated[erp_id], f"Bulk-updated vendor {erp_id}")
    with allure.step("Read the three vendors back from the company's list and see the update"):
        listed = vendors_near(api, company.id, server_time(response), seconds=900)
        if any(find_by_id(listed, v["id"]) is None for v in created.values()):  # the clocks disagree
            listed = vendors_near(api, company.id, None)
        for item in changed:
            vendor_id = created[item["erp_vendor_id"]]["id"]
            stored = find_by_id(listed, vendor_id)
            assert stored is not None, f"vendor {vendor_id} is not in the company's vendor list"
            assert_fields_equal(item, stored, f"Vendor {vendor_id} read after the bulk update")


def test_bulk_reports_an_invalid_vendor_by_its_index_and_keeps_the_valid_ones(api, company, payloads):
    """Bulk reports an invalid vendor by its index in 'errors' and still creates the valid ones"""
    good = payloads.vendor_item()
    bad = payloads.vendor_item(payment_method="bitcoin")
    with allure.step("Send a valid vendor and one with an undocumented payment method"):
        answer = expect_status(
            api.post("/vendors/bulk", json=payloads.vendor_bulk(company.id, [good, bad])), *PARTIAL_FAILURE_OK
        )
    with allure.step("Check the valid one was created and the invalid one reported at index 1"):
        check_bulk_answer(answer)
        assert answer["created_count"] == 1, f"the valid vendor should be created: {answer}"
        assert good["erp_vendor_id"] in by_erp_id(answer["created"]), f"{good['erp_vendor_id']} was not created"
        assert answer["error_count"] == 1, f"the invalid vendor should be reported as one error: {answer}"
        error = answer["errors"][0]
        assert_keys(error, ["index", "error"], "bulk error entry")
        assert error["index"] == 1, f"the invalid vendor is item 1, the error says index {error['index']!r}"
        assert isinstance(error["error"], str) and error["error"], f"the error needs a message: {error}"
        if error.get("erp_vendor_id") is not None:  # §9: errors[].erp_vendor_id is string|null
            assert error["erp_vendor_id"] == bad["erp_vendor_id"], f"the error names the wrong vendor: {error}"
        assert bad["erp_vendor_id"] not in by_erp_id(answer["created"] + answer["updated"]), (
            f"the invalid vendor {bad['erp_vendor_id']} was stored anyway"
        )
