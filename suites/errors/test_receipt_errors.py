"""Receipts: invalid writes are refused with 400 naming the problem, unknown ids with 404 (CONTRACT §7, §15)."""

import allure
import pytest

from fixtures.checks import assert_error_response, expect_status, judging, our_reading

pytestmark = [pytest.mark.api_area("Receipts"), pytest.mark.contract("§7", "§15")]

REQUIRED = ("receipt_number", "date", "total_amount", "items")
UNKNOWN_RECEIPT = "00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize("missing", REQUIRED)
def test_creating_a_receipt_without_a_required_field_is_refused(api, purchase_order, procurement_bodies, missing):
    """Creating a receipt without a required field is refused with 400 naming the field"""
    body = procurement_bodies.receipt(purchase_order)
    del body[missing]
    with allure.step(f"Create a receipt without '{missing}'"):
        response = api.post("/receipts", json=body)
    assert_error_response(response, 400, mentions=missing)


def test_a_receipt_item_without_a_quantity_is_refused(api, purchase_order, procurement_bodies):
    """Creating a receipt whose item has no quantity is refused with 400 naming it"""
    body = procurement_bodies.receipt(purchase_order)
    del body["items"][0]["quantity"]
    with allure.step("Create a receipt whose item has no quantity"):
        response = api.post("/receipts", json=body)
    assert_error_response(response, 400, mentions="quantity")


def test_a_receipt_with_an_incomplete_po_lookup_is_refused(api, purchase_order, procurement_bodies):
    """A receipt naming its PO by vendor and location but neither PO number nor external id is refused with 400"""
    body = procurement_bodies.receipt(purchase_order, "po_number")
    del body["po_number"]
    with allure.step("Create a receipt that finds its PO by vendor and location only"):
        response = api.post("/receipts", json=body)
    assert_error_response(response, 400)


def test_a_receipt_for_a_purchase_order_that_does_not_exist_is_refused(api, purchase_order, procurement_bodies):
    """A receipt against a PO id that does not exist is refused with 400"""
    body = procurement_bodies.receipt(purchase_order, ottimate_po_id="00000000-0000-4000-8000-000000000000")
    with allure.step("Create a receipt against a PO id that does not exist"):
        response = api.post("/receipts", json=body)
    assert_error_response(response, 400)


def test_a_receipt_item_that_matches_no_po_item_is_refused(api, purchase_order, procurement_bodies):
    """A receipt item whose SKU matches no item of the PO is refused with 400"""
    body = procurement_bodies.receipt(purchase_order)
    body["items"][0]["sku"] = f"TSKU-{procurement_bodies.run_id}-not-on-the-po"
    with allure.step("Create a receipt for a SKU the purchase order does not have"):
        response = api.post("/receipts", json=body)
    assert_error_response(response, 400)


def test_moving_a_receipt_to_another_purchase_order_is_refused(api, receipt, make_purchase_order):
    """Changing a receipt's purchase order with PATCH is refused with 400 naming ottimate_po_id"""
    other = make_purchase_order(items=1)
    with allure.step(f"Move receipt {receipt['id']} to purchase order {other['id']}"):
        response = api.patch(f"/receipts/{receipt['id']}", json={"ottimate_po_id": other["id"]})
    if 200 <= response.status_code < 300:  # accepted: the receipt must still be on its PO (§15: it cannot change)
        with judging(response):
            kept = expect_status(response, response.status_code).get("ottimate_po_id")
            assert kept == receipt["ottimate_po_id"], f"PATCH moved the receipt to PO {kept!r} (§15: it cannot)"
    with our_reading("immutable-fields-on-patch", "a change of ottimate_po_id is refused with 400"):
        assert_error_response(response, 400, mentions="ottimate_po_id")


@pytest.mark.readonly
def test_reading_an_unknown_receipt_answers_404(api):
    """Reading a receipt id that does not exist answers 404"""
    with allure.step(f"Read receipt {UNKNOWN_RECEIPT}"):
        response = api.get(f"/receipts/{UNKNOWN_RECEIPT}")
    assert_error_response(response, 404)


def test_updating_an_unknown_receipt_answers_404(api):
    """Updating a receipt id that does not exist answers 404"""
    with allure.step(f"Update receipt {UNKNOWN_RECEIPT}"):
        response = api.patch(f"/receipts/{UNKNOWN_RECEIPT}", json={"note": "nothing to update"})
    assert_error_response(response, 404)


def test_a_receipt_bulk_call_without_a_company_is_refused(api, purchase_order, procurement_bodies):
    """A receipt bulk call without ottimate_company_id is refused with 400 naming it"""
    with allure.step("Send a receipt bulk call with no company"):
        response = api.post("/receipts/bulk", json={"receipts": [procurement_bodies.receipt(purchase_order)]})
    assert_error_response(response, 400, mentions="ottimate_company_id")
