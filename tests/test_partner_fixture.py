"""A partner's own test suite uses the installed plugin: ``ottimate_sandbox`` and the client.

The README's example test (``examples/your-tests``) is run from a folder outside this project, as a
partner runs it in theirs: only the installed package is there, no conftest, no suites.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "your-tests"


def _run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTTIMATE_", "PYTEST_"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", *args],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_readme_example_is_the_example_that_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = (EXAMPLE / "test_vendor_sync.py").read_text(encoding="utf-8")
    assert example.strip() in readme, "the README shows examples/your-tests/test_vendor_sync.py as it is"
    assert len(example.strip().splitlines()) <= 12


@pytest.mark.slow
def test_a_partner_test_suite_gets_a_fresh_sandbox_and_passes(tmp_path: Path) -> None:
    for name in ("my_integration.py", "test_vendor_sync.py"):
        shutil.copy(EXAMPLE / name, tmp_path / name)

    done = _run(tmp_path)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout
    assert not list(tmp_path.glob("reports")), "a partner's test run writes no run folder"


@pytest.mark.slow
def test_the_partner_example_fails_when_the_integration_only_ever_creates(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE / "test_vendor_sync.py", tmp_path / "test_vendor_sync.py")
    broken = (EXAMPLE / "my_integration.py").read_text(encoding="utf-8")
    # A naive sync that creates one by one and ignores refusals: the second run changes nothing.
    broken = broken.replace(
        'body = {"ottimate_company_id": company_id, "vendors": vendors}\n'
        "        http.post(f\"{os.environ['OTTIMATE_API_URL']}/vendors/bulk\", json=body, headers=headers)"
        ".raise_for_status()",
        "for vendor in vendors:\n"
        '            body = {"ottimate_company_id": company_id, **vendor}\n'
        "            http.post(f\"{os.environ['OTTIMATE_API_URL']}/vendors\", json=body, headers=headers)",
    )
    assert '/vendors/bulk", json' not in broken and "{os.environ['OTTIMATE_API_URL']}/vendors\"" in broken
    (tmp_path / "my_integration.py").write_text(broken, encoding="utf-8")

    done = _run(tmp_path)

    assert done.returncode == 1, done.stdout[-3000:]
    assert "Test Vendor - Electronics Ltd" in done.stdout and "1 failed" in done.stdout
