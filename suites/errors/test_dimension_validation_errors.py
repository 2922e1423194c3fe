"""Dimensions: invalid writes are refused with 400 and an ErrorResponse naming the field (CONTRACT §7, §10)."""

import allure
import pytest

from fixtures.checks import assert_error_response, our_reading
from fixtures.data import DIMENSION_REQUIRED_FIELDS

pytestmark = [pytest.mark.api_area("Dimensions"), pytest.mark.contract("§7", "§10")]

WRONG_TYPES = [
    ("ottimate_company_id", "not-a-number"),
    ("name", {"name": "nested object"}),
    ("erp_type", ["Department"]),
    ("code", {"code": 1}),
    ("reference_id", ["REF"]),
    ("erp_dimension_id", True),
    ("ottimate_type", ["department"]),
]


@pytest.mark.parametrize("missing", DIMENSION_REQUIRED_FIELDS)
def test_creating_a_dimension_without_a_required_field_is_refused(api, company, payloads, missing):
    """Creating a dimension without one of its required fields is refused with 400 naming the field"""
    body = payloads.dimension(company.id)
    del body[missing]
    with allure.step(f"Create a dimension without '{missing}'"):
        response = api.post("/dimensions", json=body)
    assert_error_response(response, 400, mentions=missing)


@pytest.mark.parametrize(("field", "value"), WRONG_TYPES, ids=[f"{f}={type(v).__name__}" for f, v in WRONG_TYPES])
def test_creating_a_dimension_with_a_wrongly_typed_field_is_refused(api, company, payloads, field, value):
    """Creating a dimension with a field of the wrong type is refused with 400 naming the field"""
    body = payloads.dimension(company.id, **{field: value})
    with allure.step(f"Create a dimension whose '{field}' is {type(value).__name__} {value!r}"):
        response = api.post("/dimensions", json=body)
    assert_error_response(response, 400, mentions=field)


@pytest.mark.parametrize("kind", ["galaxy", "Department", "cost_type", ""])
def test_creating_a_dimension_with_an_undocumented_ottimate_type_is_refused(api, company, payloads, kind):
    """Creating a dimension with an ottimate_type outside the 16 documented values is refused"""
    body = payloads.dimension(company.id)
    body["ottimate_type"] = kind
    with allure.step(f"Create a dimension of ottimate_type {kind!r}"):
        response = api.post("/dimensions", json=body)
    assert_error_response(response, 400, mentions="ottimate_type")


def test_bulk_of_more_than_100_dimensions_is_refused(api, company, payloads):
    """A bulk call with more than 100 dimensions is refused with 400"""
    items = [payloads.dimension_item() for _ in range(101)]
    with allure.step("Send 101 dimensions in one bulk call"):
        response = api.post("/dimensions/bulk", json=payloads.dimension_bulk(company.id, items))
    assert_error_response(response, 400, mentions=("dimensions", "100"))


def test_dimension_bulk_without_dimensions_is_refused(api, company):
    """A dimension bulk call without its required 'dimensions' list is refused with 400 naming it"""
    with allure.step("Send a dimension bulk call with a company and nothing else"):
        response = api.post("/dimensions/bulk", json={"ottimate_company_id": company.id})
    assert_error_response(response, 400, mentions="dimensions")


@pytest.mark.readonly
def test_reading_an_unknown_dimension_answers_404(api, run_id):
    """Reading a dimension id that does not exist answers 404"""
    with allure.step("Read dimension dim_doesnotexist"):
        response = api.get(f"/dimensions/dim_doesnotexist{run_id.replace('-', '')}")
    assert_error_response(response, 404)


@pytest.mark.readonly
def test_reading_a_malformed_dimension_id_answers_404(api):
    """Reading a dimension id of the wrong form answers 404"""
    with allure.step("Read dimension '12345'"):
        response = api.get("/dimensions/12345")
    assert_error_response(response, response.status_code if response.status_code in (400, 404) else 404)
    with our_reading("unknown-or-malformed-entity-id", "a malformed id is an unknown one: 404"):
        assert_error_response(response, 404)
