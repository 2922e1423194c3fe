"""Bad input: a command that does not exist, exits at once, hangs, floods, prints megabytes or binary, or
speaks broken HTTP gives a clear finding, in bounded time, and the evidence is still written."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from ottimate_validation.integration.command import KEEP_BYTES
from ottimate_validation.integration.model import Limits

from .conftest import HERE, Integrate, explain, failed_rules, finding, verdicts

COMMANDS = HERE / "commands"


def _evidence_written(result: object) -> None:
    from ottimate_validation.integration.run import RunResult

    assert isinstance(result, RunResult)
    assert (result.run_dir / "summary.md").is_file()
    assert list((result.run_dir / "allure-results").glob("*-result.json"))
    assert list((result.run_dir / "ledger").glob("*.jsonl"))


def test_a_command_that_does_not_exist_is_a_finding_not_a_crash(integrate: Integrate) -> None:
    started = time.monotonic()
    result = integrate(("ottimate-no-such-command-here", "--sync"), passes=("clean", "fault"), report=True)
    assert time.monotonic() - started < 60
    completes = finding(result, "errors.completes")
    assert completes.holds is False
    assert "could not be started: no such command: ottimate-no-such-command-here" in completes.finding
    assert result.exit_code == 1
    _evidence_written(result)
    assert result.report is not None and result.report.is_file()  # the report too, with nothing recorded


def test_a_command_that_exits_at_once_has_exercised_nothing(integrate: Integrate) -> None:
    result = integrate((sys.executable, "-c", "pass"))
    assert finding(result, "errors.completes").holds is True
    core = finding(result, "core.operations-exercised")
    assert core.holds is False and "no request" in core.finding
    assert verdicts(result)["Core Functionality"] == "Not ready"
    assert result.exit_code == 1
    _evidence_written(result)


def test_a_command_that_hangs_is_stopped_with_its_children(integrate: Integrate, tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "print('syncing...', flush=True)\n"
        "time.sleep(120)\n"
    )
    started = time.monotonic()
    result = integrate((sys.executable, "-c", script), time_limit=1.5)
    assert time.monotonic() - started < 15
    completes = finding(result, "errors.completes")
    assert completes.holds is False
    assert "did not finish within its time limit of 1.5 s and was stopped" in completes.finding
    assert _dead(int(pid_file.read_text()))  # the whole process group was stopped
    _evidence_written(result)


def _dead(pid: int) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return True
        if "State:\tZ" in status:
            return True  # a zombie: killed, waiting for a parent that is gone to reap it
        time.sleep(0.05)
    return False


def test_a_command_flooding_the_sandbox_is_held_to_the_limits(integrate: Integrate) -> None:
    limits = Limits(rate_per_second=50, burst=100)
    result = integrate((sys.executable, str(COMMANDS / "flood.py")), limits=limits, time_limit=30)
    rate = finding(result, "stability.within-rate-limits")
    assert rate.holds is False
    assert "refused by the target's own rate limit (429)" in rate.finding  # the sandbox enforced them
    assert "errors.retry-after-honoured" in failed_rules(result)
    assert result.summary.passes[0].requests > 100


def test_megabytes_of_binary_output_are_bounded_and_searched(integrate: Integrate) -> None:
    script = (
        "import os, sys\n"
        "sys.stdout.buffer.write(os.urandom(6 * 1024 * 1024))\n"
        "sys.stderr.write('progress line\\n' * 100000)\n"
    )
    result = integrate((sys.executable, "-c", script))
    assert finding(result, "errors.completes").holds is True
    assert finding(result, "auth.no-secret-in-output").holds is True
    assert "7," in finding(result, "auth.no-secret-in-output").finding  # 6 MiB + 1.4 MB searched
    attachments = list((result.run_dir / "allure-results").glob("*-attachment.txt"))
    assert attachments and max(p.stat().st_size for p in attachments) < 6 * KEEP_BYTES
    _evidence_written(result)


def test_broken_http_is_answered_and_the_invalid_write_is_a_finding(integrate: Integrate) -> None:
    result = integrate((sys.executable, str(COMMANDS / "malformed.py")), time_limit=30)
    assert finding(result, "errors.completes").holds is True, explain(result)
    accepted = finding(result, "data.writes-accepted")
    assert accepted.holds is False and "answered 400" in accepted.finding, accepted
    assert verdicts(result)["Data Integrity"] == "Not ready"


def test_the_environment_is_the_callers_plus_the_five_variables(integrate: Integrate, tmp_path: Path) -> None:
    os.environ["CALLER_SETTING"] = "kept"
    try:
        out = tmp_path / "env.txt"
        script = (
            "import os\n"
            f"names = ['CALLER_SETTING', 'OTTIMATE_API_URL', 'OTTIMATE_AUTH_URL', 'OTTIMATE_INTEGRATION_PASS']\n"
            f"open({str(out)!r}, 'w').write('\\n'.join(os.environ.get(n, '-') for n in names) + '\\n' + "
            "' '.join(str(bool(os.environ.get(n))) for n in "
            "('OTTIMATE_API_KEY', 'OTTIMATE_CLIENT_ID', 'OTTIMATE_CLIENT_SECRET')))\n"
        )
        integrate((sys.executable, "-c", script))
    finally:
        del os.environ["CALLER_SETTING"]
    caller, api_url, auth_url, lane, present = out.read_text().splitlines()
    assert caller == "kept"
    assert api_url.startswith("http://127.0.0.1:") and api_url.endswith("/v1")
    assert auth_url == api_url.removesuffix("/v1")
    assert lane == "clean"
    assert present == "True True True"
