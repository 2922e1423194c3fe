"""The suites fail when the API misbehaves, in the suite that owns the area, and pass when it does not.

For each fault switch of the embedded sandbox, start a sandbox with that fault on, run the owning
suite against it over HTTP exactly as a partner would run it against the real sandbox, and check the
run fails with at least one failed test in that suite. The baseline (no fault) must pass, or a
failing fault run would prove nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ottimate_validation.sandbox.faults import FAULTS

from ..suite_runs import SUITES, run_suites


@pytest.mark.slow
@pytest.mark.parametrize("suite", SUITES)
def test_each_suite_passes_against_a_healthy_sandbox(suite: str, tmp_path: Path) -> None:
    run = run_suites([suite], tmp_path)
    assert run.returncode == 0, f"suites/{suite} fails without any fault:\n{run.output}"
    assert run.passed > 0, f"suites/{suite} passed vacuously:\n{run.output}"


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
