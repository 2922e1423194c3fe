"""``ottimate-validate --shard I/N`` and ``ottimate-validate merge``: shards of one run, one report.

The whole path runs for real: two shards of the auth suite against the embedded sandbox (each its own
run folder, as on two CI runners), merged into one run folder whose summary judges exactly the tests an
unsharded run collects, each once. The merge's refusals are shown on hand-made run folders.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ottimate_validation.cli import merge
from ottimate_validation.cli import validate as cli
from ottimate_validation.report.allure import AllureNotInstalledError, find_allure
from ottimate_validation.run import Run
from ottimate_validation.run.ledger import Check, Ledger

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def embedded_target(monkeypatch: pytest.MonkeyPatch) -> None:
    # The child pytest inherits the environment: no outer target, run or pytest settings leak in.
    for name in list(os.environ):
        if name.startswith(("OTTIMATE_", "PYTEST_", "HYPOTHESIS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OTTIMATE_ENV_FILE", "")
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "ci")


def allure_installed() -> bool:
    try:
        find_allure()
    except AllureNotInstalledError:
        return False
    return True


def run_folders(reports: Path) -> set[Path]:
    return {p for p in reports.iterdir() if p.is_dir() and not p.is_symlink()}


def junit_tests(path: Path) -> list[str]:
    """``suites/auth/test_x.py::test_y[case]`` for every test case in a JUnit file."""
    cases = ET.parse(path).getroot().iter("testcase")
    return [f"{c.get('classname', '').replace('.', '/')}.py::{c.get('name')}" for c in cases]


def collected(suite: str) -> list[str]:
    """The tests an unsharded run of ``suite`` runs (pytest's own collection)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", f"suites/{suite}", "--collect-only", "-q", "-p", "no:randomly"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return [line for line in proc.stdout.splitlines() if line.startswith(f"suites/{suite}/")]


def shard(reports: Path, spec: str) -> Path:
    before = run_folders(reports) if reports.exists() else set()
    code = cli.main(["--suite", "auth", "-n", "0", "--no-report", "--shard", spec, "--reports-dir", str(reports)])
    [folder] = run_folders(reports) - before
    assert code == 0, f"shard {spec} did not pass; see {folder}"
    return folder


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_two_shards_merge_into_one_report_of_every_test_once(tmp_path: Path, capfd: pytest.CaptureFixture[str]):
    reports = tmp_path / "reports"
    first, second = shard(reports, "1/2"), shard(reports, "2/2")
    capfd.readouterr()
    first_tests, second_tests = junit_tests(first / "junit.xml"), junit_tests(second / "junit.xml")
    assert first_tests and second_tests, "a shard ran nothing, so the split proves nothing"
    assert not set(first_tests) & set(second_tests), "a test ran in both shards"

    no_report = [] if allure_installed() else ["--no-report"]
    code = cli.main(["merge", str(first), str(second), "--reports-dir", str(reports), *no_report])

    out = capfd.readouterr().out
    assert code == 0, out
    [merged] = run_folders(reports) - {first, second}
    unsharded = collected("auth")
    assert sorted(first_tests + second_tests) == sorted(unsharded)
    assert sorted(junit_tests(merged / "junit.xml")) == sorted(unsharded)
    summary = json.loads((merged / "summary.json").read_text(encoding="utf-8"))
    assert sum(summary["tests"].values()) == len(unsharded) == summary["tests"]["passed"]
    auth = next(v for v in summary["verdicts"] if v["criterion"] == "Authentication")
    assert (auth["verdict"], auth["passed"]) == ("Rehearsed", len(unsharded))
    assert any("shard 1/2" in note and "shard 2/2" in note for note in summary["notes"]), summary["notes"]
    run = Run.load(merged)
    assert (run.kind, [s["shard"] for s in run.sources]) == ("merged", ["1/2", "2/2"])
    assert f"Authentication .......... Rehearsed ({len(unsharded)} passed" in out
    if not no_report:
        assert (merged / "report.html").is_file()
    assert (reports / "latest").resolve() == merged.resolve()


# --- refusals, on hand-made run folders --------------------------------------------------------------


def fake_run(folder: Path, tests: list[str], *, shard: str | None = None, selection: tuple[str, ...] = ("auth",)):
    index_count = tuple(int(part) for part in shard.split("/")) if shard else None
    run = Run(id=folder.name, folder=folder, shard=index_count, selection=selection)  # type: ignore[arg-type]
    run.save()
    (folder / "allure-results").mkdir()
    ledger = Ledger(run.ledger_dir, process="gw0")
    for i, name in enumerate(tests):
        test = f"suites/auth/test_x.py::{name}"
        ledger.record(Check(at=1000.0 + i, test=test, title=name, status="passed", criterion="Authentication"))
    ledger.close()
    return folder


def merged(tmp_path: Path, *folders: Path) -> int:
    return merge.main([*map(str, folders), "--reports-dir", str(tmp_path / "out"), "--no-report"])


def refusal(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("ottimate-validate merge: ") and "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    return err


def test_a_folder_that_is_not_a_run_is_refused_with_one_sentence(tmp_path: Path, capsys):
    (tmp_path / "empty").mkdir()
    assert merged(tmp_path, fake_run(tmp_path / "a", ["t1"], shard="1/2"), tmp_path / "empty") == 2
    assert "empty is not a run folder" in refusal(capsys)
    assert merged(tmp_path, tmp_path / "missing") == 2
    assert "missing is not a folder" in refusal(capsys)
    assert not (tmp_path / "out").exists(), "a refused merge wrote something"


def test_a_shard_given_twice_is_refused(tmp_path: Path, capsys):
    a = fake_run(tmp_path / "a", ["t1"], shard="1/2")
    b = fake_run(tmp_path / "b", ["t2"], shard="1/2")
    assert merged(tmp_path, a, b) == 2
    assert "Shard 1/2 is given twice" in refusal(capsys)


def test_shards_of_different_splits_or_selections_are_refused(tmp_path: Path, capsys):
    a = fake_run(tmp_path / "a", ["t1"], shard="1/2")
    assert merged(tmp_path, a, fake_run(tmp_path / "b", ["t2"], shard="2/3")) == 2
    assert "share the same N" in refusal(capsys)
    assert merged(tmp_path, a, fake_run(tmp_path / "c", ["t2"], shard="2/2", selection=("core",))) == 2
    assert "different suites or pytest arguments" in refusal(capsys)


def test_overlapping_tests_are_refused_naming_one(tmp_path: Path, capsys):
    a = fake_run(tmp_path / "a", ["t1", "t2"], shard="1/2")
    b = fake_run(tmp_path / "b", ["t2", "t3"], shard="2/2")
    assert merged(tmp_path, a, b) == 2
    err = refusal(capsys)
    assert "1 test(s) ran in both" in err and "test_x.py::t2" in err


def test_a_missing_shard_is_merged_but_said_and_fails(tmp_path: Path, capsys):
    a = fake_run(tmp_path / "a", ["t1"], shard="1/3")
    c = fake_run(tmp_path / "c", ["t3"], shard="3/3")
    assert merged(tmp_path, a, c) == 1
    out = capsys.readouterr().out
    assert "Missing: shard 2/3" in out
    [folder] = [p for p in (tmp_path / "out").iterdir() if p.is_dir() and not p.is_symlink()]
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["headline"].endswith("Not evidenced: shard 2/3 is missing from the merge")
    assert summary["ready"] is False and summary["tests"]["passed"] == 2


@pytest.mark.parametrize("spec", ["0/2", "3/2", "2", "a/b", "1/0"])
def test_a_bad_shard_exits_2(spec: str, capsys):
    assert cli.main(["--shard", spec]) == 2
    assert f"invalid shard '{spec}'" in capsys.readouterr().err
