"""A whole `ottimate-validate` run with the example plan and ERP files, against the embedded sandbox."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ottimate_validation import cli as cli_package
from ottimate_validation.cli import validate as cli
from tests.plan.conftest import ROOT


@pytest.fixture(autouse=True)
def embedded_target(monkeypatch: pytest.MonkeyPatch) -> None:
    # The child pytest inherits the environment: no outer target or pytest settings.
    names = ("OTTIMATE_API_URL", "OTTIMATE_AUTH_URL", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER", cli_package.ROOT_ENV)
    for name in names:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.slow
def test_the_example_plan_syncs_the_example_erp_files_and_reports_its_operations(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    plan = ROOT / "validation.example.toml"
    reports = tmp_path / "reports"

    flags = ["--plan", str(plan), "--suite", "integrity", "-n", "0", "--no-report", "--reports-dir", str(reports)]
    code = cli.main([*flags, "--", "-k", "erp_sync"])

    out = capfd.readouterr().out
    assert code == 0, out
    run_id = re.search(r"^Run (\w+):", out, re.MULTILINE).group(1)  # type: ignore[union-attr]
    [run_dir] = [p for p in reports.iterdir() if p.is_dir() and not p.is_symlink()]
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    assert (summary["plan"], summary["plan_source"]) == ("Example: vendor and dimension sync", str(plan))
    assert summary["environment"]["Validation plan"] == f"Example: vendor and dimension sync ({plan})"
    status = {row["operation"]: (row["planned"], row["status"]) for row in summary["operations"]}
    assert status["POST /vendors/bulk"] == (True, "Evidenced")
    # The sync reads its vendors back from the company's list (a page per 100 records), its dimensions by id.
    assert status["GET /vendors"] == (True, "Evidenced")
    assert "GET /vendors/{id}" not in status
    assert status["POST /dimensions/bulk"] == (True, "Evidenced")
    assert status["GET /dimensions/{id}"] == (True, "Evidenced")  # planned: the Dimensions area
    verdicts = {v["criterion"]: v for v in summary["verdicts"]}
    # Only the ERP sync ran (-k): its two checks passed, but the criterion's required checks did not run.
    assert verdicts["Data Integrity"]["passed"] == 2
    assert verdicts["Data Integrity"]["verdict"] == "Not evidenced"
    assert verdicts["Data Integrity"]["missing"] == [
        "A create sent twice with one key is stored once",
        "Two simultaneous creates with one key store one entity",
    ]
    assert verdicts["Core Functionality"]["problems"] == {"Planned operation(s) not evidenced": 2}
    pytest_log = (run_dir / "pytest.log").read_text(encoding="utf-8")
    assert f"validation plan: Example: vendor and dimension sync ({plan}), 9 operations" in pytest_log
    assert "Plan .............. Example: vendor and dimension sync" in out
    # The example files were synced, not generated data: tagged with the run id as the clean-up expects.
    sent = "\n".join(p.read_text(encoding="utf-8") for p in (run_dir / "allure-results").glob("*-attachment*"))
    assert f"Test Vendor - Produce Colon - {run_id} - " in sent
    assert re.search(rf'"erp_vendor_id": ?"V-1008-{run_id}-\d+"', sent)
    assert f"Test Dimension - Spring Menu - {run_id} - " in sent
