"""A validation run and an integration run in one report (``ottimate-validate merge``), kept apart.

The integration run is real (the well-behaved Python example, one clean pass); the validation run is a
hand-made run folder whose ledger holds its checks, so the test shows what the merge does with each.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from ottimate_validation.cli import merge
from ottimate_validation.integration.combined import Combined
from ottimate_validation.integration.summary import IntegrationSummary
from ottimate_validation.report.allure import AllureNotInstalledError, find_allure
from ottimate_validation.report.criteria import REQUIRED_CHECKS_FILE, load_required
from ottimate_validation.report.verdicts import CriterionVerdict, Verdict
from ottimate_validation.run import Run
from ottimate_validation.run.ledger import Check, Exchange, Ledger

from .conftest import EXAMPLES, ROOT, Integrate

CRITERIA = ("Authentication", "Core Functionality", "Error Handling", "Data Integrity", "Integration Stability")


REQUIRED = [
    (criterion, test)
    for criterion, checks in load_required(ROOT / "suites" / REQUIRED_CHECKS_FILE).items()
    for check in checks
    for test in check.tests
]


def validation_run(folder: Path) -> Path:
    """A validation run's folder: its required checks passed, each with the one request it made."""
    run = Run(id=folder.name, folder=folder)
    run.save()
    run.results_dir.mkdir()
    ledger = Ledger(run.ledger_dir, process="gw0")
    for i, (criterion, test) in enumerate(REQUIRED):
        ledger.record(Exchange(at=1000.0 + i, method="GET", path="/v1/accounts", status=200, test=test,
                               operation="GET /accounts", host="127.0.0.1"))  # fmt: skip
        ledger.record(Check(at=1000.0 + i, test=test, title=test, status="passed", criterion=criterion))
    ledger.close()
    return folder


def allure_or_none() -> list[str]:
    try:
        find_allure()
    except AllureNotInstalledError:
        return ["--no-report"]
    return []


def merged_folder(reports: Path) -> Path:
    [folder] = [p for p in reports.iterdir() if p.is_dir() and not p.is_symlink()]
    return folder


def test_one_report_holds_both_kinds_of_evidence_apart(
    integrate: Integrate, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    integration = integrate((sys.executable, str(EXAMPLES / "python" / "sync.py")))
    assert integration.exit_code == 0
    validation = validation_run(tmp_path / "validation-run")
    out_dir = tmp_path / "merged"
    no_report = allure_or_none()

    code = merge.main([str(validation), str(integration.run_dir), "--reports-dir", str(out_dir), *no_report])

    out = capsys.readouterr().out
    folder = merged_folder(out_dir)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["kind"] == "combined"
    # Each part keeps its own verdicts: the suites' checks judge one, the integration's rules the other.
    assert {v["verdict"] for v in summary["validation"]["verdicts"]} == {"Rehearsed"}
    assert summary["validation"]["tests"]["passed"] == len(REQUIRED)
    assert summary["integration"]["headline"] == integration.summary.headline
    # The integration's exchanges are kept beside the merged ledger, not counted as the suites' requests.
    assert summary["validation"]["requests"] == len(REQUIRED)
    kept = folder / "integrations" / integration.run_id
    assert list((kept / "ledger").glob("*.jsonl")) and (kept / "summary.json").is_file()
    results = [json.loads(p.read_text()) for p in (folder / "allure-results").glob("*-result.json")]
    parents = {label["value"] for r in results for label in r["labels"] if label["name"] == "parentSuite"}
    assert "Your integration" in parents
    # On the console: the whole first, then each part under its name, verdicts last.
    lines = out.rstrip().splitlines()
    assert lines[-13].startswith("Not evidence for Ottimate: your integration and your sandbox and credentials")
    assert lines[-12].startswith("Your integration: Rehearsal passed") and lines[-6].startswith(
        "Your sandbox and credentials: Rehearsal passed"
    )
    assert lines[-1].startswith("  Integration Stability ... Rehearsed")
    assert code == 0, out  # nothing is Not ready; a rehearsal is said, not failed
    run = Run.load(folder)
    assert [s.get("kind") for s in run.sources] == [None, "integration"]
    if not no_report:
        page = (folder / "report.html").read_text(encoding="utf-8")
        assert page.index("id='ottimate-combined'") < page.index("id='ottimate-integration'")
        assert page.index("id='ottimate-integration'") < page.index("id='ottimate-readiness'")
        assert "Your sandbox and credentials: readiness summary" in page


def _integration_summary(verdict: Verdict, *, evidence: bool = True) -> IntegrationSummary:
    return IntegrationSummary(
        title="t",
        generated_at="now",
        command="sync",
        cwd="/",
        revision=None,
        target="x",
        plan="none",
        seed=1,
        faults=(),
        passes=(),
        verdicts=[CriterionVerdict(c, verdict, passed=1) for c in CRITERIA],
        findings=(),
        daily_quota=10_000,
        evidence=evidence,
    )


def test_the_whole_is_ready_only_when_both_parts_are(integrate: Integrate, tmp_path: Path) -> None:
    """The headline of the whole, read off both parts (no run needed: the parts are made here)."""
    from ottimate_validation.report.summary import ReadinessSummary

    def readiness(verdict: Verdict, *, evidence: bool = True) -> ReadinessSummary:
        return ReadinessSummary(
            title="Ottimate validation",
            generated_at="now",
            environment={},
            executor={},
            plan="p",
            verdicts=[CriterionVerdict(c, verdict, passed=1) for c in CRITERIA],
            tests={"passed": 5},
            problems=(),
            operations=(),
            other_requests=0,
            requests=5,
            rate_limited_answers=0,
            evidence=evidence,
        )

    ready = Combined(_integration_summary(Verdict.READY), readiness(Verdict.READY))
    assert ready.ready and ready.headline.startswith("Ready:")
    one_not_ready = Combined(_integration_summary(Verdict.NOT_READY), readiness(Verdict.READY))
    assert not one_not_ready.ready and one_not_ready.headline.startswith("Not ready: your integration (")
    rehearsed = Combined(_integration_summary(Verdict.READY), readiness(Verdict.REHEARSED, evidence=False))
    assert not rehearsed.ready
    assert rehearsed.headline.startswith("Not evidence for Ottimate: your sandbox and credentials ran on")
    lines = rehearsed.verdict_lines()
    assert lines[0] == "Your integration: Ready (every rule that could be judged held)"
    assert lines[6].startswith("Your sandbox and credentials: Rehearsal passed")


def _integration_folder(folder: Path, summary: IntegrationSummary | None) -> Path:
    run = Run(id=folder.name, folder=folder, kind="integration")
    run.save()
    run.results_dir.mkdir()
    if summary is not None:
        (folder / "summary.json").write_text(summary.to_json(), encoding="utf-8")
    return folder


def test_an_integration_that_does_not_hold_fails_the_merge(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    validation = validation_run(tmp_path / "v")
    integration = _integration_folder(tmp_path / "i", _integration_summary(Verdict.NOT_READY))

    code = merge.main([str(validation), str(integration), "--reports-dir", str(tmp_path / "out"), "--no-report"])

    assert code == 1
    assert "Not ready: your integration" in capsys.readouterr().out


def refusal(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("ottimate-validate merge: ") and "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    return err


def test_what_cannot_be_combined_is_refused_with_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    validation = validation_run(tmp_path / "v")
    good = _integration_summary(Verdict.READY)
    one, two = _integration_folder(tmp_path / "i1", good), _integration_folder(tmp_path / "i2", good)
    out = ["--reports-dir", str(tmp_path / "out"), "--no-report"]

    assert merge.main([str(validation), str(one), str(two), *out]) == 2
    assert "are both integration runs" in refusal(capsys)
    assert merge.main([str(one), *out]) == 2
    assert "at least one validation run folder" in refusal(capsys)
    assert merge.main([str(validation), str(_integration_folder(tmp_path / "i3", None)), *out]) == 2
    assert "summary.json cannot be read" in refusal(capsys)
    broken = _integration_folder(tmp_path / "i4", replace(good, verdicts=[]))
    (broken / "summary.json").write_text('{"schema_version": 1, "title": "x"}', encoding="utf-8")
    assert merge.main([str(validation), str(broken), *out]) == 2
    assert "is not the summary of an integration run this version writes" in refusal(capsys)
    assert not (tmp_path / "out").exists(), "a refused merge wrote something"
