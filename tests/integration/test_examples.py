"""The examples in examples/integrations/: the well-behaved ones (Python, Node.js) pass all three passes
under every default fault; the naive one fails, with the right findings in the right criteria. And
"right but different" conduct passes: full jitter and fixed delays, threads, single writes."""

from __future__ import annotations

import shutil
import sys
from typing import Any

import pytest

from ottimate_validation.integration.faults import DEFAULT_FAULTS

from .conftest import EXAMPLES, Integrate, explain, failed_rules, finding, sample, verdicts

ALL_PASSES = ("clean", "fault", "repeat")


def _holds_everywhere(result: object) -> None:
    from ottimate_validation.integration.run import RunResult

    assert isinstance(result, RunResult)
    assert failed_rules(result) == set(), explain(result)
    assert not [f for f in result.findings if f.error], explain(result)
    # Every rule held; on the embedded sandbox that is a rehearsal, never Ready.
    assert set(verdicts(result).values()) == {"Rehearsed"}, verdicts(result)
    assert result.exit_code == 0


def test_the_well_behaved_python_example_passes_every_pass(integrate: Integrate) -> None:
    result = integrate((sys.executable, str(EXAMPLES / "python" / "sync.py")), passes=ALL_PASSES, faults=DEFAULT_FAULTS)
    _holds_everywhere(result)
    fault = next(p for p in result.summary.passes if p.name == "fault")
    assert set(fault.faults_fired) == set(DEFAULT_FAULTS), fault  # every fault met, every fault survived
    assert finding(result, "data.fault-state-matches-clean", "fault").holds is True
    summary = (result.run_dir / "summary.md").read_text()
    assert "Fault schedule (seed 1):" in summary and "`answer-lost`" in summary and "sync.py" in summary
    incremental = finding(result, "stability.incremental-sync", "repeat")
    assert incremental.finding.startswith("Reported only:"), incremental
    assert incremental.details["filtered"] == incremental.details["reads"] >= 1  # every list read filtered


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_well_behaved_node_example_passes_every_pass(integrate: Integrate) -> None:
    result = integrate(("node", str(EXAMPLES / "node" / "sync.mjs")), passes=ALL_PASSES, faults=DEFAULT_FAULTS)
    _holds_everywhere(result)
    fault = next(p for p in result.summary.passes if p.name == "fault")
    assert set(fault.faults_fired) == set(DEFAULT_FAULTS), fault


def test_the_naive_example_fails_with_the_right_findings(integrate: Integrate) -> None:
    result = integrate((sys.executable, str(EXAMPLES / "naive" / "sync.py")), passes=ALL_PASSES, faults=DEFAULT_FAULTS)
    failed = failed_rules(result)
    assert {
        "auth.client-credentials",  # a JSON token request
        "auth.token-reused",  # a token per call
        "auth.no-secret-in-output",  # it prints its tokens
        "errors.retry-after-honoured",  # retries a 429 at once
        "errors.retries-back-off",  # ... and a 503, ten times
        "data.no-duplicates",  # its purchase order, again on the repeat pass
        "data.writes-accepted",  # vendors it did not find on page 1, created again: refused
        "stability.pages-walked",  # reads page 1 only
    } <= failed, explain(result)
    assert verdicts(result) == {
        "Authentication": "Not ready",
        "Core Functionality": "Rehearsed",
        "Error Handling": "Not ready",
        "Data Integrity": "Not ready",
        "Integration Stability": "Not ready",
    }
    assert result.exit_code == 1
    # Its printed tokens are scrubbed from everything the run wrote.
    printed = finding(result, "auth.no-secret-in-output")
    assert "access token" in printed.finding
    assert finding(result, "data.no-duplicates", "repeat").exchanges


VARIANTS = {
    "full-jitter backoff": ("--backoff", "full-jitter"),
    "fixed exponential delays": ("--backoff", "fixed"),
    "four threads": ("--workers", "4"),
    "single writes, four threads": ("--writes", "single", "--workers", "4"),
}


@pytest.mark.parametrize("args", VARIANTS.values(), ids=list(VARIANTS))
def test_right_but_different_conduct_passes_under_every_fault(integrate: Integrate, args: tuple[str, ...]) -> None:
    result = integrate(sample(*args), passes=("fault",), faults=DEFAULT_FAULTS, existing=(25, 5))
    assert failed_rules(result) == set(), explain(result)
    assert result.exit_code == 0
    assert finding(result, "errors.retries-back-off", "fault").holds is True
    assert finding(result, "auth.renew-once-after-401", "fault").holds is True


def test_a_dropped_connection_after_a_processed_write_is_survived_by_reusing_the_key(integrate: Integrate) -> None:
    result = integrate(sample(), passes=("fault",), faults=("connection-dropped",), existing=(25, 5))
    assert failed_rules(result) == set(), explain(result)
    lost = [x for x in _exchanges(result) if x.fault == "connection-dropped"]
    assert len(lost) == 1 and lost[0].facts["processed_status"] in (200, 201)
    # werkzeug hands over its socket: no answer at all; a server that does not, answers 502 instead
    assert (lost[0].status, lost[0].error) in ((None, "ConnectionDropped"), (502, None))
    assert finding(result, "errors.post-retried-with-same-key", "fault").holds is True


def test_an_outage_shows_who_bounds_their_retries(integrate: Integrate) -> None:
    bounded = integrate(sample(), passes=("fault",), faults=("outage",), existing=(25, 5))
    assert finding(bounded, "errors.retries-back-off", "fault").holds is True
    assert finding(bounded, "errors.completes", "fault").holds is False  # an outage stops the job: said so
    endless = integrate(sample("--break", "immediate-retry"), passes=("fault",), faults=("outage",), existing=(25, 5))
    judged = finding(endless, "errors.retries-back-off", "fault")
    assert judged.holds is False and "times in a row while it failed" in judged.finding


def _exchanges(result: object) -> list[Any]:
    from ottimate_validation.run.ledger import read_ledger

    return [x for x in read_ledger(result.run_dir).exchanges if x.lane]  # type: ignore[attr-defined]
