"""``ottimate-validate integration``: run the partner's own integration, record it, inject faults, judge it.

    ottimate-validate integration [--plan FILE] [--passes clean,fault,repeat] [--faults default|none|NAME,...]
                                  [--seed N] [--time-limit SECONDS] [--incremental]
                                  [--reports-dir DIR] [--no-report] [--keep-dashboards] -- COMMAND [ARG...]

With ``OTTIMATE_API_URL`` unset each pass runs against a fresh embedded sandbox; with it set, against
the partner's sandbox through a recording proxy on loopback (production hosts refused). The command
gets the caller's environment plus OTTIMATE_API_URL, OTTIMATE_AUTH_URL, OTTIMATE_API_KEY,
OTTIMATE_CLIENT_ID and OTTIMATE_CLIENT_SECRET (and OTTIMATE_INTEGRATION_PASS: clean, fault or repeat).

Exit codes: 0 every rule that could be judged held; 1 a rule did not hold, could not be judged for a
harness problem, or the evidence could not be written; 2 a usage error (no command, an unknown option,
a bad plan, a production host); 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ottimate_validation.cli import PROG as VALIDATE
from ottimate_validation.cli import Parser, ParserExit, UsageError, allure_for, parse_own, project_root, say, warner
from ottimate_validation.client.errors import OttimateError
from ottimate_validation.integration.faults import DEFAULT_FAULTS, FAULTS, UnknownFault, parse_faults
from ottimate_validation.integration.model import PASSES, Limits
from ottimate_validation.integration.plan import resolve
from ottimate_validation.integration.run import (
    DEFAULT_SEED,
    DEFAULT_TIME_LIMIT,
    RemoteTarget,
    RunOptions,
    RunResult,
    run,
)
from ottimate_validation.report.allure import AllureNotInstalledError
from ottimate_validation.run.http import plain_client
from ottimate_validation.run.ledger import Ledger, Source
from ottimate_validation.run.plan import PLAN_ENV, PlanError
from ottimate_validation.run.target import RunRefused, check_not_production, probe
from ottimate_validation.run.target import resolve as resolve_target

PROG = f"{VALIDATE} integration"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
_warn = warner(PROG)
_say = say


def _passes(value: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(p.strip() for p in value.split(",") if p.strip()))
    unknown = [n for n in names if n not in PASSES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"invalid passes {value!r}: choose from {', '.join(PASSES)}")
    return tuple(p for p in PASSES if p in names)  # always in their natural order


def _faults(value: str) -> tuple[str, ...]:
    try:
        return parse_faults(value)
    except UnknownFault as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(kind: type[int] | type[float], what: str) -> Callable[[str], int | float]:
    def parse(value: str) -> int | float:
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {what} {value!r}") from None
        if number <= 0:
            raise argparse.ArgumentTypeError(f"{what} must be greater than 0")
        return number

    return parse


def _pair(value: str) -> tuple[int, int]:
    first, _, second = value.partition(",")
    if first.isdigit() and second.isdigit():
        return int(first), int(second)
    raise argparse.ArgumentTypeError(f"invalid pair {value!r}: use VENDORS,DIMENSIONS")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description="Run your own integration (any language) against the sandbox, record its HTTP traffic, "
        "inject faults, and judge its conduct against Ottimate's five criteria.",
        epilog="Put your command after `--`, e.g. `ottimate-validate integration -- python sync.py`. "
        f"Faults: {', '.join(FAULTS)}.",
    )
    parser.add_argument(
        "--plan",
        default=None,
        metavar="FILE",
        help=f"validation plan (default: ${PLAN_ENV}, else validation.toml in the current directory); its "
        "operations are expected of the integration, its [erp] files checked record by record",
    )
    parser.add_argument(
        "--passes",
        type=_passes,
        default=PASSES,
        metavar="LIST",
        help=f"passes to run, comma-separated (default: {','.join(PASSES)})",
    )
    parser.add_argument(
        "--faults",
        type=_faults,
        default=DEFAULT_FAULTS,
        metavar="LIST",
        help="faults of the fault pass: default, none, or names comma-separated (see below)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"places the faults (default: {DEFAULT_SEED})")
    parser.add_argument(
        "--time-limit",
        type=_positive(float, "time limit"),
        default=DEFAULT_TIME_LIMIT,
        metavar="SECONDS",
        help=f"per pass; a command still running then is stopped (default: {DEFAULT_TIME_LIMIT:g})",
    )
    parser.add_argument(
        "--incremental",
        action="store_true",
        help="the integration syncs incrementally: full list reads on the repeat pass do not hold "
        "(also: incremental = true in the plan's [integration] table)",
    )
    parser.add_argument("--reports-dir", type=Path, default=None, metavar="DIR", help="where run folders go")
    parser.add_argument("--no-report", action="store_true", help="skip the HTML report (results and summary stay)")
    parser.add_argument(
        "--keep-dashboards",
        action="store_true",
        help="on the embedded sandbox: after the report, keep the sandboxes up until Ctrl-C, their dashboards "
        "showing the findings on the requests they cite",
    )
    # Hidden: the harness's own tests reach limits in seconds rather than at the documented figures.
    parser.add_argument("--project-root", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--rate-limit", type=_positive(float, "rate"), default=None, help=argparse.SUPPRESS)
    parser.add_argument("--burst", type=_positive(int, "burst"), default=None, help=argparse.SUPPRESS)
    parser.add_argument("--daily-quota", type=_positive(int, "quota"), default=None, help=argparse.SUPPRESS)
    parser.add_argument("--retry-after", type=_positive(int, "Retry-After"), default=1, help=argparse.SUPPRESS)
    parser.add_argument("--existing-records", type=_pair, default=None, help=argparse.SUPPRESS)
    return parser


def options_from(argv: Sequence[str]) -> RunOptions:
    args, command = parse_own(build_parser(), argv)
    if not command:
        raise UsageError(
            f"No command to run: put your integration's command after `--`, e.g. `{PROG} -- python sync.py`."
        )
    root = project_root(args.project_root, suites=False)
    try:
        plan = resolve(args.plan, Path.cwd())
    except PlanError as exc:
        raise UsageError(str(exc)) from None
    remote = _remote_target()
    allure = None
    if not args.no_report:
        try:
            allure = allure_for(root)
        except AllureNotInstalledError as exc:
            raise UsageError(f"{exc} Or pass --no-report.") from None
    defaults = Limits()
    limits = Limits(
        rate_per_second=args.rate_limit or defaults.rate_per_second,
        burst=args.burst or defaults.burst,
        daily_quota=args.daily_quota or defaults.daily_quota,
    )
    reports_dir = args.reports_dir if args.reports_dir is not None else root / "reports"
    return RunOptions(
        command=tuple(command),
        reports_dir=Path(os.path.abspath(reports_dir)),
        passes=args.passes,
        faults=args.faults,
        seed=args.seed,
        time_limit=args.time_limit,
        plan=plan,
        incremental=args.incremental,
        report=not args.no_report,
        allure=allure,
        cwd=Path.cwd(),
        limits=limits,
        retry_after=args.retry_after,
        remote=remote,
        existing_records=args.existing_records,
        keep_dashboards=args.keep_dashboards,
    )


def _remote_target() -> RemoteTarget | None:
    """The partner's sandbox when OTTIMATE_API_URL is set: refused exactly as a validation run refuses it.

    Production is refused before any request, even where a validation run would be allowed there
    (read-only): an integration writes and is sent faults. Then the target is probed, as a run's is.
    """
    try:
        target = resolve_target(allow_production=False)  # OTTIMATE_ALLOW_PRODUCTION may let it through: refused below
        if target is None:
            return None
        if target.production:
            try:
                check_not_production(target.api_url, target.auth_url, False)
            except OttimateError as exc:
                raise UsageError(f"{exc} The integration mode writes and injects faults: never there.") from None
        with plain_client(target.api_url, Ledger(process="preflight"), source=Source.PREFLIGHT, timeout=10.0) as http:
            target = probe(target, http)
    except RunRefused as exc:
        raise UsageError(str(exc)) from None
    return RemoteTarget(
        api_url=target.api_url,
        auth_url=target.auth_url,
        api_key=target.credentials.api_key,
        client_id=target.credentials.client_id,
        client_secret=target.credentials.client_secret,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[2:] if argv is None else argv)
    try:
        options = options_from(args)
    except ParserExit as exc:
        return exc.code
    except UsageError as exc:
        _warn(str(exc))
        return EXIT_USAGE
    if options.keep_dashboards and options.remote is not None:
        _warn("--keep-dashboards applies to the embedded sandbox only (your sandbox has no dashboard of ours).")
    try:
        result = run(options, _say, _warn)
    except KeyboardInterrupt:
        _warn("interrupted; the command was stopped.")
        return EXIT_INTERRUPTED
    except Exception as exc:  # never a traceback: one sentence, and the run fails
        _warn(f"the run stopped on an internal error ({type(exc).__name__}: {exc}); please report it.")
        return EXIT_FAILED
    if result.release is not None:
        _hold(result)
    return result.exit_code


def _hold(result: RunResult) -> None:
    """Keep the run's sandboxes (and their dashboards) up until Ctrl-C or SIGTERM."""
    release = result.release
    assert release is not None
    _say()
    for label, link in result.dashboards:
        _say(f"Dashboard of {label}, findings marked: {link}")
    _say("The sandboxes stay up for their dashboards; Ctrl-C stops them.")

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        release()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
