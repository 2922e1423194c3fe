"""One verdict per validation criterion: the names, the verdicts and how the console says them.

Judging (``run.judge``) reads the ledger's checks: a criterion is

- "Not ready" when any of its tests failed: the API broke the documented contract;
- "Not evidenced" when none failed but one broke (an outage, a rate limit or a harness error: the
  test could not decide), when one was skipped because the run's request budget ran out (it was
  meant to run), or when none of its tests ran (all skipped, or no tests at all);
- "Ready" when at least one of its tests passed and every other one passed or was skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

# Ottimate's validation checklist, in the order the console and the report list them.
CRITERIA: tuple[str, ...] = (
    "Authentication",
    "Core Functionality",
    "Error Handling",
    "Data Integrity",
    "Integration Stability",
)

BUDGET_PROBLEM = "Skipped: request budget exhausted"  # the reason a criterion is not Ready (``reasons``)


class Verdict(StrEnum):
    READY = "Ready"
    NOT_READY = "Not ready"
    NOT_EVIDENCED = "Not evidenced"


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
