"""For every rule: an integration that breaks only that rule fails on it, in its criterion; the correct one
passes. The sample (``sample.py``) is correct by default and has one switch per misbehaviour."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ottimate_validation.integration.model import Limits
from ottimate_validation.integration.rules import BY_ID, RULES

from .conftest import UNICODE_ERP, Integrate, explain, failed_rules, sample, verdicts, write_plan

PLANNED = """
    [plan]
    name = "Sample sync"
    operations = ["GET /accounts", "GET /accounts/{id}/companies", "GET /accounts/{id}/locations",
                  "GET /vendors", "POST /vendors/bulk", "GET /dimensions", "POST /dimensions/bulk",
                  "POST /purchase-orders"]
"""
WITH_ERP = (
    PLANNED
    + f"""
    [erp]
    vendors = "{UNICODE_ERP / "vendors.csv"}"
    dimensions = "{UNICODE_ERP / "dimensions.json"}"

    [integration]
    incremental = true
"""
)
RATE = Limits(rate_per_second=50, burst=60)  # 155 requests exceed it unless sent slower than 75 a second
QUOTA = Limits(daily_quota=400)


@dataclass(frozen=True)
class Case:
    switch: str
    rule: str
    passes: tuple[str, ...] = ("clean",)
    faults: tuple[str, ...] = ()
    plan: str | None = None
    erp: bool = False
    incremental: bool = False
    limits: Limits | None = None
    extra: tuple[str, ...] = field(default=())

    def args(self, *, broken: bool) -> tuple[str, ...]:
        args = ("--break", self.switch) if broken else ()
        return (*args, *(("--erp", str(UNICODE_ERP)) if self.erp else ()), *self.extra)


CASES = [
    Case("json-token", "auth.client-credentials"),
    Case("token-per-call", "auth.token-reused"),
    Case("renew-loop", "auth.renew-once-after-401", ("fault",), ("token-revoked",)),
    Case("probe-without-key", "auth.credentials-on-every-call"),
    Case("token-in-query", "auth.no-credential-in-url"),
    Case("print-token", "auth.no-secret-in-output"),
    Case("skip-dimensions", "core.operations-exercised", plan=PLANNED),
    Case("ignore-retry-after", "errors.retry-after-honoured", ("fault",), ("429-read",)),
    Case("immediate-retry", "errors.retries-back-off", ("fault",), ("503-read",)),
    Case("resend-404", "errors.4xx-not-resent"),
    Case("new-key-on-retry", "errors.post-retried-with-same-key", ("fault",), ("answer-lost",)),
    Case("exit-1", "errors.completes"),
    Case("po-every-run", "data.no-duplicates", ("clean", "repeat")),
    Case("skip-failed-write", "data.fault-state-matches-clean", ("clean", "fault"), ("503-write",)),
    Case("invalid-vendor", "data.writes-accepted"),
    Case("ascii-names", "data.erp-records-match", plan=WITH_ERP, erp=True),
    Case("extra-reads", "stability.within-rate-limits", limits=RATE),
    Case("extra-reads", "stability.quota-share", limits=QUOTA),
    Case("first-page-only", "stability.pages-walked"),
    Case("full-reads", "stability.incremental-sync", ("clean", "repeat"), incremental=True),
]


def _run(integrate: Integrate, tmp_path: Path, case: Case, *, broken: bool) -> Any:
    plan = write_plan(tmp_path, case.plan) if case.plan else None
    return integrate(
        sample(*case.args(broken=broken)),
        passes=case.passes,
        faults=case.faults,
        plan=plan,
        incremental=case.incremental,
        limits=case.limits,
        existing=(25, 5),
    )


def test_every_rule_has_a_case_that_breaks_it() -> None:
    assert {c.rule for c in CASES} == set(BY_ID)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.rule)
def test_an_integration_breaking_one_rule_fails_on_that_rule_alone(
    integrate: Integrate, tmp_path: Path, case: Case
) -> None:
    result = _run(integrate, tmp_path, case, broken=True)
    assert failed_rules(result) == {case.rule}, explain(result)
    criterion = BY_ID[case.rule].criterion
    assert verdicts(result)[criterion] == "Not ready"
    assert [c for c, v in verdicts(result).items() if v == "Not ready"] == [criterion]
    assert result.exit_code == 1


CORRECT = {
    "clean, with a plan naming ERP files (Unicode), then repeat": Case(
        "", "", ("clean", "repeat"), plan=WITH_ERP, erp=True, incremental=True
    ),
    "every default fault": Case("", "", ("clean", "fault"), ("default",)),
    "lowered rate and quota": Case("", "", limits=Limits(rate_per_second=50, burst=60, daily_quota=400)),
}


@pytest.mark.parametrize("case", CORRECT.values(), ids=list(CORRECT))
def test_the_correct_integration_holds_every_rule(integrate: Integrate, tmp_path: Path, case: Case) -> None:
    faults = () if case.faults != ("default",) else tuple(_default_faults())
    result = _run(integrate, tmp_path, Case(**{**case.__dict__, "faults": faults}), broken=False)
    assert failed_rules(result) == set(), explain(result)
    assert not [f for f in result.findings if f.error], explain(result)
    assert result.exit_code == 0
    judged = {f.rule for f in result.findings if f.holds is True}
    assert judged, "some rule must have been judged"


def _default_faults() -> list[str]:
    from ottimate_validation.integration.faults import DEFAULT_FAULTS

    return list(DEFAULT_FAULTS)


def test_the_rules_are_named_documented_objects() -> None:
    for rule in RULES:
        assert rule.id.split(".")[0] in ("auth", "core", "errors", "data", "stability")
        assert rule.title and rule.judges and rule.threshold and rule.sources
        assert rule.passes
