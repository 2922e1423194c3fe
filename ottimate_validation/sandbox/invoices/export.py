"""Export status (§12.10, §12.11) and the receiver export (§12.12)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..accounts.models import ApiUser
from ..contract import ErrorCode
from ..core import dates
from ..core.errors import BadRequest, ValidationFailed
from ..core.pagination import int_param
from ..core.validation import check, parse
from . import lifecycle
from .models import EXPORT_BATCH_MAX, ExportEntry, ExportEntryByUuid, Invoice, MarkExported, MarkUnexported

if TYPE_CHECKING:
    from ..state import SandboxState
    from .store import InvoiceStore


class Exports:
    def __init__(self, state: SandboxState, store: InvoiceStore) -> None:
        self._state = state
        self._store = store

    def mark_exported(self, user: ApiUser, body: dict[str, Any], export_batch: str | None) -> dict[str, Any]:
        data = parse(MarkExported, body, self._state.faults)
        entries = self._entries(data["invoices"], self._entry_model())
        updated: list[Any] = []
        failed: list[dict[str, Any]] = []
        for entry, problem in entries:
            if entry is None:
                failed.append({"id": -1, "error": problem})
                continue
            invoice, error = self._bulk_target(user, entry["invoice_id"])
            if invoice is None:
                failed.append({"id": entry["invoice_id"], "error": error})
                continue
            if not (
                lifecycle.allowed("mark_exported", invoice.status)
                or self._state.faults.on("invalid_transition_allowed")
            ):
                failed.append(
                    {
                        "id": self._reported(invoice),
                        "error": f"only ready-for-export invoices can be exported (status {invoice.status})",
                    }
                )
                continue
            if not self._state.faults.on("export_status_not_persisted"):
                invoice.status = lifecycle.target("mark_exported", invoice.status, self._state.faults)
                invoice.exported_at = self._state.clock.now()
                invoice.export_transaction_id = entry.get("export_transaction_id") or data.get("export_transaction_id")
                reason = entry.get("marked_reason") or data.get("marked_reason") or "marked as exported"
                suffix = f" (export batch {export_batch})" if export_batch else ""
                self._store.touch(invoice, user, "exported", reason + suffix)
            updated.append(self._reported(invoice))
        return {"updated": updated, "failed": failed}

    def mark_unexported(self, user: ApiUser, body: dict[str, Any]) -> dict[str, Any]:
        data = parse(MarkUnexported, body, self._state.faults)
        entries = self._entries(data["invoices"], self._entry_model())
        out: dict[str, list[Any]] = {"updated": [], "flagged": [], "failed": [], "skipped": []}
        action = "unexport_and_flag" if data.get("flag_invoice") else "mark_unexported"
        for entry, problem in entries:
            if entry is None:
                out["failed"].append({"id": -1, "error": problem})
                continue
            invoice, error = self._bulk_target(user, entry["invoice_id"])
            if invoice is None:
                out["failed"].append({"id": entry["invoice_id"], "error": error})
                continue
            if not (lifecycle.allowed(action, invoice.status) or self._state.faults.on("invalid_transition_allowed")):
                out["skipped"].append(
                    {"id": self._reported(invoice), "error": f"the invoice is not exported (status {invoice.status})"}
                )
                continue
            invoice.status = lifecycle.target(action, invoice.status, self._state.faults)
            invoice.exported_at = None
            reason = entry.get("marked_reason") or data.get("marked_reason") or "marked as not exported"
            self._store.touch(invoice, user, "unexported", reason)
            if action == "mark_unexported" and self._state.decisions.takes("export-rules", "back-to-approval"):
                self._back_to_approval(invoice, user)
            out["updated"].append(self._reported(invoice))
            if data.get("flag_invoice"):
                invoice.error = reason
                out["flagged"].append(self._reported(invoice))
        return out

    def _back_to_approval(self, invoice: Invoice, user: ApiUser) -> None:
        """ "export-rules": back-to-approval: an unexported invoice is approved again before its next export."""
        invoice.status, invoice.approved_at = "pending-approval", None
        self._store.log(invoice, "status", "unexported: back to approval", user)
        self._store._enter_approval(invoice, user)

    def _entry_model(self) -> type[ExportEntry]:
        return ExportEntryByUuid if self._state.decisions.takes("invoice-ids", "uuid-only") else ExportEntry

    def _reported(self, invoice: Invoice) -> Any:
        """How the export answers name an invoice: its integer id, or its UUID ("invoice-ids": uuid-only)."""
        return invoice.uuid if self._state.decisions.takes("invoice-ids", "uuid-only") else invoice.id

    def _entries(self, raw: list[Any], model: type[ExportEntry]) -> list[tuple[dict[str, Any] | None, str | None]]:
        if not 1 <= len(raw) <= EXPORT_BATCH_MAX:
            raise ValidationFailed(f"invoices must hold 1 to {EXPORT_BATCH_MAX} entries, got {len(raw)}")
        return [check(model, item, prefix=f"invoices[{i}].") for i, item in enumerate(raw)]

    def _bulk_target(self, user: ApiUser, invoice_id: Any) -> tuple[Invoice | None, str]:
        if isinstance(invoice_id, str) and self._state.decisions.takes("invoice-ids", "uuid-only"):
            invoice = self._store._by_uuid.get(invoice_id)
        else:
            invoice = self._store.by_int(invoice_id) if isinstance(invoice_id, int) else None
        if invoice is None:
            return None, f"invoice {invoice_id} not found"
        if not self._state.org.can_read_location(user, invoice.location.id):
            return None, f"invoice {invoice_id} is outside this API user's scope"
        return invoice, ""

    # -- receiver export ------------------------------------------------------------------------

    def receiver_export(self, user: ApiUser, query: Mapping[str, str]) -> list[Invoice]:
        missing = [n for n in ("ottimate_company_id", "ottimate_location_id") if not query.get(n)]
        if missing:
            raise BadRequest(f"{' and '.join(missing)} required", code=ErrorCode.INVALID_PARAMETER)
        company_id = int_param(query, "ottimate_company_id")
        location_id = int_param(query, "ottimate_location_id")
        loc = self._store.location(user, location_id, company_id)
        after = _iso_filter(query, "exported_after")
        before = _iso_filter(query, "exported_before")
        vendor = query.get("vendor_id")
        if self._state.decisions.takes("receiver-export", "no-vendor-validated"):
            return []  # item validation is an Ottimate-side setting no vendor has here
        return sorted(
            (
                inv
                for inv in self._store._by_uuid.values()
                if inv.location.id == loc.id
                and inv.status == "exported"
                and inv.exported_at is not None
                and dates.in_window(inv.exported_at, after, before)
                and (not vendor or vendor in (str(inv.vendor_id), inv.erp_vendor_id))
                and any(li.sku for li in inv.items)
            ),
            key=lambda inv: (inv.exported_at or inv.created_at, inv.id),
        )


def _iso_filter(query: Mapping[str, str], name: str) -> datetime | None:
    raw = query.get(f"{name}_utc") or query.get(name)
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(
            f"{name} must be an ISO 8601 date-time, got {raw!r}", code=ErrorCode.INVALID_PARAMETER
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
