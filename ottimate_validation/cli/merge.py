"""``ottimate-validate merge``: the run folders of a sharded run (or of runs split by suite), as one run;
with an integration run's folder among them, its evidence beside the validation run's in one report.

    ottimate-validate merge RUN_DIR RUN_DIR ... [--reports-dir DIR] [--plan PATH] [--no-report]

Each CI runner runs ``ottimate-validate --shard I/N`` and keeps its run folder; one last job fetches them
all and merges them into a new run folder: the union of their ledgers and ``allure-results/`` (Allure
names every file by a UUID, so they never collide), one report, one readiness summary judged over every
test, one ``junit.xml``, and a ``run.json`` naming its sources. The end is the same as a run's
(``run.finish``).

The rules:

- every folder must be a run folder (``run.json`` and a ledger), named once;
- shards must come from one sharded run: the same N, each index once, the same selection (suites and
  pytest arguments), and no folder that is not a shard among them; otherwise the merge is refused;
- no test may appear in two folders (shards are disjoint by construction; an overlap means folders of
  different runs were mixed): refused, naming a test, rather than picking one outcome silently;
- a missing shard is not refused but said: the summary's headline reads "Not evidenced" and names it,
  and the command exits 1, because a partial union cannot show readiness.

An integration run's folder (``ottimate-validate integration``) is not merged into the validation run:
its results join the report under "Your integration", its summary stays whole beside the validation
run's ("Your sandbox and credentials"), and its ledger and summary are kept in the merged folder under
``integrations/<run id>/``, outside the merged ledger, so its exchanges are not counted as the suites'
(``integration.combined``). One integration run at most; at least one validation run.

Exit codes: 0 merged and nothing is "Not ready" or missing; 1 merged, but a criterion is "Not ready",
a shard is missing or the report could not be built; 2 refused (nothing is written).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ottimate_validation.cli import PROG as VALIDATE
from ottimate_validation.cli import Parser, UsageError, allure_for, project_root, say, warner
from ottimate_validation.integration.combined import Combined, NotAnIntegrationSummary, read_integration_summary
from ottimate_validation.integration.summary import IntegrationSummary
from ottimate_validation.report.allure import ReportError
from ottimate_validation.report.summary import SUMMARY_JSON, SUMMARY_MD
from ottimate_validation.run import Run, RunFileError, new_run_id
from ottimate_validation.run.finish import EXIT_USAGE, JUNIT_FILE, Ending, finish
from ottimate_validation.run.folder import FolderError, new_run_folder
from ottimate_validation.run.judge import final_checks
from ottimate_validation.run.ledger import ledger_files, read_ledger
from ottimate_validation.run.plan import PLAN_ENV, PlanError, resolve_plan

PROG = f"{VALIDATE} merge"
warn = warner(PROG)


class MergeRefused(Exception):
    """The folders cannot be merged; the message is one sentence."""


@dataclass(frozen=True)
class Source:
    run: Run
    tests: frozenset[str]  # node ids of the tests it judged

    @property
    def folder(self) -> Path:
        return self.run.folder

    @property
    def label(self) -> str:
        return f"shard {self.run.shard_label} ({self.folder.name})" if self.run.shard else self.folder.name


def _load(folder: Path) -> Run:
    if not folder.is_dir():
        raise MergeRefused(f"{folder} is not a folder; give the run folders to merge (reports/<date>-<run id>).")
    try:
        return Run.load(folder)
    except RunFileError as exc:
        raise MergeRefused(f"{folder} is not a run folder of {VALIDATE} ({exc})") from None


@dataclass(frozen=True)
class IntegrationSource:
    run: Run
    summary: IntegrationSummary


def split_sources(folders: Sequence[Path]) -> tuple[list[Path], IntegrationSource | None]:
    """The validation run folders, and the integration run's (one at most) with its summary."""
    integrations = []
    validation = []
    for folder in folders:
        run = _load(folder)
        if run.kind == "integration":
            integrations.append(run)
        else:
            validation.append(folder)
    if len(integrations) > 1:
        raise MergeRefused(
            f"{integrations[0].folder} and {integrations[1].folder} are both integration runs; a report holds one "
            "integration run beside the validation run."
        )
    if not validation:
        raise MergeRefused(
            "Give at least one validation run folder (ottimate-validate) to merge; an integration run's folder "
            "has its own report already."
        )
    if not integrations:
        return validation, None
    try:
        summary = read_integration_summary(integrations[0].folder)
    except NotAnIntegrationSummary as exc:
        raise MergeRefused(f"{exc} Run the integration again with this version.") from None
    return validation, IntegrationSource(integrations[0], summary)


def _read_source(folder: Path) -> Source:
    run = _load(folder)
    checks = final_checks(read_ledger(folder).checks)
    # A shard may hold no test (more shards than tests); any other run folder without tests is not one.
    if run.shard is None and not checks:
        raise MergeRefused(f"{folder} is not a run folder of {VALIDATE}: its ledger records no test.")
    return Source(run, frozenset(c.test for c in checks))


def check_sources(folders: Sequence[Path]) -> tuple[list[Source], list[str]]:
    """The folders as merge sources, and the labels of missing shards (``2/3``); MergeRefused when the
    folders cannot make one run."""
    seen: dict[Path, Path] = {}
    for folder in folders:
        resolved = folder.resolve()
        if resolved in seen:
            raise MergeRefused(f"{folder} is named twice; give each run folder once.")
        seen[resolved] = folder
    sources = [_read_source(folder) for folder in folders]
    shards = [s for s in sources if s.run.shard is not None]
    if shards and len(shards) != len(sources):
        plain = next(s for s in sources if s.run.shard is None)
        raise MergeRefused(
            f"{plain.folder} is not a shard but {shards[0].folder} is; merge the shards of one sharded run only."
        )
    missing: list[str] = []
    if shards:
        first = shards[0].run
        assert first.shard is not None
        by_index: dict[int, Source] = {}
        for source in shards:
            shard = source.run.shard
            assert shard is not None
            if shard[1] != first.shard[1]:
                raise MergeRefused(
                    f"{source.folder} is shard {source.run.shard_label} but {shards[0].folder} is shard "
                    f"{first.shard_label}; the shards of one run share the same N."
                )
            if source.run.selection != first.selection:
                raise MergeRefused(
                    f"{source.folder} and {shards[0].folder} were run with different suites or pytest "
                    "arguments, so their shards do not split one selection."
                )
            if shard[0] in by_index:
                raise MergeRefused(
                    f"Shard {source.run.shard_label} is given twice ({by_index[shard[0]].folder} and {source.folder})."
                )
            by_index[shard[0]] = source
        missing = [f"{i}/{first.shard[1]}" for i in range(1, first.shard[1] + 1) if i not in by_index]
        sources = [by_index[i] for i in sorted(by_index)]
    for i, a in enumerate(sources):
        for b in sources[i + 1 :]:
            both = a.tests & b.tests
            if both:
                raise MergeRefused(
                    f"{len(both)} test(s) ran in both {a.folder} and {b.folder} (e.g. {min(both)}); the folders "
                    "to merge must hold disjoint tests, such as the shards of one run."
                )
    return sources, missing


def _copy(sources: Sequence[Source], run: Run) -> None:
    """Every ledger file and every result, container and attachment of every source."""
    run.ledger_dir.mkdir(parents=True, exist_ok=True)
    run.results_dir.mkdir(parents=True, exist_ok=True)
    for source in sources:
        for path in ledger_files(source.folder):
            shutil.copy2(path, run.ledger_dir / f"{source.run.id}-{path.name}")
        results = source.run.results_dir
        for path in sorted(results.iterdir()) if results.is_dir() else ():
            destination = run.results_dir / path.name
            if path.is_file() and not destination.exists():  # run-wide files: the first source's
                shutil.copy2(path, destination)


INTEGRATIONS_DIR = "integrations"


def _keep_integration(source: IntegrationSource, run: Run) -> None:
    """Its results join the report; its ledger and summary are kept apart from the merged ledger."""
    run.results_dir.mkdir(parents=True, exist_ok=True)
    results = source.run.results_dir
    for path in sorted(results.iterdir()) if results.is_dir() else ():
        destination = run.results_dir / path.name
        if path.is_file() and not destination.exists():
            shutil.copy2(path, destination)
    kept = run.folder / INTEGRATIONS_DIR / source.run.id
    (kept / "ledger").mkdir(parents=True, exist_ok=True)
    for path in ledger_files(source.run.folder):
        shutil.copy2(path, kept / "ledger" / path.name)
    for name in ("run.json", SUMMARY_JSON, SUMMARY_MD):
        if (source.run.folder / name).is_file():
            shutil.copy2(source.run.folder / name, kept / name)


def _merge_junit(sources: Sequence[Source], folder: Path) -> None:
    suites = ET.Element("testsuites")
    found = False
    for source in sources:
        try:
            root = ET.parse(source.folder / JUNIT_FILE).getroot()
        except (OSError, ET.ParseError):
            continue
        found = True
        suites.extend(root.iter("testsuite") if root.tag == "testsuites" else [root])
    if found:
        ET.ElementTree(suites).write(folder / JUNIT_FILE, encoding="utf-8", xml_declaration=True)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description="Merge the run folders of a sharded run (ottimate-validate --shard I/N) into one run folder "
        "with one report and one readiness summary.",
    )
    parser.add_argument("run_dirs", nargs="+", type=Path, metavar="RUN_DIR", help="run folders to merge")
    parser.add_argument(
        "--reports-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the merged run folder is written (default: <project>/reports)",
    )
    parser.add_argument(
        "--plan",
        default=None,
        metavar="PATH",
        help=f"validation plan to judge against, as for a run (default: ${PLAN_ENV}, else validation.toml, "
        "else every operation)",
    )
    parser.add_argument("--no-report", action="store_true", help="skip building the HTML report")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # --help, or argparse's own error message already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        root = project_root(None)
        validation, integration = split_sources(args.run_dirs)
        sources, missing = check_sources(validation)
        plan = resolve_plan(args.plan, root)
        allure = None if args.no_report else allure_for(root)
        reports_dir = (args.reports_dir if args.reports_dir is not None else root / "reports").absolute()
        run_id = new_run_id()
        folder = new_run_folder(reports_dir, run_id)
    except (MergeRefused, UsageError, PlanError, ReportError, FolderError) as exc:
        warn(str(exc))
        return EXIT_USAGE

    first = sources[0].run
    run = Run(
        id=run_id,
        folder=folder,
        kind="merged",
        target=first.target,
        read_only=any(s.run.read_only for s in sources),
        plan=str(plan.source) if plan.source else None,
        budget=sum(s.run.budget for s in sources if s.run.budget) or None,
        selection=first.selection,
        sources=tuple(
            {"folder": str(s.folder.resolve()), "id": s.run.id, "shard": s.run.shard_label, "label": s.label}
            for s in sources
        )
        + (
            ({"folder": str(integration.run.folder.resolve()), "id": integration.run.id, "kind": "integration"},)
            if integration
            else ()
        ),
    )
    run.save()
    _copy(sources, run)
    if integration is not None:
        _keep_integration(integration, run)
    _merge_junit(sources, folder)
    note = f"Merged from {len(sources)} run folder(s): {', '.join(s.label for s in sources)}."
    if integration is not None:
        note += f" Beside it, the integration run {integration.run.id} ({integration.run.folder.name})."
    say(f"Merged run {run_id}: {folder}")
    say(note)
    if missing:
        say(f"Missing: shard {', '.join(missing)}; the verdicts below are partial.")
    finished = finish(
        run,
        plan,
        Ending(
            notes=[note],
            run_error=f"shard {', '.join(missing)} is missing from the merge" if missing else None,
            failed=bool(missing),
        ),
        root=root,
        allure=allure,
        say=say,
        warn=warn,
        combine=(lambda summary: Combined(integration.summary, summary)) if integration is not None else None,
    )
    return finished.exit_code
