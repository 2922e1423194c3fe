"""The invoices of one sandbox (§12): lookups, listing, creation, edits, images and history.

Every rule of an invoice's own data is here; the workflows that move it along (uploads, approvals,
export) are beside it and reach invoices through this store. Entering `pending-approval` assigns the
approvers of the seeded policy (`approvals.ApprovalPolicy`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Hashable, Mapping, Sequence
from datetime import timedelta
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Final

from ..accounts.models import ApiUser, Location
from ..contract import ErrorCode
from ..core import dates
from ..core.errors import BadRequest, Forbidden, NotFound, ValidationFailed
from ..core.listing import Facet, Listing, Query
from ..core.pagination import optional_int_param
from ..core.validation import check, outside_enum, parse
from . import extraction, lifecycle
from .models import (
    IMAGE_KINDS,
    MAX_IMAGE_BYTES,
    PAYMENT_STATUSES,
    UNSUPPORTED_FILE_TYPE,
    HistoryEntry,
    Image,
    ImportItem,
    Invoice,
    InvoiceCreate,
    InvoicePatch,
    ItemWrite,
    LineItem,
    PreconditionFailed,
    RawImage,
    seeded_uuid,
)

if TYPE_CHECKING:
    from ..state import SandboxState
    from .approvals import ApprovalPolicy


#: What invoice lists filter on through the listing's indexes (`core/listing.py`).
LIST_FACETS: Final = {
    "location": Facet("location", attrgetter("id")),
    "company": Facet("location", attrgetter("company_id")),
    "status": Facet("status"),
    "payment_status": Facet("payment_status"),
}
LIST_DATES: Final = ("created_at", "last_modified")


class InvoiceStore:
    def __init__(self, state: SandboxState, policy: ApprovalPolicy) -> None:
        self._state = state
        self._policy = policy
        self._by_uuid: dict[str, Invoice] = {}
        self._uuid_of: dict[int, str] = {}
        self._listing: Listing[Invoice] = Listing(
            order_by=("created_at", "id"), facets=LIST_FACETS, dates=LIST_DATES, newest_first=True
        )
        self._upload_ids: set[tuple[int, str]] = set()  # (company, upload_id) of created invoices
        self.user_ids: dict[str, int] = {}  # API user client_id -> the integer id shown as last_modified_user
        #: Detail reads served from a cache ("invoice-detail-cache"): (client, invoice, expand) -> (when, body, ETag)
        self.detail_cache: dict[tuple[str, str, str], tuple[float, dict[str, Any], str]] = {}

    # -- lookups --------------------------------------------------------------------------------

    def location(self, user: ApiUser, location_id: int, company_id: int | None = None) -> Location:
        if company_id is not None:
            self._state.org.require_company_read(user, company_id)
        loc = self._state.org.require_location_read(user, location_id)
        if company_id is not None and loc.company_id != company_id:
            raise ValidationFailed(
                f"ottimate_location_id {location_id} does not belong to ottimate_company_id {company_id}",
                errors=[{"field": "ottimate_location_id", "message": f"not a location of company {company_id}"}],
            )
        return loc

    def get(self, user: ApiUser, invoice_id: str) -> Invoice:
        numeric = invoice_id.isascii() and invoice_id.isdigit() and len(invoice_id) <= 18
        key = self._uuid_of.get(int(invoice_id)) if numeric else invoice_id
        invoice = self._by_uuid.get(key or "")
        if invoice is None:
            raise NotFound(f"invoice {invoice_id} not found")
        self._require(user, invoice)
        return invoice

    def by_int(self, invoice_id: int) -> Invoice | None:
        key = self._uuid_of.get(invoice_id)
        return self._by_uuid.get(key) if key else None

    def _require(self, user: ApiUser, invoice: Invoice) -> None:
        if not self._state.org.can_read_location(user, invoice.location.id):
            raise Forbidden(f"invoice {invoice.uuid} belongs to a location outside this API user's scope")

    # -- listing ---------------------------------------------------------------------------------

    def matching(self, user: ApiUser, query: Mapping[str, str]) -> Sequence[Invoice]:
        faults = self._state.faults
        status = query.get("status")
        payment = query.get("payment_status")
        unknown_status = outside_enum("status", status, lifecycle.STATUSES)
        if outside_enum("payment_status", payment, PAYMENT_STATUSES) or unknown_status:
            return []
        locations = _int_list(query, "ottimate_location_ids")
        for loc_id in locations or ():
            self.location(user, loc_id)
        company_id = optional_int_param(query, "ottimate_company_id")
        if company_id is not None:
            self._state.org.require_company_read(user, company_id)
        modifier_id = optional_int_param(query, "last_modified_user_id")
        created_from, created_to = dates.parse_filter(query, "date_from"), dates.parse_filter(query, "date_to")
        modified_from = dates.parse_filter(query, "last_modified_date_from")
        modified_to = dates.parse_filter(query, "last_modified_date_to")
        if "items" in (query.get("expand") or "").split(","):
            start = created_from or modified_from
            end = (created_to if created_from else modified_to) or self._state.clock.now()
            if start is None:
                raise BadRequest(
                    "expand=items needs date_from or last_modified_date_from", code=ErrorCode.INVALID_PARAMETER
                )
            if end - start > timedelta(days=30):
                raise BadRequest("expand=items allows a window of at most 30 days", code=ErrorCode.INVALID_PARAMETER)
        ids = {i.strip() for i in (query.get("invoice_ids") or "").split(",") if i.strip()}
        search = (query.get("search") or "").strip().lower()
        vendor = query.get("ottimate_vendor_id")
        custom = _json_object(query.get("custom_fields"), "custom_fields")
        if faults.on("filters_ignored"):
            status, payment, locations, company_id, vendor, search, custom = None, None, None, None, None, "", None
            created_from = created_to = modified_from = modified_to = None
            ids = set()
        visible = self._state.org.visible_locations(user)
        facets: dict[str, frozenset[Hashable]] = {}
        if locations is not None:
            facets["location"] = frozenset(locations) if visible is None else visible & frozenset(locations)
        elif visible is not None:
            facets["location"] = visible
        if status:
            facets["status"] = frozenset({status})
        if payment:
            facets["payment_status"] = frozenset({payment})
        if company_id is not None:
            facets["company"] = frozenset({company_id})
        windows = {"created_at": (created_from, created_to), "last_modified": (modified_from, modified_to)}

        def where(inv: Invoice) -> bool:
            return (
                (not vendor or vendor in (str(inv.vendor_id), inv.erp_vendor_id))
                and (not ids or inv.uuid in ids or str(inv.id) in ids)
                and (modifier_id is None or self._known_user_id(inv.last_modified_user) == modifier_id)
                and (not search or search in _haystack(inv))
                and (not custom or all((inv.custom_fields or {}).get(k) == v for k, v in custom.items()))
            )

        residual = vendor or ids or modifier_id is not None or search or custom
        return self._listing.select(Query(facets, windows, where if residual else None))  # newest first (§6.1)

    # -- creation -------------------------------------------------------------------------------

    def create(self, user: ApiUser, body: dict[str, Any]) -> Invoice:
        data = parse(InvoiceCreate, body, self._state.faults)
        loc = self.location(user, data["ottimate_location_id"], data.get("ottimate_company_id"))
        return self._from_structured(user, loc, data, "api")

    def import_location(self, user: ApiUser, item: Any) -> None:
        """The submit-time check of one import item: a location outside the caller's scope is a 403."""
        if isinstance(item, dict) and isinstance(item.get("ottimate_location_id"), int):
            self.location(user, item["ottimate_location_id"])

    def import_one(self, user: ApiUser, item: Any) -> Invoice:
        """One task of POST /invoices/import; raises ApiError, which the batch turns into the task message."""
        data, problem = check(ImportItem, item)
        if data is None:
            raise ValidationFailed(problem or "invalid invoice")
        if data.get("image_urls"):
            for url in data["image_urls"]:
                if not url.startswith("https://"):
                    raise ValidationFailed(f"image_urls must be HTTPS URLs, got {url!r}")
        loc = self.location(user, data["ottimate_location_id"], data.get("ottimate_company_id"))
        return self._from_structured(user, loc, data, "import")

    def _from_structured(self, user: ApiUser, loc: Location, data: dict[str, Any], source: str) -> Invoice:
        if data.get("custom_fields"):
            raise ValidationFailed("custom_fields: this account has no custom-field specification")
        upload_id = data.get("upload_id")
        if upload_id and (loc.company_id, upload_id) in self._upload_ids:
            raise BadRequest(f"upload_id {upload_id!r} was already used for an invoice", code=ErrorCode.DUPLICATE)
        invoice = self.register(user, loc, source, upload_id)
        self._apply_vendor(user, invoice, data.get("erp_vendor_id"), data.get("erp_vendor_name"), create=False)
        for name in (
            "invoice_number",
            "invoice_date",
            "due_date",
            "posting_date",
            "total_amount",
            "total_tax",
            "purchase_order",
            "notes",
            "currency",
            "type",
        ):
            if data.get(name) is not None:
                setattr(invoice, name, self._state.stored_text(data[name]))
        invoice.dimensions = dict(data.get("dimensions") or {})
        for line in data.get("items") or []:
            invoice.items.append(
                LineItem(
                    id=self._state.ids.integer("invoice_item"),
                    name=self._state.stored_text(line["name"]),
                    quantity=float(line["quantity"]),
                    price=float(line["price"]),
                    sku=line.get("sku"),
                    is_taxed=bool(line.get("is_taxed")),
                    dimensions=dict(line.get("dimensions") or {}),
                )
            )
        invoice.images = [self.new_image(invoice, url) for url in data.get("image_urls") or []]
        self.enter(invoice, self.problems(invoice), user)
        return invoice

    def register(self, user: ApiUser, loc: Location, source: str, upload_id: str | None) -> Invoice:
        now = self._state.clock.now()
        invoice = Invoice(
            uuid=str(seeded_uuid(self._state.ids)),
            id=self._state.ids.integer("invoice"),
            location=loc,
            status="processing",
            created_at=now,
            last_modified=now,
            source=source,
            upload_id=upload_id,
            last_modified_user=user,
        )
        self._by_uuid[invoice.uuid] = invoice
        self._uuid_of[invoice.id] = invoice.uuid
        self._listing.add(invoice)
        if upload_id:
            self._upload_ids.add((loc.company_id, upload_id))
        return invoice

    def enter(self, invoice: Invoice, problems: list[str], user: ApiUser | None) -> None:
        """An invoice comes into existence: held for attention, or into the approval workflow."""
        if problems:
            held: lifecycle.Status = "needs-attention"
            if self._state.decisions.takes("invoice-lifecycle", "incomplete"):
                held = "incomplete"
            invoice.status, invoice.error = held, "; ".join(problems)
            self.log(invoice, "created", f"held ({held}): {invoice.error}", user)
        else:
            invoice.status, invoice.error = "pending-approval", None
            self.log(invoice, "created", "entered the approval workflow", user)
            self._enter_approval(invoice, user)

    def _enter_approval(self, invoice: Invoice, user: ApiUser | None) -> None:
        """The approval policy takes the invoice: its approvers are assigned, or (no policy, "approval-policy":
        none) it is approved as it enters and is ready for export."""
        if not self._state.decisions.takes("approval-policy", "none"):
            self._policy.assign(invoice)
            return
        invoice.approvals = []
        invoice.status = lifecycle.target("complete_approval", invoice.status, self._state.faults)
        invoice.approved_at = self._state.clock.now()
        invoice.status = lifecycle.target("release", invoice.status, self._state.faults)
        self.log(invoice, "approved", "no approval policy: ready for export", user)

    def problems(self, invoice: Invoice) -> list[str]:
        problems = []
        if invoice.vendor_id is None:
            problems.append("the vendor is not matched to a vendor of the company")
        if not invoice.invoice_number:
            problems.append("the invoice number is missing")
        if invoice.invoice_date is None:
            problems.append("the invoice date is missing")
        if invoice.total_amount is None:
            problems.append("the total is missing")
        if not invoice.items:
            problems.append("the invoice has no line items")
        elif invoice.total_amount is not None:
            expected = round(
                sum(li.amount for li in invoice.items) + (invoice.total_tax or 0.0) - (invoice.discount_amount or 0.0),
                2,
            )
            if abs(expected - invoice.total_amount) > 0.01:
                problems.append(
                    f"lines, tax and discount add up to {expected:.2f}, not the total {invoice.total_amount:.2f}"
                )
        return problems

    # -- updates --------------------------------------------------------------------------------

    def require_version(self, invoice: Invoice, if_match: str) -> None:
        """The If-Match precondition (412): ``if_match`` must name the invoice's current version (its ETag)."""
        tags = [t.strip() for t in if_match.split(",")]
        if "*" not in tags and invoice.etag not in tags and f"W/{invoice.etag}" not in tags:
            raise PreconditionFailed(
                f"the invoice was modified since that version was read (If-Match {if_match}, now {invoice.etag})"
            )

    def patch(
        self, user: ApiUser, invoice_id: str, body: dict[str, Any], if_match: str | None
    ) -> tuple[Invoice, dict[str, Any] | None]:
        invoice = self.get(user, invoice_id)
        if self._state.decisions.takes("concurrent-invoice-edits-412", "no-etag"):
            if_match = None  # the precondition mechanism is another than If-Match
        if if_match is not None and not self._state.faults.on("invoice_update_lost"):
            self.require_version(invoice, if_match)
        data = parse(InvoicePatch, body, self._state.faults)
        sent = {k: v for k, v in data.items() if k in body}
        lifecycle.target("edit", invoice.status, self._state.faults)
        if sent.get("custom_fields"):
            raise ValidationFailed("custom_fields: this account has no custom-field specification")
        if sent.get("ottimate_location_id") is not None:
            loc = self.location(user, sent["ottimate_location_id"])
            if loc.company_id != invoice.location.company_id:
                raise ValidationFailed("ottimate_location_id must be a location of the invoice's company")
            invoice.location = loc
        if "erp_vendor_id" in sent or "erp_vendor_name" in sent:
            self._apply_vendor(user, invoice, sent.get("erp_vendor_id"), sent.get("erp_vendor_name"), create=True)
        images = self._patched_images(invoice, sent)
        for name in (
            "invoice_number",
            "invoice_date",
            "due_date",
            "posting_date",
            "total_amount",
            "total_tax",
            "discount_amount",
            "purchase_order",
            "notes",
            "currency",
            "type",
        ):
            if name in sent:
                setattr(invoice, name, self._state.stored_text(sent[name]))
        if "dimensions" in sent:
            invoice.dimensions = dict(sent["dimensions"] or {})
        if "custom_fields" in sent:
            invoice.custom_fields = sent["custom_fields"]
        if images is not None:
            invoice.images = images
        result = self._patch_items(invoice, sent["items"]) if sent.get("items") is not None else None
        self.touch(invoice, user, "updated", "invoice updated through the API")
        if lifecycle.allowed("submit", invoice.status):
            problems = self.problems(invoice)
            if problems:
                invoice.error = "; ".join(problems)
            else:
                invoice.status, invoice.error = lifecycle.target("submit", invoice.status, self._state.faults), None
                self.log(invoice, "status", "complete and consistent: entered the approval workflow", user)
                self._enter_approval(invoice, user)
        return invoice, result

    def _patch_items(self, invoice: Invoice, items: list[Any]) -> dict[str, Any]:
        success: dict[str, int] = {}
        failure: dict[str, str] = {}
        for index, raw in enumerate(items):
            data, problem = check(ItemWrite, raw, prefix=f"items[{index}].")
            if data is None:
                failure[str(index)] = problem or "invalid item"
                continue
            sent = {k: v for k, v in data.items() if isinstance(raw, dict) and k in raw}
            if data["id"] is not None:
                line = next((li for li in invoice.items if li.id == data["id"]), None)
                if line is None:
                    failure[str(index)] = f"the invoice has no line {data['id']}"
                    continue
            else:
                missing = [n for n in ("name", "quantity", "price") if data.get(n) is None]
                if missing:
                    failure[str(index)] = f"a new line needs {', '.join(missing)}"
                    continue
                line = LineItem(id=self._state.ids.integer("invoice_item"), name="", quantity=0.0, price=0.0)
                invoice.items.append(line)
            if sent.get("custom_fields"):
                failure[str(index)] = "custom_fields: this account has no custom-field specification"
                continue
            for name in ("item", "name", "sku", "quantity", "price", "is_taxed"):
                if name in sent and sent[name] is not None:
                    setattr(line, name, self._state.stored_text(sent[name]))
            for dim, value in (sent.get("dimensions") or {}).items():  # merge; null removes one
                if value is None:
                    line.dimensions.pop(dim, None)
                else:
                    line.dimensions[dim] = value
            success[str(index)] = line.id
        status = "success" if not failure else "failure" if not success else "partial_success"
        return {"success": success, "failure": failure, "status": status}

    def _patched_images(self, invoice: Invoice, sent: dict[str, Any]) -> list[Image] | None:
        if sent.get("raw_images") is not None:
            images = []
            for index, raw in enumerate(sent["raw_images"]):
                data = parse(RawImage, raw, self._state.faults, prefix=f"raw_images[{index}].")
                try:
                    content = base64.b64decode(data["data"], validate=True)
                except (binascii.Error, ValueError):
                    raise ValidationFailed(f"raw_images[{index}].data is not valid base64") from None
                if extraction.sniff(content) not in IMAGE_KINDS:
                    raise BadRequest(f"raw_images[{index}] is not a PDF, JPG/JPEG or PNG", code=UNSUPPORTED_FILE_TYPE)
                images.append(self.new_image(invoice, None))
            return images
        if sent.get("image_urls") is not None:
            for url in sent["image_urls"]:
                if not url.lower().split("?")[0].endswith((".pdf", ".jpg", ".jpeg", ".png")):
                    raise BadRequest(f"image_urls: {url!r} is not a PDF, JPG/JPEG or PNG", code=UNSUPPORTED_FILE_TYPE)
            return [self.new_image(invoice, url) for url in sent["image_urls"]]
        return None

    def replace_images(
        self, user: ApiUser, invoice_id: str, files: list[tuple[str, bytes]]
    ) -> tuple[Invoice, list[dict[str, str]]]:
        invoice = self.get(user, invoice_id)
        if not files:
            raise ValidationFailed(
                "images is required: send one or more files", errors=[{"field": "images", "message": "required"}]
            )
        lifecycle.target("edit", invoice.status, self._state.faults)
        errors: list[dict[str, str]] = []
        images: list[Image] = []
        for name, content in files:
            if len(content) > MAX_IMAGE_BYTES:
                errors.append({"source": name, "error": "the file is larger than 50 MB"})
            elif extraction.sniff(content) not in IMAGE_KINDS:
                errors.append({"source": name, "error": "not a PDF, JPG/JPEG or PNG file"})
            else:
                images.append(self.new_image(invoice, None))
        if images:  # an all-failed request keeps the old images rather than leaving none
            invoice.images = images
            self.touch(invoice, user, "images", f"{len(images)} image(s) replaced the invoice's images")
        return invoice, errors

    def flag(self, user: ApiUser, invoice_id: str, reason: str | None) -> Invoice:
        invoice = self.get(user, invoice_id)
        invoice.status = lifecycle.target("flag", invoice.status, self._state.faults)
        invoice.error = reason or "flagged through the API"
        self.touch(invoice, user, "flagged", reason or "flagged through the API")
        return invoice

    # -- helpers --------------------------------------------------------------------------------

    def user_ref(self, user: ApiUser | None) -> dict[str, Any] | None:
        if user is None:
            return None
        return {
            "id": self._user_id(user),
            "email": f"{user.client_id}@api-users.example.test",
            "first_name": "API User",
            "last_name": user.scope_level.title(),
        }

    def _known_user_id(self, user: ApiUser | None) -> int | None:
        """The integer id of a user that has one already (a filter hands out none)."""
        return None if user is None else self.user_ids.get(user.client_id)

    def _user_id(self, user: ApiUser | None) -> int | None:
        if user is None:
            return None
        if user.client_id not in self.user_ids:
            self.user_ids[user.client_id] = self._state.ids.integer("user")
        return self.user_ids[user.client_id]

    def company_vendors(self, user: ApiUser, company_id: int) -> list[Any]:
        return [v for v in self._state.vendors.matching(user, {}, company_id) if v.ottimate_company_id == company_id]

    def _apply_vendor(
        self, user: ApiUser, invoice: Invoice, erp_id: str | None, erp_name: str | None, *, create: bool
    ) -> None:
        company_id = invoice.location.company_id
        vendors = self.company_vendors(user, company_id)
        match = None
        if erp_id:
            match = next((v for v in vendors if v.erp_vendor_id == erp_id), None)
            if match is None and create:
                if not erp_name:
                    raise ValidationFailed(
                        f"erp_vendor_id {erp_id!r} is not a vendor of the company; send erp_vendor_name to create it"
                    )
                match = self._state.vendors.create(
                    user, {"ottimate_company_id": company_id, "erp_vendor_id": erp_id, "erp_vendor_name": erp_name}
                )
        elif erp_name:
            match = next((v for v in vendors if (v.erp_vendor_name or "").lower() == erp_name.lower()), None)
        if match is not None:
            invoice.vendor_id, invoice.vendor_name, invoice.erp_vendor_id = (
                match.id,
                match.erp_vendor_name,
                match.erp_vendor_id,
            )
        else:
            invoice.vendor_id, invoice.vendor_name, invoice.erp_vendor_id = None, erp_name, erp_id

    def new_image(self, invoice: Invoice, url: str | None) -> Image:
        image_id = self._state.ids.integer("invoice_image")
        return Image(image_id, url or f"https://files.sandbox.example.test/invoices/{invoice.uuid}/images/{image_id}")

    def touch(self, invoice: Invoice, user: ApiUser | None, reason: str, message: str) -> None:
        invoice.last_modified = self._state.clock.now()
        invoice.last_modified_user = user
        invoice.revision += 1
        self.log(invoice, reason, message, user)

    def log(self, invoice: Invoice, reason: str, message: str, user: ApiUser | None) -> None:
        invoice.history.append(
            HistoryEntry(self._state.ids.integer("invoice_history"), self._state.clock.now(), reason, message, user)
        )


def _haystack(inv: Invoice) -> str:
    parts = (
        inv.invoice_number,
        inv.vendor_name,
        inv.location.name,
        inv.purchase_order,
        inv.upload_id,
        inv.uuid,
        str(inv.id),
    )
    return " ".join(p for p in parts if p).lower()


def _int_list(query: Mapping[str, str], name: str) -> list[int] | None:
    raw = query.get(name)
    if not raw:
        return None
    try:
        return [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise BadRequest(
            f"{name} must be a comma-separated list of integers, got {raw!r}", code=ErrorCode.INVALID_PARAMETER
        ) from None


def _json_object(raw: str | None, name: str) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise BadRequest(f"{name} must be a JSON object", code=ErrorCode.INVALID_PARAMETER)
    return value
