"""``ottimate-validate``: run the validation suites, build the report, print one verdict per criterion.

    ottimate-validate [-n WORKERS] [--reports-dir DIR] [--suite NAME ...] [--plan PATH] [--no-report] [-- PYTEST ARGS]
    ottimate-validate ... [--shard I/N] [--request-budget N] [--keep-runs N]
    ottimate-validate cleanup [--run-id ID]          (see cli.cleanup)
    ottimate-validate merge RUN_DIR ... [--reports-dir DIR]   (see cli.merge)
    ottimate-validate drift RUN [--reference RUN]    (see cli.drift)
    ottimate-validate integration [OPTIONS] -- COMMAND [ARG...]   (see cli/integration.py)

Each run gets its own folder, ``reports/<YYYYMMDD-HHMMSS>-<run id>/``, holding ``run.json`` (what the
run is), ``ledger/`` (what happened), ``allure-results/``, ``report.html`` (readiness summary on top),
``summary.md``, ``summary.json`` and ``junit.xml``; ``reports/latest`` points at the newest one. The
target is chosen by the ``OTTIMATE_*`` variables, which pytest inherits untouched.

Exit codes: 0 every suite passed and no criterion is "Not ready"; 1 the run failed (a test failed,
no test was collected, pytest errored, or the report could not be built); 2 a usage or set-up error
(nothing was run); 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ottimate_validation.cli import PROG, Parser, ParserExit, UsageError, allure_for, parse_own, project_root, say, warn
from ottimate_validation.cli.progress import Progress
from ottimate_validation.report.allure import ReportError
from ottimate_validation.run import SUITE_NAMES, Run, new_run_id
from ottimate_validation.run.budget import BUDGET_ENV, COUNTER_FILE, RequestBudget, parse_budget
from ottimate_validation.run.finish import (
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    JUNIT_FILE,
    Ending,
    finish,
)
from ottimate_validation.run.folder import KEEP_RUNS, FolderError, new_run_folder
from ottimate_validation.run.judge import target_phrase
from ottimate_validation.run.ledger import Ledger, read_ledger
from ottimate_validation.run.plan import PLAN_ENV, LoadedPlan, PlanError, resolve_plan
from ottimate_validation.run.target import (
    ALLOW_PRODUCTION_FLAG,
    SANDBOX_DECISIONS_ENV,
    RunRefused,
    preflight,
    production_banner,
)

# Suite name -> folder under suites/, in the order of Ottimate's validation checklist.
SUITES: dict[str, str] = {name: name for name in SUITE_NAMES}
# Workers for 'auto' against a target given by URL: its tests wait on the network, not the CPU, and the
# sustained-use check's paced two minutes set the run's length; each extra worker repeats the session's
# set-up requests (docs/running.md gives the measurement).
REMOTE_WORKERS = 4
KEEP_ENV = "OTTIMATE_KEEP_RUNS"
PYTEST_LOG = "pytest.log"  # pytest's own output: tracebacks stay there and in the report, not on the console
_PYTEST_EXIT_MEANING = {
    1: "some tests failed",
    2: "the run was interrupted",
    3: "pytest hit an internal error",
    4: "pytest was called wrongly",
    5: "no tests were collected",
}


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


def _positive(what: str) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            return parse_budget(value, what)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc).rstrip(".")) from None

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description="Run the Ottimate integration-validation suites and build the evidence report.",
        epilog="Arguments after `--` go to pytest unchanged, e.g. `ottimate-validate -- -k token`. "
        "`ottimate-validate cleanup` lists what earlier runs left on the target; `ottimate-validate merge` "
        "joins the run folders of a sharded run. Exit codes: 0 every check passed (or is a known deviation) and, "
        "in a whole run, every criterion too; 1 otherwise; 2 a usage or set-up error; 130 interrupted.",
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
        type=_positive("the request budget"),
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
        ALLOW_PRODUCTION_FLAG,
        action="store_true",
        help="allow a production host; only the read-only checks run, and the run says so",
    )
    parser.add_argument(
        "--keep-runs",
        type=_positive("--keep-runs"),
        default=None,
        metavar="N",
        help=f"run folders kept in the reports folder; older ones are deleted (default: ${KEEP_ENV}, else {KEEP_RUNS})",
    )
    # Hidden: lets the harness's own tests run the command against a throwaway project.
    parser.add_argument("--project-root", type=Path, default=None, help=argparse.SUPPRESS)
    return parser


@dataclass(frozen=True)
class Request:
    """What the command line asked for, checked."""

    root: Path
    suite_dirs: list[Path]
    reports_dir: Path
    workers: str
    report: bool
    pytest_args: list[str]
    allow_production: bool = False
    plan: LoadedPlan = LoadedPlan()  # noqa: RUF009 (frozen)
    shard: tuple[int, int] | None = None
    request_budget: int | None = None
    selection: tuple[str, ...] = ()
    keep_runs: int = KEEP_RUNS


def _pytest_option(pytest_args: Sequence[str], name: str) -> str | None:
    """The value of a pytest option given after ``--`` (``--name VALUE`` or ``--name=VALUE``), if any."""
    for i, arg in enumerate(pytest_args):
        if arg == name and i + 1 < len(pytest_args):
            return pytest_args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _check_sandbox_decisions(pytest_args: Sequence[str]) -> None:
    """An overrides file or reading for the embedded sandbox, read before the run starts: a mistake is one
    sentence and exit code 2 here, not a run whose every criterion is Not evidenced."""
    path = _pytest_option(pytest_args, "--sandbox-decisions") or os.environ.get(SANDBOX_DECISIONS_ENV, "").strip()
    reading = _pytest_option(pytest_args, "--sandbox-reading")
    if not (path or reading):
        return
    from ottimate_validation.sandbox import EmbeddedSandbox

    try:
        EmbeddedSandbox.overrides(path or None, reading)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def parse(argv: Sequence[str]) -> Request:
    args, pytest_args = parse_own(build_parser(), argv)
    root = project_root(args.project_root)
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
    keep = args.keep_runs
    if keep is None and os.environ.get(KEEP_ENV, "").strip():
        try:
            keep = parse_budget(os.environ[KEEP_ENV], KEEP_ENV)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    try:  # read and checked (ERP files too) before anything is written
        plan = resolve_plan(args.plan, root)
    except PlanError as exc:
        raise UsageError(str(exc)) from None
    _check_sandbox_decisions(pytest_args)
    return Request(
        root=root,
        suite_dirs=[suites_root / SUITES[n] for n in names],
        reports_dir=Path(os.path.abspath(reports_dir)),
        workers=args.workers,
        report=not args.no_report,
        pytest_args=pytest_args,
        allow_production=args.allow_production,
        plan=plan,
        shard=args.shard,
        request_budget=budget,
        selection=(*names, *pytest_args),
        keep_runs=keep if keep is not None else KEEP_RUNS,
    )


def _run_pytest(request: Request, run: Run) -> tuple[int, bool]:
    """Run the suites in a child pytest; return its exit code and whether the user interrupted."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        *(str(d.relative_to(request.root)) for d in request.suite_dirs),
        "-n",
        run.workers,
        # An idle worker takes queued tests from a busy one: the run's end is not left to one worker.
        "--dist",
        "worksteal",
        "--run-dir",
        str(run.folder),
        "--alluredir",
        str(run.results_dir),
        # For CI systems that read JUnit XML (failure messages are scrubbed of credentials).
        f"--junitxml={run.folder / JUNIT_FILE}",
        "-o",
        "junit_suite_name=ottimate-validation",
        # Suites are ordered stories; random order would make runs hard to compare.
        "-p",
        "no:randomly",
        # Plugins the suites do not use, loaded by every process otherwise (our own fixture gives
        # `faker`; anyio's plugin imports asyncio).
        "-p",
        "no:anyio",
        "-p",
        "no:faker",
        *([ALLOW_PRODUCTION_FLAG] if run.read_only else []),
        # pytest-split: every process (each xdist worker too) picks the same share of the collection.
        *(["--splits", str(run.shard[1]), "--group", str(run.shard[0])] if run.shard else []),
        *request.pytest_args,
    ]
    env = dict(os.environ)
    if env.pop("PYTHONDONTWRITEBYTECODE", None):
        # Without bytecode caching every process (pytest and each xdist worker) compiles and
        # assertion-rewrites some 250 modules on every run. The setting usually means "keep
        # __pycache__ out of the tree", so the cache goes to one ignored folder.
        env.setdefault("PYTHONPYCACHEPREFIX", str(request.root / ".cache" / "pycache"))
    interrupted = False
    log = run.folder / PYTEST_LOG
    with open(log, "w", encoding="utf-8") as output, Progress(run, say) as progress:
        proc = subprocess.Popen(command, cwd=request.root, env=env, stdout=output, stderr=subprocess.STDOUT)
        while True:
            try:
                code = proc.wait()
                break
            except KeyboardInterrupt:
                # Ctrl-C reached pytest too (same process group); let it finish writing its results so
                # the report still shows what ran. A second Ctrl-C stops it outright.
                if interrupted:
                    proc.kill()
                interrupted = True
        progress.final()
    return code, interrupted


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["cleanup"]:
        from ottimate_validation.cli import cleanup

        return cleanup.main(args[1:])
    if args[:1] == ["merge"]:
        from ottimate_validation.cli import merge

        return merge.main(args[1:])
    if args[:1] == ["drift"]:
        from ottimate_validation.cli import drift

        return drift.main(args[1:])
    if args[:1] == ["integration"]:  # the partner's own integration, judged by its traffic
        from ottimate_validation.cli import integration

        return integration.main(args[1:])
    try:
        return _main(args)
    except KeyboardInterrupt:
        warn("interrupted.")
        return EXIT_INTERRUPTED


def _main(argv: Sequence[str]) -> int:
    ledger = Ledger(process="cli")  # the preflight's probes, kept until the run folder exists
    try:
        request = parse(argv)
        # The target is checked before anything is written: a refused run leaves no half-made folder.
        checked = preflight(allow_production=request.allow_production, ledger=ledger)
        target, read_only = checked.target, checked.read_only
        workers = effective_workers(request.workers, remote=target is not None)
        allure = allure_for(request.root) if request.report else None  # fail before a long run, not after
        run_id = new_run_id()
        folder = new_run_folder(request.reports_dir, run_id)
    except ParserExit as exc:
        return exc.code
    except (UsageError, ReportError, RunRefused, FolderError) as exc:
        warn(str(exc))
        return EXIT_USAGE

    run = Run(
        id=run_id,
        folder=folder,
        target=target.facts() if target is not None else None,
        read_only=read_only,
        plan=str(request.plan.source) if request.plan.source else None,
        budget=request.request_budget,
        shard=request.shard,
        selection=request.selection,
        workers=workers,
    )
    run.save()
    ledger.attach(run.ledger_dir)
    ledger.close()
    if run.budget is not None:  # the preflight's probes are charged up front
        spent = len(read_ledger(run.folder).api_exchanges)
        RequestBudget.create(run.folder / COUNTER_FILE, run.budget, used=spent)
    say(f"Run {run_id}: results in {folder}")
    if workers != request.workers:
        say(f"Workers: {REMOTE_WORKERS} (a remote target: its tests wait on the network, not the CPU; -n to change)")
    banner = production_banner(target, read_only=read_only)
    for line in banner:
        say(line)
    if run.shard is not None:
        say(f"Shard {run.shard_label}: `{PROG} merge` joins it with the other shards' run folders")
    say(f"Running the suites against {target_phrase(run)}; pytest's output goes to {run.folder / PYTEST_LOG}")
    started = time.monotonic()
    pytest_code, interrupted = _run_pytest(request, run)
    duration = time.monotonic() - started
    if run.budget is not None:
        RequestBudget(run.folder / COUNTER_FILE).remove()  # what was spent is in the ledger

    run_error = None
    if interrupted or pytest_code == 2:
        run_error = "the run was interrupted, so these verdicts are partial"
    elif pytest_code not in (0, 1):
        run_error = f"pytest exited with code {pytest_code} ({_PYTEST_EXIT_MEANING.get(pytest_code, 'pytest failed')})"
    after: list[str] = []
    if pytest_code not in (0, 1):  # 1, tests did not pass: the verdicts say which and what it means
        after.append(
            f"\npytest exited with code {pytest_code}: {_PYTEST_EXIT_MEANING.get(pytest_code, 'pytest failed')}."
        )
    if interrupted or pytest_code == 2:
        # allure-pytest records the test that was running at Ctrl-C as passed, so say it plainly.
        after.append("The run was interrupted: these verdicts are partial and prove nothing; run it again in full.")
    finished = finish(
        run,
        request.plan,
        Ending(
            run_error=run_error,
            interrupted=interrupted,
            duration_seconds=duration,
            banner=banner,
            after=after,
            failed=pytest_code not in (0, 1),
        ),
        root=request.root,
        allure=allure,
        say=say,
        warn=warn,
        keep_runs=request.keep_runs,
    )
    return finished.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
