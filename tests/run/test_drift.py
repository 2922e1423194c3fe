"""Drift: the shapes of the answers a run met, compared with the embedded sandbox's, by operation."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from ottimate_validation.cli import drift
from ottimate_validation.run.drift import compare, flatten
from ottimate_validation.run.ledger import Check, Exchange, Records, shape_of

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


def test_our_answers_to_checks_the_real_run_skipped_are_not_differences() -> None:
    """A check the real sandbox's run skipped (it needs our control plane, or would notify people) sent
    nothing there; the 429 our sandbox gave it is not something "the API never answered"."""
    ran, skipped = "suites/x.py::test_ran", "suites/x.py::test_needs_the_control_plane"
    theirs = Records.of([
        replace(_x("GET /vendors", 200, {"vendors": []}), test=ran),
        Check(at=0.0, test=ran, title="ran", status="passed"),
        Check(at=0.0, test=skipped, title="skipped", status="skipped"),
    ])  # fmt: skip
    ours = Records.of([
        replace(_x("GET /vendors", 200, {"vendors": []}), test=ran),
        replace(_x("GET /vendors", 429, {"code": "string"}), test=skipped),
        _x("GET /vendors", 401, {"code": "string"}),  # outside any test (a probe): compared
    ])  # fmt: skip

    found = {(d.aspect, d.name) for d in compare(theirs, ours)}

    assert found == {("status", "401")}


def test_a_check_skipped_on_what_the_api_answered_is_still_compared() -> None:
    """A guide-only route's probe met a 404 and its checks were skipped: the 404 against our 201s is the
    difference the partner needs to see."""
    skipped = "suites/x.py::test_adds_an_approver"
    theirs = Records.of([
        replace(_x("POST /invoices/{id}/approvers", 404, {"code": "string"}), test=skipped),
        Check(at=0.0, test=skipped, title="skipped", status="skipped"),
    ])  # fmt: skip
    ours = Records.of([replace(_x("POST /invoices/{id}/approvers", 201, {"id": "integer"}), test=skipped)])

    found = {(d.aspect, d.name) for d in compare(theirs, ours)}

    assert ("status", "404") in found and ("status", "201") in found


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


def test_words_and_list_order_are_recorded_without_data_and_compared() -> None:
    import httpx

    from ottimate_validation.run.ledger import answer_facets

    error = httpx.Response(400, json={"code": "invalid_parameter", "message": "limit must be 1 to 100: 'ABC secret'"})
    listing = httpx.Response(200, json={"count": 3, "vendors": [{"id": 9, "status": "open"}, {"id": 4}, {"id": 1}]})
    assert answer_facets(error.content, error) == {"words": {"code": ["invalid_parameter"]}, "order": None}
    assert answer_facets(listing.content, listing) == {"words": {"status": ["open"]}, "order": "descending"}

    def x(operation: str, status: int, words: dict[str, list[str]], order: str | None = None) -> Exchange:
        method, _, path = operation.partition(" ")
        return Exchange(at=0.0, method=method, path=path, status=status, operation=operation, shape={},
                        words=words, order=order)  # fmt: skip

    ours = Records.of(
        [x("GET /vendors", 400, {"code": ["invalid_parameter"]}), x("GET /vendors", 200, {}, "ascending")]
    )
    theirs = Records.of([x("GET /vendors", 400, {"code": ["Bad Request"]}), x("GET /vendors", 200, {}, "descending")])

    found = compare(theirs, ours, lambda *_: [])
    assert {(d.aspect, d.name, d.observed) for d in found} == {
        ("word", "code", "says Bad Request"),
        ("word", "code", "never says invalid_parameter (Bad Request)"),
        ("order", "list", "lists descending"),
    }


def test_a_difference_is_named_by_the_decisions_metadata_before_the_text_heuristic() -> None:
    from ottimate_validation.sandbox.contract import decisions_touching

    assert decisions_touching("GET /vendors", "order", "list") == ["list-order"]
    assert decisions_touching("GET /invoices", "order", "list") != ["list-order"], "invoices' order is documented"
    assert "page-numbers" in decisions_touching("GET /dimensions", "status", "404")
    assert "create-invoice-extension" in decisions_touching("POST /invoices", "status", "404")
    # No configurable decision describes it: the heuristic on the decisions' text still names one.
    assert decisions_touching("GET /batch/{id}/results", "field", "results[].message") == [
        "batch-result-message-on-success"
    ]
    # A touch may hold for error answers only: a bulk answer's own errors[] is not an error message's.
    assert "error-message-names-the-field" in decisions_touching("POST /vendors", "field", "errors", "status=400; x")
    assert "error-message-names-the-field" not in decisions_touching(
        "POST /vendors/bulk", "field", "errors", "status=201"
    )
