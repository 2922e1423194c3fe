"""Why a check did not pass, as types: what the suites raise and the evidence reads.

allure-python's rule: an ``AssertionError`` is a *failed* check, any other exception is *broken*. So a
disagreement with the documented contract is an assertion, and an answer that only says the target
cannot serve right now is not::

    AssertionError
    └── ContractViolation     the API answered against the contract; names the operation it judged
        ├── UnexpectedAnswer      a suite could not read an answer (missing key, wrong type, no JSON)
        └── DiffersFromOurReading the answer disagrees only with our decision where the docs are silent
    └── KnownDeviation        a difference Ottimate confirmed (known-deviations.toml): not a new failure
    Exception
    ├── RateLimited           a 429 outlived the client's retries (rate limit, daily quota): no verdict
    ├── SandboxUnavailable    502/503/504 after retries: the target is down or overloaded, no verdict
    └── StillPending          work the API accepted (extraction) was still pending when the wait ended

``category_of`` files an outcome under the report's categories (``report.categories``) by the type of
what was raised, never by parsing its message.
"""

from __future__ import annotations

from ottimate_validation.report.categories import (
    CONTRACT_VIOLATION,
    DIFFERS_FROM_OUR_READING,
    HARNESS_ERROR,
    KNOWN_DEVIATION,
    RATE_LIMITED,
    SANDBOX_UNREACHABLE,
    STILL_PENDING,
)


class ContractViolation(AssertionError):
    """The API answered against the documented contract. ``operation`` is the documented operation
    whose answer was judged (``POST /vendors``), when the check knows it."""

    def __init__(self, message: str, *, operation: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.operation = operation
        self.status = status  # the HTTP status of the answer judged, when the check knows it


class UnexpectedAnswer(ContractViolation):
    """An answer the checks could not read: a key missing, a value of another type, a body that is not
    JSON. The API's shape is wrong, not the tool: reported with the answer."""


class DiffersFromOurReading(ContractViolation):
    """The answer disagrees with a decision this project took where the documentation is silent
    (``sandbox/contract.py``), and with nothing the documentation says: confirm with Ottimate.
    ``decision`` names it; a check that met several such differences names them all in ``decisions``
    (``decision`` is the first)."""

    def __init__(
        self,
        message: str,
        *,
        decision: str,
        assumed: str,
        answered: str,
        operation: str | None = None,
        decisions: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, operation=operation)
        self.decision = decision
        self.assumed = assumed
        self.answered = answered
        self.decisions = decisions or (decision,)


class KnownDeviation(AssertionError):
    """A difference Ottimate confirmed and ``known-deviations.toml`` records: not a new failure."""


class RateLimited(Exception):
    """The target kept answering 429 (rate limit or daily quota): this proves nothing either way."""


class SandboxUnavailable(Exception):
    """The target answered 502, 503 or 504: it is down or overloaded, so this proves nothing."""


class StillPending(Exception):
    """Work the API accepted (an extraction) was still pending when the run's wait for it ended: nothing
    was decided either way, so the check is not evidenced (``--extraction-wait`` waits longer)."""


_OUTAGES = frozenset({"TargetUnreachable", "SandboxUnavailable", "ConnectionError", "TimeoutError"})
_HTTPX_OUTAGES = ("Connect", "Read", "Write", "Pool", "Network", "RemoteProtocol", "Timeout", "Transport", "Proxy")


def _is_outage(exc: BaseException) -> bool:
    for cls in type(exc).__mro__:
        if cls.__name__ in _OUTAGES:
            return True
        if cls.__module__.startswith("httpx") and cls.__name__.startswith(_HTTPX_OUTAGES):
            return True
    return False


def category_of(status: str, exc: BaseException | None) -> str | None:
    """The category of a test's outcome: None when it passed or was skipped."""
    if status in ("passed", "skipped"):
        return None
    seen: set[int] = set()
    current = exc
    while current is not None and id(current) not in seen:  # an outage wrapped by a harness error is one
        seen.add(id(current))
        if _is_outage(current):
            return SANDBOX_UNREACHABLE
        if any(cls.__name__ == "RateLimited" for cls in type(current).__mro__):
            return RATE_LIMITED
        if any(cls.__name__ == "StillPending" for cls in type(current).__mro__):
            return STILL_PENDING
        current = current.__cause__ or current.__context__
    if status == "failed":
        if isinstance(exc, KnownDeviation):
            return KNOWN_DEVIATION
        if isinstance(exc, DiffersFromOurReading):
            return DIFFERS_FROM_OUR_READING
        return CONTRACT_VIOLATION
    return HARNESS_ERROR


def status_of(exc: BaseException | None) -> str:
    """allure-python's status for what a test raised: failed for an assertion, else broken."""
    if exc is None:
        return "passed"
    if isinstance(exc, AssertionError) or type(exc).__name__ == "Failed":  # pytest.fail
        return "failed"
    return "broken"
