"""The plan file: where it is found, what a good one means, and one sentence (exit 2) for each mistake."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ottimate_validation.cli import validate as cli
from ottimate_validation.report.operations import AREA_OPERATIONS
from ottimate_validation.run.plan import (
    DEFAULT,
    PLAN_ENV,
    PlanError,
    find_plan,
    load_plan,
    resolve_plan,
)
from tests.plan.conftest import ROOT, collect

EXAMPLE = ROOT / "validation.example.toml"


def write(folder: Path, text: str, name: str = "validation.toml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- a good plan ------------------------------------------------------------------------------


def test_a_plan_names_operations_and_areas_in_catalogue_order_with_the_token_implied(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [plan]
        name = "Acme AP sync"
        operations = ["post /v1/vendors/bulk-create", "GET /vendors/{vendor_id}/", "GET /accounts"]
        areas = ["dimensions"]
        """,
    )

    plan = load_plan(path)

    assert plan.name == "Acme AP sync"
    assert plan.source == path
    assert plan.operations == (
        "POST /oauth/token",
        "GET /accounts",
        "GET /vendors/{id}",
        "POST /vendors/bulk",
        "GET /dimensions",
        "POST /dimensions",
        "GET /dimensions/{id}",
        "POST /dimensions/bulk",
    )
    assert plan.label == f"Acme AP sync ({path})"


def test_a_plan_without_a_list_of_operations_is_every_operation_under_its_name(tmp_path: Path) -> None:
    plan = load_plan(write(tmp_path, '[plan]\nname = "Only ERP data"\n'))

    assert plan.operations is None and not plan.restricts
    assert plan.name == "Only ERP data"


def test_the_shipped_example_plan_loads_with_its_erp_files() -> None:
    plan = load_plan(EXAMPLE)

    assert plan.restricts and "POST /vendors/bulk" in plan.planned
    assert plan.erp_vendors is not None and len(plan.erp_vendors) == 8
    assert plan.erp_dimensions is not None and len(plan.erp_dimensions) == 6
    assert all(v.erp_vendor_name.startswith("Test Vendor - ") for v in plan.erp_vendors)


def test_a_pyproject_table_is_a_plan_too(tmp_path: Path) -> None:
    write(tmp_path, '[project]\nname = "x"\n[tool.ottimate-validation.plan]\nareas = ["Vendors"]\n', "pyproject.toml")

    plan = resolve_plan(None, tmp_path)

    assert plan.source == (tmp_path / "pyproject.toml").resolve()
    assert "POST /vendors/bulk" in plan.planned and "GET /dimensions" not in plan.planned


def test_one_plan_file_serves_a_validation_run_and_the_integration_mode(tmp_path: Path) -> None:
    """The [integration] table is the integration mode's; a validation run reads the rest of the file."""
    write(tmp_path, '[plan]\nareas = ["Vendors"]\n[integration]\nincremental = true\n')

    plan = resolve_plan(None, tmp_path)

    assert plan.incremental and "POST /vendors/bulk" in plan.planned
    assert not resolve_plan(None, tmp_path / "elsewhere").incremental


# --- where it is found --------------------------------------------------------------------------


def test_without_a_plan_file_the_plan_is_every_operation(tmp_path: Path) -> None:
    write(tmp_path, '[project]\nname = "x"\n', "pyproject.toml")  # a pyproject.toml without the table

    assert find_plan(None, tmp_path) is None
    assert resolve_plan(None, tmp_path) is DEFAULT


def test_the_flag_wins_over_the_environment_which_wins_over_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_root = write(tmp_path, '[plan]\nname = "root"\n')
    from_env = write(tmp_path, '[plan]\nname = "env"\n', "env.toml")
    from_flag = write(tmp_path, '[plan]\nname = "flag"\n', "flag.toml")

    assert find_plan(None, tmp_path) == in_root.resolve()
    monkeypatch.setenv(PLAN_ENV, str(from_env))
    assert find_plan(None, tmp_path) == from_env.resolve()
    assert find_plan(str(from_flag), tmp_path) == from_flag.resolve()


# --- mistakes: one sentence each ----------------------------------------------------------------

BAD_PLANS = {
    "toml syntax": (
        '[plan]\nname = "x" y\n',
        "{path} is not valid TOML: Expected newline or end of document after a statement (at line 2, column 12).",
    ),
    "unknown key": (
        '[plan]\noperation = ["GET /vendors"]\n',
        "{path}: unknown key 'plan.operation'; the keys of [plan] are name, operations, areas, notify_users, "
        "extraction_wait_minutes.",
    ),
    "unknown table": (
        '[plans]\nname = "x"\n',
        "{path}: unknown key 'plans'; the keys of the file are plan, erp, integration.",
    ),
    "integration flag not a boolean": (
        '[integration]\nincremental = "yes"\n',
        "{path}: 'integration.incremental' must be true or false.",
    ),
    "unknown integration key": (
        "[integration]\nincrementally = true\n",
        "{path}: unknown key 'integration.incrementally'; the keys of [integration] are incremental.",
    ),
    "unknown operation": (
        '[plan]\noperations = ["GET /vendor"]\n',
        "{path}: 'GET /vendor' in plan.operations is not a documented operation; did you mean 'GET /vendors'?",
    ),
    "unknown area": (
        '[plan]\nareas = ["Vendor"]\n',
        "{path}: 'Vendor' in plan.areas is not an API area; did you mean 'Vendors'?; the areas are "
        + ", ".join(AREA_OPERATIONS).replace("{", "{{").replace("}", "}}")
        + ".",
    ),
    "empty operations": (
        "[plan]\noperations = []\n",
        "{path}: plan.operations is empty; list at least one documented operation, "
        "or leave the list out to validate every operation.",
    ),
    "operations not a list": (
        '[plan]\noperations = "GET /vendors"\n',
        "{path}: 'plan.operations' must be a list.",
    ),
    "operation not a string": (
        '[plan]\noperations = ["GET /vendors", 3]\n',
        "{path}: plan.operations item 2 must be a string.",
    ),
    "missing erp file": (
        '[erp]\nvendors = "erp/vendors.csv"\n',
        "{path}: the erp.vendors file {dir}/erp/vendors.csv does not exist.",
    ),
    "erp sync not planned": (
        '[plan]\noperations = ["GET /vendors"]\n[erp]\nvendors = "validation.toml"\n',
        "{path}: erp.vendors is synced through 'POST /vendors/bulk', which the plan does not name; "
        "add it to plan.operations or leave the file out.",
    ),
    "erp file of another kind": (
        '[erp]\ndimensions = "validation.toml"\n',
        "{path}: the erp.dimensions file {dir}/validation.toml must be a .csv or .json file.",
    ),
}


def expected_sentence(case: str, path: Path) -> str:
    return BAD_PLANS[case][1].format(path=path, dir=path.parent)


@pytest.mark.parametrize("case", list(BAD_PLANS))
def test_each_mistake_in_a_plan_file_is_one_sentence(tmp_path: Path, case: str) -> None:
    path = write(tmp_path, BAD_PLANS[case][0]).resolve()

    with pytest.raises(PlanError) as raised:
        load_plan(path)

    assert str(raised.value) == expected_sentence(case, path)


def test_a_plan_file_that_does_not_exist_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(PlanError, match=r"^The plan file .*nope\.toml does not exist\.$"):
        find_plan(str(tmp_path / "nope.toml"), tmp_path)
    monkeypatch.setenv(PLAN_ENV, str(tmp_path / "gone.toml"))
    with pytest.raises(PlanError, match=rf"gone\.toml \(from {PLAN_ENV}\) does not exist\.$"):
        find_plan(None, tmp_path)


CLI_CASES = ["toml syntax", "unknown key", "unknown operation", "empty operations", "missing erp file"]


@pytest.mark.parametrize("case", CLI_CASES)
def test_the_cli_refuses_a_bad_plan_with_exit_2_and_writes_nothing(
    tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, BAD_PLANS[case][0]).resolve()
    reports = tmp_path / "reports"

    code = cli.main(["--plan", str(path), "--reports-dir", str(reports), "--no-report"])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == f"ottimate-validate: {expected_sentence(case, path)}\n"
    assert captured.out == ""
    assert not reports.exists()


def test_plain_pytest_refuses_a_bad_plan_with_exit_2_before_collecting(tmp_path: Path) -> None:
    path = write(tmp_path, BAD_PLANS["unknown operation"][0]).resolve()

    proc, areas = collect(tmp_path, "--plan", str(path))

    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert expected_sentence("unknown operation", path) in proc.stdout + proc.stderr
    assert areas == {}  # stopped before collection


def test_a_pyproject_without_the_table_given_as_the_plan_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[project]\nname = "x"\n', "pyproject.toml")

    with pytest.raises(PlanError) as raised:
        load_plan(path)

    assert str(raised.value) == f"{path} has no [tool.ottimate-validation] table to read the plan from."


def test_a_plan_may_allow_notifying_users_and_give_extraction_its_wait(tmp_path) -> None:
    from ottimate_validation.run.plan import PlanError, load_plan

    path = tmp_path / "validation.toml"
    path.write_text("[plan]\nnotify_users = true\nextraction_wait_minutes = 240\n", encoding="utf-8")
    plan = load_plan(path)
    assert plan.notify_users is True and plan.extraction_wait_minutes == 240
    path.write_text("[plan]\nnotify_users = 'yes'\n", encoding="utf-8")
    with pytest.raises(PlanError, match="notify_users"):
        load_plan(path)
    path.write_text("[plan]\nextraction_wait_minutes = 0\n", encoding="utf-8")
    with pytest.raises(PlanError, match="extraction_wait_minutes"):
        load_plan(path)
