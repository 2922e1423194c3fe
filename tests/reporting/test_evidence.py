"""The evidence plugin: exchanges as redacted transcripts, curl reproducers, and nothing secret kept."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

from fixtures import evidence
from ottimate_validation.report.exchanges import load_exchanges
from ottimate_validation.report.verdicts import load_outcomes
from ottimate_validation.sandbox import EmbeddedSandbox

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "ak_live_canary_0123456789"
SECRET = "cs_canary_secret_abcdefghij"
TOKEN = "tok_canary_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123"


@pytest.fixture(autouse=True)
def known_secrets() -> None:
    evidence.register_secrets(API_KEY, SECRET)


def token_exchange() -> tuple[httpx.Request, httpx.Response]:
    request = httpx.Request(
        "POST",
        "https://sandbox-auth.ottimate.com/oauth/token",
        headers={"X-Api-Key": API_KEY, "Accept": "application/json"},
        data={"grant_type": "client_credentials", "client_id": "cid-123", "client_secret": SECRET},
    )
    response = httpx.Response(
        200,
        headers={"Content-Type": "application/json", "X-Request-Id": "req_1", "Set-Cookie": "session=abc"},
        json={"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600},
        request=request,
    )
    return request, response


def vendor_exchange(body: object, status: int = 400) -> tuple[httpx.Request, httpx.Response]:
    request = httpx.Request(
        "POST",
        "https://sandbox-api.ottimate.com/v1/vendors?api_key=" + API_KEY,
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "X-Api-Key": API_KEY,
            "X-Partner-Trace": "internal-value",
            "Idempotency-Key": "idem-1",
        },
        json=body,
    )
    response = httpx.Response(status, json={"code": "validation_error", "message": "erp_vendor_id"}, request=request)
    return request, response


# --- transcripts ----------------------------------------------------------------------------


def test_a_transcript_shows_allowlisted_headers_and_hides_every_credential() -> None:
    request, response = token_exchange()

    text = evidence.format_exchange(request, response)

    assert text.startswith("POST https://sandbox-auth.ottimate.com/oauth/token\n")
    assert "X-Api-Key: [redacted]" in text
    assert "client_secret=[redacted]" in text
    assert "client_id=cid-123" in text
    assert "X-Request-Id: req_1" in text
    assert "Set-Cookie: [redacted]" in text, "a header not on the allowlist is hidden"
    assert '"access_token": "[redacted]"' in text
    assert "HTTP 200 OK" in text
    for secret in (API_KEY, SECRET, TOKEN):
        assert secret not in text


def test_a_token_seen_in_an_answer_is_scrubbed_wherever_it_appears_later() -> None:
    evidence.format_exchange(*token_exchange())  # learns the token from the answer
    request, response = vendor_exchange({"note": f"echo {TOKEN}"})

    text = evidence.format_exchange(request, response)

    assert TOKEN not in text
    assert "api_key=%5Bredacted%5D" not in text and "api_key=[redacted]" in text
    assert "Authorization: [redacted]" in text
    assert "X-Partner-Trace: [redacted]" in text


def test_a_huge_body_is_cut_with_a_note_of_what_was_left_out() -> None:
    request, response = vendor_exchange({"vendors": [{"erp_vendor_id": f"V{i:05d}"} for i in range(2000)]})

    text = evidence.format_exchange(request, response, limit=500)

    assert "more characters not shown]" in text
    assert len(text) < 2_000


# --- reproducers ----------------------------------------------------------------------------


def test_the_curl_reproducer_takes_credentials_from_the_shell_and_sends_the_same_body() -> None:
    request, _ = vendor_exchange({"erp_vendor_name": "O'Brien & Sons"})

    command = evidence.curl_command(request, token_url="https://sandbox-auth.ottimate.com/oauth/token")

    assert "curl -sS -i -X POST 'https://sandbox-api.ottimate.com/v1/vendors?api_key=[redacted]'" in command
    assert '-H "Authorization: Bearer $OTTIMATE_ACCESS_TOKEN"' in command
    assert '-H "X-Api-Key: $OTTIMATE_API_KEY"' in command
    assert "-H 'Idempotency-Key: idem-1'" in command
    assert "-H 'X-Partner-Trace: [redacted]'" in command
    assert "export OTTIMATE_ACCESS_TOKEN=" in command, "it says how to get the token it needs"
    assert "<<'OTTIMATE_BODY'\n" in command
    assert json.loads(command.split("<<'OTTIMATE_BODY'\n", 1)[1].split("\nOTTIMATE_BODY", 1)[0]) == {
        "erp_vendor_name": "O'Brien & Sons"
    }
    for secret in (API_KEY, SECRET, TOKEN):
        assert secret not in command


def test_a_token_request_reproducer_reads_the_client_secret_from_the_shell() -> None:
    request, _ = token_exchange()

    command = evidence.curl_command(request)

    assert '--data-urlencode "client_secret=$OTTIMATE_CLIENT_SECRET"' in command
    assert "--data-urlencode client_id=cid-123" in command
    assert SECRET not in command
    assert "OTTIMATE_ACCESS_TOKEN" not in command, "a token request needs no token"


@pytest.mark.skipif(os.name == "nt", reason="runs the reproducer in a POSIX shell")
def test_the_curl_reproducer_is_valid_shell(tmp_path: Path) -> None:
    request, _ = vendor_exchange({"text": "line one\n$HOME `x` 'q' \"d\""})
    command = evidence.curl_command(request, token_url="https://auth.example/oauth/token")
    fake_curl = tmp_path / "curl"
    fake_curl.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$ARGS"\ncat > "$BODY"\n', encoding="utf-8")
    fake_curl.chmod(0o755)
    env = {
        "PATH": f"{tmp_path}:{os.environ['PATH']}",
        "ARGS": str(tmp_path / "args"),
        "BODY": str(tmp_path / "body"),
        "OTTIMATE_API_KEY": "k",
        "OTTIMATE_ACCESS_TOKEN": "t",
    }
    last = command.rsplit("\ncurl ", 1)[1]  # the request itself (the token step would call curl too)

    subprocess.run(["sh", "-c", "curl " + last], env=env, check=True, timeout=30)

    args = (tmp_path / "args").read_text(encoding="utf-8").splitlines()
    assert "Authorization: Bearer t" in args
    assert "X-Api-Key: k" in args
    assert json.loads((tmp_path / "body").read_text(encoding="utf-8")) == {"text": "line one\n$HOME `x` 'q' \"d\""}


# --- scrubbing failure reports -------------------------------------------------------------


@dataclasses.dataclass
class Crash:
    message: str
    lines: list[str]
    location: tuple[str, int]


def test_scrubbing_reaches_strings_nested_in_objects_lists_and_tuples() -> None:
    crash = Crash(f"expected 200 with {API_KEY}", [f"E   token {SECRET}"], (f"/tmp/{SECRET}.py", 3))

    evidence._scrubbed(crash)

    assert crash.message == "expected 200 with [redacted]"
    assert crash.lines == ["E   token [redacted]"]
    assert crash.location == ("/tmp/[redacted].py", 3)


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
            "OTTIMATE_RUN_ID": "evidence",
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
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        tokens = _issued_tokens(sandbox)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]

    outcomes = load_outcomes(results)
    failed = [o for o in outcomes if o.status == "failed"]
    assert failed, "the fault should fail some authentication checks"
    assert all(o.criteria == ("Authentication",) for o in outcomes)
    assert all(not o.title.startswith("test_") for o in outcomes), "tests are titled by their scenario"
    assert all(o.category == "Contract violation" for o in failed)
    assert all(o.failed_operations for o in failed), "a failed check is counted against the operation it was about"
    assert any("POST /oauth/token" in o.operations for o in outcomes if o.status == "passed")

    data = [json.loads(p.read_text(encoding="utf-8")) for p in results.glob("*-result.json")]
    for result in data:
        labels = {label["name"] for label in result["labels"]}
        assert {"epic", "feature", "story", "severity"} <= labels, result["name"]
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
    assert len(load_exchanges(results)) > len(outcomes)

    parameters = ET.parse(results / "environment.xml").getroot().iter("parameter")
    facts = {p.findtext("key"): p.findtext("value") for p in parameters}
    assert facts["Target"] == "Embedded sandbox (started separately)"
    assert facts["Run id"] == "evidence"
    assert (results / "categories.json").is_file()

    # Nothing written holds a credential: results, attachments, JUnit XML.
    secrets = {user.api_key, user.client_secret, *tokens}
    assert len(tokens) > 1
    for path in [*results.iterdir(), junit]:
        text = path.read_text(encoding="utf-8", errors="replace")
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{path.name} holds a credential"
