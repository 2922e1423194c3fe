"""The evidence plugin: exchanges as redacted transcripts, curl reproducers, and nothing secret kept."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from ottimate_validation.pytest_plugin.evidence import scrubbed
from ottimate_validation.report.curl import curl_command
from ottimate_validation.report.redact import Secrets
from ottimate_validation.report.transcript import format_exchange

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "ak_live_canary_0123456789"
SECRET = "cs_canary_secret_abcdefghij"
TOKEN = "tok_canary_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123"


@pytest.fixture
def secrets() -> Secrets:
    return Secrets(API_KEY, SECRET)


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


def test_a_transcript_shows_allowlisted_headers_and_hides_every_credential(secrets: Secrets) -> None:
    request, response = token_exchange()

    text = format_exchange(request, response, secrets=secrets)

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


def test_a_token_seen_in_an_answer_is_scrubbed_wherever_it_appears_later(secrets: Secrets) -> None:
    format_exchange(*token_exchange(), secrets=secrets)  # learns the token from the answer
    request, response = vendor_exchange({"note": f"echo {TOKEN}"})

    text = format_exchange(request, response, secrets=secrets)

    assert TOKEN not in text
    assert "api_key=%5Bredacted%5D" not in text and "api_key=[redacted]" in text
    assert "Authorization: [redacted]" in text
    assert "X-Partner-Trace: [redacted]" in text


def test_a_huge_body_is_cut_with_a_note_of_what_was_left_out(secrets: Secrets) -> None:
    request, response = vendor_exchange({"vendors": [{"erp_vendor_id": f"V{i:05d}"} for i in range(2000)]})

    text = format_exchange(request, response, secrets=secrets, limit=500)

    assert "more characters not shown]" in text
    assert len(text) < 2_000


# --- reproducers ----------------------------------------------------------------------------


def test_the_curl_reproducer_takes_credentials_from_the_shell_and_sends_the_same_body(secrets: Secrets) -> None:
    request, _ = vendor_exchange({"erp_vendor_name": "O'Brien & Sons"})

    secrets.add(TOKEN)
    command = curl_command(request, token_url="https://sandbox-auth.ottimate.com/oauth/token", secrets=secrets)

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

    command = curl_command(request)

    assert '--data-urlencode "client_secret=$OTTIMATE_CLIENT_SECRET"' in command
    assert "--data-urlencode client_id=cid-123" in command
    assert SECRET not in command
    assert "OTTIMATE_ACCESS_TOKEN" not in command, "a token request needs no token"


@pytest.mark.skipif(os.name == "nt", reason="runs the reproducer in a POSIX shell")
def test_the_curl_reproducer_is_valid_shell(tmp_path: Path) -> None:
    request, _ = vendor_exchange({"text": "line one\n$HOME `x` 'q' \"d\""})
    command = curl_command(request, token_url="https://auth.example/oauth/token")
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


def test_scrubbing_reaches_strings_nested_in_objects_lists_and_tuples(secrets: Secrets) -> None:
    crash = Crash(f"expected 200 with {API_KEY}", [f"E   token {SECRET}"], (f"/tmp/{SECRET}.py", 3))

    scrubbed(crash, secrets)

    assert crash.message == "expected 200 with [redacted]"
    assert crash.lines == ["E   token [redacted]"]
    assert crash.location == ("/tmp/[redacted].py", 3)


def test_a_secret_is_scrubbed_whole_even_when_another_is_inside_it() -> None:
    secrets = Secrets("abcd", "xxabcdxx")

    assert secrets.scrub("key xxabcdxx and abcd") == "key [redacted] and [redacted]"
    assert Secrets("abc").scrub("abc") == "abc", "values shorter than four characters would scrub ordinary words"
