"""Judging afterwards: every rule over every pass it applies to, one ``Finding`` each; one verdict per criterion.

The judge reads the exchanges back from the run's ledger (``exchanges_of``), so what it judges is exactly
what was recorded, and the findings it answers are written to the same ledger. A rule that raises is a
harness problem: its finding says so (``error``) and its criterion cannot be Ready.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence

from ottimate_validation.report.criteria import CRITERIA
from ottimate_validation.report.verdicts import CriterionVerdict, decide
from ottimate_validation.run.ledger import Exchange, Finding, Records, Source

from .model import Judgement, PassEvidence, Rule
from .rules import RULES

DOES_NOT_HOLD = "Rule violation"
HARNESS_ERROR = "Harness error"


def exchanges_of(records: Records, lane: str) -> list[Exchange]:
    """The integration's exchanges of one pass, in the order they were sent."""
    return [x for x in records.exchanges if x.lane == lane and x.source == Source.INTEGRATION]


def judge_pass(evidence: PassEvidence, rules: Sequence[Rule] = RULES) -> list[Finding]:
    findings = []
    for rule in rules:
        if not rule.applies_to(evidence.name):
            continue
        try:
            judgement = rule.check(evidence)
        except Exception as exc:  # the rule's own bug must not hide the other findings
            text = f"The rule could not be judged: {type(exc).__name__}: {exc}"
            judgement = Judgement(None, text, error=text)
        findings.append(
            Finding(
                at=time.time(),
                rule=rule.id,
                title=rule.title,
                criterion=rule.criterion,
                lane=evidence.name,
                holds=judgement.holds,
                finding=judgement.finding,
                exchanges=judgement.exchanges,
                details=dict(judgement.details),
                error=judgement.error,
            )
        )
    return findings


def status_of(finding: Finding) -> str:
    """The finding as a test status: passed, failed, broken (harness problem) or skipped (nothing to judge)."""
    if finding.error:
        return "broken"
    if finding.holds is None:
        return "skipped"
    return "passed" if finding.holds else "failed"


def verdicts(
    findings: Iterable[Finding], criteria: Sequence[str] = CRITERIA, *, evidence: bool = True
) -> list[CriterionVerdict]:
    """Not ready when a rule does not hold; Not evidenced when one could not be judged or none held;
    Ready when every judged rule held on the partner's Ottimate sandbox, Rehearsed on the embedded one."""
    counts: dict[str, Counter[str]] = {c: Counter() for c in criteria}
    for finding in findings:
        if finding.criterion in counts:
            counts[finding.criterion][status_of(finding)] += 1
    out = []
    for criterion in criteria:
        c = counts[criterion]
        verdict = decide(failed=c["failed"], broken=c["broken"], passed=c["passed"], evidence=evidence)
        problems = {}
        if c["failed"]:
            problems[DOES_NOT_HOLD] = c["failed"]
        if c["broken"]:
            problems[HARNESS_ERROR] = c["broken"]
        out.append(
            CriterionVerdict(
                criterion=criterion,
                verdict=verdict,
                passed=c["passed"],
                failed=c["failed"],
                broken=c["broken"],
                skipped=c["skipped"],
                problems=problems,
            )
        )
    return out
