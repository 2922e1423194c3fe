"""Requests the API cannot read: malformed JSON, unknown routes and methods, bad list queries."""

import allure
import pytest

from fixtures.checks import assert_error_response, judging, our_reading

pytestmark = [pytest.mark.api_area("Requests"), pytest.mark.contract("§6.1", "§6.2", "§7", "§9")]


@pytest.mark.parametrize(
    "payload",
    [b'{"erp_vendor_name": "Test Vendor - Broken', b"{'single': 'quotes'}", b"not json at all", b""],
    ids=["truncated", "single quotes", "plain text", "empty body"],
)
def test_a_write_with_a_body_that_is_not_json_is_refused(api, payload):
    """A write whose body is not valid JSON is refused with 400"""
    with allure.step("Create a vendor from a body that is not valid JSON"):
        response = api.post("/vendors", content=payload, headers={"Content-Type": "application/json"})
    assert_error_response(response, 400)


@pytest.mark.readonly
def test_an_unknown_route_answers_404_with_an_error_response(api):
    """An unknown route answers 404 with an ErrorResponse"""
    with allure.step("GET /no-such-resource"):
        response = api.get("/no-such-resource")
    with judging(response):
        assert response.status_code == 404, f"an unknown route answered {response.status_code}: {response.text[:300]}"
    # An unknown route is no documented operation: that it answers an ErrorResponse is our reading.
    with our_reading("unknown-route-wrong-method", "an unknown route answers an ErrorResponse"):
        assert_error_response(response, 404)


@pytest.mark.parametrize(("method", "path"), [("DELETE", "/vendors"), ("PUT", "/dimensions"), ("DELETE", "/accounts")])
def test_an_undocumented_method_answers_405_with_an_error_response(api, method, path):
    """A method a route does not offer answers 405 with an ErrorResponse"""
    with allure.step(f"{method} {path}"):
        response = api.request(method, path)
    with judging(response):
        assert 400 <= response.status_code < 500, (
            f"{method} {path} is not an operation of the API and should be refused, got {response.status_code}"
        )
    # 405 with an ErrorResponse is our reading: the documentation lists no answer for a method a route lacks.
    with our_reading("unknown-route-wrong-method", "a method a route does not offer answers 405 with an ErrorResponse"):
        assert_error_response(response, 405)


@pytest.mark.readonly
@pytest.mark.parametrize("bound", ["last_modified_date_from", "last_modified_date_to"])
def test_a_vendor_date_filter_without_a_company_is_refused(api, bound):
    """A vendor last-modified filter without ottimate_company_id is refused with 400"""
    with allure.step(f"List vendors by {bound} without a company"):
        response = api.get("/vendors", params={bound: "2024-01-01"})
    assert_error_response(response, 400, mentions=("ottimate_company_id", bound))


@pytest.mark.readonly
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("last_modified_date_from", "31/12/2024"),
        ("last_modified_date_from", "yesterday"),
        ("last_modified_date_to", "2024-13-45"),
        ("last_modified_date_from_utc", "not-a-date"),
        ("last_modified_date_to_utc", "2024-02-30T10:00:00Z"),
    ],
)
def test_a_vendor_date_filter_in_an_undocumented_format_is_refused(api, company, name, value):
    """A vendor last-modified filter in an undocumented date format is refused with 400"""
    with allure.step(f"List vendors with {name}={value!r}"):
        response = api.get("/vendors", params={"ottimate_company_id": company.id, name: value})
    assert_error_response(response, 400, mentions=name.removesuffix("_utc"))


# One page-size rule for the lists (CONTRACT §6.1, DECISIONS "Page size limits"): each bad size is sent
# once, the two lists taking turns, so both lists are checked without sending every size to each.
PAGE_SIZES = [
    pytest.param("0", "/vendors", id="0-/vendors"),
    pytest.param("101", "/dimensions", id="101-/dimensions"),
    pytest.param("-5", "/vendors", id="-5-/vendors"),
    pytest.param("many", "/dimensions", id="many-/dimensions"),
]


@pytest.mark.readonly
@pytest.mark.parametrize(("limit", "path"), PAGE_SIZES)
def test_a_page_size_outside_1_to_100_is_refused(api, company, path, limit):
    """A list page size (limit) outside 1..100 is refused with 400"""
    with allure.step(f"List {path[1:]} with limit={limit}"):
        response = api.get(path, params={"ottimate_company_id": company.id, "limit": limit})
    with our_reading("page-size-limits", "a page size outside 1-100 is refused with 400"):
        assert_error_response(response, 400, mentions="limit")


@pytest.mark.readonly
@pytest.mark.parametrize("path", ["/vendors", "/dimensions"])
def test_a_company_filter_that_is_not_a_number_is_refused(api, path):
    """A company filter that is not a number is refused with 400"""
    with allure.step(f"List {path[1:]} of company 'abc'"):
        response = api.get(path, params={"ottimate_company_id": "abc"})
    assert_error_response(response, 400, mentions="ottimate_company_id")


def test_a_write_in_another_content_type_is_refused(api, company, payloads):
    """A write whose body is form-encoded instead of JSON is refused"""
    body = {key: str(value) for key, value in payloads.vendor(company.id).items()}
    with allure.step("Create a vendor from a form-encoded body"):
        response = api.post("/vendors", data=body)
    with judging(response):
        assert 400 <= response.status_code < 500, (
            f"a body in another content type than JSON (§7) should be refused, got {response.status_code}"
        )
    # Which 4xx is open: 415 would be HTTP's own; ours keeps to the documented statuses.
    with our_reading("wrong-content-type-on-a-json-endpoint", "a body that is not JSON is refused with 400"):
        assert_error_response(response, 400)


@pytest.mark.readonly
def test_an_undocumented_api_version_is_refused(raw_http):
    """A call naming an X-API-Version other than 1.0.0 and 1.1.0 is refused with 400"""
    http = raw_http({"X-API-Version": "9.9.9"})
    with allure.step("List the accounts with X-API-Version 9.9.9"):
        response = http.get("/accounts")
    # §3 allows 1.0.0 and 1.1.0; whether another is refused or served as the latest is open.
    with our_reading("x-api-version-values", "an X-API-Version other than 1.0.0 and 1.1.0 is refused with 400"):
        assert_error_response(response, 400, mentions="version")
