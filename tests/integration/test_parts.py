"""The parts on their own: the fault schedule, the recording layer, the command's output, state, the plan."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import orjson
from werkzeug.test import Client
from werkzeug.wrappers import Response

from ottimate_validation.integration.command import KEEP_BYTES, run_command
from ottimate_validation.integration.credentials import API_KEY, RunCredentials
from ottimate_validation.integration.faults import DEFAULT_FAULTS, FaultSchedule, Request
from ottimate_validation.integration.journal import Journal
from ottimate_validation.integration.plan import load
from ottimate_validation.integration.proxy import Recorder
from ottimate_validation.integration.state import differences, duplicates, normalise
from ottimate_validation.report.redact import fingerprint
from ottimate_validation.run.ledger import Exchange, Ledger, read_ledger

from .conftest import UNICODE_ERP, write_plan


def _traffic() -> list[Request]:
    requests = [Request("POST", "/oauth/token", "token")]
    requests += [Request("GET", f"/v1/list{n}", f"GET /v1/list{n}", page=1 + n % 3, token="t1") for n in range(12)]
    requests += [Request("POST", "/v1/vendors/bulk", f"write-{n}", token="t1") for n in range(4)]
    return requests


def _decisions(seed: int) -> list[str | None]:
    schedule = FaultSchedule(DEFAULT_FAULTS, seed)
    schedule.token_issued("t1")
    return [(d.fault if (d := schedule.decide(r)) else None) for r in _traffic()]


def test_the_fault_schedule_is_reproducible_from_its_seed() -> None:
    assert _decisions(1) == _decisions(1)
    assert any(_decisions(1) != _decisions(seed) for seed in range(2, 6))


def test_no_operation_takes_more_than_two_faults() -> None:
    schedule = FaultSchedule(("503-write", "answer-lost", "429-write"), seed=3)
    same_write = Request("POST", "/v1/vendors/bulk", "the one write", token="t1")
    faults = [d.fault if (d := schedule.decide(same_write)) else None for _ in range(5)]
    assert len([f for f in faults if f]) == 2 and faults[2:] == [None, None, None]
    assert schedule.not_fired() == [n for n in ("503-write", "answer-lost", "429-write") if n not in faults]


def test_a_revoked_token_is_refused_until_a_new_one_is_used() -> None:
    schedule = FaultSchedule(("token-revoked",), seed=1)
    schedule.token_issued(fingerprint("old"))
    answers = [schedule.decide(Request("GET", "/v1/x", f"r{n}", token=fingerprint("old"))) for n in range(10)]
    refused = [a for a in answers if a is not None]
    assert refused and all(a.status == 401 and a.code == "invalid_token" for a in refused)
    schedule.token_issued(fingerprint("new"))
    assert schedule.decide(Request("GET", "/v1/x", "again", token=fingerprint("new"))) is None


def _app(environ: dict[str, Any], start_response: Any) -> Any:
    calls.append(environ["PATH_INFO"])
    if environ["PATH_INFO"] == "/oauth/token":
        body = orjson.dumps({"access_token": "TOKEN-abcdef-123456", "expires_in": 3600})
    else:
        body = orjson.dumps({"version": "1.0.0", "count": 45, "page": 2, "limit": 20, "vendors": [{"id": 1}] * 20})
    return Response(body, 201 if environ["REQUEST_METHOD"] == "POST" else 200, mimetype="application/json")(
        environ, start_response
    )


calls: list[str] = []


class _Kept(Journal):
    """A journal that also keeps its records in memory, for the test to read."""

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(Ledger(None, process="test"), tmp_path / "ledger")
        self.kept: list[Exchange] = []

    def record(self, record: Exchange) -> None:
        super().record(record)
        self.kept.append(record)

    def records(self) -> list[Exchange]:
        return self.kept


def _recorder(tmp_path: Path) -> tuple[Recorder, _Kept, RunCredentials]:
    journal = _Kept(tmp_path)
    credentials = RunCredentials("KEY-0123456789", "client", "SECRET-0123456789", secrets=journal.secrets)
    return Recorder(_app, journal, credentials), journal, credentials


def test_the_recorder_keeps_a_redacted_record_of_each_exchange(tmp_path: Path) -> None:
    recorder, ledger, credentials = _recorder(tmp_path)
    recorder.begin("clean", None)
    client = Client(recorder)
    client.post("/oauth/token", data={"grant_type": "client_credentials", "client_secret": "SECRET-0123456789"},
                headers={"X-Api-Key": "KEY-0123456789"})  # fmt: skip
    client.get("/v1/vendors?page=2&access_token=TOKEN-abcdef-123456",
               headers={"X-Api-Key": "KEY-0123456789", "Authorization": "Bearer TOKEN-abcdef-123456"})  # fmt: skip
    token_call, listing = [r for r in ledger.records() if isinstance(r, Exchange)]
    assert "TOKEN-abcdef-123456" in credentials.tokens  # learnt from the answer, before the integration saw it
    assert token_call.issued_token == fingerprint("TOKEN-abcdef-123456") and token_call.facts["expires_in"] == 3600
    assert token_call.request_body == {"grant_type": "client_credentials", "client_secret": "[redacted]"}
    assert token_call.response_body["access_token"] == "[redacted]"
    assert listing.request_headers["Authorization"] == "[redacted]" and listing.api_key == fingerprint("KEY-0123456789")
    assert listing.facts == {"count": 45, "page": 2, "limit": 20, "items": 20} and listing.lane == "clean"
    assert listing.secrets_in_url and "TOKEN-abcdef" not in listing.query
    ledger.close()
    written = (tmp_path / "ledger" / "test-journal.jsonl").read_bytes()
    assert [r.id for r in read_ledger(tmp_path).exchanges] == [token_call.id, listing.id]
    for secret in (b"KEY-0123456789", b"SECRET-0123456789", b"TOKEN-abcdef-123456"):
        assert secret not in written


def test_faults_answered_by_the_proxy_never_reach_the_api_and_a_lost_answer_does(tmp_path: Path) -> None:
    recorder, ledger, _ = _recorder(tmp_path)
    recorder.begin("fault", FaultSchedule(("503-write", "answer-lost"), seed=1))
    client = Client(recorder)
    calls.clear()
    first = client.post("/v1/vendors/bulk", json={"a": 1}, headers={"Idempotency-Key": "k1"})
    second = client.post("/v1/vendors/bulk", json={"a": 2}, headers={"Idempotency-Key": "k2"})
    answered = {r.fault: r for r in ledger.records() if isinstance(r, Exchange)}
    refused = answered["503-write"]
    lost = answered["answer-lost"]
    assert sorted([first.status_code, second.status_code]) == sorted([503, lost.status or 0])
    assert calls == ["/v1/vendors/bulk"]  # only the lost one was forwarded (and processed)
    assert lost.facts["processed_status"] == 201 and lost.status in (502, 504)
    assert refused.facts["code"] == "service_unavailable"


def test_a_credential_split_across_two_reads_of_the_output_is_still_found(tmp_path: Path) -> None:
    credentials = RunCredentials("APIKEY-split-across-chunks", "client", "SECRET-x")
    script = (
        "import sys\n"
        f"sys.stdout.write('x' * {64 * 1024 - 10}); sys.stdout.flush()\n"
        "sys.stdout.write('APIKEY-split-across-chunks\\n' + 'y' * 100000)\n"
    )
    outcome = run_command([sys.executable, "-c", script], env={}, cwd=None, time_limit=20, credentials=credentials)
    assert [(s.kind, s.stream, s.offset) for s in outcome.secrets_seen] == [(API_KEY, "stdout", 64 * 1024 - 10)]
    assert outcome.stdout.total_bytes == 64 * 1024 - 10 + 27 + 100000
    assert len(outcome.stdout.text()) < 2 * KEEP_BYTES + 100
    assert "APIKEY-split" not in outcome.stdout.text()


def test_state_compares_without_ids_or_timestamps() -> None:
    clean = {"vendors": [{"id": 1, "erp_vendor_id": "V1", "last_modified_date_utc": "x", "ottimate_company_id": 7}]}
    fault = {"vendors": [{"id": 9, "erp_vendor_id": "V1", "last_modified_date_utc": "y", "ottimate_company_id": 7}]}
    assert normalise(clean["vendors"][0]) == {"erp_vendor_id": "V1", "ottimate_company_id": 7}
    assert differences(clean, fault) == []
    changed = {"vendors": [{"id": 9, "erp_vendor_id": "V1", "city": "Paris", "ottimate_company_id": 7}]}
    assert differences(clean, changed)[0].missing and differences(clean, changed)[0].extra


def test_only_entities_the_pass_created_again_are_duplicates() -> None:
    po = {"ottimate_company_id": 7, "erp_vendor_id": "V1", "po_number": "PO-1"}
    before = {"purchase_orders": [po, po]}  # already twice: not this pass's doing
    assert duplicates(before, {"purchase_orders": [po, po]}) == []
    found = duplicates({"purchase_orders": [po]}, {"purchase_orders": [po, po]})
    assert [(d.kind, d.before, d.after) for d in found] == [("purchase_orders", 1, 2)]


def test_the_integration_table_is_taken_out_and_the_rest_read_as_a_plan(tmp_path: Path) -> None:
    erp = tmp_path / "erp"
    erp.mkdir()
    (erp / "vendors.csv").write_text((UNICODE_ERP / "vendors.csv").read_text(encoding="utf-8"), encoding="utf-8")
    plan = write_plan(
        tmp_path,
        """
        [plan]
        name = "Café sync ☕"
        operations = ["GET /vendors", "POST /vendors/bulk"]
        [erp]
        vendors = "erp/vendors.csv"
        [integration]
        incremental = true
        """,
    )
    loaded = load(plan)
    assert loaded.incremental is True and loaded.plan is not None
    assert loaded.plan.name == "Café sync ☕" and loaded.plan.source == plan.resolve()
    assert [v.erp_vendor_name for v in loaded.plan.erp_vendors or ()][2] == "Test Vendor - 東京フーズ"
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.ottimate-validation.plan]\noperations = ["GET /vendors"]\n'
                         "[tool.ottimate-validation.integration]\nincremental = false\n")  # fmt: skip
    assert load(pyproject).incremental is False and load(pyproject).plan is not None


def test_the_repository_revision_is_named_when_the_command_runs_inside_one(tmp_path: Path) -> None:
    from ottimate_validation.integration.run import repository_revision

    from .conftest import ROOT

    revision = repository_revision(ROOT)
    assert revision is not None and re.fullmatch(r"[0-9a-f]{12}( \+ local changes)?", revision)
    assert repository_revision(tmp_path) is None


def test_the_recorded_request_headers_are_the_redaction_of_the_sent_ones() -> None:
    from ottimate_validation.integration.proxy import _request_headers, _shown_request_headers
    from ottimate_validation.report.redact import redact_headers

    environ = {
        "HTTP_AUTHORIZATION": "Bearer t", "HTTP_X_API_KEY": "k", "HTTP_IDEMPOTENCY_KEY": "i", "HTTP_USER_AGENT": "u",
        "HTTP_X_CUSTOM_THING": "c", "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": "2", "PATH_INFO": "/",
    }  # fmt: skip
    assert _shown_request_headers(environ) == redact_headers(_request_headers(environ))
    assert _shown_request_headers(environ)["Authorization"] == "[redacted]"
    assert _shown_request_headers(environ)["Idempotency-Key"] == "i"


def test_a_chunked_body_is_read_whether_or_not_the_server_says_it_is_terminated() -> None:
    import io

    from ottimate_validation.integration.proxy import _read_body

    for terminated in (True, False):
        environ: dict[str, Any] = {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(b'{"a": 1}')}
        if terminated:
            environ["wsgi.input_terminated"] = True
        assert _read_body(environ) == b'{"a": 1}'
    assert _read_body({"wsgi.input": io.BytesIO(b"ignored")}) == b""  # nothing announced
