"""Verdicts and the readiness summary, read from the run's ledger.

Every figure comes from ledger records: a criterion's verdict from the ``Check`` of each of its tests,
the operations evidenced from the exchanges each test sent, requests and latency from ``Exchange``
records (every attempt sent to the API, the same count the budget drew on and the target received),
leftovers from the ``Leftovers`` record of the clean-up.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from ottimate_validation.report import environment
from ottimate_validation.report.categories import CATEGORIES, DIFFERS_FROM_OUR_READING, KNOWN_DEVIATION
from ottimate_validation.report.criteria import CRITERIA, REQUIRED_CHECKS_FILE, Required, RequiredCheck, load_required
from ottimate_validation.report.operations import area_of_operation
from ottimate_validation.report.summary import (
    EVIDENCED,
    EXERCISED_ONLY,
    FAILED,
    NOT_EXERCISED,
    NOT_PLANNED,
    PLAN_CRITERION,
    PLAN_GAP,
    OperationRow,
    Problem,
    ReadinessSummary,
    percentile,
)
from ottimate_validation.report.verdicts import BUDGET_PROBLEM, CriterionVerdict, Verdict, decide
from ottimate_validation.run import Run
from ottimate_validation.run.deviations import KnownDeviations, Ran
from ottimate_validation.run.ledger import Check, Exchange, Records
from ottimate_validation.run.plan import LoadedPlan
from ottimate_validation.run.target import describe_kind

MESSAGE_CHARS = 300


def final_checks(checks: Iterable[Check]) -> list[Check]:
    """One check per test: the latest when a test was run again (a rerun, or a merge of reruns)."""
    latest: dict[str, Check] = {}
    for check in checks:
        previous = latest.get(check.test)
        if previous is None or check.at >= previous.at:
            latest[check.test] = check
    return sorted(latest.values(), key=lambda c: c.test)


def verdicts_from(
    checks: Iterable[Check],
    criteria: Sequence[str] = CRITERIA,
    *,
    evidence: bool = True,
    required: Required | None = None,
) -> list[CriterionVerdict]:
    """One verdict per criterion, in the order of ``criteria``; tests of no criterion are not judged.

    ``evidence``: the target is Ottimate's sandbox (else a passing criterion is only "Rehearsed");
    ``required``: each criterion's required checks (``suites/required-checks.toml``); a run that was
    asked for less, such as one suite or ``-k``, still names what it lacks."""
    checks = list(checks)
    counts: dict[str, Counter[str]] = {c: Counter() for c in criteria}
    problems: dict[str, Counter[str]] = {c: Counter() for c in criteria}
    for check in checks:
        if check.criterion not in counts:
            continue
        counts[check.criterion][check.status] += 1
        if check.category:
            problems[check.criterion][check.category] += 1
        elif check.budget_skipped:
            problems[check.criterion][BUDGET_PROBLEM] += 1
    verdicts: list[CriterionVerdict] = []
    for criterion in criteria:
        c = counts[criterion]
        needed = (required or {}).get(criterion, ())
        missing = tuple(check.name for check in needed if not _held(check, checks))
        differs = problems[criterion][DIFFERS_FROM_OUR_READING]
        known = problems[criterion][KNOWN_DEVIATION]
        verdict = decide(
            failed=c["failed"] - differs - known,
            broken=c["broken"],
            passed=c["passed"],
            evidence=evidence,
            unsettled=bool(problems[criterion][BUDGET_PROBLEM] or missing),
            to_confirm=bool(differs),
        )
        verdicts.append(
            CriterionVerdict(
                criterion=criterion,
                verdict=verdict,
                passed=c["passed"],
                failed=c["failed"],
                broken=c["broken"],
                skipped=c["skipped"],
                problems=dict(sorted(problems[criterion].items())),
                required=len(needed),
                required_passed=len(needed) - len(missing),
                missing=missing,
            )
        )
    return verdicts


def _held(required: RequiredCheck, checks: Sequence[Check]) -> bool:
    """A required check holds when it ran and every case of it passed, deviates as Ottimate confirmed, or
    differs only from our reading (its criterion then reads Needs confirmation, not Not evidenced)."""
    mine = [c for c in checks if required.covers(c.test)]
    return bool(mine) and all(
        c.status == "passed" or c.category in (KNOWN_DEVIATION, DIFFERS_FROM_OUR_READING) for c in mine
    )


def operations_by_test(exchanges: Iterable[Exchange]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for exchange in exchanges:
        if exchange.test and exchange.operation and exchange.is_api:
            found[exchange.test].add(exchange.operation)
    return found


def operation_rows(
    checks: Sequence[Check], exchanges: Sequence[Exchange], plan: LoadedPlan
) -> tuple[list[OperationRow], int]:
    """One row per planned (or exercised) operation, and how many requests matched none."""
    by_operation: dict[str, list[Exchange]] = defaultdict(list)
    other = 0
    for exchange in exchanges:
        if not exchange.is_api:
            continue
        if exchange.operation is None:
            other += 1
        else:
            by_operation[exchange.operation].append(exchange)
    used = operations_by_test(exchanges)
    tests: Counter[str] = Counter()
    failing: Counter[str] = Counter()
    passing: set[str] = set()
    for check in checks:
        for key in used.get(check.test, ()):
            tests[key] += 1
            if check.status == "passed":
                passing.add(key)
        # A failure Ottimate confirmed (a known deviation) is how the operation works: it still evidences it.
        if check.status == "failed" and check.failed_operation and check.category != KNOWN_DEVIATION:
            failing[check.failed_operation] += 1
    exercised = set(by_operation) | set(tests)
    planned = plan.ordered(exercised)
    # With an explicit plan, what the run exercised beyond it is listed too, marked as not planned.
    unplanned = LoadedPlan(operations=tuple(exercised - set(planned))).ordered(()) if plan.restricts else []
    rows: list[OperationRow] = []
    for key in [*planned, *unplanned]:
        sent = by_operation.get(key, [])
        timings = [x.ms for x in sent if x.ms is not None]
        is_planned = key in planned
        if not is_planned:
            status = NOT_PLANNED
        elif failing[key]:
            status = FAILED
        elif key in passing:
            status = EVIDENCED
        elif key in exercised:
            status = EXERCISED_ONLY
        else:
            status = NOT_EXERCISED
        rows.append(
            OperationRow(
                operation=key,
                area=area_of_operation(key),
                planned=is_planned,
                status=status,
                tests=tests[key],
                failed_tests=failing[key],
                requests=len(sent),
                p50_ms=percentile(timings, 0.50),
                p95_ms=percentile(timings, 0.95),
                rate_limited=sum(1 for x in sent if x.status == 429),
            )
        )
    return rows, other


def first_line(text: str, limit: int = MESSAGE_CHARS) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def facts_of(run: Run, plan: LoadedPlan, root: Path) -> dict[str, str]:
    """What the report's environment section and the summary's "Run" table show."""
    target = run.target or {}
    kind = str(target.get("kind", "embedded")) if run.target else "embedded"
    facts = environment.run_facts(
        target=environment.TargetFacts(
            label=describe_kind(kind, target.get("api_url")),
            api_url=target.get("api_url"),
            auth_url=target.get("auth_url"),
            api_version=target.get("api_version"),
        ),
        run_id=run.id,
        plan_name=plan.label,
        root=root,
        ci=environment.ci_build(),
        read_only=run.read_only,
    )
    if run.sandbox_decisions:
        facts["Embedded sandbox"] = f"answers by {run.sandbox_decisions} where the docs are silent"
    if run.target and kind not in ("embedded", "embedded-external"):
        facts["Actions that notify people"] = (
            "allowed by the plan (notify_users): invoices were flagged, which notifies the organisation's users"
            if plan.notify_users
            else "not taken: flagging notifies the organisation's users, so its checks are skipped (opt in with "
            "notify_users = true under [plan])"
        )
    if run.shard_label:
        facts["Shard"] = run.shard_label
    if run.sources:
        facts["Merged from"] = ", ".join(str(s.get("label") or s.get("id")) for s in run.sources)
    return facts


def build_summary(
    run: Run,
    records: Records,
    plan: LoadedPlan,
    *,
    title: str,
    root: Path,
    notes: Sequence[str] = (),
    run_error: str | None = None,
    duration_seconds: float | None = None,
    now: datetime | None = None,
    facts: Mapping[str, str] | None = None,
    required: Required | None = None,
    deviations: KnownDeviations | None = None,
) -> ReadinessSummary:
    """The readiness summary of a run, from its ledger. ``required``: each criterion's required checks
    (default: the project's ``suites/required-checks.toml`` under ``root``)."""
    checks = final_checks(records.checks)
    exchanges = records.api_exchanges
    if required is None:
        required = load_required(root / "suites" / REQUIRED_CHECKS_FILE)
    evidence = is_evidence(run)
    verdicts = verdicts_from(checks, evidence=evidence, required=required)
    tests = Counter(c.status for c in checks)
    problems = [
        Problem(
            category=c.category,
            criterion=c.criterion,
            test=c.title,
            message=first_line(c.message),
            report_id=c.report_id,
        )
        for c in checks
        if c.category
    ]
    stale = (deviations or KnownDeviations()).stale(
        Ran(c.test, c.status, tuple(c.differed) or ((c.decision,) if c.decision else ()), tuple(c.decisions))
        for c in checks
    )
    order = {c.name: i for i, c in enumerate(CATEGORIES)}
    problems.sort(key=lambda p: (order.get(p.category, len(order)), p.criterion or "", p.test))
    operations, other = operation_rows(checks, records.exchanges, plan)
    if plan.restricts:
        gaps = sum(1 for row in operations if row.planned and row.status in (NOT_EXERCISED, EXERCISED_ONLY))
        verdicts = _with_plan_gaps(verdicts, gaps)
    leftovers: dict[str, int] | None = None
    for record in records.leftovers:
        leftovers = leftovers or {}
        for kind, count in record.remaining.items():
            leftovers[kind] = leftovers.get(kind, 0) + count
    if duration_seconds is None and checks:
        starts = [c.at - c.seconds for c in checks]
        duration_seconds = max(0.0, max(c.at for c in checks) - min(starts))
    shown = dict(facts) if facts is not None else facts_of(run, plan, root)
    return ReadinessSummary(
        title=title,
        generated_at=(now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S UTC"),
        environment=shown,
        executor={},
        plan=plan.name,
        verdicts=verdicts,
        tests={status: tests[status] for status in ("passed", "failed", "broken", "skipped")},
        problems=problems,
        operations=operations,
        other_requests=other,
        requests=len(exchanges),
        rate_limited_answers=sum(1 for x in exchanges if x.status == 429),
        leftovers=leftovers,
        duration_seconds=duration_seconds,
        notes=tuple(notes),
        run_error=run_error,
        plan_source=str(plan.source) if plan.source is not None else None,
        explicit_plan=plan.restricts,
        budget={"limit": run.budget, "used": len(exchanges)} if run.budget is not None else None,
        budget_skipped=tuple(c.title for c in checks if c.budget_skipped),
        evidence=evidence,
        target=target_phrase(run),
        stale_deviations=tuple(d.key for d in stale),
    )


def is_evidence(run: Run) -> bool:
    """Only a run against Ottimate's sandbox is evidence; anything else is a rehearsal."""
    return bool(run.target) and (run.target or {}).get("kind") == "sandbox"


def target_phrase(run: Run) -> str:
    """The target as a headline names it: ``Ottimate's sandbox (sandbox-api.ottimate.com)``."""
    target = run.target or {}
    kind = str(target.get("kind", "embedded")) if run.target else "embedded"
    host = urlsplit(str(target.get("api_url") or "")).netloc
    if kind == "sandbox":
        return f"Ottimate's sandbox ({host})"
    if kind in ("embedded", "embedded-external"):
        return "the embedded sandbox"
    if kind == "production":
        return f"Ottimate production ({host}, read-only)"
    return f"{host}, which is not Ottimate's sandbox"


def _with_plan_gaps(verdicts: Sequence[CriterionVerdict], gaps: int) -> list[CriterionVerdict]:
    """``PLAN_CRITERION`` is not Ready while a planned operation is not evidenced; the gap is its reason."""
    if not gaps:
        return list(verdicts)
    judged: list[CriterionVerdict] = []
    for v in verdicts:
        if v.criterion == PLAN_CRITERION:
            verdict = Verdict.NOT_EVIDENCED if v.verdict is Verdict.READY else v.verdict
            v = replace(v, verdict=verdict, problems={**v.problems, PLAN_GAP: gaps})
        judged.append(v)
    return judged
