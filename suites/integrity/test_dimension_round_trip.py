"""Dimensions keep exactly what was sent: every type, any text (CONTRACT §10)."""

import allure
import pytest
from hypothesis import given, settings

from fixtures.checks import about, assert_fields_equal, expect_status, judging
from fixtures.data import OTTIMATE_TYPES
from fixtures.paging import find_by_id, stable_walk
from fixtures.strategies import dimension_fields

pytestmark = [pytest.mark.api_area("Dimensions"), pytest.mark.contract("§10")]

NON_LATIN = {
    "name_part": "Отдел продаж 東京 🧾",
    "ottimate_type": "department",
    "erp_type": "Département ß",
    "code": "ΚΩΔ-01",
}


def dimension_body(company, payloads, fields):
    n = payloads.number()
    return {
        "ottimate_company_id": company.id,
        "ottimate_type": fields["ottimate_type"],
        # The ERP type is made unique so the list can be filtered down to this dimension.
        "erp_type": f"{fields['erp_type']} {payloads.run_id}-{n}",
        "name": f"Test Dimension - {fields['name_part']} - {payloads.run_id} - {n}",
        "code": fields["code"],
        "reference_id": f"REF-{payloads.run_id}-{n}",
        "erp_dimension_id": payloads.erp_dimension_id(n),
    }


def round_trip(api, company, body):
    with allure.step(f"Create a {body['ottimate_type']} dimension"):
        created = expect_status(api.post("/dimensions", json=body), 201)
        assert_fields_equal(body, created, "The create answer")
    with allure.step(f"Read dimension {created['id']} back by id"):
        stored = expect_status(api.get(f"/dimensions/{created['id']}"), 200)["dimension"]
        assert_fields_equal(body, stored, "The dimension read by id")
    with allure.step("Find it in the company's dimensions of its ERP type"):
        listed = stable_walk(
            api, "/dimensions", "dimensions", {"ottimate_company_id": company.id, "erp_type": body["erp_type"]}
        )
        found = find_by_id(listed, created["id"])
        assert found is not None, f"dimension {created['id']} is not listed under ERP type {body['erp_type']!r}"
        assert_fields_equal(body, found, "The dimension in the list")


@pytest.fixture(scope="module")
def every_type(api, company, payloads):
    """A dimension of each documented ottimate_type, all with the same non-Latin text and one ERP type of
    their own, created one after the other and then listed once under that ERP type: each type's check
    below reads its create answer and its entry in that list."""
    n = payloads.number()
    erp_type = f"{NON_LATIN['erp_type']} {payloads.run_id}-{n}"
    sent = {}
    with allure.step(f"Prepare: create a dimension of each of the {len(OTTIMATE_TYPES)} ottimate types"):
        for kind in OTTIMATE_TYPES:
            body = {**dimension_body(company, payloads, {**NON_LATIN, "ottimate_type": kind}), "erp_type": erp_type}
            sent[kind] = (body, api.post("/dimensions", json=body))
    with allure.step(f"Prepare: list the company's dimensions of ERP type {erp_type!r}"):
        listed = stable_walk(
            api, "/dimensions", "dimensions", {"ottimate_company_id": company.id, "erp_type": erp_type}
        )
    return sent, listed


@pytest.mark.parametrize("kind", OTTIMATE_TYPES)
def test_every_ottimate_type_is_kept(every_type, kind):
    """A dimension of every documented ottimate_type reads back identical, in the create answer and the list"""
    sent, listed = every_type
    body, response = sent[kind]
    with allure.step(f"Check the {kind} dimension as created"), judging(response):
        created = expect_status(response, 201)
        assert_fields_equal(body, created, "The create answer")
    with allure.step(f"Find it among the dimensions of ERP type {body['erp_type']!r}"), about("GET /dimensions"):
        found = find_by_id(listed, created["id"])
        assert found is not None, f"dimension {created['id']} is not listed under ERP type {body['erp_type']!r}"
        assert_fields_equal(body, found, "The dimension in the list")


def test_a_dimension_in_non_latin_text_reads_back_by_id(api, every_type):
    """A dimension named in Cyrillic, CJK and emoji, with a Greek code, reads back identical by id"""
    sent, _ = every_type
    body, response = sent[NON_LATIN["ottimate_type"]]
    created = expect_status(response, 201)
    with allure.step(f"Read dimension {created['id']} back by id"):
        stored = expect_status(api.get(f"/dimensions/{created['id']}"), 200)["dimension"]
        assert_fields_equal(body, stored, "The dimension read by id")


# NON_LATIN is not an explicit example here: every_type creates and lists it (with every ottimate type) and
# the check above reads it back by id.
@settings(deadline=None)
@given(fields=dimension_fields())
def test_a_dimension_reads_back_exactly_as_sent(api, company, payloads, fields):
    """A dimension with any text (any script, emoji) reads back identical, by id and in the list"""
    round_trip(api, company, dimension_body(company, payloads, fields))
