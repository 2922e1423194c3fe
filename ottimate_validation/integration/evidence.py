"""Allure results for the integration's findings: one result per rule and pass, under "Your integration".

Each result carries the criterion as its ``epic`` (so the verdicts read it like any test), the parent
suite "Your integration" (a report that also holds a validation run keeps it apart from "Your sandbox
and credentials"), the rule id as a tag, and the status a test would have: passed (holds), failed (does
not hold), broken (the harness could not judge), skipped (nothing to judge, with the reason). The finding
is its message; each exchange it cites is a step, timed as it happened, with the redacted exchange
attached; the pass's timeline is attached to every result of the pass, and the command's output (scrubbed,
bounded) to the results about the command itself. Everything written is scrubbed of the run's credentials
once more on the way out.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ottimate_validation.report.criteria import CRITERION_SEVERITY
from ottimate_validation.report.redact import Secrets
from ottimate_validation.run.ledger import Exchange, Finding

from .judge import status_of
from .model import PassRecord, Rule
from .summary import SECTION

TIMELINE_LINES = 2_000  # per copy (each result of the pass has one)
OUTPUT_RULES = frozenset({"errors.completes", "auth.no-secret-in-output"})


class ResultsWriter:
    def __init__(self, results_dir: Path, secrets: Secrets) -> None:
        self._dir = results_dir
        self._dir.mkdir(parents=True, exist_ok=True)
        self._secrets = secrets
        self._shared: dict[str, dict[str, str]] = {}

    def _attach(self, name: str, text: str, kind: str = "text/plain", ext: str = "txt") -> dict[str, str]:
        source = f"{uuid.uuid4().hex}-attachment.{ext}"
        (self._dir / source).write_text(self._secrets.scrub(text), encoding="utf-8")
        return {"name": name, "source": source, "type": kind}

    def _shared_attachment(self, key: str, name: str, text: str) -> dict[str, str]:
        # Allure links an attachment file to one result only: each result gets its own copy.
        if key not in self._shared:
            self._shared[key] = {"name": name, "text": self._secrets.scrub(text)}
        return self._attach(self._shared[key]["name"], self._shared[key]["text"])

    def write(
        self,
        findings: Sequence[Finding],
        rules: Mapping[str, Rule],
        passes: Mapping[str, PassRecord],
        exchanges: Mapping[str, Sequence[Exchange]],
    ) -> int:
        by_id = {x.id: x for xs in exchanges.values() for x in xs}
        written = 0
        for finding in findings:
            record = passes.get(finding.lane)
            rule = rules.get(finding.rule)
            attachments = []
            if record is not None:
                attachments.append(
                    self._shared_attachment(
                        f"timeline:{finding.lane}",
                        f"Timeline of the {finding.lane} pass",
                        timeline(record, exchanges.get(finding.lane, ())),
                    )
                )
                if finding.rule in OUTPUT_RULES and record.command.started:
                    for stream in (record.command.stdout, record.command.stderr):
                        if stream.total_bytes:
                            attachments.append(
                                self._shared_attachment(
                                    f"{stream.stream}:{finding.lane}",
                                    f"The command's {stream.stream} ({stream.total_bytes:,} bytes"
                                    f"{', binary' if stream.binary else ''}{', cut' if stream.truncated else ''})",
                                    stream.text(),
                                )
                            )
            steps = [self._step(by_id[i]) for i in finding.exchanges if i in by_id]
            self._result(finding, rule, record, steps, attachments)
            written += 1
        return written

    def _step(self, x: Exchange) -> dict[str, Any]:
        answer = "no answer" if x.status is None else str(x.status)
        fault = f" [fault: {x.fault}]" if x.fault else ""
        start = int(x.at * 1000)
        return {
            "name": f"{x.id}: {x.method} {x.path}{'?' + x.query if x.query else ''} → {answer}{fault}",
            "status": "passed",
            "stage": "finished",
            "start": start,
            "stop": start + int(x.ms or 0),
            "attachments": [
                self._attach(
                    f"Exchange {x.id}",
                    json.dumps(exchange_view(x), indent=2, ensure_ascii=False),
                    "application/json",
                    "json",
                )
            ],
        }

    def _result(
        self,
        finding: Finding,
        rule: Rule | None,
        record: PassRecord | None,
        steps: list[dict[str, Any]],
        attachments: list[dict[str, str]],
    ) -> None:
        status = status_of(finding)
        start = int((record.started_at if record else finding.at) * 1000)
        stop = int((record.ended_at if record else finding.at) * 1000)
        description = finding.title
        if rule is not None:
            description = (
                f"**{rule.title}** (`{rule.id}`)\n\n"
                f"- Judges: {rule.judges}\n- Does not hold on: {rule.threshold}\n- Sources: {rule.sources}\n"
                f"- Passes: {', '.join(sorted(rule.passes))}"
            )
        details: dict[str, Any] = {"message": finding.finding}
        if finding.details:
            details["trace"] = json.dumps(finding.details, indent=2, ensure_ascii=False, default=str)
        labels = [
            ("epic", finding.criterion),
            ("parentSuite", SECTION),
            ("suite", finding.criterion),
            ("subSuite", f"{finding.lane} pass"),
            ("feature", f"{SECTION}: {finding.lane} pass"),  # the report's navigation is criterion, feature
            ("story", finding.title),
            ("tag", finding.rule),
            ("tag", f"{finding.lane}-pass"),
            ("severity", CRITERION_SEVERITY.get(finding.criterion, "normal")),
            ("framework", "ottimate-validation integration"),
            ("thread", f"{finding.lane} pass"),
        ]
        result = {
            "uuid": uuid.uuid4().hex,
            "historyId": _md5(f"integration:{finding.rule}:{finding.lane}"),
            "testCaseId": _md5(f"integration:{finding.rule}"),
            "fullName": f"integration.{finding.rule}[{finding.lane}]",
            "name": f"{finding.title} ({finding.lane} pass)",
            "status": status,
            "stage": "finished",
            "statusDetails": details,
            "description": description,
            "start": start,
            "stop": max(stop, start),
            "labels": [{"name": k, "value": v} for k, v in labels],
            "parameters": [{"name": "pass", "value": finding.lane}],
            "steps": steps,
            "attachments": attachments,
        }
        text = self._secrets.scrub(json.dumps(result, ensure_ascii=False))
        (self._dir / f"{result['uuid']}-result.json").write_text(text, encoding="utf-8")


def exchange_view(x: Exchange) -> dict[str, Any]:
    """One exchange as the report shows it (already redacted in the ledger)."""
    return {
        "id": x.id,
        "sent": datetime.fromtimestamp(x.at, tz=UTC).isoformat(timespec="milliseconds"),
        "pass": x.lane,
        "connection": x.worker,
        "request": {
            "method": x.method,
            "path": x.path,
            "query": x.query,
            "headers": dict(x.request_headers),
            "body": x.request_body,
        },
        "answer": {
            "status": x.status,
            "error": x.error,
            "ms": round(x.ms, 1) if x.ms is not None else None,
            "headers": dict(x.response_headers),
            "body": x.response_body,
        },
        "fault": x.fault,
        "operation": x.operation,
        "facts": dict(x.facts),
    }


def timeline(record: PassRecord, exchanges: Sequence[Exchange]) -> str:
    """The pass as it happened: one line per exchange, time from the command's start."""
    t0 = record.started_at or (exchanges[0].at if exchanges else 0.0)
    lines = [
        f"{record.name} pass against {record.target}",
        f"command: {record.command.describe()}",
        f"faults scheduled: {', '.join(record.faults) or 'none'}; fired: {', '.join(record.fired) or 'none'}",
        "",
        f"{'t (s)':>9}  {'id':<16} {'conn':>6}  request → answer",
    ]
    for x in exchanges[:TIMELINE_LINES]:
        answer = "no answer" if x.status is None else str(x.status)
        ms = f" ({x.ms:.0f} ms)" if x.ms is not None else ""
        fault = f"  [fault: {x.fault}]" if x.fault else ""
        query = f"?{x.query}" if x.query else ""
        lines.append(
            f"{x.at - t0:9.3f}  {x.id:<16} {x.worker or '':>6}  {x.method} {x.path}{query} → {answer}{ms}{fault}"
        )
    if len(exchanges) > TIMELINE_LINES:
        lines.append(f"… and {len(exchanges) - TIMELINE_LINES:,} more exchanges (all of them are in the ledger)")
    return "\n".join(lines) + "\n"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
