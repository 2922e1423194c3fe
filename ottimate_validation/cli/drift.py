"""``ottimate-validate drift RUN [--reference RUN]``: how the API a run met differs, in shape, from ours.

RUN is the folder of a run against a real sandbox (its ledger holds the shape of every answer). The
reference is another run's folder, or else a rehearsal run now: the same suites against a fresh
embedded sandbox, shapes recorded (about a minute). Every difference is printed with the decisions it
touches and written as ``drift.md`` and ``drift.json`` into RUN's folder.

Exit codes: 0 no difference; 1 differences found; 2 a usage error (not a run folder, no shapes).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ottimate_validation.cli import PROG as VALIDATE
from ottimate_validation.cli import Parser, UsageError, project_root, say, warner
from ottimate_validation.run import Run, RunFileError
from ottimate_validation.run.drift import as_dicts, as_markdown, compare, recorded_shapes
from ottimate_validation.run.ledger import read_ledger
from ottimate_validation.run.target import ENV_PREFIX
from ottimate_validation.sandbox.contract import decisions_touching

PROG = f"{VALIDATE} drift"
warn = warner(PROG)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description="Compare the shape of every answer a run met (statuses, fields, types, headers; never values) "
        "with the embedded sandbox's, and name the decision each difference touches.",
    )
    parser.add_argument("run_dir", type=Path, metavar="RUN", help="the folder of a run against a real sandbox")
    parser.add_argument(
        "--reference",
        type=Path,
        default=None,
        metavar="RUN",
        help="a run against the embedded sandbox to compare with (default: rehearse the same suites now)",
    )
    return parser


def _load(folder: Path, what: str) -> Run:
    try:
        return Run.load(folder)
    except RunFileError as exc:
        raise UsageError(f"{folder} is not a run folder of {VALIDATE} ({exc}); give the {what}.") from None


def _rehearse(run: Run, root: Path) -> Path:
    """The same suites against a fresh embedded sandbox, shapes recorded; answers its run folder."""
    reports = Path(tempfile.mkdtemp(prefix="ottimate-drift-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    env[f"{ENV_PREFIX}ENV_FILE"] = ""
    suites = [s for s in run.selection if s in ("auth", "core", "errors", "integrity", "stability")]
    command = [sys.executable, "-m", "ottimate_validation.cli", "--reports-dir", str(reports), "--no-report"]
    command += [arg for suite in suites for arg in ("--suite", suite)]
    command += ["--", "--record-shapes"]
    say("Rehearsing the same suites on the embedded sandbox, to compare with…")
    subprocess.run(command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    latest = reports / "latest"
    if not latest.exists():
        raise UsageError("the rehearsal on the embedded sandbox did not run; try `--reference` with a run folder.")
    return latest.resolve()


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        run = _load(args.run_dir, "run to compare")
        observed = read_ledger(run.folder)
        if not recorded_shapes(observed):
            raise UsageError(
                f"{run.folder} holds no answer shapes: shapes are recorded against a real sandbox "
                "(or with `-- --record-shapes`)."
            )
        reference_folder = args.reference if args.reference is not None else _rehearse(run, project_root())
        reference_run = _load(reference_folder, "reference run")
        reference = read_ledger(reference_run.folder)
        if not recorded_shapes(reference):
            raise UsageError(f"{reference_run.folder} holds no answer shapes; run it with `-- --record-shapes`.")
    except UsageError as exc:
        warn(str(exc))
        return 2

    differences = compare(observed, reference, decisions_touching)
    observed_name = f"run {run.id} against {(run.target or {}).get('api_url', 'the embedded sandbox')}"
    reference_name = f"run {reference_run.id} against the embedded sandbox"
    (run.folder / "drift.md").write_text(
        as_markdown(differences, observed=observed_name, reference=reference_name), encoding="utf-8"
    )
    (run.folder / "drift.json").write_text(
        json.dumps({"observed": observed_name, "reference": reference_name, "differences": as_dicts(differences)},
                   indent=2) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    for difference in differences:
        say(f"- {difference.sentence()}")
    say(f"{len(differences)} difference(s); written to {run.folder / 'drift.md'} and drift.json")
    if differences:
        say(
            "Each names the decision it touches: confirm it with Ottimate, then record it in known-deviations.toml, "
            "or make the embedded sandbox answer the same with an overrides file (ottimate-sandbox serve --decisions)."
        )
    return 1 if differences else 0
