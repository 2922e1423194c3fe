"""The integration run's summary: what a partner manager reads first, in four renderings.

It names the command, the repository revision it ran at, the target, the passes (exit, time,
requests, quota share, the faults that fired), the fault schedule and its seed, a verdict per
criterion, and every finding that did not hold. The run's end (``run.finish.end``) writes it as
``summary.md`` and ``summary.json``, shows it at the top of the report (``to_html``, its own section
``#ottimate-integration`` so a report holding a validation run too keeps the two apart) and prints it.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ottimate_validation.report.verdicts import (
    CriterionVerdict,
    Verdict,
    details,
    format_verdicts,
    reasons,
    verdict_rows_html,
)
from ottimate_validation.run.ledger import Finding

from .judge import status_of

SECTION = "Your integration"
SCHEMA_VERSION = 1
_CONSOLE_FINDINGS = 12
_CONSOLE_CHARS = 240


@dataclass(frozen=True)
class PassLine:
    name: str
    target: str
    outcome: str
    exit_code: int | None
    seconds: float
    requests: int  # sent by the integration
    reached: int  # of them, those that reached the API (faults answered by the proxy did not)
    quota_share: float
    faults_fired: tuple[str, ...] = ()
    faults_not_fired: tuple[str, ...] = ()


@dataclass(frozen=True)
class FindingLine:
    rule: str
    title: str
    criterion: str
    lane: str
    status: str
    finding: str
    exchanges: tuple[str, ...] = ()

    @classmethod
    def of(cls, finding: Finding) -> FindingLine:
        return cls(
            finding.rule,
            finding.title,
            finding.criterion,
            finding.lane,
            status_of(finding),
            finding.finding,
            tuple(finding.exchanges),
        )


@dataclass(frozen=True)
class IntegrationSummary:
    title: str
    generated_at: str
    command: str
    cwd: str
    revision: str | None
    target: str
    plan: str
    seed: int
    faults: Sequence[tuple[str, str]]  # (name, description) of the fault pass's schedule
    passes: Sequence[PassLine]
    verdicts: Sequence[CriterionVerdict]
    findings: Sequence[FindingLine]
    daily_quota: int
    incremental: bool = False
    notes: Sequence[str] = field(default_factory=tuple)
    evidence: bool = True  # on the partner's Ottimate sandbox; else a rehearsal on the embedded sandbox
    not_run: Sequence[str] = field(default_factory=tuple)  # passes an interruption left out

    # --- figures ---------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return (
            self.evidence
            and not self.not_run
            and bool(self.verdicts)
            and all(v.verdict is Verdict.READY for v in self.verdicts)
        )

    @property
    def failed(self) -> list[FindingLine]:
        return [f for f in self.findings if f.status == "failed"]

    @property
    def broken(self) -> list[FindingLine]:
        return [f for f in self.findings if f.status == "broken"]

    @property
    def headline(self) -> str:
        if self.failed:
            rules = len({f.rule for f in self.failed})
            return f"{SECTION}: Not ready ({rules} rule{'s' if rules != 1 else ''} did not hold)"
        if self.not_run:
            return f"{SECTION}: Not evidenced (interrupted: the {', '.join(self.not_run)} pass did not run)"
        if self.broken:
            return f"{SECTION}: Not evidenced (the harness could not judge {len(self.broken)} finding(s))"
        if any(v.verdict is Verdict.NOT_EVIDENCED for v in self.verdicts) or not self.verdicts:
            return f"{SECTION}: Not evidenced (some criteria have no rule that could be judged)"
        if not self.evidence:
            return (
                f"{SECTION}: Rehearsal passed on the embedded sandbox (every rule that could be judged held): "
                "not evidence for Ottimate; run it against your sandbox credentials"
            )
        return f"{SECTION}: Ready (every rule that could be judged held)"

    @property
    def requests(self) -> int:
        return sum(p.requests for p in self.passes)

    def pass_sentence(self, p: PassLine) -> str:
        faults = f"; faults fired: {', '.join(p.faults_fired)}" if p.faults_fired else ""
        missed = f" (not triggered: {', '.join(p.faults_not_fired)})" if p.faults_not_fired else ""
        return (
            f"{p.outcome}; {p.requests} request(s), {p.reached} reaching the API ({p.quota_share:.1%} of the daily "
            f"quota of {self.daily_quota:,}){faults}{missed}"
        )

    # --- renderings ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["schema_version"] = SCHEMA_VERSION
        data["ready"] = self.ready
        data["headline"] = self.headline
        data["verdicts"] = [
            {**asdict(v), "verdict": v.verdict.value, "problems": dict(v.problems)} for v in self.verdicts
        ]
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IntegrationSummary:
        """The summary an integration run wrote (``summary.json``), read back; ``KeyError``,
        ``TypeError`` or ``ValueError`` when it is not one."""
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"schema version {data.get('schema_version')!r}, not {SCHEMA_VERSION}")
        derived = {"schema_version", "ready", "headline"}
        given = {k: v for k, v in data.items() if k not in derived}
        return cls(
            **{
                **given,
                "faults": [(str(name), str(text)) for name, text in given["faults"]],
                "passes": [
                    PassLine(
                        **{
                            **p,
                            "faults_fired": tuple(p["faults_fired"]),
                            "faults_not_fired": tuple(p["faults_not_fired"]),
                        }
                    )
                    for p in given["passes"]
                ],
                "verdicts": [
                    CriterionVerdict(**{**v, "verdict": Verdict(v["verdict"]), "missing": tuple(v.get("missing", ()))})
                    for v in given["verdicts"]
                ],
                "findings": [FindingLine(**{**f, "exchanges": tuple(f["exchanges"])}) for f in given["findings"]],
                "notes": tuple(given.get("notes", ())),
                "not_run": tuple(given.get("not_run", ())),
            }
        )

    def verdict_lines(self) -> list[str]:
        return format_verdicts(self.verdicts)

    def console_lines(self) -> list[str]:
        lines = [f"Pass {p.name}: {self.pass_sentence(p)}" for p in self.passes]
        shown = self.failed + self.broken
        if shown:
            lines.append("")
            lines.append("Findings that did not hold:" if self.failed else "Findings that could not be judged:")
            for f in shown[:_CONSOLE_FINDINGS]:
                text = f.finding if len(f.finding) <= _CONSOLE_CHARS else f.finding[: _CONSOLE_CHARS - 1] + "…"
                lines.append(f"  [{f.criterion}] {f.rule} ({f.lane} pass): {text}")
            if len(shown) > _CONSOLE_FINDINGS:
                lines.append(f"  … and {len(shown) - _CONSOLE_FINDINGS} more in the report and summary.md")
        return lines

    def to_markdown(self) -> str:
        md = [f"# {self.title}", "", f"**{self.headline}**", ""]
        md += ["| Criterion | Verdict | Rules | Why not Ready |", "| --- | --- | --- | --- |"]
        md += [f"| {v.criterion} | {v.verdict.value} | {details(v)} | {reasons(v) or '–'} |" for v in self.verdicts]
        md += ["", "## Run", ""]
        for key, value in self._facts():
            md.append(f"- **{key}**: {_md(value)}")
        md += [
            "",
            "## Passes",
            "",
            "| Pass | Target | Outcome | Requests | Reached the API | Quota share | Faults fired |",
        ]
        md += ["| --- | --- | --- | --- | --- | --- | --- |"]
        for p in self.passes:
            fired = ", ".join(p.faults_fired) or "–"
            if p.faults_not_fired:
                fired += f" (not triggered: {', '.join(p.faults_not_fired)})"
            md.append(
                f"| {p.name} | {_md(p.target)} | {_md(p.outcome)} | {p.requests} | {p.reached} | {p.quota_share:.1%} "
                f"| {_md(fired)} |"
            )
        if self.faults:
            md += ["", f"Fault schedule (seed {self.seed}):", ""]
            md += [f"- `{name}`: {_md(description)}" for name, description in self.faults]
        md += ["", "## Findings", "", "| Criterion | Rule | Pass | Result | Finding | Exchanges |"]
        md += ["| --- | --- | --- | --- | --- | --- |"]
        order = {"failed": 0, "broken": 1, "passed": 2, "skipped": 3}
        for f in sorted(self.findings, key=lambda f: (order.get(f.status, 4), f.criterion, f.rule, f.lane)):
            md.append(
                f"| {f.criterion} | `{f.rule}` | {f.lane} | {_RESULT.get(f.status, f.status)} | {_md(f.finding)} "
                f"| {', '.join(f.exchanges[:5]) or '–'} |"
            )
        for note in self.notes:
            md += ["", f"> {note}"]
        md += ["", f"Generated {self.generated_at}.", ""]
        return "\n".join(md)

    def to_html(self) -> str:
        """A self-contained block (inline style, no script) for the top of the report page."""
        e = html.escape
        rows = verdict_rows_html(self.verdicts, css="oi", why=lambda v: reasons(v) or "–")
        facts = "".join(f"<div><dt>{e(k)}</dt><dd>{e(v)}</dd></div>" for k, v in self._facts())
        pass_rows = "".join(
            f"<tr><td>{e(p.name)}</td><td>{e(p.target)}</td><td>{e(p.outcome)}</td><td>{p.requests}</td>"
            f"<td>{p.reached}</td><td>{p.quota_share:.1%}</td><td>{e(', '.join(p.faults_fired) or '–')}"
            f"{e(' (not triggered: ' + ', '.join(p.faults_not_fired) + ')') if p.faults_not_fired else ''}</td></tr>"
            for p in self.passes
        )
        shown = self.failed + self.broken
        finding_rows = "".join(
            f"<tr><td>{e(f.criterion)}</td><td><code>{e(f.rule)}</code></td><td>{e(f.lane)}</td>"
            f"<td>{e(f.finding)}</td><td>{e(', '.join(f.exchanges[:5]) or '–')}</td></tr>"
            for f in shown
        )
        findings = (
            f"<details open><summary>Findings that did not hold ({len(shown)})</summary><table><thead><tr>"
            "<th>Criterion</th><th>Rule</th><th>Pass</th><th>Finding</th><th>Exchanges</th></tr></thead>"
            f"<tbody>{finding_rows}</tbody></table></details>"
            if shown
            else ""
        )
        schedule = "".join(f"<li><code>{e(n)}</code>: {e(d)}</li>" for n, d in self.faults)
        faults = (
            f"<details><summary>Fault schedule (seed {self.seed})</summary><ul>{schedule}</ul></details>"
            if self.faults
            else ""
        )
        state = "ready" if self.ready else ("not-ready" if self.failed else "not-evidenced")
        return (
            f"<section id='ottimate-integration' aria-label='{e(SECTION)}'><style>{_CSS}</style>"
            f"<div class='oi-head oi-{state}'><h1>{e(self.title)}</h1>"
            f"<p class='oi-headline'>{e(self.headline)}</p></div>"
            "<table><thead><tr><th>Criterion</th><th>Verdict</th><th>Rules</th><th>Why not Ready</th></tr></thead>"
            f"<tbody>{rows}</tbody></table><dl>{facts}</dl>{findings}"
            "<details open><summary>Passes</summary><table><thead><tr><th>Pass</th><th>Target</th><th>Outcome</th>"
            "<th>Requests</th><th>Reached the API</th><th>Quota share</th><th>Faults fired</th></tr></thead>"
            f"<tbody>{pass_rows}</tbody></table></details>{faults}"
            f"<p class='oi-note'>Every rule and pass is a result below, under “{e(SECTION)}”, with the exchanges "
            f"that prove it and the pass's timeline. Generated {e(self.generated_at)}.</p></section>"
        )

    def _facts(self) -> list[tuple[str, str]]:
        facts = [
            ("Command", self.command),
            ("Working directory", self.cwd),
            ("Repository revision", self.revision or "not in a git repository"),
            ("Target", self.target),
            ("Validation plan", self.plan),
            ("Passes", ", ".join(p.name for p in self.passes) or "none"),
            ("Seed", str(self.seed)),
            ("Requests", f"{self.requests:,} in all"),
        ]
        if self.incremental:
            facts.append(("Sync", "incremental (the plan says so)"))
        return facts


_RESULT = {"passed": "holds", "failed": "**does not hold**", "broken": "not judged (harness)", "skipped": "not judged"}


def _md(text: str) -> str:
    return " ".join(str(text).replace("|", "\\|").split())


_CSS = """
#ottimate-integration{all:initial;display:block;box-sizing:border-box;max-width:1060px;margin:16px auto 8px;
padding:20px 24px;background:#fff;color:#1f2328;border:1px solid #d0d7de;border-radius:8px;
font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif}
#ottimate-integration *{box-sizing:border-box;font-family:inherit}
#ottimate-integration h1{font-size:20px;margin:0 0 4px;font-weight:600}
#ottimate-integration .oi-head{border-left:6px solid #9a6700;padding:2px 0 2px 12px;margin-bottom:14px}
#ottimate-integration .oi-head.oi-ready{border-color:#1a7f37}
#ottimate-integration .oi-head.oi-not-ready{border-color:#cf222e}
#ottimate-integration .oi-headline{margin:0;font-size:16px;font-weight:600}
#ottimate-integration table{border-collapse:collapse;width:100%;margin:6px 0 12px}
#ottimate-integration th,#ottimate-integration td{text-align:left;padding:6px 10px;border-bottom:1px solid #d8dee4;
vertical-align:top}
#ottimate-integration thead th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:#59636e}
#ottimate-integration .oi-pill{display:inline-block;padding:1px 10px;border-radius:12px;font-weight:600}
#ottimate-integration .oi-ready{background:#dafbe1;color:#116329}
#ottimate-integration .oi-not-ready{background:#ffebe9;color:#a40e26}
#ottimate-integration .oi-not-evidenced{background:#fff8c5;color:#7d4e00}
#ottimate-integration .oi-rehearsed{background:#ddf4ff;color:#0a3069}
#ottimate-integration .oi-head.oi-ready,#ottimate-integration .oi-head.oi-not-ready,
#ottimate-integration .oi-head.oi-not-evidenced{background:none;color:inherit}
#ottimate-integration dl{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:8px 24px;
margin:4px 0 12px}
#ottimate-integration dt{font-size:12px;color:#59636e;text-transform:uppercase;letter-spacing:.04em}
#ottimate-integration dd{margin:0;font-weight:500;overflow-wrap:anywhere}
#ottimate-integration details{margin:6px 0}
#ottimate-integration summary{cursor:pointer;font-weight:600;padding:4px 0}
#ottimate-integration code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}
#ottimate-integration .oi-note{color:#59636e;font-size:12px;margin:8px 0 0}
"""
