"""known-deviations.toml: what Ottimate confirmed is filed apart from new failures, and kept clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from ottimate_validation.run.deviations import DeviationsError, KnownDeviations, Ran, load

GOOD = """
[[deviation]]
check = "suites/errors/test_request_errors.py::test_a_page_size_outside_1_to_100_is_refused"
reason = "Page sizes above 100 are clamped to 100"
confirmed_by = "Jane Doe, Ottimate partner engineering"
confirmed_on = 2026-11-30

[[deviation]]
decision = "error-message-names-the-field"
reason = "The field is named in errors[].field, not in the message"
confirmed_by = "Jane Doe"
confirmed_on = "2026-12-01"
"""


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "known-deviations.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_entry_matches_its_check_with_every_case_or_its_decision(tmp_path: Path) -> None:
    known = load(_file(tmp_path, GOOD))
    page = "suites/errors/test_request_errors.py::test_a_page_size_outside_1_to_100_is_refused"

    assert known.match(page, None) is not None
    assert known.match(page + "[101]", None) is not None
    assert known.match(page + "_too", None) is None
    named = known.match("suites/errors/test_x.py::test_y", "error-message-names-the-field")
    assert named is not None and named.note.endswith("(confirmed by Jane Doe on 2026-12-01)")
    assert known.match("suites/errors/test_x.py::test_y", None) is None


def test_a_check_entry_is_stale_only_when_its_check_ran_and_passed(tmp_path: Path) -> None:
    known = load(_file(tmp_path, GOOD))
    page = "suites/errors/test_request_errors.py::test_a_page_size_outside_1_to_100_is_refused"

    assert [d.key for d in known.stale([Ran(page + "[101]", "passed")])] == [f"check {page}"]
    assert known.stale([Ran(page + "[101]", "failed", ("page-size-limits",))]) == []
    assert known.stale([Ran(page, "skipped")]) == [], "a check that was skipped proves nothing"
    assert known.stale([Ran("suites/other.py::t", "passed")]) == [], "a check that did not run proves nothing"


def test_a_decision_entry_is_stale_only_when_a_check_exercising_it_passed(tmp_path: Path) -> None:
    known = load(_file(tmp_path, GOOD))
    decision = "error-message-names-the-field"

    exercised_and_passed = known.stale([Ran("suites/x.py::t", "passed", (), (decision,))])
    still_differs = known.stale(
        [Ran("suites/x.py::t", "passed", (), (decision,)), Ran("suites/y.py::t", "failed", (decision,), (decision,))]
    )
    passed_without_it = known.stale([Ran("suites/x.py::t", "passed", (), ("page-size-limits",))])
    failed_otherwise = known.stale([Ran("suites/x.py::t", "failed", (), (decision,))])

    assert [d.key for d in exercised_and_passed] == [f"decision {decision}"]
    assert still_differs == []
    assert passed_without_it == [], "no check that ran rested on the decision: nothing is proven"
    assert failed_otherwise == [], "the only check resting on it failed for another reason: nothing is proven"


def test_a_check_differing_on_several_decisions_is_known_only_when_each_is(tmp_path: Path) -> None:
    known = load(_file(tmp_path, GOOD))

    assert known.match("suites/x.py::t", ("error-message-names-the-field",)) is not None
    assert known.match("suites/x.py::t", ("error-message-names-the-field", "list-order")) is None


def test_a_missing_file_means_no_known_deviation(tmp_path: Path) -> None:
    assert load(tmp_path / "absent.toml") == KnownDeviations()


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            "[[deviation]]\nreason = 'x'\nconfirmed_by = 'y'\nconfirmed_on = 2026-01-01\n",
            "either a check or a decision",
        ),
        ("[[deviation]]\ncheck = 'suites/a.py::t'\nconfirmed_by = 'y'\nconfirmed_on = 2026-01-01\n", "needs reason"),
        ("[[deviation]]\ncheck = 'suites/a.py::t'\nreason = 'x'\nconfirmed_by = 'y'\n", "needs confirmed_on"),
        ("[[deviation]]\ncheck = 'a test'\nreason = 'x'\nconfirmed_by = 'y'\nconfirmed_on = 2026-01-01\n", "node id"),
        ("[deviations]\n", r"only \[\[deviation\]\] entries"),
        ("[[deviation]\n", "cannot be read"),
    ],
)
def test_a_wrong_entry_is_one_sentence_naming_it(tmp_path: Path, text: str, said: str) -> None:
    with pytest.raises(DeviationsError, match=said) as refused:
        load(_file(tmp_path, text))
    assert "\n" not in str(refused.value)
