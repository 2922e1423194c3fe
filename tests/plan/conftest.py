"""Shared helpers of the plan tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ottimate_validation.report.allure import repo_root

ROOT = repo_root()


@pytest.fixture(autouse=True)
def no_outer_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    # A plan chosen for the outer run must not leak into the plans these tests write.
    monkeypatch.delenv("OTTIMATE_PLAN", raising=False)


def collect(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, dict[str, str]]]:
    """Collect the real suites in a child pytest (no test runs); answer it and the areas it recorded."""
    out = tmp_path / "areas.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTTIMATE_", "PYTEST_"))}
    env["AREA_PROBE_OUT"] = str(out)
    command = [sys.executable, "-m", "pytest", "suites", "--collect-only", "-q", "-n", "0", "-p", "no:randomly"]
    proc = subprocess.run(
        [*command, "-p", "tests.plan.area_probe", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    areas = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    return proc, areas
