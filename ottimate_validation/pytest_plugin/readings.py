"""What a check rests on: the documented facts it judges and the decisions of ours it depends on.

- **Documented facts**: ``@pytest.mark.contract("§9", "§7")`` on a suite module or test names the
  CONTRACT sections it judges; the report tags the test "rests on: CONTRACT §7, §9".
- **Decisions**: where the documentation is silent, a check goes through ``our_reading("<decision>")``
  (``fixtures/checks.py``), which calls ``exercised`` here as it runs: the test is tagged "decision:
  <name>" and its ``Check`` lists the decision, so a known-deviation entry about it is called stale only
  when a test that exercised it passed. A check made ``soft`` records its difference (``differed``)
  and lets the test go on judging what the documentation says; the difference is raised as one
  ``DiffersFromOurReading`` when the test has otherwise passed (``pytest_runtest_call`` below).

The current test is this process's (tests run one at a time per process; a test's own threads see it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from typing import Any

import allure
import pytest

from ottimate_validation.pytest_plugin.state import TestTraffic
from ottimate_validation.report.failures import DiffersFromOurReading

_current: TestTraffic | None = None


def begin(traffic: TestTraffic | None) -> None:
    """The plugin's hooks say which test runs now (None between tests)."""
    global _current
    _current = traffic


def exercised(decision: str) -> None:
    """The current test rests on ``decision`` (a ``sandbox/contract.py`` decision's name)."""
    current = _current
    if current is None or decision in current.decisions:
        return
    current.decisions.append(decision)
    with contextlib.suppress(Exception):  # evidence never changes a test's outcome
        dynamic: Any = allure.dynamic
        dynamic.tag(f"decision: {decision}")


def differed(difference: DiffersFromOurReading) -> None:
    """A soft check of the current test differed from our reading: raised when the test ends."""
    current = _current
    if current is None:
        raise difference
    current.differences.append(difference)


def rests_on(item: pytest.Item) -> tuple[str, ...]:
    """The CONTRACT sections a test judges (``contract`` markers of the test, its class and module)."""
    sections: list[str] = []
    for marker in item.iter_markers("contract"):
        sections.extend(str(section) for section in marker.args if str(section) not in sections)
    return tuple(sorted(sections, key=_section_order))


def _section_order(section: str) -> tuple[int, ...]:
    digits = "".join(c if c.isdigit() or c == "." else " " for c in section).split()
    return tuple(int(part) for part in (digits[0].split(".") if digits else []) if part) or (999,)


def combined(differences: list[DiffersFromOurReading]) -> DiffersFromOurReading:
    """One failure for every soft difference a test met, naming every decision (the first leads)."""
    if len(differences) == 1:
        return differences[0]
    decisions = tuple(dict.fromkeys(d.decision for d in differences))
    text = "\n".join(f"- {d}" for d in differences)
    first = differences[0]
    return DiffersFromOurReading(
        f"Differs from our reading of the docs on {len(differences)} points (decisions {', '.join(decisions)}); "
        f"everything the documentation says passed:\n{text}",
        decision=first.decision,
        assumed="; ".join(d.assumed for d in differences),
        answered="; ".join(d.answered for d in differences),
        operation=first.operation,
        decisions=decisions,
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    # tryfirst: the outermost wrapper, so a difference raised here is the call's outcome as every other
    # plugin (evidence, Allure) sees it.
    result = yield
    current = _current
    if current is not None and current.differences and current.nodeid == item.nodeid:
        differences, current.differences = list(current.differences), []
        raise combined(differences)
    return result
