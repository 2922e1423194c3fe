"""At the end of a run against a URL: find what the run created and say what remains.

The controlling process (never an xdist worker, never a read-only run) lists the run's own leftovers
(``run.cleanup``) and records them as one ``Leftovers`` record in the ledger, which the readiness
summary reads. An embedded sandbox is discarded with everything in it, so nothing remains. Best effort:
a failure is reported and never changes the run's outcome.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from ottimate_validation.pytest_plugin.state import state_key
from ottimate_validation.run.budget import RequestBudgetExhausted
from ottimate_validation.run.cleanup import WHY_THEY_STAY, entities, find_leftovers
from ottimate_validation.run.http import api_client
from ottimate_validation.run.ledger import Leftovers, Source

KINDS = ("vendor", "dimension")
#: Vendors changed from this long before the run started are searched (machine and server clocks differ).
CLOCK_MARGIN = timedelta(minutes=30)

_started_key = pytest.StashKey[datetime]()
_lines_key = pytest.StashKey[list[str]]()


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_started_key] = datetime.now(UTC)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    state = config.stash.get(state_key, None)
    if state is None or not state.active or not state.controller or state.read_only or config.option.collectonly:
        return
    if state.remote is None:
        # Each worker's embedded sandbox is gone, and everything with it.
        state.ledger.record(Leftovers(at=time.time(), remaining={f"{kind}s": 0 for kind in KINDS}))
        return
    run_id = state.run.id
    config_ = state.remote.client_config()
    try:
        with api_client(config_, state.ledger, source=Source.CLEANUP, budget=state.budget) as api:
            found = find_leftovers(api, run_id, since=config.stash[_started_key] - CLOCK_MARGIN)
    except RequestBudgetExhausted as exc:
        config.stash[_lines_key] = [f"What run {run_id} left was not looked for ({exc})."]
        return
    except Exception as exc:  # the clean-up reports; it never decides the run's outcome
        config.stash[_lines_key] = [f"What run {run_id} left could not be listed ({type(exc).__name__}: {exc})."]
        return
    counts = Counter(leftover.kind for leftover in found)
    state.ledger.record(
        Leftovers(
            at=time.time(),
            remaining={f"{kind}s": counts.get(kind, 0) for kind in KINDS},
            created=len(found),
            note=WHY_THEY_STAY if found else "",
        )
    )
    config.stash[_lines_key] = [
        f"Run {run_id} left {entities(len(found))} on {state.remote.api_url} ({WHY_THEY_STAY}).",
        "They are named 'Test … - <run id> - …'; `ottimate-validate cleanup` lists what every run left.",
    ]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    lines = config.stash.get(_lines_key, None)
    if lines:
        terminalreporter.section("clean-up")
        for line in lines:
            terminalreporter.write_line(line)
