"""``our_reading``: a check resting on a decision says so, and a failure there is filed under it.

Run in a child pytest as the suites are (the plugin, the ledger, Allure results), on checks that need no
target: what they raise is what an answer would have made them raise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ottimate_validation.report.categories import CONTRACT_VIOLATION, DIFFERS_FROM_OUR_READING, KNOWN_DEVIATION
from ottimate_validation.run.deviations import KnownDeviations, load
from ottimate_validation.run.judge import verdicts_from
from ottimate_validation.run.ledger import read_ledger

ROOT = Path(__file__).resolve().parents[2]

CHECKS = """
import pytest

from fixtures.checks import ContractViolation, our_reading

pytestmark = pytest.mark.contract("§6.1", "§7")


def test_hard():
    with our_reading("page-size-limits", "a page size above 100 is refused with 400"):
        raise ContractViolation("GET /v1/vendors answered 200, expected 400", operation="GET /vendors", status=200)
    raise AssertionError("not reached: a hard difference stops the check")


def test_soft_then_passes():
    with our_reading("error-message-names-the-field", "the error names limit", soft=True):
        assert False, "the error says Bad Request."
    with our_reading("invoice-status-spellings", "statuses are hyphenated", soft=True):
        assert False, "ready_for_export"


def test_soft_then_documented_failure():
    with our_reading("error-message-names-the-field", "the error names limit", soft=True):
        assert False, "the error says Bad Request."
    raise ContractViolation("GET /v1/vendors answered 201, expected 200")


def test_a_5xx_stays_a_violation():
    with our_reading("page-size-limits", "a page size above 100 is refused with 400"):
        raise ContractViolation("GET /v1/vendors answered 500", status=500)


def test_rests_on_a_decision_and_passes():
    with our_reading("list-order", "vendors come oldest first"):
        pass
"""

DEVIATIONS = """
[[deviation]]
decision = "invoice-status-spellings"
reason = "Answers spell statuses with underscores"
confirmed_by = "Jane Doe"
confirmed_on = 2026-12-01

[[deviation]]
decision = "error-message-names-the-field"
reason = "Messages name no field"
confirmed_by = "Jane Doe"
confirmed_on = 2026-12-01

[[deviation]]
decision = "list-order"
reason = "Newest first"
confirmed_by = "Jane Doe"
confirmed_on = 2026-12-01
"""


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    base = tmp_path_factory.mktemp("our-reading")
    suite = base / "suites" / "core"
    suite.mkdir(parents=True)
    (suite / "test_readings.py").write_text(CHECKS, encoding="utf-8")
    deviations = base / "known-deviations.toml"
    deviations.write_text(DEVIATIONS, encoding="utf-8")
    results = base / "allure-results"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTTIMATE_", "PYTEST_", "HYPOTHESIS_"))}
    done = subprocess.run(
        [
            sys.executable, "-m", "pytest", str(suite / "test_readings.py"), "-p", "no:randomly",
            "-p", "no:cacheprovider", "-q", f"--rootdir={base}", f"--run-dir={base / 'run'}", f"--alluredir={results}",
            f"--known-deviations={deviations}",
        ],
        cwd=ROOT, env={**env, "OTTIMATE_ENV_FILE": ""}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    tags: dict[str, object] = {}
    for path in results.glob("*-result.json"):
        result = json.loads(path.read_text(encoding="utf-8"))
        tags[result["name"]] = sorted(label["value"] for label in result["labels"] if label["name"] == "tag")
    return base, tags


def _checks(base: Path) -> dict[str, object]:
    return {c.test.rsplit("::", 1)[-1]: c for c in read_ledger(base / "run").checks}


def test_a_hard_difference_is_filed_under_its_decision_with_what_we_assumed(outcome) -> None:
    check = _checks(outcome[0])["test_hard"]
    assert (check.status, check.category, check.decision) == ("failed", DIFFERS_FROM_OUR_READING, "page-size-limits")
    assert "we assumed a page size above 100 is refused with 400" in check.message
    assert "answered 200, expected 400" in check.message
    assert check.failed_operation == "GET /vendors"


def test_soft_differences_are_raised_at_the_end_naming_every_decision_and_known_when_each_is(outcome) -> None:
    check = _checks(outcome[0])["test_soft_then_passes"]
    assert check.category == KNOWN_DEVIATION, "both decisions it differed on are confirmed in the file"
    assert list(check.differed) == ["error-message-names-the-field", "invoice-status-spellings"]


def test_a_documented_failure_after_a_soft_difference_is_a_contract_violation(outcome) -> None:
    check = _checks(outcome[0])["test_soft_then_documented_failure"]
    assert check.category == CONTRACT_VIOLATION and check.decision is None
    assert "error-message-names-the-field" in check.decisions, "it still says what it rested on"


def test_a_5xx_is_never_a_reading(outcome) -> None:
    assert _checks(outcome[0])["test_a_5xx_stays_a_violation"].category == CONTRACT_VIOLATION


def test_every_check_says_what_it_rests_on_in_its_check_and_its_tags(outcome) -> None:
    base, tags = outcome
    check = _checks(base)["test_rests_on_a_decision_and_passes"]
    assert check.status == "passed" and list(check.decisions) == ["list-order"]
    assert list(check.rests_on) == ["§6.1", "§7"]
    assert "decision: list-order" in tags["Rests on a decision and passes"]
    assert "rests on: CONTRACT §6.1, §7" in tags["Rests on a decision and passes"]
    assert "decision: page-size-limits" in tags["Hard"]


def test_a_decision_entry_is_stale_once_a_check_exercising_it_passed(outcome) -> None:
    base, _ = outcome
    known: KnownDeviations = load(base / "known-deviations.toml")
    from ottimate_validation.run.deviations import Ran

    checks = list(_checks(base).values())
    stale = known.stale(Ran(c.test, c.status, tuple(c.differed), tuple(c.decisions)) for c in checks)
    assert [d.decision for d in stale] == ["list-order"]


def test_a_criterion_differing_only_from_our_reading_needs_confirmation(outcome) -> None:
    wanted = ("test_hard", "test_rests_on_a_decision_and_passes")
    checks = [c for c in _checks(outcome[0]).values() if c.test.endswith(wanted)]
    [core] = [v for v in verdicts_from(checks) if v.criterion == "Core Functionality"]
    assert core.verdict.value == "Needs confirmation"
