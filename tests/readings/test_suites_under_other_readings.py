"""First contact with a real sandbox, rehearsed: the suites against every other reading of the docs.

Where the documentation is silent the embedded sandbox and the checks decide (``sandbox/contract.py``); a
real sandbox may have decided otherwise. Each named reading (``sandbox/readings.py``) makes the embedded
sandbox take other plausible choices; every suite runs against it, exactly as a partner runs them, and
the run must show what the partner would see on first contact:

- no criterion is Not ready because of a decision (nothing is a contract violation or a harness error);
- every check that fails is filed as *Differs from our reading of the docs*, and its ``Check`` names
  decisions of that reading only; an extraction the reading makes take hours is *Still pending*;
- the drift report (``ottimate-validate drift`` against a run of our reading) names every decision the
  reading changed whose difference an answer's shape shows.

And every decision a check rested on (as it ran, ``our_reading``) has another choice in some reading, so
this proof covers each of them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ottimate_validation.report.categories import DIFFERS_FROM_OUR_READING, STILL_PENDING
from ottimate_validation.report.criteria import REQUIRED_CHECKS_FILE, load_required
from ottimate_validation.report.verdicts import Verdict
from ottimate_validation.run.drift import compare
from ottimate_validation.run.judge import final_checks, verdicts_from
from ottimate_validation.run.ledger import Records
from ottimate_validation.sandbox.contract import decision_named, decisions_touching
from ottimate_validation.sandbox.readings import READINGS, READINGS_BY_NAME

from ..suite_runs import ROOT, SUITES, SuiteRun, run_suites


@pytest.fixture(scope="session")
def our_reading_run(tmp_path_factory: pytest.TempPathFactory) -> SuiteRun:
    """Every suite against the embedded sandbox as it reads the docs, shapes recorded: the drift reference."""
    return run_suites(SUITES, tmp_path_factory.mktemp("our-reading"), extra_args=["--record-shapes"])


def _decisions_rested_on(records: Records) -> set[str]:
    return {d for check in records.checks for d in check.decisions}


@pytest.mark.slow
def test_every_decision_a_check_rests_on_has_another_reading(our_reading_run: SuiteRun) -> None:
    run = our_reading_run
    assert run.returncode == 0, f"the suites fail against our own reading:\n{run.failed}\n{run.output}"
    rested_on = _decisions_rested_on(run.records)
    assert len(rested_on) > 10, f"too few decisions recorded by the checks that rest on them: {sorted(rested_on)}"
    unknown = sorted(d for d in rested_on if decision_named(d) is None)
    assert not unknown, f"checks name decisions contract.py does not have: {unknown}"
    alternatives = {name for reading in READINGS for name in reading.overrides}
    uncovered = sorted(rested_on - alternatives)
    assert not uncovered, (
        f"checks rest on decisions no reading gives another choice, so nothing proves them robust: {uncovered}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("reading", [r.name for r in READINGS])
def test_another_reading_makes_nothing_not_ready(reading: str, tmp_path: Path, our_reading_run: SuiteRun) -> None:
    overridden = dict(READINGS_BY_NAME[reading].overrides)
    run = run_suites(SUITES, tmp_path, reading=reading, extra_args=["--record-shapes"])
    checks = final_checks(run.records.checks)
    assert sum(1 for c in checks if c.status == "passed") > 100, f"the suites passed vacuously:\n{run.output}"

    blamed = [
        f"{c.test} ({c.status}, {c.category}): {c.message[:300]}"
        for c in checks
        if c.status in ("failed", "broken") and c.category not in (DIFFERS_FROM_OUR_READING, STILL_PENDING)
    ]
    assert not blamed, f"reading {reading}: checks blame the API (or the tool) for a decision:\n" + "\n".join(blamed)
    elsewhere = [
        f"{c.test}: {list(c.differed)}"
        for c in checks
        if c.category == DIFFERS_FROM_OUR_READING and not set(c.differed or (c.decision,)) <= set(overridden)
    ]
    assert not elsewhere, f"reading {reading}: checks differ on decisions it did not change:\n" + "\n".join(elsewhere)
    pending = [c.test for c in checks if c.category == STILL_PENDING]
    assert not pending or overridden.get("extraction-turnaround") == "hours", f"still pending: {pending}"

    required = load_required(ROOT / "suites" / REQUIRED_CHECKS_FILE)
    verdicts = verdicts_from(checks, evidence=False, required=required)
    not_ready = [v.criterion for v in verdicts if v.verdict is Verdict.NOT_READY]
    assert not not_ready, f"reading {reading}: {', '.join(not_ready)} Not ready because of a decision"

    differences = compare(run.records, our_reading_run.records, decisions_touching)
    named = {d for difference in differences for d in difference.decisions}
    visible = {
        name
        for name, choice in overridden.items()
        if (decision := decision_named(name)) is not None
        and decision.touches
        and next(c for c in decision.choices if c.name == choice).visible
    }
    assert visible <= named, (
        f"reading {reading}: the drift report does not name {sorted(visible - named)}; it found:\n"
        + "\n".join(d.sentence() for d in differences[:40])
    )


@pytest.mark.slow
def test_the_drift_command_names_the_decisions_of_a_reading(our_reading_run: SuiteRun, tmp_path: Path) -> None:
    """``ottimate-validate drift RUN --reference RUN`` on a run of another reading: exit 1, each decision named."""
    reading = "framework-defaults"
    run = run_suites(["errors"], tmp_path, reading=reading, extra_args=["--record-shapes"])
    assert run.run_dir is not None and our_reading_run.run_dir is not None
    observed, reference = run.run_dir, our_reading_run.run_dir
    proc = subprocess.run(
        [sys.executable, "-m", "ottimate_validation.cli", "drift", str(observed), "--reference", str(reference)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = (observed / "drift.md").read_text(encoding="utf-8")
    for decision in ("page-size-limits", "undocumented-filter-values", "unknown-or-foreign-batch-id"):
        assert decision in report, f"drift.md does not name {decision}:\n{report[:3000]}"
    assert run.passed > 50
