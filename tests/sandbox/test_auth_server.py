"""The auth server: client-credentials tokens and how resource calls are authenticated (§2)."""

from __future__ import annotations

import httpx
import pytest

from .conftest import Box, assert_error


def _token_call(
    box: Box, *, path: str = "/oauth/token", user: str = "account", **overrides: str | None
) -> httpx.Response:
    u = box.sb.users[user]
    form = {
        "grant_type": "client_credentials",
        "client_id": u.client_id,
        "client_secret": u.client_secret,
        "scope": "accounts.can_access_dashboard",
    }
    headers = {"X-Api-Key": u.api_key}
    for key, value in overrides.items():
        if key == "api_key":
            headers = {} if value is None else {"X-Api-Key": value}
        elif value is None:
            form.pop(key)
        else:
            form[key] = value
    return box.http.post(f"{box.sb.url}{path}", data=form, headers=headers)


@pytest.mark.parametrize("path", ["/oauth/token", "/v1/oauth/token"])
def test_a_token_is_issued_at_both_documented_token_urls(box: Box, path: str) -> None:
    r = _token_call(box, path=path)
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "accounts.can_access_dashboard" and len(body["access_token"]) >= 20


def test_a_json_token_request_is_accepted_too(box: Box) -> None:
    u = box.sb.users["account"]
    r = box.http.post(
        f"{box.sb.url}/oauth/token",
        headers={"X-Api-Key": u.api_key},
        json={"grant_type": "client_credentials", "client_id": u.client_id, "client_secret": u.client_secret},
    )
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "nobody"}, 401, "invalid_client"),
        ({"api_key": None}, 401, "missing_api_key"),
        ({"api_key": "not-a-key"}, 401, "invalid_api_key"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"scope": "read write"}, 400, "invalid_scope"),
        ({"client_secret": None}, 400, "invalid_request"),
        ({"grant_type": None}, 400, "invalid_request"),
    ],
    ids=[
        "wrong-secret",
        "unknown-client",
        "missing-key",
        "unknown-key",
        "wrong-grant",
        "bad-scope",
        "missing-secret",
        "missing-grant",
    ],
)
def test_a_refused_token_request_gets_its_status_and_an_error_response(box: Box, overrides, status, code) -> None:
    assert_error(_token_call(box, **overrides), status, code)


def test_a_client_cannot_mint_a_token_with_another_accounts_key(box: Box) -> None:
    other_key = box.sb.users["other_account"].api_key
    assert_error(_token_call(box, api_key=other_key), 401, "invalid_client")


@pytest.mark.parametrize("header", ["X-API-Key", "X-Api-Key", "x-api-key"])
def test_the_api_key_header_is_matched_in_any_casing(box: Box, header: str) -> None:
    u = box.sb.users["account"]
    r = box.http.get(
        f"{box.sb.api_url}/accounts", headers={header: u.api_key, "Authorization": f"Bearer {box.token()}"}
    )
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({"Authorization": "Bearer {token}"}, "missing_api_key"),
        ({"X-Api-Key": "{key}"}, "missing_token"),
        ({"X-Api-Key": "{key}", "Authorization": "Bearer garbage"}, "invalid_token"),
        ({"X-Api-Key": "{key}", "Authorization": "Basic {token}"}, "missing_token"),
        ({"X-Api-Key": "{other}", "Authorization": "Bearer {token}"}, "invalid_token"),
    ],
    ids=["no-key", "no-token", "garbage-token", "wrong-scheme", "token-with-other-key"],
)
def test_every_resource_call_needs_both_the_key_and_a_bearer_token(box: Box, headers, code) -> None:
    values = {
        "token": box.token(),
        "key": box.sb.users["account"].api_key,
        "other": box.sb.users["other_account"].api_key,
    }
    filled = {k: v.format(**values) for k, v in headers.items()}
    assert_error(box.http.get(f"{box.sb.api_url}/vendors", headers=filled), 401, code)


def test_a_token_expires_after_expires_in_on_the_sandbox_clock(box: Box) -> None:
    box.control("PATCH", "config", json={"token_ttl_seconds": 60})
    with box.api() as api:
        assert api.get("/accounts").status_code == 200
        box.control("POST", "clock", json={"advance_seconds": 59})
        assert api.get("/accounts").status_code == 200
        box.control("POST", "clock", json={"advance_seconds": 2})
        assert_error(api.get("/accounts"), 401, "token_expired")


def test_the_token_never_expires_fault_keeps_expired_tokens_working(box: Box) -> None:
    box.control("PATCH", "config", json={"token_ttl_seconds": 1})
    box.control("PUT", "faults", json={"enabled": ["token_never_expires"]})
    with box.api() as api:
        box.control("POST", "clock", json={"advance_seconds": 10})
        assert api.get("/accounts").status_code == 200


def test_the_auth_not_enforced_fault_lets_anonymous_calls_through(box: Box) -> None:
    box.control("PUT", "faults", json={"enabled": ["auth_not_enforced"]})
    assert box.http.get(f"{box.sb.api_url}/vendors").status_code == 200
