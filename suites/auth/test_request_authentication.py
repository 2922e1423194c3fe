"""Every resource call needs both credentials: X-Api-Key and a bearer token (CONTRACT §2)."""

import uuid

import allure
import pytest

from fixtures.checks import assert_error_response, expect_status

pytestmark = [pytest.mark.api_area("Request authentication"), pytest.mark.contract("§2")]

# Reads are safe against any host; the refused write is not (were it accepted, it would write).
WRITE = pytest.param("POST", "/vendors", id="POST /vendors")


def read(path):
    return pytest.param("GET", path, id=f"GET {path}", marks=pytest.mark.readonly)


# Each missing or bad credential is tried on the write and on one read, the reads taking turns, so every
# call is refused for some credential without sending every credential problem to every call.
WITHOUT_TOKEN = [read("/accounts"), WRITE]
WITHOUT_KEY = [read("/vendors"), WRITE]
GARBAGE_TOKEN = [read("/dimensions"), WRITE]


def send(http, method, path, company):
    if method == "POST":
        # With a key, as every write of the suites: a throttled attempt can be retried without a second write.
        return http.post(
            path,
            json={
                "ottimate_company_id": company.id,
                "erp_vendor_name": "Test Vendor - Unauthorised",
                "erp_vendor_id": "TV-unauthorised",
            },
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
    return http.get(path)


@pytest.mark.parametrize(("method", "path"), WITHOUT_TOKEN)
def test_a_call_without_the_bearer_token_is_refused_with_401(raw_http, target, company, method, path):
    """A resource call with the API key but no bearer token is refused with 401"""
    http = raw_http({"X-Api-Key": target.credentials.api_key}, authenticated=False)
    with allure.step(f"{method} {path} without Authorization"):
        response = send(http, method, path, company)
    assert_error_response(response, 401)


@pytest.mark.parametrize(("method", "path"), WITHOUT_KEY)
def test_a_call_without_the_api_key_is_refused_with_401(raw_http, auth_headers, company, method, path):
    """A resource call with a valid bearer token but no X-Api-Key is refused with 401"""
    http = raw_http({"Authorization": auth_headers["Authorization"]}, authenticated=False)
    with allure.step(f"{method} {path} without X-Api-Key"):
        response = send(http, method, path, company)
    assert_error_response(response, 401)


@pytest.mark.parametrize(("method", "path"), GARBAGE_TOKEN)
def test_a_call_with_a_garbage_token_is_refused_with_401(raw_http, target, company, method, path):
    """A resource call with a token the API never issued is refused with 401"""
    http = raw_http(
        {"X-Api-Key": target.credentials.api_key, "Authorization": "Bearer not-a-real-token-0000"}, authenticated=False
    )
    with allure.step(f"{method} {path} with a made-up bearer token"):
        response = send(http, method, path, company)
    assert_error_response(response, 401)


@pytest.mark.readonly
def test_a_call_with_an_unknown_api_key_is_refused_with_401(raw_http, auth_headers, run_id):
    """A resource call with a valid token but an API key nobody has is refused with 401"""
    http = raw_http(
        {"Authorization": auth_headers["Authorization"], "X-Api-Key": f"unknown-key-{run_id}"}, authenticated=False
    )
    with allure.step("List the accounts with an unknown API key"):
        response = http.get("/accounts")
    assert_error_response(response, 401)


@pytest.mark.readonly
def test_a_call_without_any_credentials_is_refused_with_401(anonymous_http):
    """A resource call with no credentials at all is refused with 401"""
    with allure.step("List the vendors with no credentials"):
        response = anonymous_http.get("/vendors")
    assert_error_response(response, 401)


@pytest.mark.readonly
def test_a_token_sent_with_another_scheme_is_refused_with_401(raw_http, target, auth_headers):
    """A valid token sent as Basic instead of Bearer is refused with 401"""
    token = auth_headers["Authorization"].split(" ", 1)[1]
    http = raw_http({"X-Api-Key": target.credentials.api_key, "Authorization": f"Basic {token}"}, authenticated=False)
    with allure.step("List the accounts with the token under the Basic scheme"):
        response = http.get("/accounts")
    assert_error_response(response, 401)


@pytest.mark.readonly
@pytest.mark.parametrize("header", ["X-API-Key", "X-Api-Key", "x-api-key"])
def test_the_api_key_header_is_accepted_in_any_casing(raw_http, target, auth_headers, header):
    """The API key header is accepted however its name is cased"""
    http = raw_http(
        {"Authorization": auth_headers["Authorization"], header: target.credentials.api_key}, authenticated=False
    )
    with allure.step(f"List the accounts with the key in '{header}'"):
        expect_status(http.get("/accounts"), 200)
