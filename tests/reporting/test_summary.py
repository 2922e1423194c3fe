"""The readiness summary, read from an allure-results folder: verdicts, operations, quota, latency."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ottimate_validation.client import Credentials
from ottimate_validation.report.criteria import RequiredCheck
from ottimate_validation.report.environment import (
    CI,
    TARGET,
    TargetFacts,
    ci_build,
    executor_json,
    git_revision,
    read_environment,
    run_facts,
    write_environment,
)
from ottimate_validation.report.summary import (
    EVIDENCED,
    EXERCISED_ONLY,
    FAILED,
    NOT_EXERCISED,
    NOT_MEASURED,
    NOT_PLANNED,
    percentile,
    write_summary,
)
from ottimate_validation.report.verdicts import Verdict
from ottimate_validation.run import Run
from ottimate_validation.run.judge import build_summary
from ottimate_validation.run.ledger import Leftovers, read_ledger
from ottimate_validation.run.plan import LoadedPlan
from ottimate_validation.run.target import Target, describe_kind
from tests.reporting.factory import Results, Sent

TITLE = "Ottimate integration validation"
NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def summary_of(folder: Path, plan: LoadedPlan | None = None, **kwargs):
    run = Run.load(folder)
    return build_summary(run, read_ledger(folder), plan or LoadedPlan(), title=TITLE, now=NOW, root=folder, **kwargs)


# --- exchanges ------------------------------------------------------------------------------


def test_every_recorded_attempt_is_one_request_and_control_plane_calls_are_not_requests(tmp_path: Path) -> None:
    results = Results(tmp_path)
    results.exchange(Sent("POST", "/oauth/token"), None)  # a session fixture's token, before any test
    results.test("test_a", sent=[Sent("GET", "/v1/vendors", 503), Sent("GET", "/v1/vendors", 200)])
    results.exchange(Sent("POST", "/_sandbox/clock"), "suites/demo.py::test_a", source="control")

    summary = summary_of(tmp_path)

    assert summary.requests == 3, "both attempts of the retried GET count, the control plane does not"
    assert {row.operation: row.requests for row in summary.operations} == {"POST /oauth/token": 1, "GET /vendors": 2}


# --- verdicts, problems, operations ---------------------------------------------------------


def test_the_summary_gives_each_criterion_its_verdict_and_says_why_one_is_not_ready(tmp_path: Path) -> None:
    results = Results(tmp_path)
    results.test("test_token", "passed", "Authentication")
    results.test(
        "test_vendor",
        "failed",
        "Core Functionality",
        message="AssertionError: POST /v1/vendors answered 200, expected 201",
        title="Creating a vendor answers 201",
    )
    results.test(
        "test_replay",
        "broken",
        "Data Integrity",
        message="ottimate_validation.client.errors.TargetUnreachable: Cannot reach sandbox-api.ottimate.com.",
        category="Sandbox unreachable",
    )

    summary = summary_of(tmp_path)

    verdicts = {v.criterion: v.verdict for v in summary.verdicts}
    assert verdicts["Authentication"] is Verdict.READY
    assert verdicts["Core Functionality"] is Verdict.NOT_READY
    assert verdicts["Data Integrity"] is Verdict.NOT_EVIDENCED
    assert summary.headline == "Not ready: Core Functionality — on Ottimate's sandbox (sandbox-api.ottimate.com)"
    assert not summary.ready
    assert [(p.category, p.test) for p in summary.problems] == [
        ("Sandbox unreachable", "test_replay"),
        ("Contract violation", "Creating a vendor answers 201"),
    ]
    assert summary.tests == {"passed": 1, "failed": 1, "broken": 1, "skipped": 0}


def test_every_criterion_ready_makes_the_run_ready(tmp_path: Path) -> None:
    results = Results(tmp_path)
    for criterion in ("Authentication", "Core Functionality", "Error Handling", "Data Integrity"):
        results.test(f"test_{criterion}", "passed", criterion)
    results.test("test_load", "passed", "Integration Stability")

    summary = summary_of(tmp_path)

    assert summary.ready
    assert summary.headline == "Ready: every criterion is evidenced on Ottimate's sandbox (sandbox-api.ottimate.com)"


def test_a_run_that_did_not_complete_is_never_ready(tmp_path: Path) -> None:
    results = Results(tmp_path)
    for criterion in ("Authentication", "Core Functionality", "Error Handling", "Data Integrity"):
        results.test(f"test_{criterion}", "passed", criterion)
    results.test("test_load", "passed", "Integration Stability")

    summary = summary_of(tmp_path, run_error="the run was interrupted, so these verdicts are partial")

    assert not summary.ready
    assert summary.headline.startswith("Not evidenced: the run was interrupted, so these verdicts are partial — on")


def test_an_operation_is_evidenced_only_by_a_passing_test(tmp_path: Path) -> None:
    results = Results(tmp_path)
    results.test("test_list", "passed", sent=[Sent("GET", "/v1/vendors")])
    results.test("test_create", "failed", sent=[Sent("POST", "/v1/vendors", 200)], message="x")

    rows = {row.operation: row for row in summary_of(tmp_path).operations}

    assert rows["GET /vendors"].status == EVIDENCED
    assert rows["POST /vendors"].status == EXERCISED_ONLY
    assert all(row.planned for row in rows.values()), "by default the plan is what the run exercised"


def test_an_operation_whose_answer_failed_a_check_is_failed_even_if_other_tests_pass(tmp_path: Path) -> None:
    results = Results(tmp_path)
    calls = [Sent("POST", "/oauth/token"), Sent("POST", "/v1/vendors", 201)]
    results.test("test_create", "passed", sent=calls)
    results.test(
        "test_round_trip",
        "failed",
        sent=calls,
        failed_operation="POST /vendors",
        message="AssertionError: net_terms is missing",
    )

    rows = {row.operation: row for row in summary_of(tmp_path).operations}

    assert (rows["POST /vendors"].status, rows["POST /vendors"].failed_tests) == (FAILED, 1)
    assert rows["POST /oauth/token"].status == EVIDENCED, "the token call before it was fine"


def test_an_operation_whose_only_failure_ottimate_confirmed_is_evidenced(tmp_path: Path) -> None:
    results = Results(tmp_path)
    calls = [Sent("GET", "/v1/vendors", 200)]
    results.test("test_list", "passed", sent=calls)
    results.test(
        "test_page_size",
        "failed",
        sent=calls,
        failed_operation="GET /vendors",
        category="Known deviation",
        message="KnownDeviation: Known deviation: page sizes above 100 are clamped",
    )

    rows = {row.operation: row for row in summary_of(tmp_path).operations}

    assert (rows["GET /vendors"].status, rows["GET /vendors"].failed_tests) == (EVIDENCED, 0)


def test_an_explicit_plan_lists_what_was_not_exercised_and_what_was_beyond_it(tmp_path: Path) -> None:
    results = Results(tmp_path)
    results.test("test_list", sent=[Sent("GET", "/v1/vendors")])
    results.test("test_accounts", sent=[Sent("GET", "/v1/accounts")])
    plan = LoadedPlan(name="Partner plan", operations=("GET /vendors", "GET /invoices"))

    summary = summary_of(tmp_path, plan=plan)

    rows = {row.operation: row.status for row in summary.operations}
    assert rows == {"GET /vendors": EVIDENCED, "GET /invoices": NOT_EXERCISED, "GET /accounts": NOT_PLANNED}
    assert summary.operations_text() == "1 of 2 planned operations evidenced"
    assert summary.plan == "Partner plan"


def test_requests_429s_and_latency_are_counted_per_operation_from_the_recorded_exchanges(tmp_path: Path) -> None:
    results = Results(tmp_path)
    sent = [Sent("GET", "/v1/vendors", 200, float(ms)) for ms in range(1, 21)]
    sent += [Sent("GET", "/v1/vendors", 429, 1.0), Sent("GET", "/v1/no-such-route", 404, 1.0)]
    results.test("test_list", sent=sent)

    summary = summary_of(tmp_path)

    [row] = summary.operations
    assert (row.requests, row.rate_limited) == (21, 1)
    assert (row.p50_ms, row.p95_ms) == (10.0, 19.0)
    assert summary.requests == 22
    assert summary.other_requests == 1
    assert summary.rate_limited_answers == 1
    assert summary.quota_text() == "22 of 10,000 a day (0.2 %)"


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [([], 0.5, None), ([7.0], 0.95, 7.0), ([1.0, 2.0, 3.0, 4.0], 0.5, 2.0), ([1.0, 2.0, 3.0, 4.0], 0.95, 4.0)],
)
def test_percentiles_use_the_nearest_rank(values: list[float], fraction: float, expected: float | None) -> None:
    assert percentile(values, fraction) == expected


def test_leftovers_are_not_measured_until_the_clean_up_records_them(tmp_path: Path) -> None:
    results = Results(tmp_path)
    results.test("test_token")

    assert summary_of(tmp_path).leftovers_text() == NOT_MEASURED

    results.ledger.record(Leftovers(at=1.0, remaining={"vendors": 0, "dimensions": 2}, created=2))
    assert summary_of(tmp_path).leftovers == {"vendors": 0, "dimensions": 2}
    assert summary_of(tmp_path).leftovers_text() == "2 dimensions"


# --- renderings ---------------------------------------------------------------------------


def test_summary_md_and_summary_json_say_the_same_as_the_console(tmp_path: Path) -> None:
    results = Results(tmp_path)
    results.test("test_token", sent=[Sent("POST", "/oauth/token")])
    summary = summary_of(tmp_path)

    md, js = write_summary(summary, tmp_path)

    data = json.loads(js.read_text(encoding="utf-8"))
    markdown = md.read_text(encoding="utf-8")
    assert data["headline"] == summary.headline
    assert [v["verdict"] for v in data["verdicts"]] == [v.verdict.value for v in summary.verdicts]
    assert data["quota"] == {"requests": 1, "daily_limit": 10_000}
    assert data["leftovers"] is None
    assert "| Authentication | **Ready** | 1 passed | – |" in markdown
    assert "| `POST /oauth/token` | Evidenced | 1 | 0 | 1 | 10 ms | 10 ms | 0 |" in markdown
    assert any("1 of 1 planned operations evidenced" in line for line in summary.console_lines())


def test_the_html_block_escapes_whatever_a_test_or_the_target_said(tmp_path: Path) -> None:
    results = Results(tmp_path)
    results.test("test_x", "failed", title="<script>alert(1)</script>", message="AssertionError: got <b>")

    block = summary_of(tmp_path).to_html()

    assert "<script>alert" not in block
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in block
    assert block.startswith("<section id='ottimate-readiness'")


# --- run facts ----------------------------------------------------------------------------


def test_the_target_is_named_by_what_it_is() -> None:
    credentials = Credentials("k", "c", "s")

    def target(url: str, **kwargs: object) -> Target:
        return Target(api_url=url, auth_url=url.rsplit("/", 1)[0], credentials=credentials, **kwargs)  # type: ignore[arg-type]

    assert describe_kind("embedded").startswith("Embedded sandbox")
    assert target("https://sandbox-api.ottimate.com/v1").label == "Ottimate sandbox"
    assert target("http://127.0.0.1:8080/v1", control_url="http://127.0.0.1:8080/_sandbox").kind == "embedded-external"
    other = Target(
        api_url="https://user:secret@api.partner.example/v1",
        auth_url="https://user:secret@auth.example",
        credentials=credentials,
    )
    assert other.label == "Other host (api.partner.example)"
    assert other.facts()["api_url"] == "https://api.partner.example/v1"
    assert other.facts()["auth_url"] == "https://auth.example"
    assert "secret" not in repr(other.facts())


def test_a_github_actions_build_is_named_with_its_link() -> None:
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "partner/integration",
        "GITHUB_RUN_ID": "42",
        "GITHUB_RUN_NUMBER": "7",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_WORKFLOW": "Nightly validation",
    }

    build = ci_build(env)

    assert build is not None
    assert build.describe() == (
        "GitHub Actions: Nightly validation #7 (https://github.com/partner/integration/actions/runs/42/attempts/1)"
    )
    assert executor_json(build, run_id="abc", report_name=TITLE)["buildOrder"] == 7
    assert ci_build({}) is None
    assert executor_json(None, run_id="abc", report_name=TITLE)["type"] == "local"


def test_the_run_facts_round_trip_through_environment_xml(tmp_path: Path) -> None:
    facts = run_facts(
        target=TargetFacts(label=describe_kind("embedded")),
        run_id="ab12cd",
        plan_name="Default",
        root=tmp_path,
        ci=None,
    )
    facts["Note"] = "naïve <&> ünïcode"

    write_environment(tmp_path, facts)

    assert read_environment(tmp_path) == facts
    assert facts[TARGET].startswith("Embedded sandbox")
    assert facts[CI] == "none (local run)"
    assert git_revision(tmp_path) is None, "a folder outside git has no revision"


def test_a_run_on_the_embedded_sandbox_is_a_rehearsal_never_ready(tmp_path: Path) -> None:
    results = Results(tmp_path, run=Run(id="r1", folder=tmp_path))  # no target URL: embedded sandboxes
    for criterion in ("Authentication", "Core Functionality", "Error Handling", "Data Integrity"):
        results.test(f"test_{criterion}", "passed", criterion)
    results.test("test_load", "passed", "Integration Stability")

    summary = summary_of(tmp_path)

    assert not summary.ready and summary.state == "rehearsal"
    assert summary.headline == (
        "Rehearsal passed on the embedded sandbox: not evidence for Ottimate; run it against your sandbox credentials"
    )
    assert {v.verdict for v in summary.verdicts} == {Verdict.REHEARSED}
    data = json.loads(summary.to_json())
    assert (data["ready"], data["evidence"], data["target"]) == (False, False, "the embedded sandbox")
    verdict_table = summary.to_markdown().split("## What each criterion checked")[0]
    assert "Rehearsed" in verdict_table and "Ready" not in verdict_table.replace("Why not Ready", "")


def test_a_host_that_is_not_ottimates_sandbox_is_a_rehearsal_too(tmp_path: Path) -> None:
    other = {"kind": "other", "api_url": "https://staging.partner.example/v1"}
    results = Results(tmp_path, run=Run(id="r1", folder=tmp_path, target=other))
    results.test("test_token", "failed", "Authentication")

    summary = summary_of(tmp_path)

    assert summary.headline.startswith("Rehearsal on staging.partner.example, which is not Ottimate's sandbox")
    assert "Not ready: Authentication" in summary.headline


def test_the_summary_names_missing_required_checks(tmp_path: Path) -> None:
    results = Results(tmp_path)
    results.test("test_token", "passed", "Authentication")
    required = {"Authentication": (RequiredCheck("One token serves many calls", ("suites/demo.py::test_reuse",)),)}

    summary = summary_of(tmp_path, required=required)

    [auth] = [v for v in summary.verdicts if v.criterion == "Authentication"]
    assert auth.verdict is Verdict.NOT_EVIDENCED and auth.missing == ("One token serves many calls",)
    assert "missing: One token serves many calls" in summary.to_markdown()
