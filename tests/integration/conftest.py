"""Running integrations under test: in process (``run``), the partner's command in a child process."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from ottimate_validation.integration.model import Limits
from ottimate_validation.integration.plan import IntegrationPlan, load
from ottimate_validation.integration.run import RunOptions, RunResult, run
from ottimate_validation.report.allure import find_allure
from ottimate_validation.run.ledger import Finding

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SAMPLE = HERE / "sample.py"
UNICODE_ERP = HERE / "data" / "erp"
EXAMPLES = ROOT / "examples" / "integrations"

Integrate = Callable[..., RunResult]


def sample(*args: str) -> tuple[str, ...]:
    return (sys.executable, str(SAMPLE), *args)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("OTTIMATE_")]:  # a developer's target, plan, ...
        monkeypatch.delenv(name)
    monkeypatch.setenv("OTTIMATE_ENV_FILE", "")


@pytest.fixture
def integrate(tmp_path: Path) -> Integrate:
    """Run an integration in process, its reports and working directory in ``tmp_path``."""

    def go(
        command: Sequence[str],
        *,
        passes: Sequence[str] = ("clean",),
        faults: Sequence[str] = (),
        plan: Path | None = None,
        incremental: bool = False,
        limits: Limits | None = None,
        time_limit: float = 60.0,
        report: bool = False,
        existing: tuple[int, int] | None = None,
        say: Callable[[str], None] | None = None,
    ) -> RunResult:
        options = RunOptions(
            command=tuple(command),
            reports_dir=tmp_path / "reports",
            passes=tuple(passes),
            faults=tuple(faults),
            seed=1,
            time_limit=time_limit,
            plan=load(plan) if plan is not None else IntegrationPlan(None),
            incremental=incremental,
            report=report,
            allure=find_allure() if report else None,
            cwd=tmp_path,
            limits=limits or Limits(),
            existing_records=existing,
        )
        return run(options, say or (lambda _line: None))

    return go


def write_plan(folder: Path, body: str) -> Path:
    path = folder / "validation.toml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def failed_rules(result: RunResult) -> set[str]:
    return {f.rule for f in result.findings if f.holds is False}


def broken(result: RunResult) -> list[Finding]:
    return [f for f in result.findings if f.error]


def finding(result: RunResult, rule: str, lane: str = "clean") -> Finding:
    for f in result.findings:
        if f.rule == rule and f.lane == lane:
            return f
    raise AssertionError(f"no finding for {rule} on the {lane} pass: {[(f.rule, f.lane) for f in result.findings]}")


def verdicts(result: RunResult) -> dict[str, str]:
    return {v.criterion: v.verdict.value for v in result.summary.verdicts}


def explain(result: RunResult) -> Any:
    """What did not hold, for an assertion message."""
    return [(f.rule, f.lane, f.finding) for f in result.findings if f.holds is False or f.error]
