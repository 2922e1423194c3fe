"""Drift: the shapes of the answers a run met, compared with the embedded sandbox's, by operation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ottimate_validation.cli import drift
from ottimate_validation.run.drift import compare, flatten
from ottimate_validation.run.ledger import Exchange, Records, shape_of

from ..suite_runs import run_suites


def test_a_shape_keeps_names_and_types_and_no_value() -> None:
    body = {"vendor": {"id": 7, "erp_vendor_id": "secret-ish", "tags": ["a"], "net": None, "ok": True, "x": 1.5}}

    shape = shape_of(body)

    assert shape == {
        "vendor": {
            "erp_vendor_id": "string",
            "id": "integer",
            "net": "null",
            "ok": "boolean",
            "tags": ["string"],
            "x": "number",
        }
    }
    assert "secret-ish" not in json.dumps(shape)
    assert flatten(shape)["vendor.tags"] == "list" and flatten({"items": [{"id": "integer"}]}) == {
        "items": "list",
        "items[].id": "integer",
    }


def _x(operation: str, status: int, shape: object, headers: tuple[str, ...] = ()) -> Exchange:
    method, _, path = operation.partition(" ")
    return Exchange(at=0.0, method=method, path=path, status=status, operation=operation, shape=shape,
                    response_header_names=headers)  # fmt: skip


def test_every_kind_of_difference_is_found_for_operations_both_exercised() -> None:
    ours = Records.of([
        _x("GET /vendors/{id}", 200, {"vendor": {"id": "integer", "net_terms": "string"}}, ("x-request-id",)),
        _x("GET /vendors/{id}", 404, {"code": "string"}),
        _x("GET /accounts", 200, {"results": []}),
    ])  # fmt: skip
    theirs = Records.of([
        _x("GET /vendors/{id}", 200, {"vendor": {"id": "string", "extra": "string"}}),
        _x("GET /vendors/{id}", 400, {"code": "string"}),
    ])  # fmt: skip

    found = {(d.aspect, d.name) for d in compare(theirs, ours, lambda *_: ["a-decision"])}

    assert found == {
        ("status", "400"),
        ("status", "404"),
        ("field", "vendor.net_terms"),
        ("field", "vendor.extra"),
        ("type", "vendor.id"),
        ("header", "x-request-id"),
    }, "GET /accounts was not exercised by both: nothing to compare"


@pytest.mark.slow
def test_drift_names_what_a_differently_shaped_api_answers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["-k", "vendor_management", "--record-shapes"]
    reference = run_suites(["core"], tmp_path / "reference", extra_args=args)
    observed = run_suites(["core"], tmp_path / "observed", faults=["field_dropped"], extra_args=args)
    assert reference.returncode == 0 and observed.returncode == 1
    ref_dir, obs_dir = tmp_path / "reference" / "run-core", tmp_path / "observed" / "run-core"

    assert drift.main([str(obs_dir), "--reference", str(ref_dir)]) == 1
    found = json.loads((obs_dir / "drift.json").read_text(encoding="utf-8"))["differences"]
    dropped = [d for d in found if d["aspect"] == "field" and d["name"].endswith("net_terms")]
    assert dropped and all("leaves it out" in d["observed"] for d in dropped), found
    assert "difference(s); written to" in capsys.readouterr().out

    assert drift.main([str(ref_dir), "--reference", str(ref_dir)]) == 0


def test_a_folder_without_shapes_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert drift.main([str(tmp_path)]) == 2
    assert "is not a run folder" in capsys.readouterr().err
