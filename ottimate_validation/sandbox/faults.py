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
    Fault("client_secret_not_checked", "The token endpoint issues a token whatever client secret is sent.", "auth"),
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
    Fault(
        "bulk_updates_lost",
        "Bulk create-or-update answers an item as updated (echoing the new values) but keeps the old ones.",
        "core",
    ),
    Fault(
        "dates_shifted",
        "Vendor `last_modified_date`/`_utc` are reported five hours early (local time labelled UTC), "
        "so they disagree with the date filters.",
        "core",
    ),
    Fault(
        "extraction_wrong_totals",
        "Extraction reads the total without the last line's amount and still sends the invoice for approval.",
        "integrity",
    ),
    Fault("upload_type_not_checked", "Uploads of any content are accepted, whatever the file type.", "errors"),
    Fault(
        "batch_reports_success_for_failed_items",
        "Batch progress and results count failed tasks as successful and drop their messages.",
        "integrity",
    ),
    Fault("po_dimensions_dropped", "Purchase-order items come back with empty `dimensions`.", "integrity"),
    Fault(
        "receipt_po_link_lost",
        "Receipt reads omit `ottimate_po_id` and their items' `ottimate_po_item_id`.",
        "integrity",
    ),
    Fault(
        "catalog_price_corrupted",
        "Catalog entries and prices report `price` and `unit_price` with the decimal point shifted (x10).",
        "integrity",
    ),
    Fault(
        "approval_skips_approver",
        "The first approval makes an invoice ready for export although other assigned approvers have not approved.",
        "core",
    ),
    Fault(
        "export_status_not_persisted",
        "mark-exported lists invoices in `updated[]` but leaves them `ready-for-export`.",
        "integrity",
    ),
    Fault(
        "invoice_update_lost",
        "PATCH /invoices/{id} ignores `If-Match`: a write from a stale read overwrites a concurrent change "
        "instead of answering 412.",
        "integrity",
    ),
    Fault(
        "invalid_transition_allowed",
        "Invoice actions from a status that forbids them (approve an exported invoice, export one awaiting "
        "approval) are applied instead of refused with 409.",
        "core",
    ),
)

# Faults whose area has no suite yet (the sandbox implements them; the suites that catch them come with
# the invoices/catalog suites). They can be switched on, but tests/fault_detection only proves FAULTS.
FAULTS_AWAITING_SUITES: tuple[Fault, ...] = ()

FAULTS_BY_NAME: Final = {fault.name: fault for fault in (*FAULTS, *FAULTS_AWAITING_SUITES)}


class UnknownSwitch(ValueError):
    pass


class Switches:
    """A set of named switches switched on; read on every request, so guarded by a lock."""

    kind = "switch"

    def __init__(self, known: Iterable[str], enabled: Iterable[str] = ()) -> None:
        self._known = frozenset(known)
        self._lock = threading.Lock()
        self._enabled: frozenset[str] = frozenset()
        self.set(enabled)

    def set(self, names: Iterable[str]) -> None:
        names = frozenset(names)
        unknown = sorted(names - self._known)
        if unknown:
            known = ", ".join(sorted(self._known))
            raise UnknownSwitch(f"unknown {self.kind}(s): {', '.join(unknown)}; known: {known}")
        with self._lock:
            self._enabled = names

    def on(self, name: str) -> bool:
        assert name in self._known, name  # a typo here would silently disable a switch
        return name in self._enabled

    @property
    def enabled(self) -> list[str]:
        return sorted(self._enabled)

    @property
    def any_on(self) -> bool:
        return bool(self._enabled)


class FaultSwitches(Switches):
    kind = "fault"

    def __init__(self, enabled: Iterable[str] = ()) -> None:
        super().__init__(FAULTS_BY_NAME, enabled)
