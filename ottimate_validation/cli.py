"""``ottimate-validate``: run the validation suites, build the report, print one verdict per criterion.

    ottimate-validate [-n WORKERS] [--reports-dir DIR] [--suite NAME ...] [--plan PATH] [--no-report] [-- PYTEST ARGS]
    ottimate-validate ... [--shard I/N] [--request-budget N]
    ottimate-validate cleanup [--yes] [--run-id ID]     (see ottimate_validation.cleanup)
    ottimate-validate merge RUN_DIR ... [--reports-dir DIR]   (see ottimate_validation.merge)
    ottimate-validate integration [OPTIONS] -- COMMAND [ARG...]   (see ottimate_validation.integration)

Each run gets its own folder, ``reports/<YYYYMMDD-HHMMSS>-<run id>/``, holding ``allure-results/``,
``report.html`` (readiness summary on top), ``summary.md``, ``summary.json`` and ``junit.xml``;
``reports/latest`` points at the newest one, and ``reports/history.jsonl`` keeps the Allure history
that consecutive runs share (trends, flaky tests). The target is chosen by the ``OTTIMATE_*``
variables, passed through untouched to pytest.

Exit codes: 0 every suite passed and no criterion is "Not ready"; 1 the run failed (a test failed,
no test was collected, pytest errored, or the report could not be built); 2 a usage or set-up error
(nothing was run); 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import ottimate_validation
from ottimate_validation import guard
from ottimate_validation.budget import BUDGET_ENV, PREFLIGHT_REQUESTS, SPENT_ENV, parse_budget
from ottimate_validation.plan import DEFAULT as DEFAULT_PLAN
from ottimate_validation.plan import PLAN_ENV, LoadedPlan, PlanError, resolve_plan
from ottimate_validation.report.allure import (
    DEFAULT_TITLE,
    AllureNotInstalledError,
    ReportError,
    find_allure,
    generate_report,
)
from ottimate_validation.report.environment import API_VERSION, GIT_REVISION, PLAN, RUN_ID, RUN_MODE, TARGET
from ottimate_validation.report.summary import (
    ReadinessSummary,
    build_summary,
    read_budget,
    read_leftovers,
    write_summary,
)
from ottimate_validation.report.verdicts import Verdict, format_verdicts
from ottimate_validation.settings import RUN_DIR_ENV, RUN_ID_ENV
from ottimate_validation.shards import ShardInfo, write_shard_info

PROG = "ottimate-validate"
# Suite name -> folder under suites/, in the order of Ottimate's validation checklist.
SUITES: dict[str, str] = {
    "auth": "auth",
    "core": "core",
    "errors": "errors",
    "integrity": "integrity",
    "stability": "stability",
}
ROOT_ENV = "OTTIMATE_VALIDATION_ROOT"
LATEST_LINK = "latest"
HISTORY_FILE = "history.jsonl"
# Workers for 'auto' against a target given by URL. Its tests wait on the network (150 ms a request on
# a real sandbox, 30 s an extraction), not on the CPU, so one per CPU leaves the run latency-bound.
# Measured by scripts/benchmark.py's realistic mode on 2 CPUs: 6 workers 55 s, 8 workers 44 s,
# 10 workers 47 s (each worker's start-up is CPU work; each adds a token and a few reads to the quota).
REMOTE_WORKERS = 8
JUNIT_FILE = "junit.xml"
# Shown in the report's header; the full list is in its environment section.
HEADER_FACTS = (TARGET, API_VERSION, RUN_MODE, PLAN, RUN_ID, GIT_REVISION)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
_PYTEST_EXIT_MEANING = {
    1: "some tests failed",
    2: "the run was interrupted",
    3: "pytest hit an internal error",
    4: "pytest was called wrongly",
    5: "no tests were collected",
}


class UsageError(Exception):
    """A mistake in the command line or the set-up; the message is one sentence for the user."""


class _ParserExit(Exception):
    """argparse finished the job (help shown, or a flag rejected); carries its exit code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse's own behaviour (usage + message, exit 2), with a hint where to look next.
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _workers(value: str) -> str:
    if value in ("auto", "logical") or (value.isdigit() and int(value) >= 0):
        return value
    raise argparse.ArgumentTypeError(f"invalid worker count {value!r}: use a number, 'auto' or 'logical'")


def effective_workers(requested: str, *, remote: bool) -> str:
    """The worker count pytest-xdist gets: 'auto' means one per CPU, except against a remote target."""
    return str(REMOTE_WORKERS) if requested == "auto" and remote else requested


def _shard(value: str) -> tuple[int, int]:
    index, sep, count = value.partition("/")
    if sep and index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count):
        return int(index), int(count)
    raise argparse.ArgumentTypeError(f"invalid shard {value!r}: use I/N with 1 <= I <= N, e.g. 2/4")


def _budget(value: str) -> int:
    try:
        return parse_budget(value, "the request budget")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).rstrip(".")) from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Run the Ottimate integration-validation suites and build the evidence report.",
        epilog="Arguments after `--` go to pytest unchanged, e.g. `ottimate-validate -- -k token`. "
        "`ottimate-validate cleanup` lists what earlier runs left on the target.",
    )
    parser.add_argument(
        "-n",
        "--workers",
        type=_workers,
        default="auto",
        help="parallel pytest workers: a number, 'auto' (default: one per CPU against the embedded "
        f"sandbox, {REMOTE_WORKERS} against a target given by URL) or 'logical'; 0 runs in-process",
    )
    parser.add_argument(
        "--reports-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where run folders are written (default: <project>/reports)",
    )
    parser.add_argument(
        "--suite",
        action="append",
        choices=list(SUITES),
        dest="suites",
        metavar="NAME",
        help=f"suite to run, repeatable: {', '.join(SUITES)} (default: every suite present)",
    )
    parser.add_argument("--no-report", action="store_true", help="skip building the HTML report")
    parser.add_argument(
        "--shard",
        type=_shard,
        default=None,
        metavar="I/N",
        help="run only shard I of N (pytest-split; one per CI runner); `ottimate-validate merge` "
        "joins the shards' run folders into one report",
    )
    parser.add_argument(
        "--request-budget",
        type=_budget,
        default=None,
        metavar="N",
        help=f"send at most N requests to the API (default: ${BUDGET_ENV}, else no limit); when spent, "
        "the remaining tests are skipped and listed",
    )
    parser.add_argument(
        "--plan",
        default=None,
        metavar="PATH",
        help=f"validation plan file (default: ${PLAN_ENV}, else validation.toml in the project root if present, "
        "else every operation); see validation.example.toml",
    )
    parser.add_argument(
        "--allow-production",
        action="store_true",
        help="allow a production host; only the read-only checks run, and the run says so",
    )
    # Hidden: lets the harness's own tests run the command against a throwaway project.
    parser.add_argument("--project-root", type=Path, default=None, help=argparse.SUPPRESS)
    return parser


@dataclass(frozen=True)
class RunPlan:
    root: Path
    suite_dirs: list[Path]
    reports_dir: Path
    workers: str
    report: bool
    pytest_args: list[str]
    allow_production: bool = False
    validation: LoadedPlan = DEFAULT_PLAN
    shard: tuple[int, int] | None = None  # (index, count), 1-based
    request_budget: int | None = None
    selection: tuple[str, ...] = ()  # what was asked for (suites, pytest args): shards must agree on it


def _project_root(explicit: Path | None) -> Path:
    if explicit is not None:
        root = explicit
    elif os.environ.get(ROOT_ENV):
        root = Path(os.environ[ROOT_ENV])
    else:
        root = Path(ottimate_validation.__file__).resolve().parents[1]
    root = root.resolve()
    if not (root / "suites").is_dir():
        raise UsageError(
            f"{root} has no suites/ folder; run {PROG} from a checkout of the project "
            f"(pip install -e .) or point {ROOT_ENV} at one."
        )
    return root


def _plan(argv: Sequence[str]) -> RunPlan:
    args_list = list(argv)
    # Everything after the first `--` belongs to pytest; argparse never sees it.
    if "--" in args_list:
        split = args_list.index("--")
        own, pytest_args = args_list[:split], args_list[split + 1 :]
    else:
        own, pytest_args = args_list, []
    try:
        args = build_parser().parse_args(own)
    except SystemExit as exc:  # --help, or argparse's own error message already printed
        raise _ParserExit(exc.code if isinstance(exc.code, int) else EXIT_USAGE) from None
    root = _project_root(args.project_root)
    suites_root = root / "suites"
    if args.suites:
        names = list(dict.fromkeys(args.suites))
        missing = [n for n in names if not (suites_root / SUITES[n]).is_dir()]
        if missing:
            raise UsageError(f"No such suite in {suites_root}: {', '.join(missing)}.")
    else:
        names = [n for n, folder in SUITES.items() if (suites_root / folder).is_dir()]
        if not names:
            raise UsageError(f"There are no suites under {suites_root}.")
    reports_dir = args.reports_dir if args.reports_dir is not None else root / "reports"
    budget = args.request_budget
    if budget is None and os.environ.get(BUDGET_ENV, "").strip():
        try:
            budget = parse_budget(os.environ[BUDGET_ENV], BUDGET_ENV)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    try:  # read and checked (ERP files too) before anything is written
        validation = resolve_plan(args.plan, root)
    except PlanError as exc:
        raise UsageError(str(exc)) from None
    return RunPlan(
        root=root,
        suite_dirs=[suites_root / SUITES[n] for n in names],
        reports_dir=Path(os.path.abspath(reports_dir)),
        workers=args.workers,
        report=not args.no_report,
        pytest_args=pytest_args,
        allow_production=args.allow_production,
        validation=validation,
        shard=args.shard,
        request_budget=budget,
        selection=(*names, *pytest_args),
    )


def _new_run_dir(reports_dir: Path) -> tuple[str, Path]:
    run_id = uuid.uuid4().hex[:8]
    run_dir = reports_dir / f"{datetime.now():%Y%m%d-%H%M%S}-{run_id}"
    try:
        (run_dir / "allure-results").mkdir(parents=True)
        probe = run_dir / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise UsageError(f"Cannot write to the reports folder {reports_dir} ({reason}).") from exc
    return run_id, run_dir


def _point_latest(reports_dir: Path, run_dir: Path) -> str | None:
    """Point ``reports/latest`` at the run folder; a warning when that is impossible, else None."""
    link = reports_dir / LATEST_LINK
    temp = reports_dir / f".{LATEST_LINK}-{run_dir.name}"
    try:
        if temp.is_symlink() or temp.exists():
            temp.unlink()
        # Relative, so the reports folder can be moved or archived whole; os.replace swaps it in one
        # step, so a reader never finds `latest` missing.
        temp.symlink_to(run_dir.name, target_is_directory=True)
        os.replace(temp, link)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        return f"could not point {link} at this run ({exc.strerror or exc})"
    return None


def _run_pytest(
    plan: RunPlan, run_dir: Path, run_id: str, extra: Sequence[str] = (), *, spent_probing: bool = False
) -> tuple[int, bool]:
    """Run the suites in a child pytest; return its exit code and whether the user interrupted."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        *(str(d.relative_to(plan.root)) for d in plan.suite_dirs),
        "-n",
        plan.workers,
        # An idle worker takes queued tests from a busy one: the run's end is not left to one worker.
        "--dist",
        "worksteal",
        "--alluredir",
        str(run_dir / "allure-results"),
        # For CI systems that read JUnit XML (failure messages are scrubbed of credentials).
        f"--junitxml={run_dir / JUNIT_FILE}",
        "-o",
        "junit_suite_name=ottimate-validation",
        # Suites are ordered stories; random order would make runs hard to compare.
        "-p",
        "no:randomly",
        # Plugins the suites do not use, loaded by every process otherwise (our own fixture gives
        # `faker`; anyio's plugin imports asyncio): ~0.1 s of start-up per worker.
        "-p",
        "no:anyio",
        "-p",
        "no:faker",
        *extra,
        *(["--plan", str(plan.validation.source)] if plan.validation.source else []),
        # pytest-split: every process (each xdist worker too) picks the same share of the collection.
        *(["--splits", str(plan.shard[1]), "--group", str(plan.shard[0])] if plan.shard else []),
        *(["--request-budget", str(plan.request_budget)] if plan.request_budget is not None else []),
        *plan.pytest_args,
    ]
    env = dict(os.environ)
    if env.pop("PYTHONDONTWRITEBYTECODE", None):
        # Without bytecode caching every process (pytest and each xdist worker) compiles and
        # assertion-rewrites some 250 modules on every run, about 3 s each on a 2-core machine. The
        # setting usually means "keep __pycache__ out of the tree", so the cache goes to one ignored folder.
        env.setdefault("PYTHONPYCACHEPREFIX", str(plan.root / ".cache" / "pycache"))
    env[RUN_ID_ENV] = run_id
    env[RUN_DIR_ENV] = str(run_dir)
    # Our own preflight probed a target given by URL: those requests count against the budget too.
    env[SPENT_ENV] = str(PREFLIGHT_REQUESTS if plan.request_budget is not None and spent_probing else 0)
    interrupted = False
    proc = subprocess.Popen(command, cwd=plan.root, env=env)
    while True:
        try:
            return proc.wait(), interrupted
        except KeyboardInterrupt:
            # Ctrl-C reached pytest too (same process group); let it finish writing its results so
            # the report still shows what ran. A second Ctrl-C stops it outright.
            if interrupted:
                proc.kill()
            interrupted = True


def _say(message: str = "") -> None:
    print(message, flush=True)


def _warn(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


def _allure_for(root: Path) -> Path:
    """The project's Allure binary, else the one installed beside this package (same checkout
    unless the project root was overridden)."""
    try:
        return find_allure(root)
    except AllureNotInstalledError as missing:
        try:
            return find_allure()
        except AllureNotInstalledError:
            raise missing from None  # names the project root, where `npm ci` belongs


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["cleanup"]:  # `ottimate-validate cleanup`: what earlier runs left on the target
        from ottimate_validation import cleanup

        return cleanup.main(args[1:])
    if args[:1] == ["merge"]:  # `ottimate-validate merge`: the shards of one run, as one report
        from ottimate_validation import merge

        return merge.main(args[1:])
    if args[:1] == ["integration"]:  # `ottimate-validate integration`: the partner's own integration, judged
        from ottimate_validation.integration import cli as integration

        return integration.main(args[1:])
    try:
        return _main(args)
    except KeyboardInterrupt:
        _warn("interrupted.")
        return EXIT_INTERRUPTED


def _main(argv: Sequence[str]) -> int:
    try:
        plan = _plan(argv)
        # The target is checked before anything is written: a refused run leaves no half-made folder.
        check = guard.preflight(allow_production=plan.allow_production)
        requested = plan.workers
        plan = replace(plan, workers=effective_workers(requested, remote=check.api_url is not None))
        allure = _allure_for(plan.root) if plan.report else None  # fail before a long run, not after
        run_id, run_dir = _new_run_dir(plan.reports_dir)
    except _ParserExit as exc:
        return exc.code
    except (UsageError, ReportError, guard.RunRefused) as exc:
        _warn(str(exc))
        return EXIT_USAGE

    results_dir = run_dir / "allure-results"
    _say(f"Run {run_id}: results in {run_dir}")
    if plan.workers != requested:
        _say(f"Workers: {REMOTE_WORKERS} (a remote target: its tests wait on the network, not the CPU; -n to change)")
    banner = guard.production_banner(check)
    for line in banner:
        _say(line)
    started = time.monotonic()
    if plan.shard is not None:
        write_shard_info(run_dir, ShardInfo(*plan.shard, run_id=run_id, selection=plan.selection))
        _say(f"Shard {plan.shard[0]}/{plan.shard[1]}: `{PROG} merge` joins it with the other shards' run folders")
    pytest_code, interrupted = _run_pytest(
        plan, run_dir, run_id, guard.pytest_args(check), spent_probing=check.api_url is not None
    )
    duration = time.monotonic() - started

    run_error = None
    if interrupted or pytest_code == 2:
        run_error = "the run was interrupted, so these verdicts are partial"
    elif pytest_code not in (0, 1):
        run_error = f"pytest exited with code {pytest_code} ({_PYTEST_EXIT_MEANING.get(pytest_code, 'pytest failed')})"
    summary = build_summary(
        results_dir,
        title=DEFAULT_TITLE,
        plan=plan.validation.report_plan(),
        leftovers=read_leftovers(run_dir),
        run_error=run_error,
        duration_seconds=duration,
        budget=read_budget(run_dir),
    )
    summary_ok = _write_summary(summary, run_dir)

    report_ok = True
    report_path: Path | None = None
    if allure is not None:
        try:
            report_path = generate_report(
                results_dir,
                run_dir,
                title=DEFAULT_TITLE,
                allure=allure,
                history_path=plan.reports_dir / HISTORY_FILE,
                variables={
                    **{k: v for k, v in summary.environment.items() if k in HEADER_FACTS},
                    **guard.report_variables(check),
                },
                summary_html=summary.to_html(),
            )
        except ReportError as exc:
            report_ok = False
            _warn(f"the report was not built: {exc}")
    warning = _point_latest(plan.reports_dir, run_dir)
    if warning:
        _warn(warning)

    _say()
    if report_path is not None:
        _say(f"Report: {report_path}")
    elif not plan.report:
        _say(f"Report: skipped (--no-report); results in {results_dir}")
    if summary_ok:
        _say(f"Summary: {run_dir / 'summary.md'} (and summary.json, {JUNIT_FILE})")
    _say()
    for line in banner:  # said again beside the verdicts, so nobody reads them as a full validation
        _say(line)
    _say(summary.headline)
    for line in format_verdicts(summary.verdicts):
        _say(line)
    _say()
    for line in summary.console_lines():
        _say(line)
    if pytest_code != 0:
        meaning = _PYTEST_EXIT_MEANING.get(pytest_code, "pytest failed")
        _say(f"\npytest exited with code {pytest_code}: {meaning}.")
    if interrupted or pytest_code == 2:
        # allure-pytest records the test that was running at Ctrl-C as passed, so say it plainly.
        _say("The run was interrupted: these verdicts are partial and prove nothing; run it again in full.")

    if interrupted:
        return EXIT_INTERRUPTED
    not_ready = any(v.verdict is Verdict.NOT_READY for v in summary.verdicts)
    if pytest_code != 0 or not_ready or not report_ok or not summary_ok:
        return EXIT_FAILED
    return EXIT_OK


def _write_summary(summary: ReadinessSummary, run_dir: Path) -> bool:
    try:
        write_summary(summary, run_dir)
    except OSError as exc:
        _warn(f"the summary was not written into {run_dir}: {exc.strerror or exc}")
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
