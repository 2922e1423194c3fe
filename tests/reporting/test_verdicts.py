"""Per-criterion verdicts computed from allure-results files like the ones allure-pytest writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ottimate_validation.report.criteria import CRITERIA, RequiredCheck
from ottimate_validation.report.verdicts import CriterionVerdict, Verdict, decide, format_verdicts
from ottimate_validation.run.judge import final_checks, verdicts_from
from ottimate_validation.run.ledger import read_ledger
from tests.reporting.factory import Results


def write_result(results: Results, name: str, status: str, epic: str | None = "Authentication", **kwargs: Any) -> None:
    results.test(name, status, epic, **kwargs)


def compute_verdicts(folder: Path) -> list[CriterionVerdict]:
    return verdicts_from(final_checks(read_ledger(folder).checks))


def verdict_of(results: Results, criterion: str = "Authentication") -> CriterionVerdict:
    return next(v for v in compute_verdicts(results.folder) if v.criterion == criterion)


@pytest.fixture
def results(tmp_path: Path) -> Results:
    return Results(tmp_path)


def test_a_criterion_whose_tests_all_passed_is_ready(results: Results) -> None:
    write_result(results, "test_token", "passed")
    write_result(results, "test_refresh", "passed")
    write_result(results, "test_scoped", "skipped")

    v = verdict_of(results)

    assert v.verdict is Verdict.READY
    assert (v.passed, v.failed, v.broken, v.skipped) == (2, 0, 0, 1)


def test_one_failed_test_makes_its_criterion_not_ready(results: Results) -> None:
    write_result(results, "test_token", "passed")
    write_result(results, "test_refresh", "failed")

    assert verdict_of(results).verdict is Verdict.NOT_READY


def test_one_broken_test_leaves_its_criterion_not_evidenced_rather_than_ready(results: Results) -> None:
    # Broken = the test could not decide (outage, rate limit, harness bug): nothing is proven.
    write_result(results, "test_token", "passed")
    write_result(results, "test_refresh", "broken")

    v = verdict_of(results)

    assert v.verdict is Verdict.NOT_EVIDENCED
    assert v.broken == 1
    assert v.problems == {"Harness error": 1}


def test_a_failed_test_outweighs_a_broken_one(results: Results) -> None:
    write_result(results, "test_refresh", "broken")
    write_result(results, "test_token", "failed")

    v = verdict_of(results)

    assert v.verdict is Verdict.NOT_READY
    assert v.problems == {"Contract violation": 1, "Harness error": 1}


def test_why_a_test_did_not_pass_is_its_recorded_category(results: Results) -> None:
    write_result(results, "test_token", "broken", category="Sandbox unreachable")
    write_result(results, "test_list", "broken", category="Rate limited")

    assert verdict_of(results).problems == {"Rate limited": 1, "Sandbox unreachable": 1}


def test_a_criterion_with_only_skipped_tests_is_not_evidenced(results: Results) -> None:
    write_result(results, "test_token", "skipped")

    v = verdict_of(results)

    assert v.verdict is Verdict.NOT_EVIDENCED
    assert v.skipped == 1


def test_a_criterion_without_tests_is_not_evidenced(results: Results) -> None:
    write_result(results, "test_token", "passed", epic="Authentication")

    v = verdict_of(results, "Data Integrity")

    assert v.verdict is Verdict.NOT_EVIDENCED
    assert v.total == 0


def test_an_empty_or_missing_ledger_leaves_every_criterion_not_evidenced(tmp_path: Path) -> None:
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


def test_a_retried_test_that_finally_passed_counts_once_as_passed(results: Results) -> None:
    write_result(results, "test_token", "failed", at=1_000)
    write_result(results, "test_token", "broken", at=2_000)
    write_result(results, "test_token", "passed", at=3_000)

    v = verdict_of(results)

    assert v.verdict is Verdict.READY
    assert (v.passed, v.failed, v.broken) == (1, 0, 0)


def test_a_retried_test_whose_last_attempt_failed_counts_once_as_failed(results: Results) -> None:
    # Written in the "wrong" order on purpose: the attempt's end time decides, not the order of lines.
    write_result(results, "test_token", "failed", at=3_000)
    write_result(results, "test_token", "passed", at=1_000)

    v = verdict_of(results)

    assert v.verdict is Verdict.NOT_READY
    assert (v.passed, v.failed) == (0, 1)


def test_parametrised_cases_count_separately(results: Results) -> None:
    write_result(results, "test_scope[company]", "passed")
    write_result(results, "test_scope[location]", "failed")

    v = verdict_of(results)

    assert (v.passed, v.failed) == (1, 1)
    assert v.verdict is Verdict.NOT_READY


def test_tests_without_a_checklist_epic_do_not_change_any_verdict(results: Results) -> None:
    write_result(results, "test_helper", "failed", epic=None)
    write_result(results, "test_other", "failed", epic="Harness")

    assert {v.verdict for v in compute_verdicts(results.folder)} == {Verdict.NOT_EVIDENCED}


def test_a_torn_last_line_and_foreign_files_in_the_ledger_are_ignored(results: Results) -> None:
    write_result(results, "test_token", "passed")
    folder = results.run.ledger_dir
    with open(folder / "gw0.jsonl", "ab") as torn:  # a worker killed mid-write
        torn.write(b'{"type": "check", "test": "suites/demo.py::test_x", "status": "fa')
    (folder / "gw1.jsonl").write_text('[]\n{"type": "unknown"}\nnot json\n', encoding="utf-8")
    (folder / "notes.txt").write_text("failed", encoding="utf-8")

    assert [c.test for c in read_ledger(results.folder).checks] == ["suites/demo.py::test_token"]
    assert verdict_of(results).verdict is Verdict.READY


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
        " — Contract violation: 1, Sandbox unreachable: 2",
        "Integration Stability ... Not evidenced (4 skipped)",
        "Data Integrity .......... Not evidenced (no tests)",
    ]


@pytest.mark.parametrize("verdict", list(Verdict))
def test_each_verdict_reads_as_the_checklist_words(verdict: Verdict) -> None:
    assert str(verdict) in {"Ready", "Not ready", "Not evidenced", "Needs confirmation", "Rehearsed"}


# --- required checks, rehearsals, our reading -------------------------------------------------------

TOKEN = RequiredCheck("A client-credentials token is issued", ("suites/demo.py::test_token",))
REUSE = RequiredCheck("One token serves many calls", ("suites/demo.py::test_reuse",))


def test_ready_says_what_it_rests_on(results: Results) -> None:
    write_result(results, "test_token[auth host]", "passed")
    write_result(results, "test_token[api host]", "passed")
    write_result(results, "test_reuse", "passed")

    [v] = verdicts_from(
        read_ledger(results.folder).checks, ("Authentication",), required={"Authentication": (TOKEN, REUSE)}
    )

    assert v.verdict is Verdict.READY and (v.required, v.required_passed, v.missing) == (2, 2, ())
    assert format_verdicts([v]) == ["Authentication ... Ready (3 passed, 2 of 2 required checks passed)"]


@pytest.mark.parametrize("status", ["skipped", "not run"])
def test_a_required_check_that_did_not_pass_leaves_the_criterion_not_evidenced_naming_it(
    results: Results, status: str
) -> None:
    write_result(results, "test_token", "passed")
    write_result(results, "test_other", "passed")
    if status != "not run":
        write_result(results, "test_reuse", status)

    [v] = verdicts_from(
        read_ledger(results.folder).checks, ("Authentication",), required={"Authentication": (TOKEN, REUSE)}
    )

    assert v.verdict is Verdict.NOT_EVIDENCED
    assert v.missing == ("One token serves many calls",)
    assert format_verdicts([v])[0].endswith("— missing: One token serves many calls")


def test_one_failed_case_of_a_required_check_is_not_a_pass(results: Results) -> None:
    write_result(results, "test_token[auth host]", "passed")
    write_result(results, "test_token[api host]", "skipped")

    [v] = verdicts_from(read_ledger(results.folder).checks, ("Authentication",), required={"Authentication": (TOKEN,)})

    assert v.verdict is Verdict.NOT_EVIDENCED and v.missing == (TOKEN.name,)


def test_a_rehearsal_is_never_ready(results: Results) -> None:
    write_result(results, "test_token", "passed")

    [v] = verdicts_from(read_ledger(results.folder).checks, ("Authentication",), evidence=False)

    assert v.verdict is Verdict.REHEARSED and v.verdict.passed


def test_a_failure_that_only_differs_from_our_reading_needs_confirmation(results: Results) -> None:
    write_result(results, "test_token", "passed")
    write_result(results, "test_error_names_the_field", "failed", category="Differs from our reading of the docs")

    assert verdict_of(results).verdict is Verdict.NEEDS_CONFIRMATION
    write_result(results, "test_status", "failed")
    assert verdict_of(results).verdict is Verdict.NOT_READY, "a real contract violation still decides"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"failed": 1, "broken": 1, "passed": 0, "unsettled": True, "to_confirm": True}, Verdict.NOT_READY),
        ({"failed": 0, "broken": 1, "passed": 5, "to_confirm": True}, Verdict.NOT_EVIDENCED),
        ({"failed": 0, "broken": 0, "passed": 0}, Verdict.NOT_EVIDENCED),
        ({"failed": 0, "broken": 0, "passed": 5, "unsettled": True}, Verdict.NOT_EVIDENCED),
        ({"failed": 0, "broken": 0, "passed": 5, "to_confirm": True}, Verdict.NEEDS_CONFIRMATION),
        ({"failed": 0, "broken": 0, "passed": 5}, Verdict.READY),
    ],
)
def test_one_meaning_of_each_verdict_in_order_of_severity(given: dict, expected: Verdict) -> None:
    assert decide(**given, evidence=True) is expected
    rehearsal = decide(**given, evidence=False)
    assert rehearsal is (Verdict.REHEARSED if expected is Verdict.READY else expected)
