"""Flagging an invoice notifies the organisation's users (CONTRACT §12.7): against a sandbox that is not
our simulator, its checks run only when the plan allows it, and are skipped saying so otherwise."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ottimate_validation.sandbox import EmbeddedSandbox

from ..suite_runs import ROOT, target_env


def _flag_checks(tmp_path: Path, *args: str) -> dict[str, str]:
    """Outcome of the flagging checks against a sandbox served as the real one is (no control plane)."""
    junit = tmp_path / f"flag-{len(args)}.xml"
    with EmbeddedSandbox(control_plane=False) as sb:
        subprocess.run(
            [
                sys.executable, "-m", "pytest", "suites/core/test_invoice_lifecycle.py", "-k", "flagging",
                "-p", "no:randomly", "-p", "no:cacheprovider", "-q", f"--junitxml={junit}",
                f"--run-dir={tmp_path / f'run-{len(args)}'}", *args,
            ],
            cwd=ROOT, env=target_env(sb), capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    outcomes = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        skipped = case.find("skipped")
        failed = case.find("failure") is not None or case.find("error") is not None
        outcomes[case.get("name", "")] = (
            "failed" if failed else (skipped.get("message", "") if skipped is not None else "passed")
        )
    return outcomes


@pytest.mark.slow
def test_flagging_is_skipped_unless_the_plan_allows_notifying_users(tmp_path: Path) -> None:
    without = _flag_checks(tmp_path)
    assert without and all("notify_users = true" in outcome for outcome in without.values()), without
    plan = tmp_path / "validation.toml"
    plan.write_text('[plan]\nname = "Flags allowed"\nnotify_users = true\n', encoding="utf-8")
    allowed = _flag_checks(tmp_path, f"--plan={plan}")
    assert allowed and set(allowed.values()) == {"passed"}, allowed
