"""`ottimate-sandbox serve` prints a link that opens the dashboard signed in, once."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest


def _serve(*args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTTIMATE_")}
    return subprocess.Popen(
        [sys.executable, "-m", "ottimate_validation.sandbox.cli", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _lines_until_ctrl_c(proc: subprocess.Popen[str]) -> list[str]:
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line.rstrip("\n"))
        if "Ctrl-C stops it" in line:
            return lines
    pytest.fail("ottimate-sandbox serve did not finish its announcement:\n" + "\n".join(lines))


def test_serve_prints_a_dashboard_link_that_signs_in_once() -> None:
    proc = _serve("--port", "0")
    try:
        lines = _lines_until_ctrl_c(proc)
        link = next(line.removeprefix("Dashboard: ") for line in lines if line.startswith("Dashboard: "))
        api_url = next(line.split("=", 1)[1] for line in lines if line.startswith("export OTTIMATE_API_URL="))
        assert link.startswith(api_url.removesuffix("/v1") + "/_dashboard/?token=")
        with httpx.Client(follow_redirects=True) as browser:
            page = browser.get(link)
            assert page.status_code == 200 and "Signed in as" in page.text and "account-level API user" in page.text
        with httpx.Client(follow_redirects=True) as other:
            again = other.get(link)
            assert "Sign in to the sandbox dashboard" in again.text and "already used" in again.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_without_a_control_plane_serves_no_dashboard() -> None:
    proc = _serve("--port", "0", "--no-control-plane")
    try:
        lines = _lines_until_ctrl_c(proc)
        assert not any(line.startswith("Dashboard:") for line in lines)
        api_url = next(line.split("=", 1)[1] for line in lines if line.startswith("export OTTIMATE_API_URL="))
        assert httpx.get(api_url.removesuffix("/v1") + "/_dashboard/").status_code == 404
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_refuses_a_remote_address_without_allow_remote() -> None:
    proc = _serve("--host", "0.0.0.0")
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 2
    assert "refusing to listen on 0.0.0.0; it is meant for loopback (pass --allow-remote to override)" in err
