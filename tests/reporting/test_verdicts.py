"""Per-criterion verdicts computed from allure-results files like the ones allure-pytest writes."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from ottimate_validation.report.verdicts import (
    CRITERIA,
    CriterionVerdict,
    Verdict,
    compute_verdicts,
    format_verdicts,
    load_outcomes,
)

_clock = {"now": 1_800_000_000_000}


def write_result(
    results: Path,
    name: str,
    status: str,
    epic: str | None = "Authentication",
    *,
    history_id: str | None = "",
    stop: int | None = None,
    parameters: list[dict[str, str]] | None = None,
    message: str | None = None,
) -> Path:
    """One ``*-result.json`` shaped like allure-pytest's; history_id "" derives one from the name."""
    if stop is None:
        _clock["now"] += 1000
        stop = _clock["now"]
    labels = [{"name": "suite", "value": "test_demo"}, {"name": "framework", "value": "pytest"}]
    if epic is not None:
        labels.append({"name": "epic", "value": epic})
    data: dict[str, Any] = {
        "name": name,
        "fullName": f"suites.demo#{name}",
        "status": status,
        "start": stop - 5,
        "stop": stop,
        "uuid": str(uuid.uuid4()),
        "labels": labels,
    }
    if history_id is not None:
        data["historyId"] = history_id or f"h-{name}"
    if parameters is not None:
        data["parameters"] = parameters
    if message is not None:
        data["statusDetails"] = {"message": message, "trace": ""}
    path = results / f"{data['uuid']}-result.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def verdict_of(results: Path, criterion: str = "Authentication") -> CriterionVerdict:
    return next(v for v in compute_verdicts(results) if v.criterion == criterion)


def test_a_criterion_whose_tests_all_passed_is_ready(tmp_path: Path) -> None:
    write_result(tmp_path, "test_token", "passed")
    write_result(tmp_path, "test_refresh", "passed")
    write_result(tmp_path, "test_scoped", "skipped")

    v = verdict_of(tmp_path)

    assert v.verdict is Verdict.READY
    assert (v.passed, v.failed, v.broken, v.skipped) == (2, 0, 0, 1)


def test_one_failed_test_makes_its_criterion_not_ready(tmp_path: Path) -> None:
    write_result(tmp_path, "test_token", "passed")
    write_result(tmp_path, "test_refresh", "failed")

    assert verdict_of(tmp_path).verdict is Verdict.NOT_READY


def test_one_broken_test_leaves_its_criterion_not_evidenced_rather_than_ready(tmp_path: Path) -> None:
    # Broken = the test could not decide (outage, rate limit, harness bug): nothing is proven.
    write_result(tmp_path, "test_token", "passed")
    write_result(tmp_path, "test_refresh", "broken")

    v = verdict_of(tmp_path)

    assert v.verdict is Verdict.NOT_EVIDENCED
    assert v.broken == 1
    assert v.problems == {"Harness error": 1}


def test_a_failed_test_outweighs_a_broken_one(tmp_path: Path) -> None:
    write_result(tmp_path, "test_refresh", "broken")
    write_result(tmp_path, "test_token", "failed")

    v = verdict_of(tmp_path)

    assert v.verdict is Verdict.NOT_READY
    assert v.problems == {"Contract violation": 1, "Harness error": 1}


def test_why_a_test_did_not_pass_comes_from_its_message(tmp_path: Path) -> None:
    write_result(
        tmp_path,
        "test_token",
        "broken",
        message="ottimate_validation.client.errors.TargetUnreachable: Cannot reach sandbox-api.ottimate.com.",
    )
    write_result(tmp_path, "test_list", "broken", message="fixtures.checks.RateLimited: GET /v1/vendors was …")

    assert verdict_of(tmp_path).problems == {"Rate limited": 1, "Sandbox unreachable": 1}


def test_a_criterion_with_only_skipped_tests_is_not_evidenced(tmp_path: Path) -> None:
    write_result(tmp_path, "test_token", "skipped")

    v = verdict_of(tmp_path)

    assert v.verdict is Verdict.NOT_EVIDENCED
    assert v.skipped == 1


def test_a_criterion_without_tests_is_not_evidenced(tmp_path: Path) -> None:
    write_result(tmp_path, "test_token", "passed", epic="Authentication")

    v = verdict_of(tmp_path, "Data Integrity")

    assert v.verdict is Verdict.NOT_EVIDENCED
    assert v.total == 0


def test_an_empty_or_missing_results_folder_leaves_every_criterion_not_evidenced(tmp_path: Path) -> None:
    assert {v.verdict for v in compute_verdicts(tmp_path)} == {Verdict.NOT_EVIDENCED}
    assert {v.verdict for v in compute_verdicts(tmp_path / "absent")} == {Verdict.NOT_EVIDENCED}


def test_every_criterion_of_the_checklist_gets_a_verdict_in_checklist_order(tmp_path: Path) -> None:
    assert [v.criterion for v in compute_verdicts(tmp_path)] == [
        "Authentication",
        "Core Functionality",
        "Error Handling",
        "Data Integrity",
        "Integration Stability",
    ]
    assert tuple(v.criterion for v in compute_verdicts(tmp_path)) == CRITERIA


def test_a_retried_test_that_finally_passed_counts_once_as_passed(tmp_path: Path) -> None:
    write_result(tmp_path, "test_token", "failed", stop=1_000)
    write_result(tmp_path, "test_token", "broken", stop=2_000)
    write_result(tmp_path, "test_token", "passed", stop=3_000)

    v = verdict_of(tmp_path)

    assert v.verdict is Verdict.READY
    assert (v.passed, v.failed, v.broken) == (1, 0, 0)


def test_a_retried_test_whose_last_attempt_failed_counts_once_as_failed(tmp_path: Path) -> None:
    # Written in the "wrong" order on purpose: the attempt's end time decides, not the file name.
    write_result(tmp_path, "test_token", "failed", stop=3_000)
    write_result(tmp_path, "test_token", "passed", stop=1_000)

    v = verdict_of(tmp_path)

    assert v.verdict is Verdict.NOT_READY
    assert (v.passed, v.failed) == (0, 1)


def test_retries_are_matched_by_full_name_and_parameters_when_history_id_is_absent(tmp_path: Path) -> None:
    a = [{"name": "scope", "value": "'company'"}]
    b = [{"name": "scope", "value": "'location'"}]
    write_result(tmp_path, "test_scope", "failed", history_id=None, stop=1_000, parameters=a)
    write_result(tmp_path, "test_scope", "passed", history_id=None, stop=2_000, parameters=a)
    write_result(tmp_path, "test_scope", "passed", history_id=None, stop=1_500, parameters=b)

    v = verdict_of(tmp_path)

    assert v.verdict is Verdict.READY
    assert v.passed == 2


def test_parametrised_cases_with_their_own_history_ids_count_separately(tmp_path: Path) -> None:
    write_result(tmp_path, "test_scope", "passed", history_id="h1")
    write_result(tmp_path, "test_scope", "failed", history_id="h2")

    v = verdict_of(tmp_path)

    assert (v.passed, v.failed) == (1, 1)
    assert v.verdict is Verdict.NOT_READY


def test_an_unknown_status_counts_against_the_criterion_like_broken(tmp_path: Path) -> None:
    write_result(tmp_path, "test_token", "passed")
    write_result(tmp_path, "test_crashed", "unknown")

    v = verdict_of(tmp_path)

    assert v.verdict is Verdict.NOT_EVIDENCED
    assert v.broken == 1


def test_tests_without_a_checklist_epic_do_not_change_any_verdict(tmp_path: Path) -> None:
    write_result(tmp_path, "test_helper", "failed", epic=None)
    write_result(tmp_path, "test_other", "failed", epic="Harness")

    assert {v.verdict for v in compute_verdicts(tmp_path)} == {Verdict.NOT_EVIDENCED}


def test_truncated_and_foreign_files_in_the_results_folder_are_ignored(tmp_path: Path) -> None:
    write_result(tmp_path, "test_token", "passed")
    (tmp_path / "dead-result.json").write_text('{"name": "test_x", "status": "fa', encoding="utf-8")
    (tmp_path / "list-result.json").write_text("[]", encoding="utf-8")
    (tmp_path / "abc-container.json").write_text('{"befores": []}', encoding="utf-8")
    (tmp_path / "abc-attachment.txt").write_text("failed", encoding="utf-8")

    assert [o.name for o in load_outcomes(tmp_path)] == ["suites.demo#test_token"]
    assert verdict_of(tmp_path).verdict is Verdict.READY


def test_the_console_lines_name_the_criterion_verdict_and_counts_aligned_on_dots() -> None:
    verdicts = [
        CriterionVerdict("Authentication", Verdict.READY, passed=12),
        CriterionVerdict(
            "Core Functionality",
            Verdict.NOT_READY,
            passed=3,
            failed=1,
            broken=2,
            skipped=1,
            problems={"Contract violation": 1, "Sandbox unreachable": 2},
        ),
        CriterionVerdict("Integration Stability", Verdict.NOT_EVIDENCED, skipped=4),
        CriterionVerdict("Data Integrity", Verdict.NOT_EVIDENCED),
    ]

    lines = format_verdicts(verdicts)

    assert lines == [
        "Authentication .......... Ready (12 passed)",
        "Core Functionality ...... Not ready (3 passed, 1 failed, 2 broken, 1 skipped)"
        " — 1 Contract violation, 2 Sandbox unreachable",
        "Integration Stability ... Not evidenced (4 skipped)",
        "Data Integrity .......... Not evidenced (no tests)",
    ]


@pytest.mark.parametrize("verdict", list(Verdict))
def test_each_verdict_reads_as_the_checklist_words(verdict: Verdict) -> None:
    assert str(verdict) in {"Ready", "Not ready", "Not evidenced"}
