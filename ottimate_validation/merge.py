"""``ottimate-validate merge``: the run folders of a sharded run (or of runs split by suite), as one report.

    ottimate-validate merge RUN_DIR RUN_DIR ... [--reports-dir DIR] [--plan PATH] [--no-report]

Each CI runner runs ``ottimate-validate --shard I/N`` and keeps its run folder; one last job fetches them
all and merges them into a new run folder: the union of their ``allure-results/`` (Allure names every
result, container and attachment file by a UUID, so they never collide), one ``report.html``, one
readiness summary judged over every test, one ``junit.xml``, and ``merged.json`` naming its sources.

The rules:

- every folder must be a run folder (an ``allure-results/`` holding results), named once;
- shards must come from one sharded run: the same N, each index once, the same selection (suites and
  pytest arguments), and no folder that is not a shard among them; otherwise the merge is refused;
- no test may appear in two folders (shards are disjoint by construction; an overlap means folders of
  different runs were mixed): refused, naming a test, rather than picking one outcome silently;
- a missing shard is not refused but said: the summary's headline reads "Not evidenced" and names it,
  and the command exits 1, because a partial union cannot show readiness.

Exit codes: 0 merged and nothing is "Not ready" or missing; 1 merged, but a criterion is "Not ready",
a shard is missing or the report could not be built; 2 refused (nothing is written).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ottimate_validation import cli
from ottimate_validation.budget import BUDGET_FILE
from ottimate_validation.plan import PLAN_ENV, PlanError, resolve_plan
from ottimate_validation.report.allure import DEFAULT_TITLE, ReportError, generate_report
from ottimate_validation.report.environment import ENVIRONMENT_FILE, RUN_ID, read_environment, write_environment
from ottimate_validation.report.summary import LEFTOVERS_FILE, build_summary, read_budget, read_leftovers
from ottimate_validation.report.verdicts import Verdict, format_verdicts, load_outcomes
from ottimate_validation.shards import ShardInfo, ShardInfoError, read_shard_info

PROG = f"{cli.PROG} merge"
MERGED_FILE = "merged.json"
RESULTS = "allure-results"
SHARDS_FACT = "Merged from"


class MergeRefused(Exception):
    """The folders cannot be merged; the message is one sentence for the user."""


@dataclass(frozen=True)
class Source:
    folder: Path
    shard: ShardInfo | None
    keys: frozenset[str]  # the tests it holds (Allure's historyId, one per test and parameter set)
    names: dict[str, str]  # key -> test name, to name an overlap

    @property
    def results(self) -> Path:
        return self.folder / RESULTS

    @property
    def label(self) -> str:
        return f"shard {self.shard.label} ({self.folder.name})" if self.shard else self.folder.name


def _read_source(folder: Path) -> Source:
    if not folder.is_dir():
        raise MergeRefused(f"{folder} is not a folder; give the run folders to merge (reports/<date>-<run id>).")
    results = folder / RESULTS
    try:
        shard = read_shard_info(folder)
    except ShardInfoError as exc:
        raise MergeRefused(str(exc)) from None
    # A shard may hold no test (more shards than tests); any other run folder without results is not one.
    if not results.is_dir() or (shard is None and not any(results.glob("*-result.json"))):
        raise MergeRefused(f"{folder} is not a run folder of {cli.PROG}: it has no {RESULTS}/ with test results.")
    outcomes = load_outcomes(results)
    return Source(folder, shard, frozenset(o.key for o in outcomes), {o.key: o.name for o in outcomes})


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
    shards = [s for s in sources if s.shard is not None]
    if shards and len(shards) != len(sources):
        plain = next(s for s in sources if s.shard is None)
        raise MergeRefused(
            f"{plain.folder} is not a shard but {shards[0].folder} is; merge the shards of one sharded run only."
        )
    missing: list[str] = []
    if shards:
        first = shards[0].shard
        assert first is not None
        by_index: dict[int, Source] = {}
        for source in shards:
            info = source.shard
            assert info is not None
            if info.count != first.count:
                raise MergeRefused(
                    f"{source.folder} is shard {info.label} but {shards[0].folder} is shard {first.label}; "
                    "the shards of one run share the same N."
                )
            if info.selection != first.selection:
                raise MergeRefused(
                    f"{source.folder} and {shards[0].folder} were run with different suites or pytest "
                    "arguments, so their shards do not split one selection."
                )
            if info.index in by_index:
                raise MergeRefused(
                    f"Shard {info.label} is given twice ({by_index[info.index].folder} and {source.folder})."
                )
            by_index[info.index] = source
        missing = [f"{i}/{first.count}" for i in range(1, first.count + 1) if i not in by_index]
        sources = [by_index[i] for i in sorted(by_index)]
    for i, a in enumerate(sources):
        for b in sources[i + 1 :]:
            both = a.keys & b.keys
            if both:
                example = a.names[min(both)]
                raise MergeRefused(
                    f"{len(both)} test(s) ran in both {a.folder} and {b.folder} (e.g. {example}); the folders "
                    "to merge must hold disjoint tests, such as the shards of one run."
                )
    return sources, missing


def _copy_results(sources: Sequence[Source], target: Path, merged_run_id: str) -> None:
    """Every result, container and attachment of every source into ``target``.

    The run-wide files (environment, executor, categories) are the same for every shard but for the
    run id; the first source's are kept, and the environment names the merged run and its sources."""
    for source in sources:
        for path in sorted(source.results.iterdir()):
            destination = target / path.name
            if destination.exists():
                continue  # a run-wide file already taken from the first source
            if path.is_file():
                shutil.copy2(path, destination)
    facts = read_environment(target)
    if facts:
        facts[RUN_ID] = merged_run_id
        facts[SHARDS_FACT] = ", ".join(s.label for s in sources)
        write_environment(target, facts)
    elif (target / ENVIRONMENT_FILE).exists():
        (target / ENVIRONMENT_FILE).unlink()


def _merge_junit(sources: Sequence[Source], target: Path) -> bool:
    suites = ET.Element("testsuites")
    found = False
    for source in sources:
        try:
            root = ET.parse(source.folder / cli.JUNIT_FILE).getroot()
        except (OSError, ET.ParseError):
            continue
        found = True
        suites.extend(root.iter("testsuite") if root.tag == "testsuites" else [root])
    if found:
        ET.ElementTree(suites).write(target / cli.JUNIT_FILE, encoding="utf-8", xml_declaration=True)
    return found


def _summed(readings: Sequence[dict[str, int] | None]) -> dict[str, int] | None:
    """Per-key sums of the sources' figures (leftovers, budget), or None when no source measured any."""
    present = [r for r in readings if r is not None]
    if not present:
        return None
    total: dict[str, int] = {}
    for reading in present:
        for key, value in reading.items():
            total[key] = total.get(key, 0) + value
    return total


def build_parser() -> argparse.ArgumentParser:
    parser = cli._Parser(
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
        return exc.code if isinstance(exc.code, int) else cli.EXIT_USAGE
    try:
        root = cli._project_root(None)
        sources, missing = check_sources(args.run_dirs)
        validation = resolve_plan(args.plan, root)
        allure = None if args.no_report else cli._allure_for(root)
        reports_dir = args.reports_dir if args.reports_dir is not None else root / "reports"
        run_id, run_dir = cli._new_run_dir(reports_dir.absolute())
    except (MergeRefused, cli.UsageError, PlanError, ReportError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr, flush=True)
        return cli.EXIT_USAGE

    results = run_dir / RESULTS
    _copy_results(sources, results, run_id)
    has_junit = _merge_junit(sources, run_dir)
    leftovers = _summed([read_leftovers(s.folder) for s in sources])
    budget = _summed([read_budget(s.folder) for s in sources])
    if leftovers is not None:
        (run_dir / LEFTOVERS_FILE).write_text(json.dumps(leftovers) + "\n", encoding="utf-8")
    if budget is not None:
        (run_dir / BUDGET_FILE).write_text(json.dumps(budget) + "\n", encoding="utf-8")
    merged = {
        "run_id": run_id,
        "sources": [
            {"folder": str(s.folder.resolve()), "shard": s.shard.label if s.shard else None, "tests": len(s.keys)}
            for s in sources
        ],
        "missing_shards": missing,
    }
    (run_dir / MERGED_FILE).write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")

    note = f"Merged from {len(sources)} run folder(s): {', '.join(s.label for s in sources)}."
    run_error = f"shard {', '.join(missing)} is missing from the merge" if missing else None
    summary = build_summary(
        results,
        title=DEFAULT_TITLE,
        plan=validation.report_plan(),
        leftovers=leftovers,
        notes=[note],
        run_error=run_error,
        budget=budget,
    )
    summary_ok = cli._write_summary(summary, run_dir)
    report_ok = True
    report_path: Path | None = None
    if allure is not None:
        try:
            report_path = generate_report(
                results,
                run_dir,
                title=DEFAULT_TITLE,
                allure=allure,
                history_path=run_dir.parent / cli.HISTORY_FILE,
                variables={k: v for k, v in summary.environment.items() if k in (*cli.HEADER_FACTS, SHARDS_FACT)},
                summary_html=summary.to_html(),
            )
        except ReportError as exc:
            report_ok = False
            cli._warn(f"the report was not built: {exc}")
    warning = cli._point_latest(run_dir.parent, run_dir)
    if warning:
        cli._warn(warning)

    say = cli._say
    say(f"Merged run {run_id}: {run_dir}")
    say(note)
    if missing:
        say(f"Missing: shard {', '.join(missing)}; the verdicts below are partial.")
    if report_path is not None:
        say(f"Report: {report_path}")
    if summary_ok:
        say(f"Summary: {run_dir / 'summary.md'} (and summary.json{', ' + cli.JUNIT_FILE if has_junit else ''})")
    say()
    say(summary.headline)
    for line in format_verdicts(summary.verdicts):
        say(line)
    say()
    for line in summary.console_lines():
        say(line)
    not_ready = any(v.verdict is Verdict.NOT_READY for v in summary.verdicts)
    if missing or not_ready or not report_ok or not summary_ok:
        return cli.EXIT_FAILED
    return cli.EXIT_OK
