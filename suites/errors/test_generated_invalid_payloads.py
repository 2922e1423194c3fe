"""Generated invalid writes: whatever field is missing or mistyped, the answer is 400 (CONTRACT §7)."""

import allure
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fixtures.checks import assert_error_response
from fixtures.data import DIMENSION_REQUIRED_FIELDS, OTTIMATE_TYPES, PAYMENT_METHODS, VENDOR_REQUIRED_FIELDS

pytestmark = [pytest.mark.api_area("Validation"), pytest.mark.contract("§7")]

VENDOR_TEXT_FIELDS = (
    "erp_vendor_name",
    "erp_vendor_id",
    "email",
    "phone",
    "net_terms",
    "address_line_1",
    "address_line_2",
    "city",
    "state",
    "zipcode",
)
DIMENSION_TEXT_FIELDS = ("erp_type", "name", "code", "reference_id", "erp_dimension_id")

# Values no reading of "string" or "integer" accepts (a number is left out for strings: some
# frameworks turn 5 into "5").
NOT_A_STRING = st.one_of(
    st.booleans(),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=5), min_size=1, max_size=2),
)
NOT_AN_INTEGER = st.one_of(
    st.text(min_size=1, max_size=10).filter(lambda s: any(c.isalpha() for c in s)),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(min_size=1, max_size=5), st.integers(), min_size=1, max_size=2),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f != int(f)),
)


def not_one_of(values):
    return st.one_of(NOT_A_STRING, st.text(max_size=20).filter(lambda s: s not in values))


@st.composite
def broken_write(draw):
    """(path, the way it is broken, the field concerned, a function breaking a valid body)."""
    path = draw(st.sampled_from(["/vendors", "/dimensions"]))
    required = VENDOR_REQUIRED_FIELDS if path == "/vendors" else DIMENSION_REQUIRED_FIELDS
    text_fields = VENDOR_TEXT_FIELDS if path == "/vendors" else DIMENSION_TEXT_FIELDS
    enum_field, enum_values = (
        ("payment_method", PAYMENT_METHODS) if path == "/vendors" else ("ottimate_type", OTTIMATE_TYPES)
    )
    how = draw(st.sampled_from(["drop a required field", "null a required field", "give a field the wrong type"]))
    if how == "drop a required field":
        field = draw(st.sampled_from(required))
        return path, how, field, None
    if how == "null a required field":
        field = draw(st.sampled_from(required))
        return path, how, field, None
    field = draw(st.sampled_from(["ottimate_company_id", enum_field, *text_fields]))
    if field == "ottimate_company_id":
        value = draw(NOT_AN_INTEGER)
    elif field == enum_field:
        value = draw(not_one_of(enum_values))
    else:
        value = draw(NOT_A_STRING)
    return path, how, field, value


@settings(deadline=None)
@given(broken=broken_write())
def test_any_write_with_a_missing_or_mistyped_field_is_refused(api, company, payloads, broken):
    """Any vendor or dimension write with a missing, null or mistyped field is refused with 400"""
    path, how, field, value = broken
    body = payloads.vendor(company.id) if path == "/vendors" else payloads.dimension(company.id)
    if how == "drop a required field":
        del body[field]
    elif how == "null a required field":
        body[field] = None
    else:
        body[field] = value
    with allure.step(f"POST {path}: {how} ({field}{'' if how != 'give a field the wrong type' else f' = {value!r}'})"):
        response = api.post(path, json=body)
    assert_error_response(response, 400, mentions=field)
