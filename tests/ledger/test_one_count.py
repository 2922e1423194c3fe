"""The ledger is the run's one record: every request the target received is in it, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from ottimate_validation.run import Run
from ottimate_validation.run.judge import build_summary
from ottimate_validation.run.ledger import Source, read_ledger
from ottimate_validation.run.plan import LoadedPlan

from ..suite_runs import run_suites


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_requests_used_is_what_the_sandbox_counted_at_its_door(tmp_path: Path) -> None:
    # auth: hand-built requests and token calls; stability: concurrent and sustained use; a gateway's
    # sporadic 503 on GETs makes the clients retry, and each attempt is a request the sandbox received.
    run = run_suites(["auth", "stability"], tmp_path, variations=["sporadic_503_get"], extra_args=["-n", "2"])

    assert run.returncode == 0, run.output
    records = run.records
    sources = {x.source for x in records.api_exchanges}
    assert {Source.SUITE, Source.HAND, Source.PREFLIGHT} <= sources, sources
    assert any((x.attempt or 1) > 1 for x in records.api_exchanges), "some request was retried"
    assert records.requests == run.requests, (
        f"the ledger holds {records.requests} requests, the sandbox received {run.requests}"
    )
    folder = tmp_path / "run-auth-stability"
    summary = build_summary(Run.load(folder), read_ledger(folder), LoadedPlan(), title="t", root=tmp_path)
    assert summary.requests == run.requests
    assert summary.to_dict()["quota"]["requests"] == run.requests


@pytest.mark.slow
def test_every_exchange_of_a_test_names_it_and_every_test_has_one_check(tmp_path: Path) -> None:
    run = run_suites(["auth"], tmp_path, extra_args=["-n", "2", "-k", "token_endpoint"])

    assert run.returncode == 0, run.output
    checks = {c.test for c in run.records.checks}
    assert len(checks) == run.passed + len(run.skipped) + len(run.failed) > 0
    named = {x.test for x in run.records.api_exchanges if x.test}
    assert named <= checks, "an exchange names a test that has no check"
