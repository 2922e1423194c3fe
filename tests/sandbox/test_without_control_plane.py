"""Served without its control plane, the sandbox looks like the real one: /_sandbox is an unknown path."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from ottimate_validation.run.http import plain_client
from ottimate_validation.run.ledger import Ledger, Source
from ottimate_validation.run.target import _probe_control_plane
from ottimate_validation.sandbox import EmbeddedSandbox

from .conftest import Box, vendor_body

CONTROL_CALLS = [
    ("GET", "/_sandbox/health"),
    ("POST", "/_sandbox/reset"),
    ("POST", "/_sandbox/clock"),
    ("PATCH", "/_sandbox/config"),
    ("PUT", "/_sandbox/faults"),
]


@pytest.fixture(scope="module")
def bare() -> Iterator[EmbeddedSandbox]:
    with EmbeddedSandbox(seed=7, control_plane=False) as sb:
        yield sb


@pytest.mark.parametrize(("method", "path"), CONTROL_CALLS)
def test_every_control_path_answers_like_an_unknown_path(bare: EmbeddedSandbox, method: str, path: str) -> None:
    unknown = httpx.request(method, f"{bare.url}/no-such-thing")
    control = httpx.request(method, f"{bare.url}{path}")
    assert (control.status_code, unknown.status_code) == (404, 404)
    assert control.headers["Content-Type"] == unknown.headers["Content-Type"]
    body, reference = control.json(), unknown.json()
    assert set(body) == set(reference) == {"code", "message", "request_id", "timestamp"}
    assert body["code"] == reference["code"]
    assert body["message"] == reference["message"].replace("/no-such-thing", path)


def test_the_suites_find_no_control_plane_there(bare: EmbeddedSandbox) -> None:
    with plain_client(bare.api_url, Ledger(), source=Source.PREFLIGHT) as http:
        assert _probe_control_plane(http, bare.api_url) is None
        with EmbeddedSandbox(seed=7) as full:  # the default keeps it, so the check itself is not vacuous
            assert _probe_control_plane(http, full.api_url) == f"{full.url}/_sandbox"


def test_the_api_still_works_without_it(bare: EmbeddedSandbox) -> None:
    user = bare.users["account"]
    with httpx.Client() as http, Box(bare, http).api() as api:
        account = api.get("/accounts")
        assert account.status_code == 200 and account.json()["results"]
        company = min(user.company_ids)
        created = api.post("/vendors", json=vendor_body(company))
        assert created.status_code == 201, created.text
        assert api.get(f"/vendors/{created.json()['vendor']['id']}").status_code == 200


def test_serve_rehearses_a_real_sandbox_without_control_plane_and_with_latency() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            *("-m", "ottimate_validation.sandbox.cli", "serve", "--port", "0"),
            *("--no-control-plane", "--latency-ms", "300"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(line.startswith("# Ctrl-C") for line in lines):
            lines.append(proc.stdout.readline())
        api_url = next(line.strip().partition("=")[2] for line in lines if line.startswith("export OTTIMATE_API_URL="))
        assert any("No control plane" in line for line in lines), lines
        assert httpx.get(api_url.removesuffix("/v1") + "/_sandbox/health").status_code == 404
        exported = dict(
            line.removeprefix("export ").strip().split("=", 1) for line in lines if line.startswith("export ")
        )
        started = time.monotonic()
        token = httpx.post(
            f"{exported['OTTIMATE_AUTH_URL']}/oauth/token",
            headers={"X-Api-Key": exported["OTTIMATE_API_KEY"]},
            data={
                "grant_type": "client_credentials",
                "client_id": exported["OTTIMATE_CLIENT_ID"],
                "client_secret": exported["OTTIMATE_CLIENT_SECRET"],
                "scope": "accounts.can_access_dashboard",
            },
        )
        assert token.status_code == 200, token.text
        assert time.monotonic() - started >= 0.3, "--latency-ms 300 should delay every call by 300 ms"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_negative_latency_is_refused_in_one_sentence() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ottimate_validation.sandbox.cli", "serve", "--latency-ms", "-5"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "ottimate-sandbox: --latency-ms must be 0-60000, got -5.", done.stderr


def test_the_flag_is_described_in_the_help() -> None:
    help_text = subprocess.run(
        [sys.executable, "-m", "ottimate_validation.sandbox.cli", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--no-control-plane" in help_text and "real-sandbox run" in " ".join(help_text.split())
