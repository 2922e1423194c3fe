"""Integration stability: concurrent use, rate limits answered with Retry-After, and a client that
recovers from them without duplicating anything (CONTRACT §4)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import allure
import pytest

pytestmark = [allure.feature("Rate limits and concurrency")]


@allure.story("Concurrent reads share one token and all succeed")
def test_concurrent_reads_share_one_token_and_all_succeed(fresh_api, fresh_api_log, company):
    def list_vendors(_: int):
        return fresh_api.get("/vendors", params={"ottimate_company_id": company.id, "limit": 5})

    with allure.step("Send 24 vendor-list requests from 8 threads at once"), ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(list_vendors, range(24)))
    with allure.step("Every request succeeded"):
        assert [r.status_code for r in responses] == [200] * 24
    with allure.step("One access token served every thread"):
        issued = fresh_api_log.tokens_issued()  # a throttled token request, retried, is still one token
        assert len(issued) == 1, f"the client fetched {len(issued)} tokens under concurrency, not one"
        assert len(set(fresh_api_log.bearer_tokens())) == 1


@pytest.mark.sandbox_only
@pytest.mark.waits
@allure.story("Throttled requests are answered 429 with Retry-After, and the client recovers")
def test_throttled_requests_carry_retry_after_and_the_client_recovers(sandbox, fresh_api, fresh_api_log, company):
    # A burst of eight refilling at three a second: a request past the eighth (the token request may
    # count too) is throttled, and one Retry-After wait (1 s) refills enough for the rest.
    with allure.step("Lower the sandbox's rate limit to 3 requests a second, bursts of 8"):
        sandbox.set_config(rate_per_second=3, burst=8)
    with allure.step("Send 10 requests in a row"):
        statuses = [
            fresh_api.get("/vendors", params={"ottimate_company_id": company.id}).status_code for _ in range(10)
        ]
    throttled = [r for _, r in fresh_api_log.exchanges if r.status_code == 429]
    with allure.step("Some were throttled, each 429 said when to come back"):
        assert throttled, "no request was throttled; the rate limit was not applied"
        for response in throttled:
            retry_after = response.headers.get("Retry-After")
            assert retry_after is not None, "a 429 came without Retry-After, so a client cannot know when to retry"
            assert retry_after.isdigit() and int(retry_after) >= 0
            body = response.json()
            assert isinstance(body.get("code"), str) and "message" in body, body
    with allure.step("After waiting as told, every request succeeded"):
        assert statuses == [200] * 10


@pytest.mark.sandbox_only
@allure.story("An exhausted daily quota is reported, not waited out")
def test_an_exhausted_daily_quota_is_reported_with_the_time_until_reset(sandbox, fresh_api, company):
    with allure.step("Start a new UTC day on the sandbox clock and lower the daily quota to 3 requests"):
        now = datetime.fromisoformat(sandbox.now().replace("Z", "+00:00"))
        sandbox.advance_clock((24 * 3600 - (now.hour * 3600 + now.minute * 60 + now.second)) + 1)
        sandbox.set_config(daily_quota=3)
    with allure.step("Use it up (the token request counts too)"):
        statuses = [fresh_api.get("/vendors", params={"ottimate_company_id": company.id}).status_code for _ in range(3)]
    with allure.step("The next request is answered 429 with the seconds until midnight UTC"):
        last = fresh_api.get("/vendors", params={"ottimate_company_id": company.id})
        assert statuses[:2] == [200, 200]
        assert last.status_code == 429
        assert 0 < int(last.headers["Retry-After"]) <= 86400
    sandbox.advance_clock(int(last.headers["Retry-After"]) + 1)
