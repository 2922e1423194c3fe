"""``--request-budget N``: a run never sends more than N requests, and says what it skipped for it.

The counter is shown shared between processes; a budgeted run of a suite against an embedded sandbox
is counted where the requests arrive (the sandbox's door, not our own counter), and its skipped tests
must be reported; a criterion whose tests were skipped for the budget is not Ready.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from pathlib import Path

import httpx
import pytest

from ottimate_validation.cli import validate as cli
from ottimate_validation.report.verdicts import BUDGET_PROBLEM, Verdict
from ottimate_validation.run import Run
from ottimate_validation.run.budget import BUDGET_ENV, RequestBudget, RequestBudgetExhausted, parse_budget
from ottimate_validation.run.judge import build_summary, verdicts_from
from ottimate_validation.run.ledger import BudgetSkip, Check, Ledger, LedgerTransport, Records, Source
from ottimate_validation.run.plan import LoadedPlan

from ..suite_runs import run_suites


def _spend(path: str, attempts: int) -> None:
    budget = RequestBudget(Path(path))
    for _ in range(attempts):
        with contextlib.suppress(RequestBudgetExhausted):
            budget.take()


def test_the_budget_is_shared_by_processes_and_never_overdrawn(tmp_path: Path) -> None:
    path = tmp_path / "budget.json"
    RequestBudget.create(path, limit=150)
    context = multiprocessing.get_context("spawn")  # separate interpreters, as xdist workers are
    workers = [context.Process(target=_spend, args=(str(path), 100)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    state = RequestBudget(path).state()
    assert (state.limit, state.used, state.refused) == (150, 150, 150)


def test_a_request_past_the_budget_is_never_sent(tmp_path: Path) -> None:
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        return httpx.Response(200)

    budget = RequestBudget.create(tmp_path / "budget.json", limit=2)
    ledger = Ledger()
    transport = LedgerTransport(httpx.MockTransport(answer), ledger, source=Source.SUITE, budget=budget)
    with httpx.Client(transport=transport) as http:
        http.get("http://api.test/a")
        http.get("http://api.test/b")
        with pytest.raises(RequestBudgetExhausted, match="request budget of 2 exhausted"):
            http.get("http://api.test/c")
    assert sent == ["/a", "/b"]
    assert budget.exhausted()
    assert [r.path for r in ledger.records()] == ["/a", "/b"], "what was refused was never sent, nor recorded"


@pytest.mark.parametrize("text", ["0", "-5", "ten", "", "1.5"])
def test_a_budget_that_is_not_a_positive_whole_number_is_refused_in_one_sentence(text: str) -> None:
    with pytest.raises(ValueError, match=r"^OTTIMATE_REQUEST_BUDGET must be a whole number of requests, 1 or more"):
        parse_budget(text, "OTTIMATE_REQUEST_BUDGET")


def outcome(name: str, status: str, *, budget_skipped: bool = False) -> Check:
    criterion = "Authentication"
    return Check(at=0.0, test=name, title=name, status=status, criterion=criterion, budget_skipped=budget_skipped)


def test_a_criterion_with_tests_skipped_for_the_budget_is_not_ready() -> None:
    budget_skip = outcome("b", "skipped", budget_skipped=True)
    by_design = outcome("c", "skipped")
    [ready] = verdicts_from([outcome("a", "passed"), by_design], criteria=("Authentication",))
    assert ready.verdict is Verdict.READY
    [spent] = verdicts_from([outcome("a", "passed"), budget_skip], criteria=("Authentication",))
    assert spent.verdict is Verdict.NOT_EVIDENCED and spent.problems == {BUDGET_PROBLEM: 1}


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_small_budget_stops_the_run_before_it_is_exceeded_and_lists_what_it_skipped(tmp_path: Path) -> None:
    budget = 40
    run = run_suites(["auth"], tmp_path, extra_args=["--request-budget", str(budget), "-n", "2"])

    assert run.returncode == 0 and not run.failed, run.output  # it ends cleanly: nothing failed or broke
    # Counted at the sandbox: every API and auth request, the preflight's probes and refused ones included.
    assert 0 < run.requests <= budget, f"the sandbox received {run.requests} requests on a budget of {budget}"
    assert run.records.requests == run.requests, "the ledger counts what the sandbox counted at its door"
    skipped = {skip.test for skip in run.records.budget_skips}
    assert skipped and run.passed, f"the budget stopped nothing, or everything: {run.output}"
    assert {c.test for c in run.records.checks if c.budget_skipped} == skipped
    assert all(run.skipped[_junit_name(test)].endswith(f"request budget of {budget} exhausted") for test in skipped)
    assert f"Requests used: {budget} of the budget of {budget}." in run.stdout


def _junit_name(nodeid: str) -> str:
    path, _, test = nodeid.partition("::")
    return f"{path.removesuffix('.py').replace('/', '.')}::{test}"


def test_the_summary_names_the_budget_and_the_tests_it_skipped(tmp_path: Path) -> None:
    run = Run(id="r", folder=tmp_path, budget=9)
    checks = [outcome("Test 0", "passed"), outcome("Test 1", "skipped", budget_skipped=True)]
    records = Records.of([*checks, BudgetSkip(at=0.0, test="Test 1", limit=9)])

    summary = build_summary(run, records, LoadedPlan(), title="T", root=tmp_path)
    summary = summary.__class__(**{**summary.__dict__, "budget": {"limit": 9, "used": 9}})

    assert summary.budget_skipped == ("Test 1",)
    assert "Request budget .... 9 of 9 requests used; it ran out and 1 test(s) were skipped" in summary.console_lines()
    assert "  skipped: Test 1" in summary.console_lines()
    markdown = summary.to_markdown()
    assert "## Skipped because the request budget ran out" in markdown and "- Test 1" in markdown
    assert summary.to_dict()["budget"] == {"limit": 9, "used": 9}
    assert not summary.ready


@pytest.mark.parametrize("value", ["0", "-1", "lots"])
def test_a_bad_budget_on_the_command_line_exits_2(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([f"--request-budget={value}"]) == 2
    err = capsys.readouterr().err
    assert "the request budget must be a whole number of requests, 1 or more" in err and "Traceback" not in err


def test_a_bad_budget_in_the_environment_exits_2_in_one_sentence(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(BUDGET_ENV, "a thousand")
    assert cli.main(["--suite", "auth"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"ottimate-validate: {BUDGET_ENV} must be a whole number of requests, 1 or more (got 'a thousand').")
