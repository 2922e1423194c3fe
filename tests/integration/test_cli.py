"""`ottimate-validate integration`: exit codes, the five verdict lines, where the report is; usage errors in
one sentence; never a traceback; no secret in anything it writes or prints."""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ottimate_validation.cli import validate as cli
from ottimate_validation.report.criteria import CRITERIA

from ..secrets.test_no_secret_leaves import leaks_in
from .conftest import HERE, UNICODE_ERP, sample, write_plan

VERDICT_LINE = re.compile(
    r"^(Authentication|Core Functionality|Error Handling|Data Integrity|Integration Stability) \.+ "
)


def _cli(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OTTIMATE_")}
    environment.update({"OTTIMATE_ENV_FILE": "", **(env or {})})
    command = [
        sys.executable,
        "-m",
        "ottimate_validation.cli",
        "integration",
        "--reports-dir",
        str(tmp_path / "reports"),
    ]
    return subprocess.run(
        [*command, *args], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=timeout, check=False
    )


def _verdict_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if VERDICT_LINE.match(line)]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--no-report"], "No command to run: put your integration's command after `--`"),
        (["--no-report", "--"], "No command to run"),
        (["--frobnicate", "--", "true"], "unrecognized arguments: --frobnicate"),
        (["--faults", "429-read,meteor", "--", "true"], "unknown fault 'meteor'"),
        (["--passes", "clean,sideways", "--", "true"], "invalid passes 'clean,sideways'"),
        (["--time-limit", "0", "--", "true"], "time limit must be greater than 0"),
    ],
)
def test_usage_errors_exit_2_with_one_sentence(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = cli.main(["integration", "--reports-dir", str(tmp_path), *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "latest").exists()  # nothing was run


def test_a_bad_plan_exits_2_naming_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    plan = write_plan(tmp_path, '[plan]\noperations = ["GET /vendorz"]\n[integration]\nincremental = true\n')
    assert cli.main(["integration", "--plan", str(plan), "--no-report", "--", "true"]) == 2
    err = capsys.readouterr().err
    assert f"{plan}: 'GET /vendorz' in plan.operations is not a documented operation" in err
    plan.write_text('[plan]\noperations = ["GET /vendors"]\n[integration]\nincremental = "yes"\n')
    assert cli.main(["integration", "--plan", str(plan), "--no-report", "--", "true"]) == 2
    assert f"{plan}: 'integration.incremental' must be true or false." in capsys.readouterr().err


@pytest.mark.parametrize("allow", [False, True])
def test_a_production_host_is_refused_before_anything_runs(
    allow: bool, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTTIMATE_API_URL", "https://api.ottimate.com/v1")
    for name, value in (("API_KEY", "k"), ("CLIENT_ID", "c"), ("CLIENT_SECRET", "s")):
        monkeypatch.setenv(f"OTTIMATE_{name}", value)
    if allow:  # allowed for a read-only validation run; never for an integration, which writes
        monkeypatch.setenv("OTTIMATE_ALLOW_PRODUCTION", "true")
    marker = tmp_path / "ran"
    code = cli.main(["integration", "--reports-dir", str(tmp_path), "--no-report", "--", "touch", str(marker)])
    assert code == 2
    assert "Refusing to run against the production host api.ottimate.com" in capsys.readouterr().err
    assert not marker.exists()


def test_the_subcommand_is_listed_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["integration", "--help"]) == 0
    out = capsys.readouterr().out
    assert "-- COMMAND" in out or "after `--`" in out
    for option in ("--plan", "--passes", "--faults", "--seed", "--time-limit", "--incremental"):
        assert option in out


def test_a_passing_integration_exits_0_with_five_rehearsed_lines(tmp_path: Path) -> None:
    done = _cli(tmp_path, "--passes", "clean", "--no-report", "--", *sample())
    assert done.returncode == 0, done.stdout + done.stderr
    lines = _verdict_lines(done.stdout)
    assert [line.split(" ", 1)[0] for line in lines] == [c.split(" ", 1)[0] for c in CRITERIA]
    assert all(" Rehearsed (" in line for line in lines), lines
    assert "Your integration: Rehearsal passed on the embedded sandbox" in done.stdout
    assert "Report: skipped (--no-report)" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_a_leaking_integration_fails_and_no_secret_is_written_or_printed(tmp_path: Path) -> None:
    sink = tmp_path / "leaked.jsonl"
    done = _cli(
        tmp_path, "--passes", "clean", "--", sys.executable, str(HERE / "commands" / "leaky.py"),
        env={"LEAK_SINK": str(sink)},
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    lines = _verdict_lines(done.stdout)
    assert len(lines) == 5 and "Authentication .......... Not ready" in lines[0], lines
    report = re.search(r"^Report: (.+report\.html)$", done.stdout, re.MULTILINE)
    assert report and Path(report.group(1)).is_file(), done.stdout
    assert "auth.no-secret-in-output" in done.stdout and "auth.no-credential-in-url" in done.stdout
    assert "data.no-duplicates" in done.stdout and "purchase order" in done.stdout  # quoting the token: scrubbed
    assert "Traceback" not in done.stdout + done.stderr

    secrets: dict[str, str] = {}
    for line in sink.read_text().splitlines():
        key, secret, token = json.loads(line)
        secrets |= {"the API key": key, "the client secret": secret, f"token {token[:4]}": token}
    leaks = leaks_in("stdout", done.stdout.encode(), secrets) + leaks_in("stderr", done.stderr.encode(), secrets)
    written = [p for p in (tmp_path / "reports").rglob("*") if p.is_file() and not p.is_symlink()]
    assert len(written) > 10
    for path in written:
        content = path.read_bytes()
        leaks += leaks_in(str(path.relative_to(tmp_path)), content, secrets)
        if path.name == "report.html":
            for blob in _packed(content):  # the page's gzipped app and data
                leaks += leaks_in(f"{path.name} (unpacked)", blob, secrets)
    assert not leaks, leaks


def _packed(page: bytes) -> list[bytes]:
    found = []
    for run in re.findall(rb"[A-Za-z0-9+/=]{2000,}", page):
        try:
            found.append(gzip.decompress(base64.b64decode(run)))
        except (ValueError, OSError, EOFError):
            continue
    assert found, "the report's packed data was not found"
    return found


def test_a_plan_with_erp_files_and_the_integration_table_is_read(tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path,
        f"""
        [plan]
        operations = ["GET /vendors", "POST /vendors/bulk", "GET /dimensions", "POST /dimensions/bulk"]
        [erp]
        vendors = "{UNICODE_ERP / "vendors.csv"}"
        dimensions = "{UNICODE_ERP / "dimensions.json"}"
        [integration]
        incremental = true
        """,
    )
    done = _cli(
        tmp_path, "--plan", str(plan), "--passes", "clean", "--no-report", "--", *sample("--erp", str(UNICODE_ERP))
    )
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((tmp_path / "reports" / "latest" / "summary.json").read_text())
    assert summary["incremental"] is True
    assert str(plan) in summary["plan"]
    erp = [f for f in summary["findings"] if f["rule"] == "data.erp-records-match"]
    assert erp and erp[0]["status"] == "passed" and "All 6 ERP records" in erp[0]["finding"]
    assert "Used but not planned: GET /accounts" in next(
        f["finding"] for f in summary["findings"] if f["rule"] == "core.operations-exercised"
    )


INTERRUPTING = """
import os, runpy, signal, sys, time
from pathlib import Path
marker = Path("ran-once")
if not marker.exists():  # the clean pass: the sample integration, as it is
    marker.write_text("")
    sys.argv = [{sample!r}]
    runpy.run_path({sample!r}, run_name="__main__")
else:  # the repeat pass: the partner presses Ctrl-C while it runs
    os.kill(os.getppid(), signal.SIGINT)
    time.sleep(60)
"""


def test_an_interrupted_run_judges_the_passes_that_completed_and_is_not_ready(tmp_path: Path) -> None:
    script = tmp_path / "interrupting.py"
    script.write_text(INTERRUPTING.format(sample=str(HERE / "sample.py")), encoding="utf-8")
    done = _cli(tmp_path, "--passes", "clean,repeat", "--no-report", "--", sys.executable, str(script))
    assert done.returncode == 130, done.stdout + done.stderr
    assert "interrupted during the repeat pass" in done.stderr + done.stdout
    assert "Your integration: Not evidenced (interrupted: the repeat pass did not run)" in done.stdout
    lines = _verdict_lines(done.stdout)
    assert len(lines) == len(CRITERIA) and not any(" Ready (" in line or " Rehearsed (" in line for line in lines)
    assert "Traceback" not in done.stdout + done.stderr
    (run_dir,) = [p for p in (tmp_path / "reports").iterdir() if p.is_dir() and p.name != "latest"]
    finished = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))["finished"]
    assert finished["interrupted"] is True and finished["ready"] is False
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["not_run"] == ["repeat"] and [p["name"] for p in summary["passes"]] == ["clean"]
    assert any(f["status"] == "passed" for f in summary["findings"]), "the clean pass was not judged"


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_kept_dashboards_stay_up_until_stopped_then_the_run_exits_with_its_verdict(tmp_path: Path, stop) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OTTIMATE_")}
    environment["OTTIMATE_ENV_FILE"] = ""
    command = [sys.executable, "-m", "ottimate_validation.cli", "integration", "--reports-dir", str(tmp_path / "r")]
    command += ["--passes", "clean", "--no-report", "--keep-dashboards", "--", *sample()]
    proc = subprocess.Popen(command, cwd=tmp_path, env=environment, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    said: list[str] = []
    try:
        for line in proc.stdout:  # the sample takes about a second; the lines come as they are said
            said.append(line.rstrip("\n"))
            if "Ctrl-C stops them" in line:
                break
        links = [line.rsplit(": ", 1)[1] for line in said if line.startswith("Dashboard of embedded sandbox A, ")]
        assert len(links) == 1, "\n".join(said)
        with httpx.Client(follow_redirects=True) as browser:
            assert "Signed in as" in browser.get(links[0], timeout=10).text  # up while the run waits
        proc.send_signal(stop)
        rest, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, "\n".join(said) + rest  # the run's own verdict: the sample holds every rule
    assert "Traceback" not in rest
    with pytest.raises(httpx.TransportError):
        httpx.get(links[0], timeout=2)  # and the sandboxes are stopped
