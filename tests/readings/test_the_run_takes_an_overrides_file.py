"""A validation run's own embedded sandbox takes an overrides file or a reading, and says so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ottimate_validation.run import Run
from ottimate_validation.run.judge import facts_of
from ottimate_validation.run.ledger import read_ledger
from ottimate_validation.run.plan import LoadedPlan

from ..suite_runs import ROOT


def _pytest(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OTTIMATE_", "PYTEST_", "HYPOTHESIS_"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider", "-q", *args],
        cwd=ROOT,
        env={**base, "OTTIMATE_ENV_FILE": "", **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_embedded_sandbox_of_a_run_answers_by_the_file_and_the_report_says_so(tmp_path: Path) -> None:
    observed = tmp_path / "observed.toml"
    observed.write_text('[decisions]\npage-size-limits = "clamp"\n', encoding="utf-8")
    done = _pytest(
        "suites/errors/test_request_errors.py", "-k", "page_size", f"--run-dir={tmp_path / 'run'}",
        env={"OTTIMATE_SANDBOX_DECISIONS": str(observed)},
    )  # fmt: skip
    assert done.returncode == 1, done.stdout[-2000:]
    checks = read_ledger(tmp_path / "run").checks
    assert checks and {c.decision for c in checks} == {"page-size-limits"}, [(c.test, c.category) for c in checks]
    run = Run.load(tmp_path / "run")
    assert run.sandbox_decisions == "overrides (page-size-limits=clamp)"
    facts = facts_of(run, LoadedPlan(), ROOT)
    assert facts["Embedded sandbox"] == "answers by overrides (page-size-limits=clamp) where the docs are silent"


def test_a_reading_for_a_target_given_by_url_is_refused_in_one_sentence(tmp_path: Path) -> None:
    done = _pytest(
        "suites/core/test_account_structure.py", "--target-url=http://127.0.0.1:9/v1",
        "--sandbox-reading=single-site", f"--run-dir={tmp_path / 'run'}",
        env={"OTTIMATE_API_KEY": "k", "OTTIMATE_CLIENT_ID": "c", "OTTIMATE_CLIENT_SECRET": "s"},
    )  # fmt: skip
    assert done.returncode == 2
    assert "apply to the embedded sandbox a run starts" in done.stdout + done.stderr
