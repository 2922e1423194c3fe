"""The polling helper: answers as soon as the check does, grows its gap, and fails at the deadline."""

from __future__ import annotations

import pytest

from fixtures.polling import Cadence, Waiter


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
    assert slept == [2, 3, 4]


def test_waiting_against_the_embedded_sandbox_moves_its_clock_instead_of_sleeping() -> None:
    control = FakeControl()
    answers = iter([None, "ok"])
    waiter = Waiter(control, sleep=lambda s: pytest.fail("slept"))  # type: ignore[arg-type]
    assert waiter.until(lambda: next(answers), what="ok", cadence=Cadence(10, 30, 60)) == "ok"
    assert control.advanced == [10]


def test_the_deadline_is_a_failed_check_naming_what_was_awaited_and_last_seen() -> None:
    slept: list[float] = []
    waiter = Waiter(None, sleep=slept.append)
    expected = r"after 10 seconds \(\d+ polls\) until the batch completes; last seen: 'x'"
    with pytest.raises(AssertionError, match=expected):
        waiter.until(lambda: None, what="the batch completes", cadence=Cadence(3, 3, 10), last_seen=lambda: "x")
    assert sum(slept) == 10
