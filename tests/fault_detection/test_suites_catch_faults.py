"""The suites fail when the API misbehaves, in the suite that owns the area, and pass when it does not.

For each fault switch of the embedded sandbox, start a sandbox with that fault on, run the owning
suite against it over HTTP exactly as a partner would run it against the real sandbox, and check the
run fails with at least one failed test in that suite. The baseline (no fault) must pass, or a
failing fault run would prove nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from ottimate_validation.sandbox import EmbeddedSandbox
from ottimate_validation.sandbox.faults import FAULTS

ROOT = Path(__file__).resolve().parents[2]
SUITES = sorted(p.name for p in (ROOT / "suites").iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


@dataclass
class SuiteRun:
    returncode: int
    failed: list[str]
    passed: int
    output: str


def run_suite(suite: str, tmp_path: Path, faults: tuple[str, ...] = ()) -> SuiteRun:
    with EmbeddedSandbox() as sb:
        sb.state.faults.set(faults)
        account, company = sb.users["account"], sb.users["company"]
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("OTTIMATE_", "PYTEST_", "HYPOTHESIS_"))},
            "OTTIMATE_API_URL": sb.api_url,
            "OTTIMATE_AUTH_URL": sb.auth_url,
            "OTTIMATE_API_KEY": account.api_key,
            "OTTIMATE_CLIENT_ID": account.client_id,
            "OTTIMATE_CLIENT_SECRET": account.client_secret,
            "OTTIMATE_SCOPED_CLIENT_ID": company.client_id,
            "OTTIMATE_SCOPED_CLIENT_SECRET": company.client_secret,
            "HYPOTHESIS_PROFILE": "ci",
        }
        junit = tmp_path / f"{suite}.xml"
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", f"suites/{suite}", "-p", "no:randomly", "-p", "no:cacheprovider",
             "-q", "--no-header", f"--junitxml={junit}", "-o", "addopts=--strict-markers"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
        )
    failed, passed = [], 0
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed.append(f"{case.get('classname')}::{case.get('name')}")
            elif case.find("skipped") is None:
                passed += 1
    return SuiteRun(proc.returncode, failed, passed, proc.stdout[-3000:] + proc.stderr[-2000:])


@pytest.mark.slow
@pytest.mark.parametrize("suite", SUITES)
def test_each_suite_passes_against_a_healthy_sandbox(suite: str, tmp_path: Path) -> None:
    run = run_suite(suite, tmp_path)
    assert run.returncode == 0, f"suites/{suite} fails without any fault:\n{run.output}"
    assert run.passed > 0, f"suites/{suite} passed vacuously:\n{run.output}"


@pytest.mark.slow
@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_the_owning_suite_fails_when_the_fault_is_on(fault, tmp_path: Path) -> None:
    assert fault.caught_by in SUITES, f"{fault.name} names suites/{fault.caught_by}, which does not exist"
    run = run_suite(fault.caught_by, tmp_path, (fault.name,))
    assert run.returncode == 1, (
        f"suites/{fault.caught_by} did not fail with the fault {fault.name!r} on "
        f"(exit {run.returncode}); the suites would pass against an API that {fault.description}\n{run.output}"
    )
    assert run.failed, run.output
    assert all(name.startswith(f"suites.{fault.caught_by}") for name in run.failed), run.failed
