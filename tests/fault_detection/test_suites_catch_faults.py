"""The suites fail when the API misbehaves, in the suite that owns the area, and pass when it does not.

For each fault switch of the embedded sandbox, start a sandbox with that fault on, run the owning
suite against it over HTTP exactly as a partner would run it against the real sandbox, and check the
run fails with at least one failed test in that suite, and that no test of it is filed as a harness
error: a misbehaving API is the API's fault (a contract violation), never the tool's. The
baseline, one run of every suite with no fault, must pass in every suite, or a failing fault run would
prove nothing; it also holds the whole validation to the 1,000-request target for a run against the real
sandbox (a tenth of its daily quota of 10,000 requests per API key), counted where they arrive.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ottimate_validation.report.categories import CONTRACT_VIOLATION, HARNESS_ERROR
from ottimate_validation.sandbox.faults import FAULTS

from ..suite_runs import SUITES, run_suites

#: A full run against the real sandbox sends at most this many requests (issue 7).
FULL_RUN_REQUEST_TARGET = 1_000


@pytest.mark.slow
def test_every_suite_passes_against_a_healthy_sandbox_within_1000_requests(tmp_path: Path) -> None:
    # The Hypothesis profile a run against the real sandbox uses (fixtures/options.py), with a fixed seed
    # so the examples, and so the count, are the same every time.
    run = run_suites(SUITES, tmp_path, hypothesis_profile="sandbox", extra_args=["--hypothesis-seed=0"])
    assert run.returncode == 0 and not run.failed, f"the suites fail without any fault: {run.failed}\n{run.output}"
    vacuous = [suite for suite in SUITES if not run.passed_by_suite.get(suite)]
    assert not vacuous, f"no test passed in suites/{', suites/'.join(vacuous)}:\n{run.output}"
    assert 0 < run.requests <= FULL_RUN_REQUEST_TARGET, (
        f"a full run sent {run.requests} requests to the API, over the target of {FULL_RUN_REQUEST_TARGET}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_the_owning_suite_fails_when_the_fault_is_on(fault, tmp_path: Path) -> None:
    assert fault.caught_by in SUITES, f"{fault.name} names suites/{fault.caught_by}, which does not exist"
    run = run_suites([fault.caught_by], tmp_path, faults=[fault.name])
    assert run.returncode == 1, (
        f"suites/{fault.caught_by} did not fail with the fault {fault.name!r} on "
        f"(exit {run.returncode}); the suites would pass against an API that {fault.description}\n{run.output}"
    )
    assert run.failed, run.output
    assert all(name.startswith(f"suites.{fault.caught_by}") for name in run.failed), run.failed
    blamed_on_the_tool = [f"{c.test}: {c.message[:300]}" for c in run.records.checks if c.category == HARNESS_ERROR]
    assert not blamed_on_the_tool, f"with {fault.name} on, the API's fault was filed as a harness error:\n" + "\n".join(
        blamed_on_the_tool
    )
    # A broken API breaks what the documentation says: at least one check must say so, not only differ from
    # our reading of it (a check loosened into our_reading still fails on the fault that proves it).
    violations = [c.test for c in run.records.checks if c.category == CONTRACT_VIOLATION]
    assert violations, f"with {fault.name} on, no check found a contract violation, only: " + str(
        sorted({c.category for c in run.records.checks if c.category})
    )
