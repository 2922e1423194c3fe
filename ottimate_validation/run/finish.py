"""The end of a run, once: summary, report, ``latest``, pruning, console, exit code.

``end`` is every run's end: a validation run's (``cli.validate``), merge's (``cli.merge``) and the
integration mode's. What differs is only the summary each judges from the ledger: ``finish`` builds a
validation run's readiness summary and ends with it; the integration mode builds its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ottimate_validation.report.allure import DEFAULT_TITLE, ReportError, generate_report
from ottimate_validation.report.environment import API_VERSION, GIT_REVISION, PLAN, RUN_ID, RUN_MODE, TARGET
from ottimate_validation.report.summary import SUMMARY_JSON, SUMMARY_MD, ReadinessSummary, Summary, write_summary
from ottimate_validation.report.verdicts import Verdict
from ottimate_validation.run import Run, deviations
from ottimate_validation.run.folder import KEEP_RUNS, history_file, point_latest, prune
from ottimate_validation.run.judge import build_summary, is_evidence, target_phrase
from ottimate_validation.run.ledger import read_ledger
from ottimate_validation.run.plan import LoadedPlan

JUNIT_FILE = "junit.xml"
# Shown in the report's header; the full list is in its environment section.
HEADER_FACTS = (TARGET, API_VERSION, RUN_MODE, PLAN, RUN_ID, GIT_REVISION, "Shard", "Merged from")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Ending:
    """How the work of a run ended, as its producer saw it."""

    run_error: str | None = None  # the run did not complete: nothing is Ready
    interrupted: bool = False
    duration_seconds: float | None = None
    notes: Sequence[str] = ()
    banner: Sequence[str] = ()  # said again beside the verdicts (a read-only run)
    after: Sequence[str] = ()  # lines said after the verdicts (pytest's exit code, …)
    failed: bool = False  # the producer failed on its own account (a missing shard, pytest's exit code)


CONSOLE_PROBLEMS = 10  # failed checks named on the console; the summary and the report name them all


def problem_lines(summary: ReadinessSummary) -> list[str]:
    """The checks that did not pass, one short line each (the report has the answers and tracebacks);
    known deviations are counted, not listed: a nightly run shows only what is new."""
    problems = summary.new_problems
    lines = [f"Known deviations: {len(summary.known)} (confirmed by Ottimate; see summary.md)"] if summary.known else []
    if not problems:
        return lines
    lines.append(f"Did not pass ({len(problems)}):")
    for problem in problems[:CONSOLE_PROBLEMS]:
        where = f"{problem.criterion}, " if problem.criterion else ""
        lines.append(f"  - {problem.category} ({where}{problem.test}): {problem.message}"[:240])
    if len(problems) > CONSOLE_PROBLEMS:
        lines.append(f"  … and {len(problems) - CONSOLE_PROBLEMS} more in summary.md and the report")
    return lines


@dataclass(frozen=True)
class Finished:
    report: Path | None
    exit_code: int


def finish(
    run: Run,
    plan: LoadedPlan,
    ending: Ending,
    *,
    root: Path,
    allure: Path | None,
    say: Callable[[str], None],
    warn: Callable[[str], None],
    keep_runs: int = KEEP_RUNS,
    title: str = DEFAULT_TITLE,
    combine: Callable[[ReadinessSummary], Summary] | None = None,
) -> Finished:
    """A validation run's end (a run or a merge): its readiness summary, judged from the ledger.

    ``combine``: a merge holding integration runs too puts the readiness summary beside theirs.
    """
    if not is_evidence(run):
        title = f"{title} — REHEARSAL on {target_phrase(run)} (not evidence)"
    try:
        known = deviations.load(deviations.find(None, root))
    except deviations.DeviationsError as exc:
        warn(str(exc))
        known = deviations.KnownDeviations()
    summary = build_summary(
        run,
        read_ledger(run.folder),
        plan,
        title=title,
        root=root,
        deviations=known,
        notes=ending.notes,
        run_error=ending.run_error,
        duration_seconds=ending.duration_seconds,
    )
    return end(
        run,
        combine(summary) if combine is not None else summary,
        Ending(
            run_error=ending.run_error,
            interrupted=ending.interrupted,
            duration_seconds=ending.duration_seconds,
            notes=ending.notes,
            banner=ending.banner,
            after=[*problem_lines(summary), *ending.after],
            # A check that did not pass fails the run, unless Ottimate confirmed it (a known deviation): a
            # nightly job stays green on what is known and turns red on anything new. A whole run fails
            # on any criterion that did not pass too (Not evidenced: a required check skipped, the budget
            # spent); a partial one (a suite, -k, a shard) cannot evidence the others.
            failed=ending.failed
            or bool(summary.new_problems)
            or (run.whole and not all(v.verdict.passed for v in summary.verdicts)),
        ),
        allure=allure,
        title=title,
        variables={k: v for k, v in summary.environment.items() if k in HEADER_FACTS},
        say=say,
        warn=warn,
        keep_runs=keep_runs,
    )


def end(
    run: Run,
    summary: Summary,
    ending: Ending,
    *,
    allure: Path | None,
    title: str,
    variables: Mapping[str, str],
    say: Callable[[str], None],
    warn: Callable[[str], None],
    keep_runs: int = KEEP_RUNS,
    scrub: Callable[[str], str] | None = None,
) -> Finished:
    """Summary files, report, ``run.json``'s ending, ``latest``, pruning, console, exit code.

    Everything written passes through ``scrub`` (the integration mode's secrets: the command line and
    the output it shows are the partner's, not ours).
    """
    clean = scrub or _same
    reports_dir = run.folder.parent
    summary_ok = True
    try:
        write_summary(summary, run.folder, clean)
    except OSError as exc:
        summary_ok = False
        warn(f"the summary was not written into {run.folder}: {exc.strerror or exc}")
    report: Path | None = None
    report_ok = True
    if allure is not None:
        say("Building the report…")
        try:
            report = generate_report(
                run.results_dir,
                run.folder,
                title=title,
                allure=allure,
                history_path=reports_dir / history_file(run),
                variables={k: clean(v) for k, v in variables.items()},
                summary_html=clean(summary.to_html()),
            )
        except ReportError as exc:
            report_ok = False
            warn(f"the report was not built: {exc}")
    run.but(
        finished={
            "headline": summary.headline,
            "ready": summary.ready,
            "run_error": ending.run_error,
            "interrupted": ending.interrupted,
            "duration_seconds": ending.duration_seconds,
        }
    ).save()
    warning = point_latest(reports_dir, run.folder)
    if warning:
        warn(warning)
    prune(reports_dir, keep_runs, spare=run.folder)

    # The verdicts come last, where a reader's eye lands; the details before them, tracebacks in the log.
    say("")
    for line in summary.console_lines():
        say(line)
    for line in ending.after:
        say(line)
    say("")
    if report is not None:
        say(f"Report: {report}")
    elif allure is None:
        say(f"Report: skipped (--no-report); results in {run.results_dir}")
    if summary_ok:
        junit = f", {JUNIT_FILE}" if (run.folder / JUNIT_FILE).exists() else ""
        say(f"Summary: {run.folder / SUMMARY_MD} (and {SUMMARY_JSON}{junit})")
    say("")
    for line in ending.banner:
        say(line)
    say(summary.headline)
    for line in summary.verdict_lines():
        say(line)

    if ending.interrupted:
        return Finished(report, EXIT_INTERRUPTED)
    not_ready = any(v.verdict is Verdict.NOT_READY for v in summary.verdicts)
    failed = ending.failed or not_ready or not report_ok or not summary_ok
    return Finished(report, EXIT_FAILED if failed else EXIT_OK)


def _same(text: str) -> str:
    return text
