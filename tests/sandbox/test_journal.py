"""The request journal (`sandbox/journal.py`, `EmbeddedSandbox.journal`): every exchange served, bounded,
cleared by reset, observable live, and never holding a credential in clear."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx

from ottimate_validation.sandbox import EmbeddedSandbox, Exchange
from ottimate_validation.sandbox.journal import REDACTED, Journal

from .conftest import Box, vendor_body


def _everything(sb: EmbeddedSandbox) -> str:
    return json.dumps([e.to_dict(bodies=True) for e in sb.journal.entries()])


def test_each_exchange_is_recorded_with_what_a_request_log_shows(box: Box, api: httpx.Client, company_id: int) -> None:
    box.sb.journal.clear()
    answer = api.post("/vendors", json=vendor_body(company_id, 31), headers={"Idempotency-Key": "journal-key-1"})
    listed = api.get("/vendors", params={"ottimate_company_id": company_id, "limit": 2})
    box.control("GET", "health")
    post, get, health = box.sb.journal.entries()[-3:]
    assert (post.method, post.path, post.status, post.idempotency_key) == ("POST", "/v1/vendors", 201, "journal-key-1")
    assert post.client_id == box.sb.users["account"].client_id and not post.control
    assert post.request_id == answer.headers["X-Request-Id"] and post.duration_ms >= 0
    assert json.loads(post.request_body or b"")["erp_vendor_id"] == "HV-31"
    assert json.loads(post.response_body or b"") == answer.json()
    assert get.query == f"ottimate_company_id={company_id}&limit=2" and get.request_body is None
    assert json.loads(get.response_body or b"") == listed.json()
    assert health.control and health.path == "/_sandbox/health" and health.client_id is None
    assert post.seq < get.seq < health.seq
    assert abs((post.at - box.sb.state.clock.now()).total_seconds()) < 60 and post.at.tzinfo is not None
    assert "request_body" not in post.to_dict() and "request_body" in post.to_dict(bodies=True)


def test_no_credential_is_stored_in_clear(box: Box) -> None:
    user = box.sb.users["account"]
    box.sb.journal.clear()
    token = box.token()  # a form body with client_secret, an answer with access_token
    json_token = box.http.post(
        f"{box.sb.auth_url}/oauth/token",
        json={"grant_type": "client_credentials", "client_id": user.client_id, "client_secret": user.client_secret},
        headers={"X-Api-Key": user.api_key},
    )
    assert json_token.status_code == 200, json_token.text
    query_secret = box.http.get(
        f"{box.sb.api_url}/accounts",
        params={"client_secret": user.client_secret, "access_token": token},
        headers={"X-Api-Key": user.api_key, "Authorization": f"Bearer {token}"},
    )
    assert query_secret.status_code == 200
    with box.api() as api:
        assert api.get("/accounts").status_code == 200
    stored = _everything(box.sb)
    for secret in (user.client_secret, user.api_key, token, json_token.json()["access_token"]):
        assert secret not in stored
    assert REDACTED in stored
    token_call = next(e for e in box.sb.journal.entries() if e.path == "/oauth/token")
    assert token_call.client_id == user.client_id  # who asked, named by client_id only
    assert b"client_credentials" in (token_call.request_body or b"")


def test_it_is_bounded_and_drops_bodies_of_older_exchanges_first() -> None:
    journal = Journal(3, bodies_kept=2, body_limit=10)
    for n in range(5):
        journal.record(
            at=datetime.now(UTC).timestamp(), method="GET", path=f"/v1/x/{n}", query="", status=200, duration_ms=1.0,
            client_id=None, idempotency_key=None, request_id=f"req_{n}", control=False,
            request_body=None, response_body=b"0123456789abcdef",
        )  # fmt: skip
    kept = journal.entries()
    assert [e.path for e in kept] == ["/v1/x/2", "/v1/x/3", "/v1/x/4"] and len(journal) == 3
    assert [e.response_body for e in kept] == [None, b"0123456789", b"0123456789"]
    assert [e.seq for e in journal.entries(since=3)] == [4, 5]
    assert journal.get(4) is kept[1] and journal.get(1) is None
    journal.clear()
    assert journal.entries() == []


def test_reset_clears_it_and_subscribers_see_each_exchange_live(box: Box) -> None:
    seen: list[Exchange] = []

    def broken(exchange: Exchange) -> None:
        raise RuntimeError("a dashboard bug")

    unsubscribe = box.sb.journal.subscribe(seen.append)
    unsubscribe_broken = box.sb.journal.subscribe(broken)
    try:
        with box.api() as api:
            assert api.get("/accounts").status_code == 200  # a failing subscriber never fails the request
        assert [e.path for e in seen][-1] == "/v1/accounts"
    finally:
        unsubscribe()
        unsubscribe_broken()
    before = len(seen)
    box.control("POST", "reset")
    assert [e.path for e in box.sb.journal.entries()] == ["/_sandbox/reset"]  # only the reset itself
    assert len(seen) == before


def test_a_sandbox_without_a_journal_records_nothing() -> None:
    with EmbeddedSandbox(seed=3, journal_size=0) as sb:
        assert httpx.get(f"{sb.url}/_sandbox/health").status_code == 200
        assert sb.journal.entries() == [] and not sb.journal.enabled


def test_gzip_answers_are_kept_readable(box: Box) -> None:
    box.control("PUT", "variations", json={"enabled": ["gzip"]})
    with box.api() as api:
        answer = api.get("/accounts")
    assert answer.headers.get("Content-Encoding") == "gzip"
    kept: Any = box.sb.journal.entries()[-1].response_body
    assert json.loads(kept) == answer.json()


def test_a_harness_names_its_exchanges_and_marks_its_findings_until_a_reset(box: Box, api: httpx.Client) -> None:
    from ottimate_validation.sandbox.journal import EXCHANGE_HEADER, Mark

    api.get("/accounts", headers={EXCHANGE_HEADER: "run-7"})
    api.get("/accounts", headers={EXCHANGE_HEADER: "x" * 500})
    named, long = box.sb.journal.entries()[-2:]
    assert named.ref == "run-7" and named.to_dict()["ref"] == "run-7" and long.ref == "x" * 100
    version = box.sb.journal.marks_version
    box.sb.mark_findings([Mark("run-7", "auth.token-reused", "one token a call", False), Mark("run-7", "b", "c")])
    assert [m.rule for m in box.sb.journal.marks_for("run-7")] == ["auth.token-reused", "b"]
    assert box.sb.journal.marks_for(None) == () and box.sb.journal.marks_version > version
    box.sb.reset()
    assert box.sb.journal.marks() == [] and len(box.sb.journal) == 0
