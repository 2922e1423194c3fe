"""The readiness summary under a plan file: each planned operation, evidenced or not, and what a gap costs."""

from __future__ import annotations

import json
from pathlib import Path

from ottimate_validation.report.summary import (
    EVIDENCED,
    EXERCISED_ONLY,
    NOT_EXERCISED,
    NOT_PLANNED,
    PLAN_CRITERION,
    PLAN_GAP,
)
from ottimate_validation.report.verdicts import Verdict
from ottimate_validation.run import Run
from ottimate_validation.run.judge import build_summary as judge
from ottimate_validation.run.ledger import read_ledger
from ottimate_validation.run.plan import LoadedPlan as ValidationPlan
from tests.reporting.factory import Results, Sent


def build_summary(folder: Path, *, title: str, plan: ValidationPlan | None = None):
    return judge(Run.load(folder), read_ledger(folder), plan or ValidationPlan(), title=title, root=folder)


SOURCE = Path("/partner/validation.toml")
PLAN = ValidationPlan(
    name="Acme AP sync",
    operations=("POST /oauth/token", "GET /vendors", "POST /vendors/bulk", "GET /dimensions"),
    source=SOURCE,
)


def passing_core_run(folder: Path, *, with_dimensions: bool) -> Results:
    results = Results(folder)
    results.test("test_token", epic="Authentication", sent=[Sent("POST", "/oauth/token")])
    results.test(
        "test_vendors",
        epic="Core Functionality",
        sent=[Sent("GET", "/v1/accounts"), Sent("GET", "/v1/vendors"), Sent("POST", "/v1/vendors/bulk", 201)],
    )
    dimensions = [Sent("GET", "/v1/dimensions")]
    if with_dimensions:
        results.test("test_dimensions", epic="Core Functionality", sent=dimensions)
    else:  # exercised, but only by a test that could not decide
        results.test("test_dimensions", "broken", epic="Data Integrity", sent=dimensions)
    return results


def verdict_of(summary, criterion: str):
    return next(v for v in summary.verdicts if v.criterion == criterion)


def test_every_planned_operation_is_listed_with_whether_a_passing_test_evidenced_it(tmp_path: Path) -> None:
    passing_core_run(tmp_path, with_dimensions=False)

    summary = build_summary(tmp_path, title="t", plan=PLAN)

    rows = {row.operation: (row.planned, row.status) for row in summary.operations}
    assert rows == {
        "POST /oauth/token": (True, EVIDENCED),
        "GET /vendors": (True, EVIDENCED),
        "POST /vendors/bulk": (True, EVIDENCED),
        "GET /dimensions": (True, EXERCISED_ONLY),
        "GET /accounts": (False, NOT_PLANNED),
    }
    assert summary.operations_text() == "3 of 4 planned operations evidenced"


def test_a_planned_operation_not_evidenced_keeps_core_functionality_from_ready(tmp_path: Path) -> None:
    results = passing_core_run(tmp_path, with_dimensions=False)
    results.test("test_more", epic="Core Functionality", sent=[Sent("GET", "/v1/vendors")])
    plan = ValidationPlan(name=PLAN.name, operations=(*PLAN.operations, "GET /invoices"), source=SOURCE)

    summary = build_summary(tmp_path, title="t", plan=plan)

    core = verdict_of(summary, PLAN_CRITERION)
    assert (core.passed, core.failed, core.broken) == (2, 0, 0)  # every Core test passed ...
    assert core.verdict is Verdict.NOT_EVIDENCED  # ... but two planned operations lack evidence
    assert core.problems == {PLAN_GAP: 2}
    assert not summary.ready
    assert [row.operation for row in summary.plan_gaps] == ["GET /dimensions", "GET /invoices"]
    assert {row.operation: row.status for row in summary.plan_gaps}["GET /invoices"] == NOT_EXERCISED


def test_when_every_planned_operation_is_evidenced_the_plan_costs_nothing(tmp_path: Path) -> None:
    passing_core_run(tmp_path, with_dimensions=True)

    summary = build_summary(tmp_path, title="t", plan=PLAN)

    assert verdict_of(summary, PLAN_CRITERION).verdict is Verdict.READY
    assert verdict_of(summary, PLAN_CRITERION).problems == {}
    assert summary.plan_gaps == []


def test_the_default_plan_asks_for_no_operation_in_particular(tmp_path: Path) -> None:
    passing_core_run(tmp_path, with_dimensions=False)

    summary = build_summary(tmp_path, title="t")

    assert verdict_of(summary, PLAN_CRITERION).verdict is Verdict.READY
    assert summary.plan_gaps == []
    assert summary.plan_source is None and not summary.explicit_plan


def test_every_rendering_names_the_plan_its_file_and_its_gaps(tmp_path: Path) -> None:
    passing_core_run(tmp_path, with_dimensions=False)

    summary = build_summary(tmp_path, title="t", plan=PLAN)

    named = f"Acme AP sync ({SOURCE})"
    gap = "GET /dimensions (exercised, no passing test)"
    console = "\n".join(summary.console_lines())
    assert f"Plan .............. {named}" in console
    assert f"Not evidenced ..... {gap}" in console
    markdown = summary.to_markdown()
    assert f"- Validation plan: {named}" in markdown
    assert f"- **Planned operations not evidenced**: {gap}" in markdown
    assert "| `GET /dimensions` | Exercised, no passing test |" in markdown
    page = summary.to_html()
    assert "Planned operations not evidenced" in page and named in page
    data = json.loads(summary.to_json())
    assert (data["plan"], data["plan_source"], data["explicit_plan"]) == ("Acme AP sync", str(SOURCE), True)
    assert data["operations_evidenced"] == {"planned": 4, "evidenced": 3}


def test_a_default_plan_never_counts_the_operations_only_the_guides_describe() -> None:
    from ottimate_validation.report.operations import GUIDE_ONLY
    from ottimate_validation.run.plan import LoadedPlan

    exercised = {"GET /vendors", "POST /invoices", "POST /invoices/{id}/approve"}
    assert LoadedPlan().ordered(exercised) == ["GET /vendors"]
    assert "POST /invoices" in LoadedPlan(operations=("POST /invoices",)).ordered(()), "a plan may still name one"
    assert {"POST /invoices", "POST /invoices/{id}/force-approve"} <= GUIDE_ONLY
