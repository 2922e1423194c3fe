"""Uploads (§13): a file becomes an invoice when its extraction falls due on the sandbox clock.

`SandboxConfig.extraction_seconds` after the upload, the scheduler runs the extraction under the state
lock; until then the upload is pending (`GET /invoices/uploads`). Once extracted, the upload (its file
and what extraction read) is kept in `documents` for the dashboard: the last `DOCUMENTS_KEPT` of them, at
most `DOCUMENT_BYTES_KEPT` of files.
"""

from __future__ import annotations

import io
import re
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from ..accounts.models import ApiUser
from ..core.errors import BadRequest, PayloadTooLarge, ValidationFailed
from . import extraction
from .models import MAX_UPLOAD_BYTES, UNSUPPORTED_FILE_TYPE, LineItem, Upload

if TYPE_CHECKING:
    from ..state import SandboxState
    from .store import InvoiceStore

DOCUMENTS_KEPT = 200  # extracted uploads kept with their file, newest first out last
DOCUMENT_BYTES_KEPT = 256 * 1024 * 1024  # and at most this many bytes of files among them


#: How long human-in-the-loop extraction takes ("extraction-turnaround": hours).
HUMAN_IN_THE_LOOP_SECONDS = 4 * 3600


def extraction_seconds(state: SandboxState) -> float:
    """Sandbox-clock seconds from upload to invoice: the config's (AI pipeline), or hours."""
    if state.decisions.takes("extraction-turnaround", "hours"):
        return float(HUMAN_IN_THE_LOOP_SECONDS)
    return state.config.extraction_seconds


class Uploads:
    def __init__(self, state: SandboxState, store: InvoiceStore) -> None:
        self._state = state
        self._store = store
        self.pending: dict[str, Upload] = {}
        self.documents: OrderedDict[str, Upload] = OrderedDict()  # extracted, by upload id
        self._document_bytes = 0

    def upload(
        self,
        user: ApiUser,
        fields: Mapping[str, str],
        filename: str | None,
        content: bytes,
    ) -> Upload:
        raw_location = fields.get("ottimate_location_id")
        if not raw_location:
            raise ValidationFailed(
                "ottimate_location_id is required", errors=[{"field": "ottimate_location_id", "message": "required"}]
            )
        if not _is_int(raw_location):
            raise ValidationFailed(f"ottimate_location_id must be an integer, got {raw_location!r}")
        raw_company = fields.get("ottimate_company_id")
        if raw_company and not _is_int(raw_company):
            raise ValidationFailed(f"ottimate_company_id must be an integer, got {raw_company!r}")
        loc = self._store.location(user, int(raw_location.strip()), int(raw_company.strip()) if raw_company else None)
        if len(content) > MAX_UPLOAD_BYTES:
            raise PayloadTooLarge(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
        if not content:
            raise ValidationFailed(
                "file is required and must not be empty", errors=[{"field": "file", "message": "required"}]
            )
        kind = extraction.sniff(content)
        if kind is None and self._state.faults.on("upload_type_not_checked"):
            kind = "png"  # read as an image: no text, so it will need attention
        if kind is None:
            raise BadRequest(
                "the file is not a PDF, JPG/JPEG, PNG or TIFF (judged by its content, not its name)",
                code=UNSUPPORTED_FILE_TYPE,
            )
        email = fields.get("created_email")
        if email and "@" not in email:
            raise ValidationFailed(f"created_email must be an e-mail address, got {email!r}")
        upload = Upload(
            id=self._state.ids.token("upl_", 20),
            user=user,
            location=loc,
            filename=fields.get("filename") or filename or f"upload.{kind}",
            kind=kind,
            content=content,
            pages=_page_count(content) if kind == "pdf" else 1,
            created=self._state.clock.now(),
            created_email=email,
            metadata=fields.get("metadata"),
        )
        self.pending[upload.id] = upload
        due_at = self._state.clock.time() + extraction_seconds(self._state)
        self._state.scheduler.at(due_at, lambda: self._extract(upload.id, due_at))
        return upload

    def pending_uploads(self, user: ApiUser, location_id: int | None) -> list[Upload]:
        if location_id is not None:
            self._store.location(user, location_id)
        return sorted(
            (
                u
                for u in self.pending.values()
                if (location_id is None or u.location.id == location_id)
                and self._state.org.can_read_location(user, u.location.id)
            ),
            key=lambda u: u.created,
            reverse=True,
        )

    def _extract(self, upload_id: str, due_at: float) -> None:
        upload = self.pending.pop(upload_id, None)
        if upload is None:
            return
        vendors = self._store.company_vendors(upload.user, upload.location.company_id)
        found = extraction.read(upload.content, upload.kind, [str(v.erp_vendor_name) for v in vendors])
        upload.extracted, upload.status = found, "extracted"
        self.documents[upload.id] = upload
        self._document_bytes += len(upload.content)
        while len(self.documents) > DOCUMENTS_KEPT or self._document_bytes > DOCUMENT_BYTES_KEPT:
            _, dropped = self.documents.popitem(last=False)
            self._document_bytes -= len(dropped.content)
        invoice = self._store.register(upload.user, upload.location, "upload", upload.id)
        invoice.last_modified_user = None  # extraction is Ottimate's work, not the uploader's
        # stamped when extraction finished, not when a later request happened to apply it
        invoice.created_at = invoice.last_modified = datetime.fromtimestamp(due_at, tz=UTC)
        invoice.invoice_number = found.invoice_number
        invoice.invoice_date, invoice.due_date = found.invoice_date, found.due_date
        invoice.total_amount, invoice.total_tax = found.total, found.tax
        invoice.notes = upload.metadata
        problems = list(found.problems)
        if found.vendor_name:
            match = next((v for v in vendors if (v.erp_vendor_name or "").lower() == found.vendor_name.lower()), None)
            if match is None:
                problems.append(f"vendor {found.vendor_name!r} is not a vendor of the company")
                invoice.vendor_name = found.vendor_name
            else:
                invoice.vendor_id, invoice.vendor_name, invoice.erp_vendor_id = (
                    match.id,
                    match.erp_vendor_name,
                    match.erp_vendor_id,
                )
                if self._state.decisions.takes("extraction", "due-from-net-terms") and invoice.invoice_date:
                    days = net_days(match.net_terms)
                    if days is not None:  # §18: computed from the vendor's terms, not read off the document
                        invoice.due_date = invoice.invoice_date + timedelta(days=days)
        for li in found.lines:
            invoice.items.append(
                LineItem(
                    id=self._state.ids.integer("invoice_item"),
                    name=li.description,
                    quantity=li.quantity,
                    price=li.unit_price,
                )
            )
        if self._state.faults.on("extraction_wrong_totals") and invoice.items and invoice.total_amount is not None:
            invoice.total_amount = round(invoice.total_amount - invoice.items[-1].amount, 2)
        invoice.images = [self._store.new_image(invoice, None)]
        if not problems:
            wrong_totals = self._state.faults.on("extraction_wrong_totals")
            problems = [p for p in self._store.problems(invoice) if not wrong_totals]
        self._store.enter(invoice, problems, None)


_NET_DAYS = re.compile(r"^\s*(?:(?:\d+(?:\.\d+)?%\s*\d+\s*)?net|n)?\s*(\d{1,3})\s*$", re.I)


def net_days(terms: str | None) -> int | None:
    """Days to pay by the vendor's net terms, for the patterns that are a number of days (`Net 30`, `n 45`,
    `2% 10 net 30`, `30`, `Due on receipt`); None for the others (`EOM 15`, `15 next month`)."""
    if not terms:
        return None
    if terms.strip().lower() == "due on receipt":
        return 0
    found = _NET_DAYS.match(terms)
    return int(found.group(1)) if found else None


def _is_int(raw: str) -> bool:
    text = raw.strip()
    return text.isascii() and text.isdigit() and len(text) <= 18  # no huge ints: int() refuses > 4300 digits


def _page_count(content: bytes) -> int:
    if not extraction.looks_complete(content):
        return 1
    try:
        from pypdf import PdfReader

        return max(len(PdfReader(io.BytesIO(content)).pages), 1)
    except Exception:  # a broken PDF is still an upload; extraction reports it
        return 1
