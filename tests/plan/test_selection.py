"""Which suite tests a plan selects: by API area, cross-cutting areas always, unknown areas never dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from ottimate_validation.report.operations import (
    AREA_OPERATIONS,
    CROSS_CUTTING_AREAS,
    GENERIC_AREAS,
    IMPLIED_OPERATIONS,
    OPERATIONS,
    area_selected,
    known_area,
)
from tests.plan.conftest import collect

VENDORS_ONLY = frozenset({*IMPLIED_OPERATIONS, "GET /vendors", "POST /vendors/bulk"})


def test_every_operation_is_in_an_area_a_plan_can_name() -> None:
    placed = {key for keys in AREA_OPERATIONS.values() for key in keys}
    assert {op.key for op in OPERATIONS} <= placed


def test_an_area_runs_only_when_the_plan_has_one_of_its_operations() -> None:
    assert area_selected("Vendors", VENDORS_ONLY)
    assert not area_selected("Dimensions", VENDORS_ONLY)
    assert not area_selected("Invoices", VENDORS_ONLY)
    assert not area_selected("Export", VENDORS_ONLY)
    assert area_selected("Export", {"POST /invoices/mark-exported"})
    assert area_selected("Invoices", {"POST /invoices/mark-exported"})


def test_generic_areas_follow_the_kind_of_operation_planned() -> None:
    assert area_selected("Pagination", {"GET /vendors"})  # a list is planned
    assert not area_selected("Pagination", {"POST /vendors/bulk", "GET /vendors/{id}"})
    assert area_selected("Validation", {"POST /vendors/bulk"})  # a write is planned
    assert not area_selected("Validation", {"GET /vendors"})
    assert "POST /oauth/token" not in GENERIC_AREAS["Validation"]


@pytest.mark.parametrize("area", sorted(CROSS_CUTTING_AREAS))
def test_cross_cutting_areas_always_run(area: str) -> None:
    assert area_selected(area, frozenset(IMPLIED_OPERATIONS))


def test_an_area_the_catalogue_does_not_know_is_kept_not_dropped() -> None:
    assert not known_area("Payments")
    assert area_selected("Payments", frozenset())


def test_every_api_area_used_under_suites_is_in_the_catalogue(tmp_path: Path) -> None:
    """A new suite's area must be added to report/operations.py, or plans cannot select it honestly."""
    proc, areas = collect(tmp_path)

    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "warning" not in proc.stdout.lower(), proc.stdout[-2000:]
    found = {**areas["kept"], **areas["deselected"]}
    assert len(found) > 100  # the probe saw the real suites
    unknown = {node: area for node, area in found.items() if not known_area(area)}
    assert not unknown, f"areas missing from report/operations.py: {sorted(set(unknown.values()))}"


def test_a_vendors_only_plan_deselects_other_areas_and_keeps_cross_cutting_tests(tmp_path: Path) -> None:
    plan = tmp_path / "validation.toml"
    plan.write_text('[plan]\nname = "Vendors only"\noperations = ["GET /vendors", "POST /vendors/bulk"]\n')

    proc, areas = collect(tmp_path, "--plan", str(plan))

    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    kept, deselected = set(areas["kept"].values()), set(areas["deselected"].values())
    assert "Vendors" in kept
    assert {"OAuth token", "Request authentication", "Idempotency"} <= kept
    assert "Dimensions" in deselected
    assert not kept & {"Dimensions", "Invoices", "Uploads", "Purchase orders", "Receipts", "Catalog", "Batch"}
    assert all(area_selected(area, VENDORS_ONLY) for area in kept)
    assert not any(area_selected(area, VENDORS_ONLY) for area in deselected)
    assert f"{len(areas['deselected'])} deselected" in proc.stdout


def test_the_default_plan_deselects_nothing(tmp_path: Path) -> None:
    empty_root_plan = tmp_path / "validation.toml"
    empty_root_plan.write_text('[plan]\nname = "everything"\n')

    proc, areas = collect(tmp_path, "--plan", str(empty_root_plan))

    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert areas["deselected"] == {}
    assert areas["kept"]
