"""One verdict per validation criterion, read from the result files allure-pytest writes.

Every test carries the Allure label ``epic`` = the name of the criterion it evidences (the fixtures
set it). A criterion is:

- "Not ready" when any of its tests failed: the API broke the documented contract;
- "Not evidenced" when none failed but one broke (an outage, a rate limit or a harness error: the
  test could not decide), when one was skipped because the run's request budget ran out (it was
  meant to run), or when none of its tests ran (all skipped, or no tests at all);
- "Ready" when at least one of its tests passed and every other one passed or was skipped.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from ottimate_validation.budget import is_budget_skip
from ottimate_validation.report.categories import categorize

# Ottimate's validation checklist, in the order the console and the report list them.
CRITERIA: tuple[str, ...] = (
    "Authentication",
    "Core Functionality",
    "Error Handling",
    "Data Integrity",
    "Integration Stability",
)

CRITERION_LABEL = "epic"
OPERATION_LABEL = "operation"
FAILED_OPERATION_LABEL = "failed_operation"  # the operation of the last request before a failed check
BUDGET_PROBLEM = "Skipped: request budget exhausted"  # the reason a criterion is not Ready (``reasons``)


class Verdict(StrEnum):
    READY = "Ready"
    NOT_READY = "Not ready"
    NOT_EVIDENCED = "Not evidenced"


@dataclass(frozen=True)
class TestOutcome:
    """The final outcome of one test (the latest attempt when it was retried)."""

    __test__ = False  # not a pytest test class, despite the name

    key: str
    name: str  # fullName: stable, for sorting and matching
    status: str  # passed | failed | broken | skipped
    criteria: tuple[str, ...]
    stop: int
    title: str = ""  # what the report shows
    message: str = ""
    trace: str = ""
    operations: tuple[str, ...] = ()
    failed_operations: tuple[str, ...] = ()

    @property
    def category(self) -> str | None:
        """Why it did not pass (see ``categories``); None when it passed or was skipped."""
        return categorize(self.status, self.message, self.trace)

    @property
    def budget_skipped(self) -> bool:
        """Skipped because the run's request budget ran out (``--request-budget``), not by design."""
        return self.status == "skipped" and is_budget_skip(self.message)


@dataclass(frozen=True)
class CriterionVerdict:
    criterion: str
    verdict: Verdict
    passed: int = 0
    failed: int = 0
    broken: int = 0
    skipped: int = 0
    problems: Mapping[str, int] = field(default_factory=dict)  # category -> tests

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.broken + self.skipped


def _status(raw: Any) -> str:
    # Allure's fifth status, "unknown", means the test never reported an end (a crashed worker,
    # an interrupted run): it proves nothing, so it counts like "broken".
    if raw in ("passed", "failed", "broken", "skipped"):
        return str(raw)
    return "broken"


def _parameters_key(parameters: Any) -> str:
    if not isinstance(parameters, list):
        return ""
    pairs = sorted(f"{p.get('name')}={p.get('value')}" for p in parameters if isinstance(p, Mapping))
    return ",".join(pairs)


def _label_values(data: Mapping[str, Any], name: str) -> tuple[str, ...]:
    values: list[str] = []
    labels = data.get("labels")
    if isinstance(labels, list):
        for label in labels:
            if isinstance(label, Mapping) and label.get("name") == name:
                value = label.get("value")
                if isinstance(value, str) and value not in values:
                    values.append(value)
    return tuple(values)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _outcome_from(data: Mapping[str, Any]) -> TestOutcome | None:
    # historyId identifies one test (parametrised cases included) across attempts; fullName plus
    # the parameters is the fallback when an adapter leaves historyId out.
    history_id = data.get("historyId")
    full_name = data.get("fullName") or data.get("name")
    if isinstance(history_id, str) and history_id:
        key = history_id
    elif isinstance(full_name, str) and full_name:
        key = f"{full_name}[{_parameters_key(data.get('parameters'))}]"
    else:
        return None
    stop = data.get("stop") or data.get("start") or 0
    details = data.get("statusDetails")
    details = details if isinstance(details, Mapping) else {}
    return TestOutcome(
        key=key,
        name=str(data.get("fullName") or data.get("name") or key),
        status=_status(data.get("status")),
        criteria=_label_values(data, CRITERION_LABEL),
        stop=stop if isinstance(stop, int) else 0,
        title=str(data.get("name") or data.get("fullName") or key),
        message=_text(details.get("message")),
        trace=_text(details.get("trace")),
        operations=_label_values(data, OPERATION_LABEL),
        failed_operations=_label_values(data, FAILED_OPERATION_LABEL),
    )


def load_outcomes(results_dir: Path) -> list[TestOutcome]:
    """The final outcome of every test in an allure-results folder, one per test.

    A retried test leaves one result file per attempt; only the latest attempt counts. A file that
    cannot be parsed (a worker killed mid-write) is ignored: it holds no trustworthy outcome, and
    the interrupted pytest run already makes the whole run fail.
    """
    latest: dict[str, TestOutcome] = {}
    if not results_dir.is_dir():
        return []
    for path in sorted(results_dir.glob("*-result.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if not isinstance(data, Mapping):
            continue
        outcome = _outcome_from(data)
        if outcome is None:
            continue
        previous = latest.get(outcome.key)
        if previous is None or outcome.stop >= previous.stop:
            latest[outcome.key] = outcome
    return sorted(latest.values(), key=lambda o: (o.name, o.key))


def verdicts_from(outcomes: Iterable[TestOutcome], criteria: Sequence[str] = CRITERIA) -> list[CriterionVerdict]:
    """One verdict per criterion, in the order of ``criteria``; other epics are not judged."""
    counts: dict[str, Counter[str]] = {c: Counter() for c in criteria}
    problems: dict[str, Counter[str]] = {c: Counter() for c in criteria}
    for outcome in outcomes:
        category = outcome.category
        for criterion in outcome.criteria:
            if criterion in counts:
                counts[criterion][outcome.status] += 1
                if category:
                    problems[criterion][category] += 1
                elif outcome.budget_skipped:
                    problems[criterion][BUDGET_PROBLEM] += 1
    verdicts: list[CriterionVerdict] = []
    for criterion in criteria:
        c = counts[criterion]
        if c["failed"]:
            verdict = Verdict.NOT_READY
        elif c["broken"] or not c["passed"] or problems[criterion][BUDGET_PROBLEM]:
            verdict = Verdict.NOT_EVIDENCED
        else:
            verdict = Verdict.READY
        verdicts.append(
            CriterionVerdict(
                criterion=criterion,
                verdict=verdict,
                passed=c["passed"],
                failed=c["failed"],
                broken=c["broken"],
                skipped=c["skipped"],
                problems=dict(sorted(problems[criterion].items())),
            )
        )
    return verdicts


def compute_verdicts(results_dir: Path, criteria: Sequence[str] = CRITERIA) -> list[CriterionVerdict]:
    """Read an allure-results folder and judge every criterion."""
    return verdicts_from(load_outcomes(results_dir), criteria)


def details(v: CriterionVerdict) -> str:
    """``12 passed, 1 failed, 2 broken`` (or ``no tests``)."""
    parts = [
        f"{count} {word}"
        for count, word in (
            (v.passed, "passed"),
            (v.failed, "failed"),
            (v.broken, "broken"),
            (v.skipped, "skipped"),
        )
        if count
    ]
    return ", ".join(parts) if parts else "no tests"


def reasons(v: CriterionVerdict) -> str:
    """Why it is not Ready, by category: ``1 Contract violation, 2 Sandbox unreachable``."""
    return ", ".join(f"{count} {category}" for category, count in v.problems.items())


def format_verdicts(verdicts: Sequence[CriterionVerdict]) -> list[str]:
    """Console lines such as ``Authentication ........ Ready (12 passed)``, dot-aligned; a criterion
    that is not Ready says why: ``… Not ready (3 passed, 1 failed) — 1 Contract violation``."""
    width = max((len(v.criterion) for v in verdicts), default=0) + 3
    lines = []
    for v in verdicts:
        line = f"{v.criterion} {'.' * (width - len(v.criterion))} {v.verdict.value} ({details(v)})"
        if v.problems:
            line += f" — {reasons(v)}"
        lines.append(line)
    return lines
