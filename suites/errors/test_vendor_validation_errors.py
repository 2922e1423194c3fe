"""Vendors: invalid writes are refused with 400 and an ErrorResponse naming the field (CONTRACT §7, §9)."""

import allure
import pytest

from fixtures.checks import assert_error_response, judging, our_reading
from fixtures.data import VENDOR_REQUIRED_FIELDS

pytestmark = [pytest.mark.api_area("Vendors"), pytest.mark.contract("§7", "§9")]

# One wrong type per field (objects, lists and a boolean among them); Hypothesis adds others
# (test_generated_invalid_payloads.py).
WRONG_TYPES = [
    ("ottimate_company_id", "not-a-number"),
    ("erp_vendor_name", {"name": "nested object"}),
    ("erp_vendor_id", True),
    ("email", ["not", "a", "string"]),
    ("phone", {"number": 5550100}),
    ("net_terms", ["Net 30"]),
    ("city", {"name": "Springfield"}),
    ("zipcode", [12345]),
]


@pytest.mark.parametrize("missing", VENDOR_REQUIRED_FIELDS)
def test_creating_a_vendor_without_a_required_field_is_refused(api, company, payloads, missing):
    """Creating a vendor without a required field is refused with 400 naming the field"""
    body = payloads.vendor(company.id)
    del body[missing]
    with allure.step(f"Create a vendor without '{missing}'"):
        response = api.post("/vendors", json=body)
    assert_error_response(response, 400, mentions=missing)


@pytest.mark.parametrize(("field", "value"), WRONG_TYPES, ids=[f"{f}={type(v).__name__}" for f, v in WRONG_TYPES])
def test_creating_a_vendor_with_a_wrongly_typed_field_is_refused(api, company, payloads, field, value):
    """Creating a vendor with a field of the wrong type is refused with 400 naming the field"""
    body = payloads.vendor(company.id, **{field: value})
    with allure.step(f"Create a vendor whose '{field}' is {type(value).__name__} {value!r}"):
        response = api.post("/vendors", json=body)
    assert_error_response(response, 400, mentions=field)


@pytest.mark.parametrize("method", ["bitcoin", "CHECK", "", "wire transfer"])
def test_creating_a_vendor_with_an_undocumented_payment_method_is_refused(api, company, payloads, method):
    """Creating a vendor with a payment method outside the documented values is refused"""
    body = payloads.vendor(company.id, payment_method=method)
    with allure.step(f"Create a vendor paid by {method!r}"):
        response = api.post("/vendors", json=body)
    assert_error_response(response, 400, mentions="payment_method")


def test_creating_a_vendor_with_an_empty_body_is_refused(api):
    """Creating a vendor with an empty JSON object is refused with 400"""
    with allure.step("Create a vendor from {}"):
        response = api.post("/vendors", json={})
    assert_error_response(response, 400, mentions=VENDOR_REQUIRED_FIELDS)


def test_creating_a_vendor_from_a_json_list_is_refused(api, company, payloads):
    """Creating a vendor from a JSON list instead of an object is refused with 400"""
    with allure.step("Create a vendor from a list holding a valid vendor"):
        response = api.post("/vendors", json=[payloads.vendor(company.id)])
    assert_error_response(response, 400)


def test_bulk_of_more_than_100_vendors_is_refused(api, company, payloads):
    """A bulk call with more than 100 vendors is refused with 400"""
    items = [payloads.vendor_item() for _ in range(101)]
    with allure.step("Send 101 vendors in one bulk call"):
        response = api.post("/vendors/bulk", json=payloads.vendor_bulk(company.id, items))
    assert_error_response(response, 400, mentions=("vendors", "100"))


def test_bulk_without_a_company_is_refused(api, payloads):
    """A vendor bulk call without ottimate_company_id is refused with 400 naming it"""
    with allure.step("Send a bulk call with vendors but no company"):
        response = api.post("/vendors/bulk", json={"vendors": [payloads.vendor_item()]})
    assert_error_response(response, 400, mentions="ottimate_company_id")


def test_bulk_with_vendors_that_is_not_a_list_is_refused(api, company, payloads):
    """A vendor bulk call whose 'vendors' is not a list is refused with 400 naming it"""
    with allure.step("Send a bulk call whose 'vendors' is a single object"):
        response = api.post(
            "/vendors/bulk", json={"ottimate_company_id": company.id, "vendors": payloads.vendor_item()}
        )
    assert_error_response(response, 400, mentions="vendors")


@pytest.mark.readonly
def test_reading_an_unknown_vendor_answers_404(api):
    """Reading a vendor id that does not exist answers 404"""
    with allure.step("Read vendor 987654321987"):
        response = api.get("/vendors/987654321987")
    assert_error_response(response, 404)


@pytest.mark.readonly
def test_reading_a_malformed_vendor_id_answers_404(api):
    """Reading a vendor id that is not a number answers 404"""
    with allure.step("Read vendor 'not-a-vendor-id'"):
        response = api.get("/vendors/not-a-vendor-id")
    assert_error_response(response, response.status_code if response.status_code in (400, 404) else 404)
    with our_reading("unknown-or-malformed-entity-id", "a malformed id is an unknown one: 404"):
        assert_error_response(response, 404)


def test_a_second_vendor_with_the_same_erp_id_is_refused(api, company, payloads, vendor):
    """Creating a vendor with an ERP id its company already has is refused, and no second vendor is made"""
    again = payloads.vendor(company.id, erp_vendor_id=vendor["erp_vendor_id"])
    with allure.step(f"Create another vendor with ERP id {vendor['erp_vendor_id']!r}"):
        response = api.post("/vendors", json=again)
    # erp_vendor_id is the vendor's unique key within its company (§9): a second vendor must not be made.
    if 200 <= response.status_code < 300:
        with judging(response):
            made = (response.json().get("vendor") or {}).get("id")
            assert made == vendor["id"], f"a second vendor {made} was made with ERP id {vendor['erp_vendor_id']!r}"
    with our_reading("duplicate-erp-vendor-id-on-single-create", "a duplicate ERP id is refused with 400"):
        assert_error_response(response, 400, mentions="erp_vendor_id")
