"""Idempotency-Key misuse: malformed keys and a key reused for a different body (CONTRACT §5)."""

import allure
import pytest

from fixtures.checks import assert_error_response, expect_status

pytestmark = [pytest.mark.api_area("Idempotency"), pytest.mark.contract("§5")]


# The key's format is one rule for every POST (§5): each malformed key is sent once, the endpoints taking
# turns, so both endpoints are checked without sending every key to each.
MALFORMED_KEYS = [
    pytest.param("/vendors", "has a space", id="/vendors-space"),
    pytest.param("/dimensions", "x" * 129, id="/dimensions-129 characters"),
    pytest.param("/vendors", "semi;colon", id="/vendors-semicolon"),
    pytest.param("/dimensions", "star*key", id="/dimensions-asterisk"),
    pytest.param("/vendors", "quote'key", id="/vendors-quote"),
]


@pytest.mark.parametrize(("path", "key"), MALFORMED_KEYS)
def test_a_malformed_idempotency_key_is_refused(api, company, payloads, path, key):
    """A malformed Idempotency-Key (outside [A-Za-z0-9._-+=/], 1-128 characters) is refused with 400"""
    body = payloads.vendor(company.id) if path == "/vendors" else payloads.dimension(company.id)
    with allure.step(f"Create with Idempotency-Key {key[:40]!r}{'…' if len(key) > 40 else ''}"):
        response = api.post(path, json=body, idempotency_key=key)
    assert_error_response(response, 400, mentions=("idempotency", "Idempotency-Key"))


def test_the_longest_valid_idempotency_key_is_accepted(api, company, payloads):
    """An Idempotency-Key of 128 allowed characters is accepted"""
    unique = payloads.idempotency_key().replace("-", "")
    key = (unique + "._-+=/" * 20)[:128]
    with allure.step("Create a vendor with a 128-character key using every allowed symbol"):
        expect_status(api.post("/vendors", json=payloads.vendor(company.id), idempotency_key=key), 201)


@pytest.mark.parametrize("path", ["/vendors", "/dimensions"])
def test_reusing_an_idempotency_key_for_a_different_body_is_refused(api, company, payloads, path):
    """Reusing an Idempotency-Key with a different body answers 422"""
    make = payloads.vendor if path == "/vendors" else payloads.dimension
    key = payloads.idempotency_key()
    with allure.step("Create with a new Idempotency-Key"):
        expect_status(api.post(path, json=make(company.id), idempotency_key=key), 201)
    with allure.step("Send a different body with the same key"):
        response = api.post(path, json=make(company.id), idempotency_key=key)
    assert_error_response(response, 422)
