"""The rules on synthetic records: the edges a run cannot pin down (timings, concurrency, forms of a header)."""

from __future__ import annotations

import email.utils
from collections.abc import Sequence
from typing import Any

from ottimate_validation.integration.command import CommandOutcome
from ottimate_validation.integration.judge import judge_pass, status_of, verdicts
from ottimate_validation.integration.model import Judgement, Limits, PassEvidence, rule
from ottimate_validation.integration.rules import BY_ID
from ottimate_validation.run.ledger import Exchange

T0 = 1_800_000_000.0
KEY = "keyfingerprt"
_ids = iter(range(1, 10**9))


def x(at: float, method: str = "GET", path: str = "/v1/vendors", status: int | None = 200, **fields: Any) -> Exchange:
    fields.setdefault("token", "tok-a")
    fields.setdefault("api_key", KEY)
    if path.endswith("/oauth/token"):
        fields["token"] = None
    return Exchange(at=T0 + at, method=method, path=path, status=status, ms=fields.pop("ms", 5.0),
                    id=f"x-{next(_ids)}", lane="fault", **fields)  # fmt: skip


def token(
    at: float, issued: str | None = "tok-a", status: int = 200, expires_in: int = 3600, **fields: Any
) -> Exchange:
    fields.setdefault("facts", {"expires_in": expires_in} if status == 200 else {})
    return x(at, "POST", "/oauth/token", status, issued_token=issued if status == 200 else None, **fields)


def judge(rule_id: str, exchanges: Sequence[Exchange], **kw: Any) -> Judgement:
    command = kw.pop("command", CommandOutcome(("sync",), started=True, exit_code=0))
    evidence = PassEvidence(name="fault", exchanges=exchanges, command=command, api_key=KEY, **kw)
    return BY_ID[rule_id].check(evidence)


# --- Retry-After ------------------------------------------------------------------------------


def test_retry_after_in_seconds_must_be_waited_by_every_worker() -> None:
    refused = x(0.0, status=429, response_headers={"Retry-After": "1"})
    assert judge("errors.retry-after-honoured", [refused, x(1.01)]).holds is True
    early = judge("errors.retry-after-honoured", [refused, x(0.5, path="/v1/dimensions")])
    assert early.holds is False and "before the Retry-After" in early.finding


def test_retry_after_tolerates_100_ms_and_a_request_another_worker_had_started() -> None:
    refused = x(0.0, status=429, response_headers={"Retry-After": "1"})
    assert judge("errors.retry-after-honoured", [refused, x(0.92)]).holds is True  # 85 ms early: tolerated
    in_flight = x(0.2, path="/v1/dimensions")  # sent 0.2 s after the 429 left the proxy, by another worker
    assert judge("errors.retry-after-honoured", [refused, in_flight, x(1.1)]).holds is True
    same_call = x(0.02)  # ... but the throttled call itself, retried at once: no
    assert judge("errors.retry-after-honoured", [refused, x(0.3, path="/v1/dimensions")]).holds is False
    assert judge("errors.retry-after-honoured", [refused, same_call]).holds is False


def test_retry_after_as_an_http_date_is_honoured() -> None:
    when = email.utils.formatdate(T0 + 3, usegmt=True)
    now = email.utils.formatdate(T0, usegmt=True)
    refused = x(0.0, status=429, response_headers={"Retry-After": when, "Date": now})
    assert judge("errors.retry-after-honoured", [refused, x(2.0)]).holds is False
    assert judge("errors.retry-after-honoured", [refused, x(3.05)]).holds is True


def test_a_429_on_the_token_endpoint_only_holds_back_token_requests() -> None:
    refused = token(0.0, status=429, response_headers={"Retry-After": "2"})
    assert judge("errors.retry-after-honoured", [refused, x(0.5), token(2.1)]).holds is True
    assert judge("errors.retry-after-honoured", [refused, token(0.5)]).holds is False


# --- backoff ----------------------------------------------------------------------------------


def _retried(*gaps: float, status: int = 503) -> list[Exchange]:
    out, at = [x(0.0, status=status, ms=0.0)], 0.0
    for n, gap in enumerate(gaps):
        at += gap
        out.append(x(at, status=200 if n == len(gaps) - 1 else status, ms=0.0))
    return out


def test_full_jitter_and_fixed_exponential_delays_pass_a_constant_delay_does_not() -> None:
    assert judge("errors.retries-back-off", _retried(0.31, 0.12, 1.4)).holds is True  # full jitter: one shrinks
    assert judge("errors.retries-back-off", _retried(0.2, 0.4, 0.8)).holds is True  # fixed exponential
    constant = judge("errors.retries-back-off", _retried(0.5, 0.5, 0.5))
    assert constant.holds is False and "did not grow" in constant.finding


def test_one_quick_retry_is_fine_two_at_once_are_not() -> None:
    assert judge("errors.retries-back-off", _retried(0.01, 0.3)).holds is True
    at_once = judge("errors.retries-back-off", _retried(0.002, 0.003))
    assert at_once.holds is False and "at once twice in a row" in at_once.finding


def test_retries_are_bounded_at_five_attempts() -> None:
    endless = [x(float(n), status=503) for n in range(6)]
    judged = judge("errors.retries-back-off", endless)
    assert judged.holds is False and "sent 6 times in a row" in judged.finding
    assert judge("errors.retries-back-off", _retried(0.2, 0.4, 0.8, 1.6)).holds is True  # 5 attempts


def test_a_lost_answer_counts_as_a_failure_to_back_off_from() -> None:
    dropped = [x(0.0, "POST", status=None, error="ConnectionDropped", idempotency_key="k1"),
               x(0.001, "POST", status=None, idempotency_key="k1"), x(0.002, "POST", idempotency_key="k1")]  # fmt: skip
    assert judge("errors.retries-back-off", dropped).holds is False


# --- 4xx, POST retries ------------------------------------------------------------------------


def test_a_4xx_resent_unchanged_fails_but_409_and_a_changed_request_do_not() -> None:
    assert judge("errors.4xx-not-resent", [x(0, status=422, body_sha="a"), x(1, body_sha="a")]).holds is False
    assert judge("errors.4xx-not-resent", [x(0, status=422, body_sha="a"), x(1, body_sha="b")]).holds is True
    assert judge("errors.4xx-not-resent", [x(0, status=409), x(1)]).holds is None  # nothing to judge


def test_a_post_that_may_have_been_processed_is_retried_only_with_its_key() -> None:
    lost = x(0, "POST", status=502, idempotency_key="k1", body_sha="b")
    assert judge("errors.post-retried-with-same-key", [lost, x(1, "POST", idempotency_key="k1", body_sha="b")]).holds
    fresh = judge("errors.post-retried-with-same-key", [lost, x(1, "POST", idempotency_key="k2", body_sha="b")])
    assert fresh.holds is False and "new key" in fresh.finding
    keyless = [x(0, "POST", status=504, body_sha="b"), x(1, "POST", body_sha="b")]
    assert judge("errors.post-retried-with-same-key", keyless).holds is False


def test_after_a_429_a_fresh_key_is_allowed_and_a_key_reused_for_another_body_is_not() -> None:
    throttled = [
        x(0, "POST", status=429, idempotency_key="k1", body_sha="b"),
        x(1, "POST", idempotency_key="k2", body_sha="b"),
    ]
    assert judge("errors.post-retried-with-same-key", throttled).holds is None
    mixed = [x(0, "POST", idempotency_key="k1", body_sha="a"), x(1, "POST", idempotency_key="k1", body_sha="b")]
    assert judge("errors.post-retried-with-same-key", mixed).holds is False


# --- tokens -----------------------------------------------------------------------------------


def test_a_token_renewed_near_its_expiry_or_after_a_401_is_needed() -> None:
    near = [token(0, "t1", expires_in=120), x(1, token="t1"), token(80, "t2"), x(81, token="t2")]
    assert judge("auth.token-reused", near).holds is True  # 40 s left of 120: within the 60 s margin
    early = [token(0, "t1", expires_in=3600), x(1, token="t1"), token(80, "t2")]
    assert judge("auth.token-reused", early).holds is False
    revoked = [token(0, "t1"), x(1, status=401, token="t1", facts={"code": "invalid_token"}), token(1.1, "t2")]
    assert judge("auth.token-reused", revoked).holds is True


def test_workers_asking_for_tokens_at_once_is_a_stampede() -> None:
    stampede = [token(0.0, "t1", ms=20), token(0.005, "t2", ms=20), token(0.006, "t3", ms=20)]
    judged = judge("auth.token-reused", stampede)
    assert judged.holds is False and "got 3 tokens where 1 would have done" in judged.finding


def test_a_refused_token_sent_again_is_a_401_loop() -> None:
    refused = x(1, status=401, token="t1", facts={"code": "invalid_token"})
    again = x(1.01, status=401, token="t1", facts={"code": "invalid_token"})  # the same call, the same token
    judged = judge("auth.renew-once-after-401", [token(0, "t1"), refused, again, token(1.1, "t2"), x(1.2, token="t2")])
    assert judged.holds is False and "already refused" in judged.finding
    good = judge("auth.renew-once-after-401", [token(0, "t1"), refused, token(1.1, "t2"), x(1.2, token="t2")])
    assert good.holds is True


def test_the_integration_stops_when_its_credentials_are_refused_for_good() -> None:
    three = [token(0, "t1"), *[token(n, status=401, facts={"code": "invalid_client"}) for n in (1, 2, 3)]]
    assert judge("auth.renew-once-after-401", three).holds is True
    four = [*three, token(4, status=401)]
    judged = judge("auth.renew-once-after-401", four)
    assert judged.holds is False and "revoked for good" in judged.finding


def test_a_401_about_the_api_key_is_not_a_token_refusal() -> None:
    keyless = x(1, status=401, api_key=None, facts={"code": "missing_api_key"})
    assert judge("auth.renew-once-after-401", [token(0, "t1"), keyless]).holds is None
    assert judge("auth.credentials-on-every-call", [token(0, "t1"), keyless]).holds is False


# --- stability --------------------------------------------------------------------------------


def _page(at: float, page: int, count: int = 45, limit: int = 20, query: str = "company=1") -> Exchange:
    return x(at, query=f"{query}&page={page}&limit={limit}", facts={"count": count, "page": page, "limit": limit})


def test_pages_read_out_of_order_by_workers_are_complete() -> None:
    assert judge("stability.pages-walked", [_page(0, 1), _page(0.1, 3), _page(0.11, 2)]).holds is True


def test_a_page_read_twice_or_never_is_found() -> None:
    twice = judge("stability.pages-walked", [_page(0, 1), _page(1, 2), _page(2, 2), _page(3, 3)])
    assert twice.holds is False and "page 2 read twice" in twice.finding
    skipped = judge("stability.pages-walked", [_page(0, 1), _page(1, 3)])
    assert skipped.holds is False and "page 2 of 3 never read" in skipped.finding
    again = [_page(0, 1), _page(1, 2), _page(2, 3), _page(5, 1), _page(6, 2), _page(7, 3)]
    assert judge("stability.pages-walked", again).holds is True  # a second walk of the same list


def test_the_utc_twin_of_a_date_filter_counts_as_incremental() -> None:
    filtered = x(
        0, query="ottimate_company_id=1&last_modified_date_from_utc=2026-12-01T00:00:00Z", operation="GET /vendors"
    )
    full = x(1, query="ottimate_company_id=1", operation="GET /vendors")
    evidence = {"incremental": True}
    assert judge("stability.incremental-sync", [filtered], **evidence).holds is True
    assert judge("stability.incremental-sync", [filtered, full], **evidence).holds is False
    assert judge("stability.incremental-sync", [full]).holds is None  # reported only without the plan's word


def test_the_token_bucket_judges_bursts_against_the_documented_limits() -> None:
    burst = [x(n * 0.001) for n in range(30)]
    assert judge("stability.within-rate-limits", burst, limits=Limits(rate_per_second=10, burst=30)).holds is True
    assert judge("stability.within-rate-limits", burst, limits=Limits(rate_per_second=10, burst=20)).holds is False


# --- the judge --------------------------------------------------------------------------------


def test_a_rule_that_breaks_is_a_harness_problem_and_its_criterion_not_evidenced() -> None:
    @rule(id="test.explodes", title="t", criterion="Error Handling", judges="j", threshold="t", sources="s")
    def explodes(ev: PassEvidence) -> Judgement:
        raise RuntimeError("boom")

    evidence = PassEvidence(name="clean", exchanges=[], command=CommandOutcome(("x",), started=True, exit_code=0))
    findings = judge_pass(evidence, [explodes, BY_ID["errors.completes"]])
    assert status_of(findings[0]) == "broken" and "RuntimeError: boom" in findings[0].finding
    by_criterion = {v.criterion: v for v in verdicts(findings)}
    assert by_criterion["Error Handling"].verdict.value == "Not evidenced"
    assert by_criterion["Authentication"].verdict.value == "Not evidenced"  # no rule judged at all
