"""Named fault switches: ways the embedded sandbox can misbehave on purpose.

Each fault is data (name, what goes wrong, the suite that must catch it). The harness's own tests
(`tests/fault_detection`) turn each one on and prove the owning suite fails; the README's
fault → suite table is generated from this list.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    caught_by: str  # the suite folder that owns this area


FAULTS: Final[tuple[Fault, ...]] = (
    Fault("auth_not_enforced", "Resource calls succeed without a valid API key or bearer token.", "auth"),
    Fault("token_never_expires", "Tokens stay valid after `expires_in`.", "auth"),
    Fault("scope_not_enforced", "Company- and location-scoped API users can reach every company.", "auth"),
    Fault("validation_not_enforced", "Writes with missing or mistyped fields are accepted.", "errors"),
    Fault(
        "error_body_malformed", "Error responses use `{error, detail}` instead of the ErrorResponse shape.", "errors"
    ),
    Fault("field_dropped", "Vendor responses omit `net_terms` and dimension responses omit `code`.", "integrity"),
    Fault("field_corrupted", "Non-ASCII characters in stored text are replaced by '?'.", "integrity"),
    Fault("pagination_loses_item", "Every page after the first skips its first item.", "integrity"),
    Fault(
        "pagination_duplicates_item", "Every page after the first repeats the previous page's last item.", "integrity"
    ),
    Fault("wrong_status_codes", "Creates answer 200 instead of the documented 201.", "core"),
    Fault("filters_ignored", "List filters (company, erp_type, last-modified dates) are ignored.", "core"),
    Fault(
        "idempotency_ignored",
        "`Idempotency-Key` is ignored: a replay is processed again as a new request.",
        "integrity",
    ),
    Fault("retry_after_missing", "429 answers come without `Retry-After`.", "stability"),
    Fault("creates_duplicated", "Every single create stores the entity twice.", "integrity"),
)

# Faults whose area has no suite yet (the sandbox implements them; the suites that catch them come with
# the invoices/catalog suites). They can be switched on, but tests/fault_detection only proves FAULTS.
FAULTS_AWAITING_SUITES: tuple[Fault, ...] = ()

FAULTS_BY_NAME: Final = {fault.name: fault for fault in (*FAULTS, *FAULTS_AWAITING_SUITES)}


class UnknownFault(ValueError):
    pass


class FaultSwitches:
    """The set of faults switched on; read on every request, so guarded by a lock."""

    def __init__(self, enabled: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._enabled: frozenset[str] = frozenset()
        self.set(enabled)

    def set(self, names: Iterable[str]) -> None:
        names = frozenset(names)
        unknown = sorted(names - FAULTS_BY_NAME.keys())
        if unknown:
            raise UnknownFault(f"unknown fault(s): {', '.join(unknown)}; known: {', '.join(FAULTS_BY_NAME)}")
        with self._lock:
            self._enabled = names

    def on(self, name: str) -> bool:
        assert name in FAULTS_BY_NAME, name  # a typo here would silently disable a fault
        return name in self._enabled

    @property
    def enabled(self) -> list[str]:
        return sorted(self._enabled)
