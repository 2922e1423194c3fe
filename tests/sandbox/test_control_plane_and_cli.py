"""The control plane (embedded only) and `ottimate-sandbox serve`."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from .conftest import Box, vendor_body


def test_reset_forgets_created_data_but_keeps_credentials(box: Box, api: httpx.Client, company_id: int) -> None:
    vendor = api.post("/vendors", json=vendor_body(company_id)).json()["vendor"]
    before = box.sb.users["account"]
    box.control("POST", "reset")
    assert box.sb.users["account"].client_secret == before.client_secret
    with box.api() as fresh:
        assert fresh.get(f"/vendors/{vendor['id']}").status_code == 404


def test_the_clock_only_moves_forward(box: Box) -> None:
    start = box.control("GET", "clock").json()["now"]
    later = box.control("POST", "clock", json={"advance_seconds": 86400}).json()["now"]
    assert later > start
    assert box.http.post(f"{box.sb.url}/_sandbox/clock", json={"advance_seconds": -1}).status_code == 400


def test_faults_are_listed_switched_and_unknown_names_refused(box: Box) -> None:
    listed = box.control("GET", "faults").json()
    assert {
        "auth_not_enforced",
        "scope_not_enforced",
        "validation_not_enforced",
        "field_dropped",
        "field_corrupted",
        "pagination_loses_item",
        "filters_ignored",
        "idempotency_ignored",
    } <= set(listed["available"])
    assert box.control("PUT", "faults", json={"enabled": ["field_dropped"]}).json()["enabled"] == ["field_dropped"]
    r = box.http.put(f"{box.sb.url}/_sandbox/faults", json={"enabled": ["no_such_fault"]})
    assert r.status_code == 400 and "no_such_fault" in r.json()["message"]


def test_config_rejects_unknown_settings(box: Box) -> None:
    assert box.http.patch(f"{box.sb.url}/_sandbox/config", json={"colour": 1}).status_code == 400
    assert box.http.patch(f"{box.sb.url}/_sandbox/config", json={"burst": "many"}).status_code == 400


def _serve(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ottimate_validation.sandbox.cli", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def _announced(proc: subprocess.Popen[str]) -> dict[str, str]:
    assert proc.stdout is not None
    exports: dict[str, str] = {}
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").strip().partition("=")
            exports[name] = value
        if "OTTIMATE_SCOPED_CLIENT_SECRET" in exports:
            return exports
    pytest.fail("ottimate-sandbox serve did not announce its URL and credentials")


def test_serve_picks_a_free_port_and_prints_url_and_credentials() -> None:
    proc = _serve("--port", "0")
    try:
        env = _announced(proc)
        assert env["OTTIMATE_API_URL"].startswith("http://127.0.0.1:") and env["OTTIMATE_API_URL"].endswith("/v1")
        r = httpx.post(
            env["OTTIMATE_AUTH_URL"] + "/oauth/token",
            headers={"X-Api-Key": env["OTTIMATE_API_KEY"]},
            data={
                "grant_type": "client_credentials",
                "client_id": env["OTTIMATE_CLIENT_ID"],
                "client_secret": env["OTTIMATE_CLIENT_SECRET"],
            },
        )
        assert r.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_accepts_the_credentials_set_in_the_environment() -> None:
    mine = {
        "OTTIMATE_API_KEY": "key-from-env",
        "OTTIMATE_CLIENT_ID": "client-from-env",
        "OTTIMATE_CLIENT_SECRET": "secret-from-env",
    }
    proc = _serve(env=mine)
    try:
        env = _announced(proc)
        assert {k: env[k] for k in mine} == mine
        r = httpx.post(
            env["OTTIMATE_AUTH_URL"] + "/oauth/token",
            headers={"X-Api-Key": "key-from-env"},
            data={
                "grant_type": "client_credentials",
                "client_id": "client-from-env",
                "client_secret": "secret-from-env",
            },
        )
        assert r.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--host", "0.0.0.0"], "loopback"), (["--port", "70000"], "port"), (["--bogus"], "unrecognized")],
)
def test_serve_refuses_bad_input_with_one_clear_line(args: list[str], message: str) -> None:
    proc = _serve(*args)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 2 and message in err and "Traceback" not in err
