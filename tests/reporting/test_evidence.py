"""The evidence plugin in a real run: labels, reproducers, checks in the ledger, no secret written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ottimate_validation.run.judge import operations_by_test
from ottimate_validation.run.ledger import read_ledger
from ottimate_validation.sandbox import EmbeddedSandbox

ROOT = Path(__file__).resolve().parents[2]


# --- the plugin in a real run ---------------------------------------------------------------


def _issued_tokens(sandbox: EmbeddedSandbox) -> set[str]:
    """Every token the sandbox issued (read from its state, which only the harness may do)."""
    tokens: set[str] = set()
    for value in vars(sandbox.state).values():
        issued = getattr(value, "_tokens", None)
        if isinstance(issued, dict):
            tokens.update(k for k in issued if isinstance(k, str))
    return tokens


@pytest.mark.slow
def test_a_real_run_labels_every_test_attaches_reproducers_and_writes_no_secret(tmp_path: Path) -> None:
    results, junit = tmp_path / "allure-results", tmp_path / "junit.xml"
    with EmbeddedSandbox() as sandbox:
        # A broken API: resource calls succeed without credentials, so some auth checks fail.
        sandbox.state.faults.set(("auth_not_enforced",))
        user = sandbox.users["account"]
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("OTTIMATE_", "PYTEST_", "HYPOTHESIS_"))},
            "OTTIMATE_ENV_FILE": "",
            "OTTIMATE_API_URL": sandbox.api_url,
            "OTTIMATE_AUTH_URL": sandbox.auth_url,
            "OTTIMATE_API_KEY": user.api_key,
            "OTTIMATE_CLIENT_ID": user.client_id,
            "OTTIMATE_CLIENT_SECRET": user.client_secret,
        }
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "suites/auth/test_request_authentication.py",
                "suites/auth/test_token_endpoint.py",
                "-p",
                "no:randomly",
                "-p",
                "no:cacheprovider",
                "-q",
                f"--alluredir={results}",
                f"--junitxml={junit}",
                f"--run-dir={tmp_path}",
                "--run-id=evidence",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        tokens = _issued_tokens(sandbox)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]

    records = read_ledger(tmp_path)
    checks = records.checks
    failed = [c for c in checks if c.status == "failed"]
    assert failed, "the fault should fail some authentication checks"
    assert all(c.criterion == "Authentication" for c in checks)
    assert all(not c.title.startswith("test_") for c in checks), "tests are titled by their scenario"
    assert all(c.category == "Contract violation" for c in failed)
    assert all(c.failed_operation for c in failed), "a failed check is counted against the operation it was about"
    used = operations_by_test(records.exchanges)
    assert any("POST /oauth/token" in used.get(c.test, ()) for c in checks if c.status == "passed")

    data = [json.loads(p.read_text(encoding="utf-8")) for p in results.glob("*-result.json")]
    for result in data:
        labels = {label["name"] for label in result["labels"]}
        assert {"epic", "feature", "story", "severity"} <= labels, result["name"]
        named = {label["name"]: label["value"] for label in result["labels"]}
        # The suites' evidence is one part of a report that may hold an integration run's beside it.
        assert named["parentSuite"] == "Your sandbox and credentials", result["name"]
        assert (named["suite"], named["subSuite"]) == (named["epic"], named["feature"]), result["name"]
        assert "framework" not in labels
        assert any(link["url"].startswith("https://docs.ottimate.com/") for link in result["links"])
    reproducers = [
        a["source"]
        for result in data
        if result["status"] == "failed"
        for a in result.get("attachments", [])
        if a["name"] == "Reproduce the last request (curl)"
    ]
    assert len(reproducers) == len(failed)
    assert "curl -sS -i -X" in (results / reproducers[0]).read_text(encoding="utf-8")
    assert len(records.api_exchanges) > len(checks)
    assert all(x.test for x in records.exchanges if x.source == "hand"), "each exchange names its test"

    parameters = ET.parse(results / "environment.xml").getroot().iter("parameter")
    facts = {p.findtext("key"): p.findtext("value") for p in parameters}
    assert facts["Target"] == "Embedded sandbox (started separately)"
    assert facts["Run id"] == "evidence"
    assert (results / "categories.json").is_file()

    # Nothing written holds a credential: results, attachments, JUnit XML.
    secrets = {user.api_key, user.client_secret, *tokens}
    assert len(tokens) > 1
    for path in [*results.iterdir(), *(tmp_path / "ledger").iterdir(), junit]:
        text = path.read_text(encoding="utf-8", errors="replace")
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{path.name} holds a credential"
