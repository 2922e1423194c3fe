"""Token lifecycle: one token reused until it expires, then renewed (CONTRACT §2.1)."""

import allure
import pytest

from fixtures.checks import assert_error_response, expect_status

pytestmark = [pytest.mark.api_area("OAuth token"), pytest.mark.contract("§2.1")]


@pytest.mark.readonly
def test_the_client_reuses_one_token_for_many_calls(fresh_api, fresh_api_log):
    """The client asks for one token and reuses it for many calls"""
    with allure.step("Make three calls to three resources with a new client"):
        for path in ("/accounts", "/vendors", "/dimensions"):
            expect_status(fresh_api.get(path), 200)
    with allure.step("Check one token was fetched and every call carried it"):
        tokens = fresh_api_log.bearer_tokens()
        assert len(fresh_api_log.tokens_issued()) == 1, (
            f"three calls should need one token, the client got {len(fresh_api_log.tokens_issued())}"
        )
        # At least three: a call answered 429 or 503 and retried is sent twice, with the same token.
        assert len(set(tokens)) == 1 and len(tokens) >= 3, (
            f"the three calls should carry the same token: {len(set(tokens))} distinct"
        )


@pytest.mark.sandbox_only
def test_an_expired_token_is_refused_and_the_client_renews_it(sandbox, fresh_api, fresh_api_log, raw_http, target):
    """An expired token is refused with 401, and the client then gets a new one"""
    with allure.step("Make the sandbox issue tokens that live 30 seconds"):
        sandbox.set_config(token_ttl_seconds=30)
    with allure.step("Make a call with a new client, which gets a 30-second token"):
        expect_status(fresh_api.get("/accounts"), 200)
        issued = fresh_api_log.tokens_issued()[-1][1].json()
        assert issued.get("expires_in") == 30, f"the token should say it expires in 30 s: {issued.get('expires_in')}"
        old_token = fresh_api_log.bearer_tokens()[-1]
    with allure.step("Let 31 seconds pass on the sandbox clock"):
        sandbox.advance_clock(31)
    with allure.step("Call with the old token: it is refused"):
        stale = raw_http({"Authorization": f"Bearer {old_token}"}, authenticated=False)
        response = stale.get("/accounts", headers={"X-Api-Key": target.credentials.api_key})
        assert_error_response(response, 401)
    with allure.step("Call through the client again: it renews the token and succeeds"):
        expect_status(fresh_api.get("/accounts"), 200)
        assert len(fresh_api_log.tokens_issued()) == 2, (
            f"the client should have fetched a second token, it fetched {len(fresh_api_log.tokens_issued())}"
        )
        assert fresh_api_log.bearer_tokens()[-1] != old_token, "the successful call still carried the expired token"
