"""The polling helper: answers as soon as the check does, grows its gap, and fails at the deadline."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from unittest import mock

import pytest

from ottimate_validation.pytest_plugin import polling
from ottimate_validation.pytest_plugin.polling import BATCH_CADENCE, EXTRACTION_CADENCE, Cadence, Waiter
from ottimate_validation.run.ledger import Ledger, Wait


class FakeControl:
    def __init__(self) -> None:
        self.advanced: list[float] = []

    def advance_clock(self, seconds: float) -> str:
        self.advanced.append(seconds)
        return "now"


def test_waiting_against_a_real_sandbox_sleeps_with_a_growing_gap() -> None:
    slept: list[float] = []
    answers = iter([None, None, None, "done"])
    waiter = Waiter(None, sleep=slept.append)
    assert waiter.until(lambda: next(answers), what="done", cadence=Cadence(2, 4, 60)) == "done"
    assert slept == [2, 3, 4, 4], "the first look comes after the first gap; each poll follows a gap"


def test_waiting_against_the_embedded_sandbox_moves_its_clock_instead_of_sleeping() -> None:
    control = FakeControl()
    answers = iter([None, "ok"])
    waiter = Waiter(control, sleep=lambda s: pytest.fail("slept"))  # type: ignore[arg-type]
    assert waiter.until(lambda: next(answers), what="ok", cadence=Cadence(10, 30, 60)) == "ok"
    assert control.advanced == [10, 15]


def test_the_deadline_is_a_failed_check_naming_what_was_awaited_and_last_seen() -> None:
    slept: list[float] = []
    waiter = Waiter(None, sleep=slept.append)
    expected = r"after 10 seconds \(\d+ polls\) until the batch completes; last seen: 'x'"
    with pytest.raises(AssertionError, match=expected):
        waiter.until(lambda: None, what="the batch completes", cadence=Cadence(3, 3, 10), last_seen=lambda: "x")
    assert sum(slept) == 10


def test_the_documented_cadences_read_as_a_partner_manager_would_say_them() -> None:
    assert EXTRACTION_CADENCE.describe() == (
        "extraction: polled every 5 s for 1 min, then every 7.5-30 s, up to 15 min"
    )
    assert BATCH_CADENCE.describe() == "batch: polled after 2 s, then every 3-10 s, up to 5 min"
    assert Cadence(3, 3, 10).describe() == "work: polled every 3 s, up to 10 s"


def test_extraction_is_polled_steadily_for_its_first_minute_then_less_and_less_often() -> None:
    gaps = list(itertools.islice(EXTRACTION_CADENCE.gaps(), 17))
    assert gaps[:12] == [5.0] * 12  # a 30-s extraction is found within 5 s of being done
    assert gaps[12:] == [7.5, 11.25, 16.875, 25.3125, 30.0]
    assert list(itertools.islice(BATCH_CADENCE.gaps(), 5)) == [2.0, 3.0, 4.5, 6.75, 10.0]


def test_the_wait_step_says_what_and_how_and_the_ledger_records_the_wait() -> None:
    titles: list[str] = []

    @contextlib.contextmanager
    def step(title: str) -> Iterator[None]:
        titles.append(title)
        yield

    ledger = Ledger(process="test")
    ledger.test = "suites/x.py::test_y"
    answers = iter([None, None, True])
    waiter = Waiter(None, sleep=lambda s: None, ledger=ledger)
    with mock.patch.object(polling.allure, "step", step):
        waiter.until(lambda: next(answers), what="batch bat_1 (3 items) has completed", cadence=BATCH_CADENCE)
    assert titles == [
        "Wait until batch bat_1 (3 items) has completed (batch: polled after 2 s, then every 3-10 s, up to 5 min)"
    ]
    begun, wait = ledger.records()
    assert isinstance(begun, Wait) and begun.done is None, "a wait is recorded when it begins, for progress"
    assert isinstance(wait, Wait)
    # Three polls after gaps of 2, 3 and 4.5 s.
    assert (wait.kind, wait.polls, wait.seconds, wait.done, wait.moved_clock) == ("batch", 3, 9.5, True, False)
    assert (wait.what, wait.test) == ("batch bat_1 (3 items) has completed", "suites/x.py::test_y")


def test_an_extraction_past_its_wait_is_still_pending_not_a_failed_check() -> None:
    from ottimate_validation.pytest_plugin.polling import extraction_cadence
    from ottimate_validation.report.failures import StillPending, category_of, status_of

    cadence = extraction_cadence(2)  # two minutes
    assert cadence.deadline == 120 and cadence.kind == "extraction"
    assert extraction_cadence(240).max == 300, "a long wait polls every 5 minutes at most"
    waiter = Waiter(FakeControl())
    with pytest.raises(StillPending, match=r"^Not evidenced: extraction still pending after 2 min") as pending:
        waiter.until(lambda: None, what="the upload is extracted", cadence=cadence, pending_is_not_evidence=True)
    assert status_of(pending.value) == "broken" and category_of("broken", pending.value) == "Still pending"
