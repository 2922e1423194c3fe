"""``ottimate-validate cleanup [--run-id ID]``: list what validation runs left on the target.

Only entities whose name starts with ``Test `` *and* carries a run id are listed (``run.cleanup``); the
API has no delete or archive for vendors or dimensions (CONTRACT §18), so nothing is changed.
Exit codes: 0 listed; 2 a set-up error (the target refused, or the lists could not be read).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable, Sequence

from ottimate_validation.cli import PROG as VALIDATE
from ottimate_validation.cli import Parser, warner
from ottimate_validation.run.cleanup import WHY_THEY_STAY, CleanupError, entities, find_leftovers
from ottimate_validation.run.http import api_client
from ottimate_validation.run.ledger import Ledger, Source
from ottimate_validation.run.target import RunRefused, resolve

PROG = f"{VALIDATE} cleanup"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description="List what earlier validation runs left on the target (entities named 'Test … <run id>'). "
        "Untagged data is never listed, and nothing is changed.",
    )
    parser.add_argument("--run-id", default=None, metavar="ID", help="only what the run ID left (default: every run)")
    return parser


def main(argv: Sequence[str] | None = None, *, out: Callable[[str], None] = print) -> int:
    warn = warner(PROG)
    try:
        args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        target = resolve()  # a production host is refused: nothing the suites create belongs there
    except RunRefused as exc:
        warn(str(exc))
        return 2
    if target is None:
        out("Nothing to clean: without OTTIMATE_API_URL each run uses an embedded sandbox, discarded when it ends.")
        return 0
    with api_client(target.client_config(), Ledger(process="cleanup"), source=Source.CLEANUP) as api:
        try:
            leftovers = find_leftovers(api, args.run_id)
        except CleanupError as exc:
            warn(str(exc))
            return 2
    which = f"run {args.run_id}" if args.run_id else "validation runs"
    out(f"{entities(len(leftovers))} left on {target.api_url} by {which}:")
    for run, count in sorted(Counter(leftover.run for leftover in leftovers).items()):
        out(f"  run {run}: {count}")
    for leftover in leftovers:
        out(f"  - {leftover.describe()}")
    if leftovers:
        out(f"They stay: {WHY_THEY_STAY}.")
    return 0
