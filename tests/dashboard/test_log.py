"""The live request log: what it shows of each exchange, its filters, bodies on demand, never a credential,
and the findings a harness marks on the exchanges it cited."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from ottimate_validation.sandbox import EmbeddedSandbox
from ottimate_validation.sandbox.journal import EXCHANGE_HEADER

from .world import World, api_client


def _rows(dash: httpx.Client, **filters: str) -> list[dict[str, object]]:
    answer = dash.get("/log.json", params={"since": "0", **filters})
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    return list(answer.json()["rows"])


def test_each_exchange_shows_what_a_request_log_needs(
    sandbox: EmbeddedSandbox, dash: httpx.Client, api: httpx.Client, world: World
) -> None:
    key = f"log-key-{uuid.uuid4()}"
    created = api.post("/invoices", json=world.invoice_body(), headers={"Idempotency-Key": key})
    row = next(r for r in _rows(dash) if r["key"] == key)
    assert (row["method"], row["path"], row["status"]) == ("POST", "/v1/invoices", 201)
    assert row["user"] == sandbox.users["account"].client_id and float(str(row["duration"])) >= 0
    assert str(row["at"]).endswith("+00:00") and row["time"] and row["marks"] == []
    page = dash.get("/log").text
    assert key in page and f'href="/_dashboard/log/{row["seq"]}"' in page
    one = dash.get(f"/log/{row['seq']}").text
    assert created.headers["X-Request-Id"] in one and "Test Invoice - Apples" in one


def test_newer_exchanges_come_after_the_last_one_seen(dash: httpx.Client, api: httpx.Client) -> None:
    last = dash.get("/log.json", params={"since": "0"}).json()["last"]
    api.get("/vendors", params={"limit": 1, "page": 2})
    newer = dash.get("/log.json", params={"since": str(last)}).json()
    assert [(r["path"], r["query"]) for r in newer["rows"]] == [("/v1/vendors", "limit=1&page=2")]
    assert newer["last"] > last
    assert dash.get("/log.json", params={"since": "soon"}).status_code == 400


def test_filters_narrow_the_log(sandbox: EmbeddedSandbox, dash: httpx.Client, api: httpx.Client) -> None:
    api.get("/invoices/not-an-invoice")
    with api_client(sandbox, "company") as narrow:
        narrow.get("/vendors")
    assert {r["method"] for r in _rows(dash, method="POST")} == {"POST"}
    assert all(400 <= int(str(r["status"])) < 500 for r in _rows(dash, status="4xx"))
    assert any(r["path"] == "/v1/invoices/not-an-invoice" for r in _rows(dash, status="errors"))
    assert {r["status"] for r in _rows(dash, status="404")} == {404}
    assert all("/vendors" in str(r["path"]) for r in _rows(dash, path="/VENDORS"))
    company = sandbox.users["company"].client_id
    assert {r["user"] for r in _rows(dash, user=company)} == {company}
    assert not any(r["control"] for r in _rows(dash))
    httpx.get(f"{sandbox.url}/_sandbox/health")
    assert any(r["path"] == "/_sandbox/health" for r in _rows(dash, control="1"))
    page = dash.get("/log", params={"method": "PATCH", "path": "nothing-like-this"}).text
    assert "No exchange matches." in page


def test_bodies_are_shown_on_demand_redacted(sandbox: EmbeddedSandbox, dash: httpx.Client, api: httpx.Client) -> None:
    token_row = next(r for r in _rows(dash, path="/oauth/token"))
    bodies = dash.get(f"/log/{token_row['seq']}.json").json()
    assert "client_secret=%5Bredacted%5D" in bodies["request_body"]
    assert json.loads(bodies["response_body"])["access_token"] == "[redacted]"


def test_no_credential_ever_reaches_the_log_page(
    sandbox: EmbeddedSandbox, dash: httpx.Client, api: httpx.Client
) -> None:
    user = sandbox.users["account"]
    token = api.headers["Authorization"].removeprefix("Bearer ")
    # A credential where no field name gives it away: in a vendor's name, and in a query.
    api.post(
        "/vendors", json={"ottimate_company_id": 1, "erp_vendor_id": "V-LEAK", "erp_vendor_name": user.client_secret}
    )
    api.get("/vendors", params={"note": user.api_key, "access_token": token})
    seqs = [r["seq"] for r in _rows(dash)][:20]
    shown = [dash.get("/log").text, dash.get("/log.json", params={"since": "0"}).text]
    shown += [dash.get(f"/log/{s}").text + dash.get(f"/log/{s}.json").text for s in seqs]
    for page in shown:
        for secret in (user.api_key, user.client_secret, token):
            assert secret not in page
    assert any("[redacted]" in page for page in shown)


def test_findings_marked_by_a_harness_show_on_the_exchanges_they_cite(
    sandbox: EmbeddedSandbox, dash: httpx.Client, api: httpx.Client
) -> None:
    api.get("/vendors", headers={EXCHANGE_HEADER: "integration-41"})
    api.get("/accounts", headers={EXCHANGE_HEADER: "integration-42"})
    version = dash.get("/log.json", params={"since": "0"}).json()["marks_version"]
    findings = [
        {"exchange": "integration-41", "rule": "auth.token-reused", "finding": "A token was asked for each call.",
         "holds": False},
        {"exchange": "integration-42", "rule": "stability.pages-walked", "finding": "Every page was read.",
         "holds": True},
    ]  # fmt: skip
    put = httpx.put(f"{sandbox.url}/_sandbox/findings", json={"findings": findings})
    assert put.status_code == 200 and put.json()["findings"] == findings
    after = dash.get("/log.json", params={"since": "0"}).json()
    assert after["marks_version"] != version
    marked = {r["ref"]: r["marks"] for r in _rows(dash, findings="1")}
    assert marked == {
        "integration-41": [
            {"rule": "auth.token-reused", "finding": "A token was asked for each call.", "holds": False}
        ],
        "integration-42": [{"rule": "stability.pages-walked", "finding": "Every page was read.", "holds": True}],
    }
    page = dash.get("/log").text
    assert "✗ auth.token-reused" in page and "A token was asked for each call." in page and "violation" in page
    assert httpx.get(f"{sandbox.url}/_sandbox/findings").json()["findings"] == findings
    httpx.put(f"{sandbox.url}/_sandbox/findings", json={"findings": []})
    assert _rows(dash, findings="1") == []


@pytest.mark.parametrize(
    "body",
    [{}, {"findings": "x"}, {"findings": [1]}, {"findings": [{"exchange": "e", "rule": "r"}]},
     {"findings": [{"exchange": "e", "rule": "r", "finding": "f", "holds": "no"}]}],
)  # fmt: skip
def test_findings_that_are_not_findings_are_refused(sandbox: EmbeddedSandbox, body: dict[str, object]) -> None:
    answer = httpx.put(f"{sandbox.url}/_sandbox/findings", json=body)
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_request"
