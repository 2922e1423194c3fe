"""``--request-budget N``: when the budget is spent, the test that wanted a request and every test
after it are skipped (``run.budget``), each recorded as a ``BudgetSkip`` in the ledger."""

from __future__ import annotations

import time
from collections.abc import Generator

import pytest

from ottimate_validation.pytest_plugin.state import RunState, state_key, state_of
from ottimate_validation.run.budget import RequestBudgetExhausted
from ottimate_validation.run.ledger import BudgetSkip

budget_skipped_key = pytest.StashKey[bool]()


def _skip(item: pytest.Item, limit: int) -> None:
    if not item.stash.get(budget_skipped_key, False):
        item.stash[budget_skipped_key] = True
        state_of(item.config).ledger.record(BudgetSkip(at=time.time(), test=item.nodeid, limit=limit))
    pytest.skip(f"request budget of {limit} exhausted")


@pytest.hookimpl(tryfirst=True)  # like a skip marker: before any fixture, whose requests would be refused too
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Once the budget is spent no later test starts: its fixtures would want requests too.
    budget = state_of(item.config).budget
    if budget is not None and budget.exhausted():
        _skip(item, budget.limit)


class _SkipWhenSpent:
    """A request refused in a fixture's set-up, in the test or in a teardown: a skip, not an error."""

    @staticmethod
    def _skip_on_refusal(item: pytest.Item) -> Generator[None, None, None]:
        try:
            return (yield)
        except RequestBudgetExhausted as exc:
            _skip(item, exc.limit)

    # Outermost wrappers (tryfirst), so the skip they raise is what the report and Allure see.
    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        return (yield from self._skip_on_refusal(item))

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        return (yield from self._skip_on_refusal(item))

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
        return (yield from self._skip_on_refusal(item))


def configure(config: pytest.Config, state: RunState) -> None:
    """Called by the plugin's ``pytest_configure``."""
    if state.budget is not None:
        config.pluginmanager.register(_SkipWhenSpent(), "ottimate-request-budget-skips")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    state = config.stash.get(state_key, None)
    if state is None or state.budget is None or not state.controller:
        return
    budget = state.budget.state()
    terminalreporter.section("request budget")
    terminalreporter.write_line(f"Requests used: {budget.used} of the budget of {budget.limit}.")
    if budget.exhausted:
        terminalreporter.write_line("The budget ran out: the tests it skipped are listed in the summary.", yellow=True)
