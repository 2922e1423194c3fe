"""One verdict per validation criterion: the names, the verdicts and how the console says them.

Judging (``run.judge``) reads the ledger's checks: a criterion is

- "Not ready" when any of its tests failed: the API broke the documented contract;
- "Needs confirmation" when its only failures disagree with a decision this project took where the
  documentation is silent (``sandbox/contract.py``): our reading, not the API's fault, to confirm with
  Ottimate;
- "Not evidenced" when none failed but one broke (an outage, a rate limit or a harness error: the
  test could not decide), when one was skipped because the run's request budget ran out, when a
  required check (``criteria``) did not pass, or when none of its tests ran;
- "Ready" when at least one of its tests passed, every other one passed or was skipped, and every
  required check passed, on Ottimate's sandbox;
- "Rehearsed" for the same result on a target that is not Ottimate's sandbox (the embedded sandbox,
  our own simulator): a rehearsal is never evidence.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

BUDGET_PROBLEM = "Skipped: request budget exhausted"  # the reason a criterion is not Ready (``reasons``)


class Verdict(StrEnum):
    READY = "Ready"
    NOT_READY = "Not ready"
    NEEDS_CONFIRMATION = "Needs confirmation"
    NOT_EVIDENCED = "Not evidenced"
    REHEARSED = "Rehearsed"

    @property
    def passed(self) -> bool:
        """Every check held (on Ottimate's sandbox, or in a rehearsal)."""
        return self in (Verdict.READY, Verdict.REHEARSED)


def decide(
    *, failed: int, broken: int, passed: int, evidence: bool, unsettled: bool = False, to_confirm: bool = False
) -> Verdict:
    """The one meaning of each verdict, for the suites' checks and the integration mode's rules alike.

    ``failed``: checks that broke the contract (not those that only differ from our reading or are known
    deviations); ``unsettled``: something the criterion needs did not run or could not count (a required
    check, a budget skip, a pass left out); ``to_confirm``: a failure that only differs from our reading."""
    if failed:
        return Verdict.NOT_READY
    if broken or not passed or unsettled:
        return Verdict.NOT_EVIDENCED
    if to_confirm:
        return Verdict.NEEDS_CONFIRMATION
    return Verdict.READY if evidence else Verdict.REHEARSED


@dataclass(frozen=True)
class CriterionVerdict:
    criterion: str
    verdict: Verdict
    passed: int = 0
    failed: int = 0
    broken: int = 0
    skipped: int = 0
    problems: Mapping[str, int] = field(default_factory=dict)  # category -> tests
    required: int = 0  # required checks of the criterion
    required_passed: int = 0
    missing: tuple[str, ...] = ()  # required checks that did not pass or did not run

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


def rests_on(v: CriterionVerdict) -> str:
    """``5 of 5 required checks passed`` (empty when the criterion declares none)."""
    return f"{v.required_passed} of {v.required} required checks passed" if v.required else ""


def reasons(v: CriterionVerdict) -> str:
    """Why it is not Ready, by category and missing required check:
    ``Contract violation: 1, Sandbox unreachable: 2; missing: Sustained use stays within the limits``
    (a category is a name, not a noun to count: "2 Sandbox unreachable" would not read)."""
    said = ", ".join(f"{category}: {count}" for category, count in v.problems.items())
    if v.missing:
        said += ("; " if said else "") + "missing: " + ", ".join(v.missing)
    return said


def format_verdicts(verdicts: Sequence[CriterionVerdict]) -> list[str]:
    """Console lines such as ``Authentication ........ Ready (12 passed, 5 of 5 required checks passed)``,
    dot-aligned; a criterion that is not Ready says why: ``… Not ready (3 passed, 1 failed) — Contract
    violation: 1``."""
    width = max((len(v.criterion) for v in verdicts), default=0) + 3
    lines = []
    for v in verdicts:
        counted = ", ".join(part for part in (details(v), rests_on(v)) if part)
        line = f"{v.criterion} {'.' * (width - len(v.criterion))} {v.verdict.value} ({counted})"
        if v.problems or v.missing:
            line += f" — {reasons(v)}"
        lines.append(line)
    return lines


def verdict_rows_html(verdicts: Sequence[CriterionVerdict], *, css: str, why: Callable[[CriterionVerdict], str]) -> str:
    """One table row per criterion for a summary's HTML block: name, verdict pill (``{css}-pill`` and
    ``{css}-<verdict>``), what it counted, and ``why`` (its reasons, or what it rests on)."""
    e = html.escape
    return "".join(
        f"<tr><th scope='row'>{e(v.criterion)}</th>"
        f"<td><span class='{css}-pill {css}-{v.verdict.value.lower().replace(' ', '-')}'>"
        f"{e(v.verdict.value)}</span></td>"
        f"<td>{e(details(v))}</td><td>{e(why(v))}</td></tr>"
        for v in verdicts
    )
