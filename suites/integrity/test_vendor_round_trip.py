"""Vendors keep exactly what was sent: any text, any script, every payment method (CONTRACT §9)."""

from contextlib import nullcontext

import allure
import pytest
from hypothesis import example, given, settings

from fixtures.checks import about, assert_fields_equal, expect_status, judging, our_reading
from fixtures.data import PAYMENT_METHODS
from fixtures.paging import find_by_id, locate_vendor, server_time, vendors_near
from fixtures.strategies import NON_LATIN_SAMPLE, vendor_fields

pytestmark = [pytest.mark.api_area("Vendors"), pytest.mark.contract("§9")]

# The documentation gives no length limit for the vendor's text fields (§9): up to 255 characters is ours.
ORDINARY_LENGTH = 100

LONGEST = {
    "name_part": "Ω" * 120,
    "email": "a" * 20 + "@example.com",
    "phone": "+1-212-555-0199",
    "net_terms": "2% 10 net 30",
    "payment_method": "wire_transfer",
    "address_line_1": ("東京都千代田区 🚚 " * 30)[:255],
    "address_line_2": "x" * 255,
    "city": "Z" * 100,
    "state": "Ж" * 50,
    "zipcode": "9" * 20,
}
NON_LATIN = {
    "name_part": "Ωμέγα Жук 東京 🍣",
    "email": "unicode@example.com",
    "phone": "+1-415-555-0123",
    "net_terms": "Net 30",
    "payment_method": "check",
    "address_line_1": NON_LATIN_SAMPLE,
    "address_line_2": "Bâtiment B – 2º étage",
    "city": "São Paulo",
    "state": "Île-de-France",
    "zipcode": "〒100-0001",
}


def vendor_body(company, payloads, fields):
    n = payloads.number()
    body = {key: value for key, value in fields.items() if key != "name_part"}
    name = f"Test Vendor - {fields['name_part']} - {payloads.run_id} - {n}"
    return {
        "ottimate_company_id": company.id,
        "erp_vendor_id": payloads.erp_vendor_id(n),
        "erp_vendor_name": name[:255],
        **body,
    }


def round_trip(api, company, body):
    long = [k for k, v in body.items() if isinstance(v, str) and len(v) > ORDINARY_LENGTH]
    with allure.step("Create a vendor with every documented field"):
        response = api.post("/vendors", json=body)
        lengths = our_reading("text-field-lengths", f"text of up to 255 characters is kept ({', '.join(long)})")
        with lengths if long else nullcontext():
            created = expect_status(response, 201)["vendor"]
        assert_fields_equal(body, created, "The create answer")
    with allure.step(f"Read vendor {created['id']} back by id"):
        response = api.get(f"/vendors/{created['id']}")
        stored = expect_status(response, 200)["vendor"]
        assert_fields_equal(body, stored, "The vendor read by id")
    with allure.step("Find the vendor in the company's vendor list"):
        listed = locate_vendor(api, company.id, created["id"], server_time(response))
        assert listed is not None, f"vendor {created['id']} is not in the vendor list of company {company.id}"
        assert_fields_equal(body, listed, "The vendor in the list")


# NON_LATIN is not an example here: test_every_payment_method_is_kept sends exactly it (with every method)
# and finds it in the list, and LONGEST reads non-Latin text back by id.
@settings(deadline=None)
@given(fields=vendor_fields())
@example(fields=LONGEST)
def test_a_vendor_reads_back_exactly_as_sent(api, company, payloads, fields):
    """A vendor with any text (any script, emoji, 1 to 255 characters) reads back identical, by id and in the list"""
    round_trip(api, company, vendor_body(company, payloads, fields))


def created_id(response):
    """The id of the vendor a create answered, if it answered one (judged by the check, not here)."""
    try:
        body = response.json()
    except ValueError:
        return None
    vendor = body.get("vendor") if isinstance(body, dict) else None
    return vendor.get("id") if isinstance(vendor, dict) else None


@pytest.fixture(scope="module")
def every_payment_method(api, company, payloads):
    """A vendor paid by each documented method, all with the same non-Latin text, created one after the
    other and then found in one read of the company's vendors changed around then: each method's check
    below reads its create answer and its entry in that list."""
    sent = {}
    with allure.step(f"Prepare: create a vendor paid by each of the {len(PAYMENT_METHODS)} payment methods"):
        for method in PAYMENT_METHODS:
            body = vendor_body(company, payloads, {**NON_LATIN, "payment_method": method})
            sent[method] = (body, api.post("/vendors", json=body))
    last = sent[PAYMENT_METHODS[-1]][1]
    with allure.step("Prepare: list the company's vendors changed around then"):
        listed = vendors_near(api, company.id, server_time(last), seconds=900)
        ids = [created_id(response) for _, response in sent.values()]
        if any(i is not None and find_by_id(listed, i) is None for i in ids):  # the clocks disagree
            listed = vendors_near(api, company.id, None)
    return sent, listed


@pytest.mark.parametrize("method", PAYMENT_METHODS)
def test_every_payment_method_is_kept(every_payment_method, method):
    """Every documented payment method is kept as sent, in the create answer and the list"""
    sent, listed = every_payment_method
    body, response = sent[method]
    with allure.step(f"Check the vendor paid by {method} as created"), judging(response):
        created = expect_status(response, 201)["vendor"]
        assert_fields_equal(body, created, "The create answer")
    with allure.step("Find the vendor in the company's vendor list"), about("GET /vendors"):
        found = find_by_id(listed, created["id"])
        assert found is not None, (
            f"vendor {created['id']} is not in the vendor list of company {body['ottimate_company_id']}"
        )
        assert_fields_equal(body, found, "The vendor in the list")


def test_a_vendor_with_only_the_required_fields_reads_back_with_empty_optional_fields(api, company, payloads):
    """A vendor created with only its required fields reads back with the optional fields empty"""
    n = payloads.number()
    body = {
        "ottimate_company_id": company.id,
        "erp_vendor_id": payloads.erp_vendor_id(n),
        "erp_vendor_name": payloads.vendor_name(n),
    }
    with allure.step("Create a vendor with the three required fields only"):
        created = expect_status(api.post("/vendors", json=body), 201)["vendor"]
    with allure.step("Read it back and check the optional fields are empty"):
        stored = expect_status(api.get(f"/vendors/{created['id']}"), 200)["vendor"]
        assert_fields_equal(body, stored, "The vendor read by id")
        filled = {
            k: stored.get(k) for k in ("email", "phone", "city", "address_line_1") if stored.get(k) not in (None, "")
        }
        assert not filled, f"optional fields never sent came back filled: {filled}"
