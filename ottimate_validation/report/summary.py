"""The readiness summary: what a partner manager reads first, and its renderings.

``run.judge`` builds it from the run's ledger (so it counts exactly what was sent and judged):

- a verdict per criterion, and why a criterion is not Ready (its problems by category);
- the planned operations and which of them a passing test evidenced;
- requests sent to the target against the daily quota, latency p50/p95 per operation, 429 answers;
- what the run left on the target after its clean-up;
- the request budget, when the run had one, and the tests it skipped.

It is written as ``summary.json`` and ``summary.md`` beside the report, shown at the top of the
report (``to_html``), and printed on the console (``console_lines``).
"""

from __future__ import annotations

import html
import json
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ottimate_validation.report.categories import KNOWN_DEVIATION
from ottimate_validation.report.criteria import CRITERIA_DEFINED
from ottimate_validation.report.verdicts import (
    CriterionVerdict,
    Verdict,
    details,
    format_verdicts,
    reasons,
    rests_on,
    verdict_rows_html,
)

DAILY_QUOTA = 10_000  # CONTRACT §4: requests a day per API key, reset at midnight UTC
SUMMARY_JSON = "summary.json"
SUMMARY_MD = "summary.md"
SCHEMA_VERSION = 1

EVIDENCED = "Evidenced"
FAILED = "Failed"
EXERCISED_ONLY = "Exercised, no passing test"
NOT_EXERCISED = "Not exercised"
NOT_PLANNED = "Exercised, not planned"
NOT_MEASURED = "not measured (the run did not look for what it left)"
# A plan file is a commitment: every operation it names must be evidenced by a passing test. One that
# is not (never exercised, or only by tests that did not pass) keeps the criterion that judges the
# operations themselves from being Ready; a Failed one already makes its own criterion Not ready.
PLAN_CRITERION = "Core Functionality"
PLAN_GAP = "Planned operation(s) not evidenced"
_MESSAGE_CHARS = 300
#: For the partner manager reading the first screen.
HOW_TO_READ = (
    "The headline says what the run is worth. Only a run against Ottimate's sandbox, with your sandbox "
    "credentials, can be Ready; a rehearsal on the embedded sandbox (this project's own simulator) shows the "
    "set-up works, and is never evidence for Ottimate.",
    "Ready: every check of the criterion passed, including the checks it cannot be judged without (counted "
    "as 'required checks passed').",
    "Not ready: the API answered against Ottimate's documented contract; each such check is listed with what "
    "it expected and what it got.",
    "Not evidenced: a check could not decide (the sandbox was unreachable or rate limited, or the tool itself "
    "failed), or a required check did not run. Run it again; it is not a verdict on the integration.",
    "Needs confirmation: the API differs from this project's reading of the docs where they are silent; "
    "confirm with Ottimate, then record the answer in known-deviations.toml.",
    "Below the summary: every test with each request and answer it made (credentials are never shown), "
    "grouped by criterion; 'Categories' groups the tests that did not pass by why.",
)
_OPEN_PROBLEMS = 10  # the report's list of tests that did not pass starts folded beyond this
_CONSOLE_SKIPS = 20  # tests skipped for the budget named on the console; summary.md names them all


@dataclass(frozen=True)
class OperationRow:
    operation: str
    area: str | None
    planned: bool
    status: str
    tests: int  # tests whose requests exercised it
    failed_tests: int  # failed tests whose last request before the failure was this operation
    requests: int
    p50_ms: float | None
    p95_ms: float | None
    rate_limited: int  # 429 answers


@dataclass(frozen=True)
class Problem:
    category: str
    criterion: str | None
    test: str
    message: str
    report_id: str = ""  # the test's result in the report (``#/<id>``), when known


@dataclass(frozen=True)
class ReadinessSummary:
    title: str
    generated_at: str
    environment: Mapping[str, str]
    executor: Mapping[str, Any]
    plan: str
    verdicts: Sequence[CriterionVerdict]
    tests: Mapping[str, int]
    problems: Sequence[Problem]
    operations: Sequence[OperationRow]
    other_requests: int  # requests matching no documented operation (unknown routes on purpose)
    requests: int
    rate_limited_answers: int
    daily_quota: int = DAILY_QUOTA
    leftovers: Mapping[str, int] | None = None
    duration_seconds: float | None = None
    notes: Sequence[str] = field(default_factory=tuple)
    run_error: str | None = None  # the run did not complete (interrupted, pytest error): nothing is Ready
    plan_source: str | None = None  # the plan file, if any
    explicit_plan: bool = False  # the plan names its operations (else: whatever the run exercised)
    budget: Mapping[str, int] | None = None  # --request-budget: {"limit": N, "used": n}; None without one
    budget_skipped: Sequence[str] = field(default_factory=tuple)  # tests skipped because it ran out
    evidence: bool = True  # the target is Ottimate's sandbox; else the run is a rehearsal
    target: str = "Ottimate's sandbox"  # as the headline names it
    stale_deviations: Sequence[str] = field(default_factory=tuple)  # known-deviations.toml entries seen no more

    @property
    def new_problems(self) -> list[Problem]:
        """What did not pass, known deviations aside: what a nightly run reports."""
        return [p for p in self.problems if p.category != KNOWN_DEVIATION]

    @property
    def known(self) -> list[Problem]:
        return [p for p in self.problems if p.category == KNOWN_DEVIATION]

    # --- figures ---------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """Evidence that every criterion is met: on Ottimate's sandbox, the run complete, all Ready."""
        return (
            self.evidence
            and not self.run_error
            and bool(self.verdicts)
            and all(v.verdict is Verdict.READY for v in self.verdicts)
        )

    @property
    def headline(self) -> str:
        """What the run is worth, in one line, naming the target."""
        not_ready = [v.criterion for v in self.verdicts if v.verdict is Verdict.NOT_READY]
        missing = [v.criterion for v in self.verdicts if v.verdict is Verdict.NOT_EVIDENCED]
        confirm = [v.criterion for v in self.verdicts if v.verdict is Verdict.NEEDS_CONFIRMATION]
        if self.run_error:
            found = f"Not evidenced: {self.run_error}"
        elif not_ready:
            found = f"Not ready: {', '.join(not_ready)}"
        elif missing:
            found = f"Not evidenced: {', '.join(missing)}"
        elif confirm:
            found = f"Needs confirmation: {', '.join(confirm)} (our reading of the docs differs from the API)"
        elif self.evidence:
            return f"Ready: every criterion is evidenced on {self.target}"
        else:
            return (
                f"Rehearsal passed on {self.target}: not evidence for Ottimate; run it against your sandbox credentials"
            )
        if self.evidence:
            return f"{found} — on {self.target}"
        return f"Rehearsal on {self.target}, not evidence for Ottimate. {found}"

    @property
    def state(self) -> str:
        """ready | rehearsal | not-ready | not-evidenced | needs-confirmation: the headline's colour."""
        if self.ready:
            return "ready"
        verdicts = {v.verdict for v in self.verdicts}
        if self.run_error or Verdict.NOT_EVIDENCED in verdicts:
            return "not-evidenced"
        if Verdict.NOT_READY in verdicts:
            return "not-ready"
        if Verdict.NEEDS_CONFIRMATION in verdicts:
            return "needs-confirmation"
        return "rehearsal" if not self.evidence else "not-evidenced"

    @property
    def planned(self) -> list[OperationRow]:
        return [row for row in self.operations if row.planned]

    @property
    def evidenced(self) -> list[OperationRow]:
        return [row for row in self.planned if row.status == EVIDENCED]

    def quota_text(self) -> str:
        share = 100.0 * self.requests / self.daily_quota if self.daily_quota else 0.0
        return f"{self.requests:,} of {self.daily_quota:,} a day ({share:.1f} %)"

    def operations_text(self) -> str:
        return f"{len(self.evidenced)} of {len(self.planned)} planned operations evidenced"

    @property
    def plan_gaps(self) -> list[OperationRow]:
        """Planned operations of a plan file that no passing test evidenced (see ``PLAN_GAP``)."""
        if not self.explicit_plan:
            return []
        return [row for row in self.planned if row.status in (NOT_EXERCISED, EXERCISED_ONLY)]

    def plan_text(self) -> str:
        return f"{self.plan} ({self.plan_source})" if self.plan_source else self.plan

    def gaps_text(self) -> str:
        return ", ".join(f"{row.operation} ({row.status.lower()})" for row in self.plan_gaps)

    def budget_text(self) -> str:
        if self.budget is None:
            return "none set"
        text = f"{self.budget.get('used', 0):,} of {self.budget.get('limit', 0):,} requests used"
        skipped = len(self.budget_skipped)
        return text + (f"; it ran out and {skipped} test(s) were skipped" if skipped else "")

    def leftovers_text(self) -> str:
        if self.leftovers is None:
            return NOT_MEASURED
        total = sum(self.leftovers.values())
        if not total:
            return "none"
        return ", ".join(f"{count} {kind}" for kind, count in sorted(self.leftovers.items()) if count)

    def rate_limit_text(self) -> str:
        limited = sum(1 for p in self.problems if p.category == "Rate limited")
        text = f"{self.rate_limited_answers:,} answers"
        return text + (f"; {limited} test(s) could not finish because of them" if limited else "")

    # --- renderings ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["schema"] = SCHEMA_VERSION
        data["ready"] = self.ready
        data["headline"] = self.headline
        data["verdict_words"] = {v.criterion: v.verdict.value for v in self.verdicts}
        data["verdicts"] = [{**asdict(v), "verdict": v.verdict.value, "details": details(v)} for v in self.verdicts]
        data["quota"] = {"requests": self.requests, "daily_limit": self.daily_quota}
        data["operations_evidenced"] = {"planned": len(self.planned), "evidenced": len(self.evidenced)}
        data["leftovers_text"] = self.leftovers_text()
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def verdict_lines(self) -> list[str]:
        return format_verdicts(self.verdicts)

    def console_lines(self) -> list[str]:
        lines = [
            f"Plan .............. {self.plan_text()}",
            f"Operations ........ {self.operations_text()}",
            f"Requests .......... {self.quota_text()} (the daily quota per API key)",
            f"429 answers ....... {self.rate_limit_text()}",
            f"Leftovers ......... {self.leftovers_text()}",
        ]
        if self.budget is not None:
            lines.append(f"Request budget .... {self.budget_text()}")
            shown = self.budget_skipped[:_CONSOLE_SKIPS]
            lines += [f"  skipped: {test}" for test in shown]
            if len(self.budget_skipped) > len(shown):
                lines.append(f"  … and {len(self.budget_skipped) - len(shown)} more (summary.md lists them all)")
        if self.plan_gaps:
            lines.append(f"Not evidenced ..... {self.gaps_text()}")
        by_category = Counter(p.category for p in self.problems)
        if by_category:
            lines.append("Problems .......... " + ", ".join(f"{n} {c}" for c, n in by_category.items()))
        if self.stale_deviations:
            lines.append(
                "Deviations ........ no longer seen, remove from known-deviations.toml: "
                + "; ".join(self.stale_deviations)
            )
        return lines

    def checked_text(self) -> list[tuple[str, str]]:
        """Per criterion, what its tests checked, against what and with which data, in plain words."""
        run_id = self.environment.get("Run id", "")
        data = f"data this run created, named 'Test Vendor - … - {run_id} - …'" if run_id else "data this run created"
        where = f"Checked against {self.target}, with {data}."
        return [
            (c.name, f"{c.checked} {where}")
            for c in CRITERIA_DEFINED
            if any(v.criterion == c.name for v in self.verdicts)
        ]

    def to_markdown(self) -> str:
        md: list[str] = [f"# {self.title}: readiness summary", "", f"**{self.headline}**", ""]
        md += ["| Criterion | Verdict | Tests | Rests on, or what is missing |", "| --- | --- | --- | --- |"]
        for v in self.verdicts:
            md.append(f"| {v.criterion} | **{v.verdict.value}** | {details(v)} | {_basis(v)} |")
        md += [
            "",
            f"- Validation plan: {_md(self.plan_text())}",
            f"- Operations: {self.operations_text()}",
            f"- Requests used: {self.quota_text()}",
            f"- 429 answers seen: {self.rate_limit_text()}",
            f"- Leftovers after cleanup: {self.leftovers_text()}",
        ]
        if self.budget is not None:
            md.append(f"- Request budget: {self.budget_text()}")
        if self.plan_gaps:
            md.append(f"- **Planned operations not evidenced**: {_md(self.gaps_text())}")
        if self.stale_deviations:
            md.append(
                "- Known deviations no longer seen (remove them from known-deviations.toml): "
                + _md("; ".join(self.stale_deviations))
            )
        if self.duration_seconds is not None:
            md.append(f"- Duration: {_duration(self.duration_seconds)}")
        md += ["", "## What each criterion checked", ""]
        md += [f"- **{name}**: {_md(text)}" for name, text in self.checked_text()]
        md += ["", "## How to read this report", ""]
        md += [f"- {_md(line)}" for line in HOW_TO_READ]
        md += ["", "## Run", "", "| | |", "| --- | --- |"]
        md += [f"| {_md(k)} | {_md(v)} |" for k, v in self.environment.items()]
        if self.problems:
            md += ["", "## Tests that did not pass", "", "| Category | Criterion | Test | Message |"]
            md.append("| --- | --- | --- | --- |")
            for p in self.problems:
                md.append(f"| {p.category} | {p.criterion or '–'} | {_md(p.test)} | {_md(p.message)} |")
        if self.budget_skipped:
            md += ["", "## Skipped because the request budget ran out", ""]
            md += [f"- {_md(test)}" for test in self.budget_skipped]
        md += ["", "## Operations", "", "| Operation | Evidence | Tests | Failed | Requests | p50 | p95 | 429s |"]
        md.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for row in self.operations:
            md.append(
                f"| `{row.operation}` | {row.status} | {row.tests} | {row.failed_tests} | {row.requests} "
                f"| {_ms(row.p50_ms)} | {_ms(row.p95_ms)} | {row.rate_limited} |"
            )
        if self.other_requests:
            md += ["", f"{self.other_requests} request(s) went to routes no documented operation has (on purpose)."]
        for note in self.notes:
            md += ["", f"> {note}"]
        md += ["", f"Generated {self.generated_at}.", ""]
        return "\n".join(md)

    def to_html(self) -> str:
        """A self-contained block (inline style, no script) for the top of the report page."""
        e = html.escape
        rows = verdict_rows_html(self.verdicts, css="ov", why=_basis)
        figures = [
            ("Validation plan", self.plan_text()),
            ("Operations", self.operations_text()),
            ("Requests used", self.quota_text()),
            ("429 answers", self.rate_limit_text()),
            ("Leftovers after cleanup", self.leftovers_text()),
        ]
        if self.budget is not None:
            figures.append(("Request budget", self.budget_text()))
        if self.plan_gaps:
            figures.append(("Planned operations not evidenced", self.gaps_text()))
        if self.duration_seconds is not None:
            figures.append(("Duration", _duration(self.duration_seconds)))
        figure_html = "".join(f"<div><dt>{e(k)}</dt><dd>{e(v)}</dd></div>" for k, v in figures)
        env_html = "".join(f"<div><dt>{e(k)}</dt><dd>{e(v)}</dd></div>" for k, v in self.environment.items())
        op_rows = "".join(
            f"<tr><td><code>{e(r.operation)}</code></td><td>{e(r.status)}</td><td>{r.tests}</td>"
            f"<td>{r.failed_tests}</td><td>{r.requests}</td><td>{_ms(r.p50_ms)}</td><td>{_ms(r.p95_ms)}</td><td>{r.rate_limited}</td></tr>"
            for r in self.operations
        )
        problem_rows = "".join(
            f"<tr><td>{e(p.category)}</td><td>{e(p.criterion or '–')}</td><td>{_linked(p)}</td>"
            f"<td>{e(p.message)}</td></tr>"
            for p in self.problems
        )
        # A long list stays folded, so the report below is still in reach.
        fold = "" if len(self.problems) > _OPEN_PROBLEMS else " open"
        budget_items = "".join(f"<li>{e(test)}</li>" for test in self.budget_skipped)
        budget_list = (
            f"<details><summary>Skipped because the request budget ran out ({len(self.budget_skipped)})"
            f"</summary><ul>{budget_items}</ul></details>"
            if self.budget_skipped
            else ""
        )
        problems = budget_list + (
            f"<details{fold}><summary>Tests that did not pass ("
            f"{len(self.problems)})</summary><table><thead><tr><th>Category</th><th>Criterion</th>"
            f"<th>Test</th><th>Message</th></tr></thead><tbody>{problem_rows}</tbody></table></details>"
            if self.problems
            else ""
        )
        other = (
            f"<p class='ov-note'>{self.other_requests} request(s) went to routes no documented operation "
            "has (negative tests, on purpose).</p>"
            if self.other_requests
            else ""
        )
        notes = "".join(f"<p class='ov-note'>{e(n)}</p>" for n in self.notes)
        checked_html = "".join(f"<div><dt>{e(name)}</dt><dd>{e(text)}</dd></div>" for name, text in self.checked_text())
        how_html = "".join(f"<li>{e(line)}</li>" for line in HOW_TO_READ)
        state = self.state
        return (
            f"<section id='ottimate-readiness' aria-label='Readiness summary'><style>{_CSS}</style>"
            f"<div class='ov-head ov-{state}'><h1>{e(self.title)}: readiness summary</h1>"
            f"<p class='ov-headline'>{e(self.headline)}</p></div>"
            "<table class='ov-verdicts'><thead><tr><th>Criterion</th><th>Verdict</th><th>Tests</th>"
            f"<th>Rests on, or what is missing</th></tr></thead><tbody>{rows}</tbody></table>"
            f"<dl class='ov-figures'>{figure_html}</dl>{problems}"
            "<details><summary>What each criterion checked</summary>"
            f"<dl class='ov-checked'>{checked_html}</dl></details>"
            f"<details><summary>How to read this report</summary><ul>{how_html}</ul></details>"
            f"<details><summary>Operations ({self.operations_text()})</summary><table><thead><tr>"
            "<th>Operation</th><th>Evidence</th><th>Tests</th><th>Failed</th><th>Requests</th><th>p50</th><th>p95</th>"
            f"<th>429s</th></tr></thead><tbody>{op_rows}</tbody></table>{other}</details>"
            f"<details><summary>Run: target, versions, build</summary><dl class='ov-env'>{env_html}</dl></details>"
            f"{notes}<p class='ov-note'>Every test, with each HTTP request and response it made, is listed "
            f"below. Generated {e(self.generated_at)}.</p></section>"
        )


_CSS = """
#ottimate-readiness{all:initial;display:block;box-sizing:border-box;max-width:1060px;margin:16px auto 8px;
padding:20px 24px;background:#fff;color:#1f2328;border:1px solid #d0d7de;border-radius:8px;
font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif}
#ottimate-readiness *{box-sizing:border-box;font-family:inherit}
#ottimate-readiness h1{font-size:20px;margin:0 0 4px;font-weight:600}
#ottimate-readiness .ov-head{border-left:6px solid #9a6700;padding:2px 0 2px 12px;margin-bottom:14px}
#ottimate-readiness .ov-head.ov-ready{border-color:#1a7f37}
#ottimate-readiness .ov-head.ov-not-ready{border-color:#cf222e}
#ottimate-readiness .ov-headline{margin:0;font-size:16px;font-weight:600}
#ottimate-readiness table{border-collapse:collapse;width:100%;margin:6px 0 12px}
#ottimate-readiness th,#ottimate-readiness td{text-align:left;padding:6px 10px;border-bottom:1px solid #d8dee4;
vertical-align:top}
#ottimate-readiness thead th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:#59636e}
#ottimate-readiness .ov-pill{display:inline-block;padding:1px 10px;border-radius:12px;font-weight:600}
#ottimate-readiness .ov-ready{background:#dafbe1;color:#116329}
#ottimate-readiness .ov-not-ready{background:#ffebe9;color:#a40e26}
#ottimate-readiness .ov-not-evidenced{background:#fff8c5;color:#7d4e00}
#ottimate-readiness .ov-rehearsed{background:#ddf4ff;color:#0a3069}
#ottimate-readiness .ov-needs-confirmation{background:#fbefff;color:#6e40c9}
#ottimate-readiness .ov-head.ov-rehearsal{border-color:#0969da}
#ottimate-readiness .ov-head.ov-needs-confirmation{border-color:#8250df}
#ottimate-readiness .ov-head.ov-ready,#ottimate-readiness .ov-head.ov-not-ready,
#ottimate-readiness .ov-head.ov-not-evidenced,#ottimate-readiness .ov-head.ov-needs-confirmation,
#ottimate-readiness .ov-head.ov-rehearsal{background:none;color:inherit}
#ottimate-readiness dl{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:8px 24px;
margin:4px 0 12px}
#ottimate-readiness dt{font-size:12px;color:#59636e;text-transform:uppercase;letter-spacing:.04em}
#ottimate-readiness dd{margin:0;font-weight:500;overflow-wrap:anywhere}
#ottimate-readiness details{margin:6px 0}
#ottimate-readiness summary{cursor:pointer;font-weight:600;padding:4px 0}
#ottimate-readiness code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}
#ottimate-readiness dl.ov-checked{display:block}
#ottimate-readiness dl.ov-checked div{margin:6px 0}
#ottimate-readiness dl.ov-checked dd{font-weight:400}
#ottimate-readiness .ov-note{color:#59636e;font-size:12px;margin:8px 0 0}
"""


def _linked(problem: Problem) -> str:
    """The test's title, linked to its result in the report below when its id is known."""
    title = html.escape(problem.test)
    return f"<a href='#/{html.escape(problem.report_id)}'>{title}</a>" if problem.report_id else title


def _basis(v: CriterionVerdict) -> str:
    """What a verdict rests on (``5 of 5 required checks passed``), or why it is not Ready."""
    said = reasons(v) if (v.problems or v.missing) else rests_on(v)
    return said or "–"


def _md(text: str) -> str:
    return " ".join(str(text).replace("|", "\\|").split())


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} ms"


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (``fraction`` 0.5 for p50); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


class Summary(Protocol):
    """What a run's end needs of its summary (a validation run's or an integration's)."""

    @property
    def headline(self) -> str: ...
    @property
    def ready(self) -> bool: ...
    @property
    def verdicts(self) -> Sequence[CriterionVerdict]: ...
    def to_markdown(self) -> str: ...
    def to_json(self) -> str: ...
    def to_html(self) -> str: ...
    def console_lines(self) -> list[str]: ...
    def verdict_lines(self) -> list[str]: ...


def write_summary(summary: Summary, run_dir: Path, scrub: Callable[[str], str] | None = None) -> tuple[Path, Path]:
    """``summary.md`` and ``summary.json`` in the run folder, each passed through ``scrub`` on the way."""
    md, js = run_dir / SUMMARY_MD, run_dir / SUMMARY_JSON
    md.write_text(scrub(summary.to_markdown()) if scrub else summary.to_markdown(), encoding="utf-8")
    js.write_text(scrub(summary.to_json()) if scrub else summary.to_json(), encoding="utf-8")
    return md, js
