"""One integration run: the passes, then the judge, then the evidence.

    for each pass (clean, fault, repeat):
        target.for_pass()          a fresh embedded sandbox (repeat: the clean pass's), or the proxy
        reader.snapshot()          the state before
        recorder.begin(pass, faults)
        run_command()              the partner's command, its own process group, a time limit
        recorder.end()
        reader.snapshot()          the state after
    read_ledger()                  every exchange, as recorded
    judge_pass() per pass          a Finding per rule, written to the same ledger
    results                        allure-results/, one result per rule and pass
    finish.end()                   summary.md/.json, report.html, run.json's ending, reports/latest, console

Nothing the command does stops the run: a command that does not exist, exits at once, hangs, floods,
prints megabytes or binary, or speaks broken HTTP becomes findings, and the report is still written.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from ottimate_validation.report.redact import fingerprint
from ottimate_validation.report.verdicts import Verdict, decide
from ottimate_validation.run import Run, new_run_id
from ottimate_validation.run.finish import Ending, end
from ottimate_validation.run.folder import new_run_folder
from ottimate_validation.run.judge import is_evidence
from ottimate_validation.run.ledger import LEDGER_DIR, Exchange, Finding, Ledger, read_ledger
from ottimate_validation.run.target import OTTIMATE_SANDBOX_HOSTS

from .command import run_command
from .credentials import RunCredentials
from .evidence import ResultsWriter
from .faults import DEFAULT_FAULTS, FAULTS, FaultSchedule
from .journal import Journal
from .judge import exchanges_of, judge_pass, status_of, verdicts
from .model import CLEAN, FAULT, PASSES, REPEAT, Limits, PassEvidence, PassRecord
from .plan import IntegrationPlan
from .rules import BY_ID
from .state import KINDS, Snapshot, StateError
from .summary import FindingLine, IntegrationSummary, PassLine
from .targets import EmbeddedTargets, RemoteTargets, Served

TITLE = "Ottimate integration validation: your integration"
DEFAULT_SEED = 1
DEFAULT_TIME_LIMIT = 600.0
PASSES_DIR = "integration"  # per pass: its record and the state around it, as JSON
PASS_ENV = "OTTIMATE_INTEGRATION_PASS"
_LOOPBACK_HOSTS = "127.0.0.1,localhost,::1"
_REACHED_FAULTS = frozenset({"answer-lost", "connection-dropped", "latency"})


@dataclass(frozen=True)
class RemoteTarget:
    """The partner's real sandbox (already let through the production refusal and the preflight)."""

    api_url: str
    auth_url: str
    api_key: str = field(repr=False)
    client_id: str = ""
    client_secret: str = field(default="", repr=False)


@dataclass(frozen=True)
class RunOptions:
    command: tuple[str, ...]
    reports_dir: Path
    passes: tuple[str, ...] = PASSES
    faults: tuple[str, ...] = DEFAULT_FAULTS
    seed: int = DEFAULT_SEED
    time_limit: float = DEFAULT_TIME_LIMIT
    plan: IntegrationPlan = field(default_factory=lambda: IntegrationPlan(None))
    incremental: bool = False
    report: bool = True
    allure: Path | None = None
    cwd: Path | None = None
    limits: Limits = field(default_factory=Limits)
    retry_after: int = 1
    remote: RemoteTarget | None = None
    existing_records: tuple[int, int] | None = None  # (vendors, dimensions) per company; None: the default
    keep_dashboards: bool = False  # embedded: leave the sandboxes up after the run (`RunResult.release`)


@dataclass(frozen=True)
class RunResult:
    run_id: str
    run_dir: Path
    exit_code: int
    summary: IntegrationSummary
    findings: tuple[Finding, ...]
    report: Path | None = None
    dashboards: tuple[tuple[str, str], ...] = ()  # kept up (keep_dashboards): (sandbox, one-time link)
    release: Callable[[], None] | None = None  # stops the sandboxes kept up


Say = Callable[[str], None]


def _target_facts(options: RunOptions) -> dict[str, object] | None:
    """As a validation run records its target, so one judge says whether the run is evidence."""
    if options.remote is None:
        return None
    host = urlsplit(options.remote.api_url).hostname or ""
    kind = "sandbox" if host in OTTIMATE_SANDBOX_HOSTS else "other"
    return {"kind": kind, "api_url": options.remote.api_url, "auth_url": options.remote.auth_url}


def run(options: RunOptions, say: Say = print, warn: Say | None = None) -> RunResult:
    run_id = new_run_id()
    run_dir = new_run_folder(options.reports_dir, run_id)
    the_run = Run(
        id=run_id,
        folder=run_dir,
        kind="integration",
        target=_target_facts(options),
        command=tuple(options.command),
        sources=tuple({"pass": name} for name in options.passes),
    )
    the_run.save()
    the_run.results_dir.mkdir(parents=True)
    say(f"Integration run {run_id}: results in {run_dir}")
    ledger = Ledger(run_dir / LEDGER_DIR, process="integration")
    journal = Journal(ledger, run_dir / LEDGER_DIR)  # the recording layer's exchanges, beside the ledger
    targets: EmbeddedTargets | RemoteTargets
    if options.remote is not None:
        r = options.remote
        targets = RemoteTargets(
            journal,
            api_url=r.api_url,
            auth_url=r.auth_url,
            api_key=r.api_key,
            client_id=r.client_id,
            client_secret=r.client_secret,
        )
    else:
        existing = options.existing_records
        targets = (
            EmbeddedTargets(journal, limits=options.limits)
            if existing is None
            else EmbeddedTargets(
                journal, limits=options.limits, existing_vendors=existing[0], existing_dimensions=existing[1]
            )
        )
    credentials = targets.credentials
    records: dict[str, PassRecord] = {}
    not_run: tuple[str, ...] = ()
    try:
        for index, name in enumerate(options.passes):
            try:
                record = _run_pass(
                    name, options, targets.for_pass(name), credentials, records, say, shared=options.remote is not None
                )
            except KeyboardInterrupt:
                # The passes that completed are judged and reported; the rest are named, and nothing is Ready.
                not_run = tuple(options.passes[index:])
                (warn or say)(f"interrupted during the {name} pass; judging the passes that completed (Ctrl-C stops)")
                break
            records[name] = record
            _save_pass(run_dir, record, credentials)
    except BaseException:
        targets.close()
        raise
    finally:
        journal.close()

    try:  # the sandboxes stay up through judging (their dashboards mark the findings)
        recorded = read_ledger(run_dir)
        exchanges = {name: exchanges_of(recorded, name) for name in records}
        findings: list[Finding] = []
        for name, record in records.items():
            record.requests = len(exchanges[name])
            evidence = PassEvidence(
                name=name,
                exchanges=exchanges[name],
                command=record.command,
                limits=options.limits,
                plan=options.plan.plan,
                incremental=options.incremental or options.plan.incremental,
                api_key=_fingerprint(credentials.api_key),
                before=record.before,
                after=record.after,
                reference=records[CLEAN].after if name == FAULT and CLEAN in records else None,
                state_error=record.state_error,
                faults=record.faults,
            )
            findings += [_scrubbed(f, credentials) for f in judge_pass(evidence)]
        for finding in findings:
            ledger.record(finding)
        ledger.close()
        targets.mark_findings(findings)  # an embedded sandbox's dashboard shows them on the exchanges they cite

        proves = is_evidence(the_run)
        summary = _summary(options, targets.description, records, exchanges, findings, credentials, evidence=proves)
        if not_run:
            summary = _interrupted(summary, not_run)
        if isinstance(targets, RemoteTargets):
            reads = targets.harness_requests
            note = f"The harness read your sandbox's state before and after each pass with {reads} requests."
            summary = replace(summary, notes=(*summary.notes, note))
        written = True
        try:
            ResultsWriter(the_run.results_dir, credentials.secrets).write(findings, BY_ID, records, exchanges)
        except OSError as exc:
            written = False
            (warn or say)(f"the results were not written into {the_run.results_dir}: {exc.strerror or exc}")
        title = TITLE if proves else f"{TITLE} — REHEARSAL on the embedded sandbox (not evidence)"
        judged_badly = any(status_of(f) in ("failed", "broken") for f in findings)
        finished = end(
            the_run,
            summary,
            Ending(failed=judged_badly or not findings or not written, interrupted=bool(not_run)),
            allure=options.allure if options.report else None,
            title=title,
            variables={"Target": targets.description, "Passes": ", ".join(records), "Seed": str(options.seed)},
            say=say,
            warn=warn or say,
            scrub=credentials.secrets.scrub,
        )
    except BaseException:
        targets.close()
        raise
    kept = tuple(targets.dashboards()) if options.keep_dashboards else ()
    if not kept:
        targets.close()
    return RunResult(
        run_id,
        run_dir,
        finished.exit_code,
        summary,
        tuple(findings),
        finished.report,
        dashboards=kept,
        release=targets.close if kept else None,
    )


def _run_pass(
    name: str,
    options: RunOptions,
    served: Served,
    credentials: RunCredentials,
    done: Mapping[str, PassRecord],
    say: Say,
    *,
    shared: bool,
) -> PassRecord:
    schedule = FaultSchedule(options.faults, options.seed, options.retry_after) if name == FAULT else None
    faults = schedule.faults if schedule is not None else ()
    say(
        f"Pass {name}: `{_shown(options.command, credentials)}` against {served.label} "
        f"(time limit {options.time_limit:g} s"
        f"{f'; faults (seed {options.seed}): ' + ', '.join(faults) if faults else ''})"
    )
    if served.fresh and served.dashboard:
        say(f"Dashboard of {served.label} (the link signs you in once): {served.dashboard}")
    before: Snapshot | None
    state_error: str | None = None
    previous = done.get(CLEAN) if name == REPEAT else None
    try:
        if previous is not None and previous.after is not None and not shared:
            before = previous.after  # the clean pass's sandbox, untouched since
        else:
            before = served.reader.snapshot(list(KINDS))
    except StateError as exc:
        before, state_error = None, str(exc)
    if not shared:
        # The harness's own reads drew on the sandbox's token bucket: give it back before the pass, so
        # the integration starts with the burst the documented limits promise (milliseconds by default).
        spent = min(served.reader.requests - served.reads_refilled, options.limits.burst)
        time.sleep(spent / options.limits.rate_per_second)
        served.reads_refilled = served.reader.requests
    served.recorder.begin(name, schedule)
    started = time.time()
    try:
        outcome = run_command(
            options.command,
            env=command_env(served, credentials, name),
            cwd=str(options.cwd) if options.cwd else None,
            time_limit=options.time_limit,
            credentials=credentials,
        )
    finally:
        served.recorder.end()
    ended = time.time()
    after: Snapshot | None = None
    if state_error is None:
        try:
            after = served.reader.snapshot(list(KINDS))
        except StateError as exc:
            state_error = str(exc)
    fired = tuple(schedule.fired_names()) if schedule is not None else ()
    not_fired = tuple(schedule.not_fired()) if schedule is not None else ()
    record = PassRecord(
        name=name,
        target=served.label,
        api_url=served.api_url,
        command=outcome,
        faults=faults,
        fired=fired,
        not_fired=not_fired,
        seed=options.seed if schedule is not None else None,
        started_at=started,
        ended_at=ended,
        before=before,
        after=after,
        state_error=state_error,
    )
    say(f"Pass {name}: {outcome.describe()}" + (f"; faults fired: {', '.join(fired)}" if fired else ""))
    return record


def command_env(served: Served, credentials: RunCredentials, lane: str) -> dict[str, str]:
    """The caller's environment, plus the target's variables (the README's names) and the pass."""
    env = dict(os.environ)
    env.update(
        {
            "OTTIMATE_API_URL": served.api_url,
            "OTTIMATE_AUTH_URL": served.auth_url,
            "OTTIMATE_API_KEY": credentials.api_key,
            "OTTIMATE_CLIENT_ID": credentials.client_id,
            "OTTIMATE_CLIENT_SECRET": credentials.client_secret,
            PASS_ENV: lane,
        }
    )
    # An HTTP proxy configured for the internet must not take the loopback traffic.
    for name in ("NO_PROXY", "no_proxy"):
        current = env.get(name, "")
        env[name] = f"{current},{_LOOPBACK_HOSTS}" if current else _LOOPBACK_HOSTS
    return env


def _shown(command: Sequence[str], credentials: RunCredentials) -> str:
    return credentials.secrets.scrub(shlex.join(command))


def _scrubbed(finding: Finding, credentials: RunCredentials) -> Finding:
    """A finding with no credential in it: findings quote what the sandbox holds, which the integration
    wrote (a vendor named after a token is still a token)."""
    secrets = credentials.secrets
    details = json.dumps(finding.details, ensure_ascii=False, default=str)
    if not secrets.found_in(finding.finding) and not secrets.found_in(details):
        return finding
    return replace(finding, finding=secrets.scrub(finding.finding), details=json.loads(secrets.scrub(details)))


def _fingerprint(value: str) -> str:
    return fingerprint(value)


def _save_pass(run_dir: Path, record: PassRecord, credentials: RunCredentials) -> None:
    """The pass's record and the state around it, beside the ledger (what the judge read, kept)."""
    folder = run_dir / PASSES_DIR
    command = record.command
    data = {
        "pass": record.name,
        "target": record.target,
        "command": {
            "argv": list(command.argv),
            "started": command.started,
            "start_error": command.start_error,
            "exit_code": command.exit_code,
            "timed_out": command.timed_out,
            "seconds": round(command.seconds, 3),
            "time_limit": command.time_limit,
            "stdout_bytes": command.stdout.total_bytes,
            "stderr_bytes": command.stderr.total_bytes,
            "secrets_seen": [asdict(s) for s in command.secrets_seen],
        },
        "faults": list(record.faults),
        "fired": list(record.fired),
        "not_fired": list(record.not_fired),
        "seed": record.seed,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "state_error": record.state_error,
    }
    try:
        folder.mkdir(parents=True, exist_ok=True)
        scrub = credentials.secrets.scrub
        (folder / f"{record.name}.json").write_text(scrub(json.dumps(data, indent=2, ensure_ascii=False)), "utf-8")
        for which, snapshot in (("before", record.before), ("after", record.after)):
            if snapshot is not None:
                text = scrub(json.dumps(snapshot, ensure_ascii=False, default=str))
                (folder / f"{record.name}-state-{which}.json").write_text(text, "utf-8")
    except OSError:
        pass  # evidence beside the evidence: the run goes on without it


def repository_revision(cwd: Path) -> str | None:
    """The git revision the command ran at (with "+ local changes" when the tree is dirty), if any."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5, check=False
        )
        if head.returncode != 0 or not head.stdout.strip():
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + (" + local changes" if dirty.stdout.strip() else "")


def _interrupted(summary: IntegrationSummary, not_run: Sequence[str]) -> IntegrationSummary:
    """A run stopped before its last pass: every criterion not already Not ready is Not evidenced, missing the
    passes that did not run (their rules, and any a later pass would have judged, were never judged)."""
    missing = tuple(f"the {name} pass (interrupted)" for name in not_run)
    judged = [
        v
        if v.verdict is Verdict.NOT_READY
        else replace(
            v,
            verdict=decide(failed=0, broken=v.broken, passed=v.passed, evidence=summary.evidence, unsettled=True),
            missing=(*v.missing, *missing),
        )
        for v in summary.verdicts
    ]
    note = f"The run was interrupted: the {', '.join(not_run)} pass{'es' if len(not_run) > 1 else ''} did not run."
    return replace(summary, verdicts=judged, not_run=tuple(not_run), notes=(*summary.notes, note))


def _summary(
    options: RunOptions,
    target: str,
    records: Mapping[str, PassRecord],
    exchanges: Mapping[str, Sequence[Exchange]],
    findings: Sequence[Finding],
    credentials: RunCredentials,
    *,
    evidence: bool,
) -> IntegrationSummary:
    scrub = credentials.secrets.scrub
    cwd = options.cwd or Path.cwd()
    lines = []
    for name, record in records.items():
        xs = exchanges.get(name, ())
        reached = sum(1 for x in xs if x.fault is None or x.fault in _REACHED_FAULTS)
        lines.append(
            PassLine(
                name=name,
                target=record.target,
                outcome=scrub(record.command.describe()),
                exit_code=record.command.exit_code,
                seconds=round(record.command.seconds, 2),
                requests=len(xs),
                reached=reached,
                quota_share=reached / options.limits.daily_quota,
                faults_fired=record.fired,
                faults_not_fired=record.not_fired,
            )
        )
    plan = options.plan.plan
    notes = []
    if options.remote is not None:
        notes.append(
            "On your sandbox the passes share its state: the fault pass runs on what the clean pass left, and the "
            "repeat pass on what the fault pass left."
        )
    return IntegrationSummary(
        title=TITLE,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        command=_shown(options.command, credentials),
        cwd=scrub(str(cwd)),
        revision=repository_revision(cwd),
        target=scrub(target),
        plan=plan.label if plan is not None else "none (every rule that needs one is not judged)",
        seed=options.seed,
        faults=[(n, FAULTS[n].description) for n in options.faults] if FAULT in records else [],
        passes=lines,
        verdicts=verdicts(findings, evidence=evidence),
        evidence=evidence,
        findings=[FindingLine.of(f) for f in findings],
        daily_quota=options.limits.daily_quota,
        incremental=options.incremental or options.plan.incremental,
        notes=notes,
    )
