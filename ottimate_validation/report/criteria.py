"""Ottimate's five validation criteria: what each checks, and the checks it cannot be judged without.

One entry per criterion, in the order of Ottimate's checklist: its name (the report's epic), the
folder of ``suites/`` that evidences it, its Allure severity, and one or two plain sentences for the
report ("what was checked, against what, with which data").

Its *required checks* live beside the tests they name, in ``suites/required-checks.toml``: a required
check is named for a partner manager and points at the suite tests that make it (node ids, every case
of a parametrised one). A criterion whose required check did not pass (skipped, not run, deselected)
is "Not evidenced", naming what is missing; "Ready" says how many it rests on.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RequiredCheck:
    name: str  # "A client-credentials token is issued"
    tests: tuple[str, ...]  # node ids (``suites/auth/test_x.py::test_y``), matched with their cases

    def covers(self, nodeid: str) -> bool:
        return any(nodeid == test or nodeid.startswith(test + "[") for test in self.tests)


@dataclass(frozen=True)
class Criterion:
    name: str
    suite: str  # folder under suites/
    severity: str  # Allure severity of its tests
    checked: str  # what the criterion's tests check, in plain words


CRITERIA_DEFINED: tuple[Criterion, ...] = (
    Criterion(
        "Authentication",
        "auth",
        "blocker",
        "Tokens from the OAuth2 client-credentials grant at both token URLs, every refusal (wrong secret, "
        "unknown client, missing API key, bad grant or scope), both credentials on every call, token reuse "
        "and renewal, and what a narrower API user may see.",
    ),
    Criterion(
        "Core Functionality",
        "core",
        "critical",
        "Every planned operation doing its job on data the run creates (named 'Test Vendor - …'): accounts, "
        "vendors and dimensions, invoices from upload to export, approvals, catalog, purchase orders, receipts "
        "and batch jobs, and the end-to-end stories.",
    ),
    Criterion(
        "Error Handling",
        "errors",
        "normal",
        "Every documented error of the planned operations answered with its status and an ErrorResponse body: "
        "invalid fields, malformed JSON, unknown ids and routes, wrong methods, refused transitions, idempotency "
        "misuse; invalid payloads generated from the documented schemas.",
    ),
    Criterion(
        "Data Integrity",
        "integrity",
        "critical",
        "What is written reads back exactly as sent (every documented field, Unicode, money, dates, dimensions), "
        "extraction reads what the document says, retries with one idempotency key store one entity, "
        "concurrent edits are refused, and paged lists show every item once.",
    ),
    Criterion(
        "Integration Stability",
        "stability",
        "normal",
        "Sustained use within the documented limits by several workers sharing one token, judged on its "
        "success rate, rate-limited answers, retries and latency; throttling answered with Retry-After and "
        "recovered from.",
    ),
)

#: The criteria's names, in the checklist's order.
CRITERIA: tuple[str, ...] = tuple(c.name for c in CRITERIA_DEFINED)
BY_NAME: dict[str, Criterion] = {c.name: c for c in CRITERIA_DEFINED}
#: The folder under ``suites/`` -> the criterion it evidences.
SUITE_CRITERIA: dict[str, str] = {c.suite: c.name for c in CRITERIA_DEFINED}
#: Allure severities: without working authentication or faithful data nothing else matters.
CRITERION_SEVERITY: dict[str, str] = {c.name: c.severity for c in CRITERIA_DEFINED}

#: What the suites evidence, as the report names it beside "Your integration" (the integration mode's).
VALIDATION_SECTION = "Your sandbox and credentials"

REQUIRED_CHECKS_FILE = "required-checks.toml"
Required = Mapping[str, tuple[RequiredCheck, ...]]


class RequiredChecksError(ValueError):
    """The required-checks file cannot be read; the message is one sentence."""


def load_required(path: Path) -> Required:
    """The required checks of each criterion from a TOML file (none when it does not exist)."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RequiredChecksError(f"{path} cannot be read: {exc}.") from None
    found: dict[str, tuple[RequiredCheck, ...]] = {}
    for criterion, entries in data.items():
        if criterion not in BY_NAME:
            raise RequiredChecksError(f"{path} names {criterion!r}, which is not one of {', '.join(CRITERIA)}.")
        checks = []
        for entry in entries if isinstance(entries, list) else [None]:
            name, tests = (entry.get("name"), entry.get("tests")) if isinstance(entry, dict) else (None, None)
            if not isinstance(name, str) or not isinstance(tests, list) or not all(isinstance(t, str) for t in tests):
                raise RequiredChecksError(f"{path}: each [[{criterion}]] needs a name and a list of tests.")
            checks.append(RequiredCheck(name, tuple(tests)))
        found[criterion] = tuple(checks)
    return found
