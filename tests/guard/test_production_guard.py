"""The production guard, end to end: a child pytest run as a partner would start it.

No test here touches the network: every proxy variable points at a local listener that records any
connection attempt, so "refused before any request" is observed, not assumed.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ottimate_validation.sandbox import EmbeddedSandbox

from ..suite_runs import ROOT, target_env

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


class ConnectionRecorder:
    """A TCP listener that counts connections and closes each at once."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._socket.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._socket.close()


@pytest.fixture
def recorder() -> Iterator[ConnectionRecorder]:
    listening = ConnectionRecorder()
    yield listening
    listening.close()


def child_pytest(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "suites", "-p", "no:randomly", "-p", "no:cacheprovider",
         "-p", "no:schemathesis", "-o", "addopts=--strict-markers", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def production_env(recorder: ConnectionRecorder, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTTIMATE_", "PYTEST_"))}
    env = {k: v for k, v in env.items() if k.lower() != "no_proxy"}
    env.update({name: f"http://127.0.0.1:{recorder.port}" for name in PROXY_VARIABLES})
    env.update(
        OTTIMATE_ENV_FILE="",
        OTTIMATE_API_URL="https://api.ottimate.com/v1",
        OTTIMATE_API_KEY="prod-key-0123456789",
        OTTIMATE_CLIENT_ID="prod-client",
        OTTIMATE_CLIENT_SECRET="prod-secret-0123456789",
        **extra,
    )
    return env


@pytest.mark.slow
def test_a_production_host_ends_the_run_with_one_sentence_and_exit_2_before_any_request(
    recorder: ConnectionRecorder,
) -> None:
    run = child_pytest(production_env(recorder))

    assert run.returncode == 2, run.stdout + run.stderr
    output = (run.stdout + run.stderr).strip()
    assert output.splitlines() == [
        "Exit: Refusing to run against the production host api.ottimate.com: validate against the sandbox, or "
        "pass --allow-production (or set OTTIMATE_ALLOW_PRODUCTION=true) to run only the read-only checks there."
    ]
    assert recorder.connections == 0, "a request left for production before the refusal"


@pytest.mark.slow
def test_allow_production_passes_the_guard_and_goes_on_to_probe_the_host(recorder: ConnectionRecorder) -> None:
    run = child_pytest(production_env(recorder), "--allow-production")

    output = run.stdout + run.stderr
    assert "Refusing" not in output
    assert recorder.connections > 0, "with the flag, the run should go on to reach the host (here: the recorder)"
    assert run.returncode == 2 and "The API at https://api.ottimate.com/v1 cannot be reached" in output
    assert "Traceback" not in output


@pytest.mark.slow
def test_allow_production_runs_only_the_read_only_checks_writes_nothing_and_says_so(tmp_path: Path) -> None:
    results = tmp_path / "allure-results"
    with EmbeddedSandbox() as sb:
        before = (len(sb.state.vendors._by_id), len(sb.state.dimensions._by_id))
        run = child_pytest(target_env(sb), "--allow-production", f"--alluredir={results}", "-q")
        after = (len(sb.state.vendors._by_id), len(sb.state.dimensions._by_id))

    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert after == before, f"a read-only run wrote: vendors and dimensions {before} -> {after}"
    assert "READ-ONLY RUN against http://127.0.0.1:" in output
    tests = [json.loads(p.read_text()) for p in results.glob("*-result.json")]
    assert len(tests) >= 50, f"expected the read-only checks to run, {len(tests)} did"
    untagged = [t["name"] for t in tests if {"name": "tag", "value": "READ-ONLY RUN"} not in t.get("labels", [])]
    assert not untagged, f"tests of a read-only run without the READ-ONLY tag in the report: {untagged[:5]}"
