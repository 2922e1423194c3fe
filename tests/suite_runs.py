"""Run validation suites in a child pytest against an embedded sandbox, as a partner would run them.

The child reaches the sandbox over HTTP only, through the same ``OTTIMATE_*`` variables a partner sets
for the real sandbox (so it has no control plane in-process); the parent switches faults or variations
on through the sandbox object before the run starts. Shared by ``tests/fault_detection`` (a fault on:
the owning suite must fail) and ``tests/robustness`` (a variation on: the suites must pass).
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ottimate_validation.sandbox import EmbeddedSandbox

ROOT = Path(__file__).resolve().parents[1]
SUITES = sorted(p.name for p in (ROOT / "suites").iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


@dataclass
class SuiteRun:
    returncode: int
    failed: list[str]
    passed: int
    output: str


def target_env(sb: EmbeddedSandbox) -> dict[str, str]:
    """The environment of a run against ``sb``: ours without any OTTIMATE_/PYTEST_/HYPOTHESIS_ setting."""
    account, company = sb.users["account"], sb.users["company"]
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OTTIMATE_", "PYTEST_", "HYPOTHESIS_"))},
        "OTTIMATE_ENV_FILE": "",
        "OTTIMATE_API_URL": sb.api_url,
        "OTTIMATE_AUTH_URL": sb.auth_url,
        "OTTIMATE_API_KEY": account.api_key,
        "OTTIMATE_CLIENT_ID": account.client_id,
        "OTTIMATE_CLIENT_SECRET": account.client_secret,
        "OTTIMATE_SCOPED_CLIENT_ID": company.client_id,
        "OTTIMATE_SCOPED_CLIENT_SECRET": company.client_secret,
        "HYPOTHESIS_PROFILE": "ci",
    }


def run_suites(
    suites: Sequence[str],
    tmp_path: Path,
    *,
    faults: Sequence[str] = (),
    variations: Sequence[str] = (),
    extra_args: Sequence[str] = (),
    timeout: float = 600,
) -> SuiteRun:
    with EmbeddedSandbox(variations=variations) as sb:
        sb.state.faults.set(faults)
        junit = tmp_path / f"{'-'.join(suites)}.xml"
        proc = subprocess.run(
            [
                sys.executable, "-m", "pytest", *(f"suites/{suite}" for suite in suites),
                "-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:schemathesis", "-q", "--no-header",
                f"--junitxml={junit}", "-o", "addopts=--strict-markers", *extra_args,
            ],
            cwd=ROOT, env=target_env(sb), capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
    failed, passed = [], 0
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed.append(f"{case.get('classname')}::{case.get('name')}")
            elif case.find("skipped") is None:
                passed += 1
    return SuiteRun(proc.returncode, failed, passed, proc.stdout[-3000:] + proc.stderr[-2000:])
