"""Run validation suites in a child pytest against an embedded sandbox, as a partner would run them.

The child reaches the sandbox over HTTP only, through the same ``OTTIMATE_*`` variables a partner sets
for the real sandbox (so it has no control plane in-process); the parent switches faults or variations
on through the sandbox object before the run starts. The sandbox is the child's alone (``--own-sandbox``),
so its tests may use its control plane. Shared by ``tests/fault_detection`` (a fault on:
the owning suite must fail), ``tests/robustness`` (a variation on: the suites must pass) and
``tests/readings`` (another reading of the docs: nothing may be Not ready because of a decision).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ottimate_validation.run.ledger import Records, read_ledger
from ottimate_validation.sandbox import EmbeddedSandbox

ROOT = Path(__file__).resolve().parents[1]
CONTROL_PREFIX = "/_sandbox"  # the embedded sandbox's control plane: not the API, never counted
SUITES = sorted(p.name for p in (ROOT / "suites").iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


@dataclass
class SuiteRun:
    returncode: int
    failed: list[str]
    passed: int
    output: str
    requests: int = 0  # API and auth requests the sandbox received (its control plane aside)
    skipped: dict[str, str] = field(default_factory=dict)  # test -> skip message
    passed_by_suite: dict[str, int] = field(default_factory=dict)
    stdout: str = ""  # the whole console output (``output`` keeps only its end, for messages)
    records: Records = field(default_factory=Records)  # the run's ledger
    run_dir: Path | None = None  # the run's folder (run.json, ledger/)


class _RequestCounter:
    """WSGI middleware counting every request to the API or the auth server, whatever its answer.

    Counted at the door rather than read from the sandbox's quota (``rate_limiter.used_today``): the
    quota skips requests without a valid API key, and the stability suite moves the sandbox clock past
    midnight, which starts a new quota day."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._lock = threading.Lock()
        self.count = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not str(environ.get("PATH_INFO", "")).startswith(CONTROL_PREFIX):
            with self._lock:
                self.count += 1
        return self._app(environ, start_response)


def target_env(sb: EmbeddedSandbox, hypothesis_profile: str = "ci") -> dict[str, str]:
    """The environment of a run against ``sb``: ours without any OTTIMATE_/PYTEST_/HYPOTHESIS_ setting."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OTTIMATE_", "PYTEST_", "HYPOTHESIS_"))},
        "OTTIMATE_ENV_FILE": "",
        **sb.target_variables(),
        "HYPOTHESIS_PROFILE": hypothesis_profile,
    }


def run_suites(
    suites: Sequence[str],
    tmp_path: Path,
    *,
    faults: Sequence[str] = (),
    variations: Sequence[str] = (),
    reading: str | None = None,
    extra_args: Sequence[str] = (),
    timeout: float = 600,
    hypothesis_profile: str = "ci",
    env: Mapping[str, str] | None = None,
) -> SuiteRun:
    """``env``: variables set over the sandbox's own (an empty value unsets an OTTIMATE_ setting)."""
    sandbox = EmbeddedSandbox(variations=variations, reading=reading)
    received = _RequestCounter(sandbox.app)
    sandbox.app = received  # before start(): the server serves whatever app the sandbox holds then
    with sandbox as sb:
        sb.state.faults.set(faults)
        label = "-".join(suites) + (f"-{reading}" if reading else "")
        junit = tmp_path / f"{label}.xml"
        run_dir = tmp_path / f"run-{label}"
        proc = subprocess.run(
            [
                sys.executable, "-m", "pytest", *(f"suites/{suite}" for suite in suites),
                "-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:anyio",
                "-p", "no:faker", "-q", "--no-header", f"--junitxml={junit}", "-o", "addopts=--strict-markers",
                f"--run-dir={run_dir}", "--own-sandbox",
                *extra_args,
            ],
            cwd=ROOT, env={**target_env(sb, hypothesis_profile), **(env or {})},
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
    output = proc.stdout[-3000:] + proc.stderr[-2000:]
    run = SuiteRun(
        proc.returncode,
        [],
        0,
        output,
        requests=received.count,
        stdout=proc.stdout,
        records=read_ledger(run_dir),
        run_dir=run_dir,
    )
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            name = f"{case.get('classname')}::{case.get('name')}"
            skipped = case.find("skipped")
            if case.find("failure") is not None or case.find("error") is not None:
                run.failed.append(name)
            elif skipped is not None:
                run.skipped[name] = skipped.get("message", "")
            else:
                run.passed += 1
                suite = name.split(".")[1] if name.startswith("suites.") else ""
                run.passed_by_suite[suite] = run.passed_by_suite.get(suite, 0) + 1
    return run
