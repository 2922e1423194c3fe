"""OAuth token endpoint: client credentials in, a bearer token out (CONTRACT §2.1)."""

import allure
import pytest

from fixtures.checks import assert_error_response, assert_keys, expect_status, is_int, judging, our_reading

pytestmark = [pytest.mark.api_area("OAuth token"), pytest.mark.readonly, pytest.mark.contract("§2.1")]

TOKEN_URLS = ["auth host", "API host"]


def token_url(target, which):
    return target.token_urls[TOKEN_URLS.index(which)]


@pytest.fixture(scope="module")
def issued(target, request_token):
    """The answer of each token URL to the client credentials, asked for once per module: the answer's
    shape and the token's use are two checks of one token."""
    answers = {}

    def answer(which):
        if which not in answers:
            url = token_url(target, which)
            with allure.step(f"Ask {url} for a token with the client credentials (form-encoded)"):
                answers[which] = request_token(url=url)
        return answers[which]

    return answer


@pytest.mark.parametrize("which", TOKEN_URLS)
def test_valid_client_credentials_get_a_bearer_token(issued, which):
    """Valid client credentials get a bearer token with its type, lifetime and scope"""
    answer = issued(which)
    body = expect_status(answer, 200)
    with allure.step("Check the token answer has access_token, token_type, expires_in and scope"), judging(answer):
        assert_keys(body, ["access_token", "token_type", "expires_in", "scope"], "token answer")
        assert isinstance(body["access_token"], str) and body["access_token"], (
            "access_token should be a non-empty string"
        )
        assert isinstance(body["token_type"], str) and body["token_type"].lower() == "bearer", (
            f"token_type should be 'Bearer', got {body['token_type']!r}"
        )
        assert is_int(body["expires_in"]) and body["expires_in"] > 0, (
            f"expires_in should be a positive integer of seconds, got {body['expires_in']!r}"
        )
        assert isinstance(body["scope"], str), f"scope should be a string, got {body['scope']!r}"


@pytest.mark.parametrize("which", TOKEN_URLS)
def test_an_issued_token_authorises_a_resource_call(target, issued, anonymous_http, which):
    """A token issued by either token URL authorises a resource call"""
    with allure.step(f"Take the token the {which} issued"):
        token = expect_status(issued(which), 200)["access_token"]
    with allure.step("List the accounts with that token and the API key"):
        response = anonymous_http.get(
            "/accounts", headers={"Authorization": f"Bearer {token}", "X-Api-Key": target.credentials.api_key}
        )
    expect_status(response, 200)


def test_a_token_request_without_a_scope_still_gets_a_token(request_token):
    """A token request without the optional scope still gets a token"""
    with allure.step("Ask for a token without 'scope'"):
        body = expect_status(request_token(omit=("scope",)), 200)
    assert isinstance(body.get("access_token"), str) and body["access_token"], f"no access_token in {body}"


def test_a_wrong_client_secret_is_refused_with_401(target, request_token):
    """A wrong client secret is refused with 401"""
    with allure.step("Ask for a token with a wrong client secret"):
        response = request_token(client_secret="wrong-secret-" + target.credentials.client_id)
    assert_error_response(response, 401)
    assert target.credentials.client_secret not in response.text, "the refusal echoes the real client secret"


def test_an_unknown_client_id_is_refused_with_401(request_token, run_id):
    """An unknown client id is refused with 401"""
    with allure.step("Ask for a token for a client id nobody has"):
        response = request_token(client_id=f"unknown-client-{run_id}")
    assert_error_response(response, 401)


def test_a_token_request_without_the_api_key_is_refused_with_401(request_token):
    """A token request without the X-Api-Key header is refused with 401"""
    with allure.step("Ask for a token without X-Api-Key"):
        response = request_token(api_key=None)
    assert_error_response(response, 401)


def test_a_token_request_with_an_unknown_api_key_is_refused_with_401(request_token, run_id):
    """A token request with an unknown X-Api-Key is refused with 401"""
    with allure.step("Ask for a token with an API key nobody has"):
        response = request_token(api_key=f"unknown-key-{run_id}")
    assert_error_response(response, 401)


@pytest.mark.parametrize("grant", ["password", "authorization_code", "refresh_token", "CLIENT_CREDENTIALS"])
def test_a_grant_type_other_than_client_credentials_is_refused_with_400(request_token, grant):
    """A grant type other than client_credentials is refused with 400"""
    with allure.step(f"Ask for a token with grant_type={grant}"):
        response = request_token(grant_type=grant)
    assert_error_response(response, 400, mentions=("grant_type", "grant"))


# "read write" is the scope of the Reference's example (§2.1, §19 #2); the other is any scope beyond the one supported.
@pytest.mark.parametrize("scope", ["read write", "accounts.can_access_everything"])
def test_an_unsupported_scope_is_refused_with_400(request_token, scope):
    """A scope other than accounts.can_access_dashboard is refused with 400"""
    with allure.step(f"Ask for a token with scope={scope!r}"):
        response = request_token(scope=scope)
    # Only accounts.can_access_dashboard is supported (§2.1); whether another is refused or ignored is open.
    with our_reading("token-endpoint-errors", "a scope other than the supported one is refused with 400"):
        assert_error_response(response, 400, mentions="scope")


@pytest.mark.parametrize("missing", ["grant_type", "client_id", "client_secret"])
def test_a_token_request_missing_a_required_field_is_refused_with_400(request_token, missing):
    """A token request missing a required form field is refused with 400"""
    with allure.step(f"Ask for a token without '{missing}'"):
        response = request_token(omit=(missing,))
    if missing == "grant_type":  # a required form field (§2.1): a bad request
        assert_error_response(response, 400, mentions=missing)
        return
    # Without client_id or client_secret the client cannot authenticate: 400 or 401 are both documented (§2.1).
    assert_error_response(response, response.status_code if response.status_code in (400, 401) else 400)
    with our_reading("token-endpoint-errors", f"a token request without {missing} is refused with 400 naming it"):
        assert_error_response(response, 400, mentions=missing)
