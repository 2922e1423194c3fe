"""The README's flow: a sandbox served on its own, validated by URL, as the real one would be.

Such a sandbox is shared (by parallel workers, by two engineers, by CI and a developer), so no run may
change its clock, faults or limits: the tests that do skip there, and every other test passes whatever
the worker count, and while another run uses the same sandbox.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def served() -> Iterator[dict[str, str]]:
    """``ottimate-sandbox serve --port 0``, and the ``export`` lines it prints, as a user pastes them."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ottimate_validation.sandbox.cli", "serve", "--port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    exports: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").strip().partition("=")
            exports[name] = value.strip("'\"")
        if "OTTIMATE_SCOPED_CLIENT_SECRET" in exports:
            break
    try:
        yield exports
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _validate(exports: dict[str, str], reports: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTTIMATE_", "PYTEST_"))}
    env.update(exports, OTTIMATE_ENV_FILE="")
    return subprocess.Popen(
        [sys.executable, "-m", "ottimate_validation.cli", "--reports-dir", str(reports), "--no-report", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _summary(reports: Path) -> dict[str, object]:
    return json.loads(((reports / "latest").resolve() / "summary.json").read_text(encoding="utf-8"))


def _passed(proc: subprocess.Popen[str], reports: Path) -> dict[str, object]:
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out[-4000:]
    summary = _summary(reports)
    assert summary["headline"] == (
        "Rehearsal passed on the embedded sandbox: not evidence for Ottimate; run it against your sandbox credentials"
    ), summary["headline"]
    assert summary["tests"]["failed"] == summary["tests"]["broken"] == 0, out[-4000:]  # type: ignore[index]
    return summary


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_readme_flow_passes_with_eight_workers(served: dict[str, str], tmp_path: Path) -> None:
    summary = _passed(_validate(served, tmp_path / "reports", "-n", "8"), tmp_path / "reports")

    skipped = summary["tests"]["skipped"]  # type: ignore[index]
    assert 0 < skipped <= 6, "only the tests that change the shared sandbox skip"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_two_validations_at_once_against_one_sandbox_do_not_fail_each_other(
    served: dict[str, str], tmp_path: Path
) -> None:
    first = _validate(served, tmp_path / "a", "-n", "3")
    second = _validate(served, tmp_path / "b", "-n", "3")

    _passed(first, tmp_path / "a")
    _passed(second, tmp_path / "b")
