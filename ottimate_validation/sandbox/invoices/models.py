"""Invoices (§12, §13): the entities and the request bodies; the rules are in the modules beside it.

An invoice belongs to a location (§2.2). It carries a UUID `id` (list/detail, path parameter) and an
integer `invoice_id` (mark-exported/unexported, §19 #14); the path accepts either. Status changes go
through `lifecycle.TRANSITIONS` only.

- `store.py`: lookups, listing, creation, edits, images and history (`InvoiceStore`).
- `uploads.py`: uploads, which become invoices when their extraction falls due on the sandbox clock
  (`SandboxConfig.extraction_seconds`).
- `approvals.py`: the seeded approval policy (two "Test Approver - …" users per location, assigned when
  an invoice enters `pending-approval`) and the approval operations.
- `export.py`: mark-exported/unexported and the receiver export.
- `backend.py`: `InvoiceBackend`, the store with the three workflows attached (`state.invoices`).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from ..accounts.models import ApiUser, Location
from ..contract import ErrorCode
from ..core.errors import ApiError
from ..core.ids import IdFactory
from ..core.listing import Tracked
from ..core.validation import Body, Text
from . import extraction, lifecycle
from .lifecycle import Status

MAX_UPLOAD_BYTES = 25 * 1024 * 1024  # §13
MAX_IMAGE_BYTES = 50 * 1024 * 1024  # §12.9
IMPORT_MAX = 100  # §12.5
EXPORT_BATCH_MAX = 100  # UNKNOWN; see DECISIONS
IMAGE_KINDS: tuple[extraction.FileKind, ...] = ("pdf", "png", "jpeg")  # §12.9: PDF, JPG, JPEG, PNG
PAYMENT_STATUSES = ("paid", "partial", "unpaid")
PRECONDITION_FAILED = ErrorCode.PRECONDITION_FAILED
INVALID_TRANSITION = lifecycle.INVALID_TRANSITION
UNSUPPORTED_FILE_TYPE = ErrorCode.UNSUPPORTED_FILE_TYPE


def _iso_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError("must be a date YYYY-MM-DD") from None
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Money = Annotated[float, Field(allow_inf_nan=False, ge=-1e12, le=1e12)]  # bounded: products stay finite


class ItemWrite(Body):
    id: int | None = None
    item: int | None = None
    name: Text | None = None
    sku: Text | None = None
    quantity: Money | None = None
    price: Money | None = None
    is_taxed: bool | None = None
    dimensions: dict[str, str | None] | None = None
    custom_fields: dict[str, Any] | None = None


class ImportItemLine(Body):
    name: Text
    quantity: Money
    price: Money
    sku: Text | None = None
    is_taxed: bool = False
    dimensions: dict[str, str] | None = None
    custom_fields: dict[str, Any] | None = None


class InvoiceFields(Body):
    erp_vendor_id: Text | None = None
    erp_vendor_name: Text | None = None
    invoice_number: Text | None = None
    invoice_date: IsoDate | None = None
    due_date: IsoDate | None = None
    posting_date: IsoDate | None = None
    total_amount: Money | None = None
    total_tax: Money | None = None
    purchase_order: Text | None = None
    notes: Text | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    type: Literal["invoice", "credit_memo"] | None = None
    dimensions: dict[str, str] | None = None
    custom_fields: dict[str, Any] | None = None
    image_urls: list[Text] | None = None


class InvoiceCreate(InvoiceFields):
    """POST /invoices (sandbox extension): structured data, as an import item without `upload_id`."""

    ottimate_location_id: int
    ottimate_company_id: int | None = None
    upload_id: Text | None = None
    items: list[ImportItemLine] | None = None


class ImportItem(InvoiceFields):
    upload_id: Text
    ottimate_location_id: int
    ottimate_company_id: int | None = None
    items: list[ImportItemLine] | None = None


class InvoicePatch(InvoiceFields):
    ottimate_location_id: int | None = None
    discount_amount: Money | None = None
    items: list[Any] | None = None
    raw_images: list[Any] | None = None


class RawImage(Body):
    filename: Text
    data: str


class ExportEntry(Body):
    invoice_id: int
    marked_reason: Text | None = None
    export_transaction_id: Text | None = None


class ExportEntryByUuid(ExportEntry):
    """An export entry naming the invoice by its UUID ("invoice-ids": uuid-only)."""

    invoice_id: str  # type: ignore[assignment]


class MarkExported(Body):
    invoices: list[Any]
    export_transaction_id: Text | None = None
    marked_reason: Text | None = None


class MarkUnexported(Body):
    invoices: list[Any]
    marked_reason: Text | None = None
    flag_invoice: bool = False


class AddApprover(Body):
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=255)]
    display_name: Text | None = None


class Approve(Body):
    approval_id: Text | None = None
    approver_id: Text | None = None


@dataclass(frozen=True)
class Approver:
    id: str
    email: str
    display_name: str


@dataclass
class Approval:
    id: str
    approver: Approver
    policy: dict[str, str] | None
    created: datetime
    approved_at: datetime | None = None


@dataclass
class LineItem:
    id: int
    name: str
    quantity: float
    price: float
    sku: str | None = None
    item: int | None = None
    is_taxed: bool = False
    dimensions: dict[str, str] = field(default_factory=dict)
    custom_fields: dict[str, Any] | None = None

    @property
    def amount(self) -> float:
        return round(self.quantity * self.price, 2)


@dataclass
class Image:
    id: int
    url: str


@dataclass
class HistoryEntry:
    id: int
    at: datetime
    reason: str
    message: str
    user: ApiUser | None


@dataclass
class Invoice(Tracked):  # Tracked: the store's list indexes see its changes
    uuid: str
    id: int
    location: Location
    status: Status
    created_at: datetime
    last_modified: datetime
    source: str  # "upload", "import" or "api"
    upload_id: str | None = None
    vendor_id: int | None = None
    vendor_name: str | None = None
    erp_vendor_id: str | None = None
    invoice_number: str | None = None
    invoice_date: date | None = None
    due_date: date | None = None
    posting_date: date | None = None
    total_amount: float | None = None
    total_tax: float | None = None
    discount_amount: float | None = None
    currency: str = "USD"
    type: str = "invoice"
    payment_status: str = "unpaid"
    purchase_order: str | None = None
    notes: str | None = None
    dimensions: dict[str, str] = field(default_factory=dict)
    custom_fields: dict[str, Any] | None = None
    items: list[LineItem] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    approvals: list[Approval] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    error: str | None = None
    approved_at: datetime | None = None
    exported_at: datetime | None = None
    export_transaction_id: str | None = None
    last_modified_user: ApiUser | None = None
    revision: int = 1

    @property
    def etag(self) -> str:
        return f'"{self.uuid}.{self.revision}"'


@dataclass
class Upload:
    id: str
    user: ApiUser
    location: Location
    filename: str
    kind: extraction.FileKind
    content: bytes
    pages: int
    created: datetime
    created_email: str | None
    metadata: str | None
    status: str = "processing"
    extracted: extraction.Extracted | None = None  # what extraction read, once it ran


class PreconditionFailed(ApiError):
    status = 412
    code = PRECONDITION_FAILED


def seeded_uuid(ids: IdFactory) -> uuid.UUID:
    """A UUID derived from the seedable id factory, so a seeded sandbox hands out the same UUIDs every run."""
    digest = hashlib.sha256(ids.token("", 24).encode("ascii")).digest()
    return uuid.UUID(bytes=digest[:16], version=4)
