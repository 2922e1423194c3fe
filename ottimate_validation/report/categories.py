"""Why a test did not pass, in four words a partner manager can act on.

allure-pytest records an ``AssertionError`` as *failed* and any other exception as *broken*; the
suites keep contract checks as assertions and let transport and harness problems stay exceptions
(``fixtures/checks.py``). These rules sort the non-passing tests, first match wins:

- **Sandbox unreachable** (an outage, not a verdict): the client could not connect
  (``TargetUnreachable``), an httpx transport error, or the target answered 502/503/504 after the
  client's retries (``SandboxUnavailable``).
- **Rate limited**: a 429 that survived the client's retries (``RateLimited``), e.g. the daily quota.
- **Still pending**: work the API accepted (an extraction) was still pending when the run's wait for it
  ended (``StillPending``): not evidenced, not a verdict.
- **Known deviation** / **Differs from our reading of the docs**: a failure Ottimate confirmed
  (``KnownDeviation``), or one that disagrees only with a decision of ours (``DiffersFromOurReading``).
- **Contract violation**: any other failed test (an assertion about the API's answer).
- **Harness error**: any other broken test (a bug or a set-up problem in this project).

The same rules configure Allure's categories (``allure_categories``), are written as the Allure 2
``categories.json`` (``categories_json``), and classify failures for the readiness summary
(``categorize``). The regular expressions use the syntax Python and JavaScript share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

SANDBOX_UNREACHABLE = "Sandbox unreachable"
RATE_LIMITED = "Rate limited"
STILL_PENDING = "Still pending"
CONTRACT_VIOLATION = "Contract violation"
DIFFERS_FROM_OUR_READING = "Differs from our reading of the docs"
KNOWN_DEVIATION = "Known deviation"
HARNESS_ERROR = "Harness error"

# allure-pytest's message is pytest's ``exconly()``: the exception's qualified name, ": ", the text.
_QUALIFIED = r"^(?:[A-Za-z_][\w.]*\.)?"
_OUTAGE_MESSAGE = (
    _QUALIFIED + r"(?:TargetUnreachable|SandboxUnavailable)\b"
    r"|^httpx\.(?:Connect|Read|Write|Pool|Network|RemoteProtocol|Timeout|Transport|Proxy)\w*\b"
    r"|^(?:Connection\w*Error|TimeoutError)\b"
)
_OUTAGE_TRACE = r"(?:^|\n)E\s+(?:[A-Za-z_][\w.]*\.)?(?:TargetUnreachable|SandboxUnavailable)\b"
_RATE_LIMITED_MESSAGE = _QUALIFIED + r"RateLimited\b"
_STILL_PENDING_MESSAGE = _QUALIFIED + r"StillPending\b"
_DIFFERS_MESSAGE = _QUALIFIED + r"DiffersFromOurReading\b"
_KNOWN_MESSAGE = _QUALIFIED + r"KnownDeviation\b"


@dataclass(frozen=True)
class Matcher:
    statuses: tuple[str, ...]
    message: str | None = None
    trace: str | None = None

    def matches(self, status: str, message: str, trace: str) -> bool:
        if status not in self.statuses:
            return False
        if self.message is not None and not re.search(self.message, message):
            return False
        return self.trace is None or bool(re.search(self.trace, trace))


@dataclass(frozen=True)
class Category:
    name: str
    description: str
    matchers: tuple[Matcher, ...]  # any one matching is enough
    # How Allure lists the tests inside: by criterion, then by message (outages share one message;
    # every contract violation has its own, so there the tests are listed directly).
    group_by_message: bool = True

    def matches(self, status: str, message: str, trace: str) -> bool:
        return any(m.matches(status, message, trace) for m in self.matchers)


_NOT_PASSED = ("failed", "broken", "unknown")

CATEGORIES: tuple[Category, ...] = (
    Category(
        SANDBOX_UNREACHABLE,
        "The target could not be reached or was down (connection failed, timed out, or answered "
        "502/503/504 after retries). Not a verdict on the integration: run again.",
        (Matcher(_NOT_PASSED, message=_OUTAGE_MESSAGE), Matcher(_NOT_PASSED, trace=_OUTAGE_TRACE)),
    ),
    Category(
        RATE_LIMITED,
        "The target kept answering 429 after the client's retries (rate limit or daily quota). "
        "Not a verdict on the integration: run again later or ask for a higher quota.",
        (Matcher(_NOT_PASSED, message=_RATE_LIMITED_MESSAGE),),
    ),
    Category(
        STILL_PENDING,
        "Work the API accepted (an extraction) was still pending when the run's wait for it ended. Not a "
        "verdict: the check is not evidenced; run again with a longer wait (--extraction-wait).",
        (Matcher(_NOT_PASSED, message=_STILL_PENDING_MESSAGE),),
    ),
    Category(
        KNOWN_DEVIATION,
        "A difference Ottimate confirmed and known-deviations.toml records, with who confirmed it and when. "
        "Not a new failure.",
        (Matcher(("failed", "skipped"), message=_KNOWN_MESSAGE),),
        group_by_message=False,
    ),
    Category(
        DIFFERS_FROM_OUR_READING,
        "The API answered differently from a decision this project took where the documentation is silent "
        "(sandbox/contract.py). Our reading, not the API's fault: confirm with Ottimate.",
        (Matcher(("failed",), message=_DIFFERS_MESSAGE),),
        group_by_message=False,
    ),
    Category(
        CONTRACT_VIOLATION,
        "The API answered differently from the documented contract (an assertion failed).",
        (Matcher(("failed",)),),
        group_by_message=False,
    ),
    Category(
        HARNESS_ERROR,
        "The validation harness itself failed (a bug or a set-up problem in this project).",
        (Matcher(("broken", "unknown")),),
    ),
)


def categorize(status: str, message: str | None = None, trace: str | None = None) -> str | None:
    """The category of a test outcome, or None for passed and skipped tests."""
    for category in CATEGORIES:
        if category.matches(status, message or "", trace or ""):
            return category.name
    return None


def allure_categories() -> list[dict[str, Any]]:
    """The rules as Allure 3's ``categories`` configuration (allurerc)."""
    rules: list[dict[str, Any]] = []
    for category in CATEGORIES:
        matchers: list[dict[str, Any]] = []
        for m in category.matchers:
            matcher: dict[str, Any] = {"statuses": list(m.statuses)}
            if m.message is not None:
                matcher["message"] = m.message
            if m.trace is not None:
                matcher["trace"] = m.trace
            matchers.append(matcher)
        rules.append(
            {
                "id": category.name,
                "name": category.name,
                "matchers": matchers,
                "groupBy": [{"label": "epic"}],
                "groupByMessage": category.group_by_message,
                "expand": True,
            }
        )
    return rules


def categories_json() -> list[dict[str, Any]]:
    """The rules as an Allure 2 ``categories.json`` (one entry per matcher, same name)."""
    entries: list[dict[str, Any]] = []
    for category in CATEGORIES:
        for m in category.matchers:
            entry: dict[str, Any] = {
                "name": category.name,
                "description": category.description,
                "matchedStatuses": [s for s in m.statuses if s != "unknown"] or list(m.statuses),
            }
            if m.message is not None:
                entry["messageRegex"] = f"(?s).*(?:{m.message}).*"  # Allure 2 matches the whole message
            if m.trace is not None:
                entry["traceRegex"] = f"(?s).*(?:{m.trace}).*"
            entries.append(entry)
    return entries
