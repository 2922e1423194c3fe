"""The command line: ``ottimate-validate`` and its subcommands. Nothing imports these modules.

validate.py     ottimate-validate [options] [-- PYTEST ARGS]: run the suites, end the run
integration.py  ottimate-validate integration [OPTIONS] -- COMMAND: the partner's integration, judged
merge.py        ottimate-validate merge RUN_DIR ...: shards of one run (and an integration run), one report
drift.py        ottimate-validate drift RUN_DIR: the real sandbox's answers against the embedded sandbox's
cleanup.py      ottimate-validate cleanup [--run-id ID]: what runs left on the target
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from ottimate_validation.report.allure import AllureNotInstalledError, find_allure
from ottimate_validation.run.finish import EXIT_USAGE

PROG = "ottimate-validate"
ROOT_ENV = "OTTIMATE_VALIDATION_ROOT"


class UsageError(Exception):
    """A mistake in the command line or the set-up; the message is one sentence for the user."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse's own behaviour (usage + message, exit 2), with a hint where to look next.
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def say(message: str = "") -> None:
    print(message, flush=True)


def warner(prog: str = PROG) -> Callable[[str], None]:
    def warn(message: str) -> None:
        print(f"{prog}: {message}", file=sys.stderr, flush=True)

    return warn


warn = warner()


class ParserExit(Exception):
    """argparse finished the job (help shown, or a flag rejected); carries its exit code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def parse_own(parser: argparse.ArgumentParser, argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """The command's own options, parsed, and everything after the first ``--`` untouched (pytest's
    arguments, or the partner's command): argparse never sees it."""
    args = list(argv)
    own, rest = (args[: args.index("--")], args[args.index("--") + 1 :]) if "--" in args else (args, [])
    try:
        return parser.parse_args(own), rest
    except SystemExit as exc:  # --help, or argparse's own error message already printed
        raise ParserExit(exc.code if isinstance(exc.code, int) else EXIT_USAGE) from None


def project_root(explicit: Path | None = None, *, suites: bool = True) -> Path:
    """The checkout: ``--project-root``, else ``OTTIMATE_VALIDATION_ROOT``, else the one holding the
    package. ``suites=False`` (the integration mode, which needs only Allure there): no suites/ folder
    required, and outside a checkout the current directory."""
    if explicit is not None:
        root = explicit
    elif os.environ.get(ROOT_ENV):
        root = Path(os.environ[ROOT_ENV])
    else:
        root = Path(__file__).resolve().parents[2]  # the checkout holding the package
        if not suites and not (root / "pyproject.toml").is_file():
            root = Path.cwd()
    root = root.resolve()
    if suites and not (root / "suites").is_dir():
        raise UsageError(
            f"{root} has no suites/ folder; run {PROG} from a checkout of the project "
            f"(pip install -e .) or point {ROOT_ENV} at one."
        )
    return root


def allure_for(root: Path) -> Path:
    """The project's Allure binary, else the one installed beside this package (same checkout
    unless the project root was overridden)."""
    try:
        return find_allure(root)
    except AllureNotInstalledError as missing:
        try:
            return find_allure()
        except AllureNotInstalledError:
            raise missing from None  # names the project root, where `npm ci` belongs
