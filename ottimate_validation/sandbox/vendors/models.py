"""Vendors (§9): company-level, identified by an integer id or by `erp_vendor_id` within a company."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..accounts.models import ApiUser
from ..contract import VENDOR_BULK_MAX, ErrorCode, PaymentMethod
from ..core import dates
from ..core.errors import BadRequest, NotFound, ValidationFailed
from ..core.listing import Facet, Listing, Query, Tracked
from ..core.validation import Body, Text, check, parse

if TYPE_CHECKING:
    from ..state import SandboxState

TEXT_FIELDS = ("email", "phone", "net_terms", "address_line_1", "address_line_2", "city", "state", "zipcode")


#: The vendor text limit under "text-field-lengths": 100.
SHORT_TEXT_LENGTH = 100


class VendorCreate(Body):
    ottimate_company_id: int
    erp_vendor_name: Text
    erp_vendor_id: Text
    email: Text | None = None
    phone: Text | None = None
    net_terms: Text | None = None
    payment_method: PaymentMethod | None = None
    address_line_1: Text | None = None
    address_line_2: Text | None = None
    city: Text | None = None
    state: Text | None = None
    zipcode: Text | None = None


class VendorBulkItem(Body):
    erp_vendor_id: Text
    erp_vendor_name: Text | None = None
    email: Text | None = None
    phone: Text | None = None
    net_terms: Text | None = None
    payment_method: PaymentMethod | None = None
    address_line_1: Text | None = None
    address_line_2: Text | None = None
    city: Text | None = None
    state: Text | None = None
    zipcode: Text | None = None


class VendorBulk(Body):
    ottimate_company_id: int
    vendors: list[Any]


@dataclass
class Vendor(Tracked):  # Tracked: the list indexes see its changes
    id: int
    ottimate_company_id: int
    erp_vendor_id: str | None
    erp_vendor_name: str | None
    email: str | None
    phone: str | None
    net_terms: str | None
    payment_method: str | None
    address_line_1: str | None
    address_line_2: str | None
    city: str | None
    state: str | None
    zipcode: str | None
    created_at: datetime
    last_modified: datetime


_WRITABLE = tuple(
    f.name for f in fields(Vendor) if f.name not in ("id", "ottimate_company_id", "created_at", "last_modified")
)


class VendorBackend:
    def __init__(self, state: SandboxState) -> None:
        self._state = state
        self._by_id: dict[int, Vendor] = {}
        self._by_erp_id: dict[tuple[int, str], int] = {}
        self._listing: Listing[Vendor] = Listing(
            order_by=("id",), facets={"company": Facet("ottimate_company_id")}, dates=("last_modified",)
        )

    # -- reads -----------------------------------------------------------------------------------

    def get(self, user: ApiUser, vendor_id: str) -> Vendor:
        vendor = self._by_id.get(int(vendor_id)) if vendor_id.isascii() and vendor_id.isdigit() else None
        if vendor is None:
            raise NotFound(f"vendor {vendor_id} not found")
        self._state.org.require_company_read(user, vendor.ottimate_company_id)
        return vendor

    def matching(self, user: ApiUser, query: Mapping[str, str], company_id: int | None) -> Sequence[Vendor]:
        if company_id is not None:
            self._state.org.require_company_read(user, company_id)
        if (
            dates.has_filter(query, "last_modified_date_from") or dates.has_filter(query, "last_modified_date_to")
        ) and company_id is None:
            raise BadRequest(
                "the last_modified_date filters require ottimate_company_id", code=ErrorCode.INVALID_PARAMETER
            )
        start = dates.parse_filter(query, "last_modified_date_from")
        end = dates.parse_filter(query, "last_modified_date_to")
        if self._state.faults.on("filters_ignored"):
            company_id, start, end = None, None, None
        visible = self._state.org.visible_companies(user)
        companies = visible
        if company_id is not None:
            companies = frozenset({company_id}) if visible is None else visible & {company_id}
        facets: dict[str, frozenset[Hashable]] = {} if companies is None else {"company": companies}
        return self._listing.select(Query(facets, {"last_modified": (start, end)}))  # in id order

    # -- writes ----------------------------------------------------------------------------------

    def create(self, user: ApiUser, body: dict[str, Any]) -> Vendor:
        data = parse(VendorCreate, body, self._state.faults)
        if self._state.decisions.takes("text-field-lengths", "100"):
            long = [k for k, v in data.items() if isinstance(v, str) and len(v) > SHORT_TEXT_LENGTH]
            if long:
                raise ValidationFailed(
                    f"{', '.join(long)}: at most {SHORT_TEXT_LENGTH} characters",
                    errors=[{"field": k, "message": f"at most {SHORT_TEXT_LENGTH} characters"} for k in long],
                )
        company_id = data["ottimate_company_id"]
        if isinstance(company_id, int):
            self._state.org.require_company_write(user, company_id)
        erp_id = data["erp_vendor_id"]
        if (company_id, erp_id) in self._by_erp_id and not self._state.faults.on("validation_not_enforced"):
            status = 409 if self._state.decisions.takes("duplicate-erp-vendor-id-on-single-create", "409") else 400
            raise BadRequest(
                f"a vendor with erp_vendor_id {erp_id!r} already exists in this company",
                code=ErrorCode.DUPLICATE,
                status=status,
            )
        vendor = self._insert(company_id, data)
        if self._state.faults.on("creates_duplicated"):
            self._insert(company_id, data)
        return vendor

    def bulk(self, user: ApiUser, body: dict[str, Any]) -> dict[str, list[Any]]:
        envelope = parse(VendorBulk, body, self._state.faults)
        company_id = envelope["ottimate_company_id"]
        items = envelope["vendors"] or []
        if not 1 <= len(items) <= VENDOR_BULK_MAX:
            raise BadRequest(
                f"vendors must hold 1 to {VENDOR_BULK_MAX} items, got {len(items)}", code=ErrorCode.VALIDATION_ERROR
            )
        self._state.org.require_company_write(user, company_id)
        created: list[Vendor] = []
        updated: list[Vendor] = []
        errors: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            data, problem = check(VendorBulkItem, item, prefix=f"vendors[{index}].")
            if data is None:
                erp_id = item.get("erp_vendor_id") if isinstance(item, dict) else None
                errors.append(
                    {
                        "index": index,
                        "erp_vendor_id": erp_id if isinstance(erp_id, str) else None,
                        "error": problem or "invalid vendor",
                        "type": ErrorCode.VALIDATION_ERROR,
                    }
                )
                continue
            existing_id = self._by_erp_id.get((company_id, data["erp_vendor_id"]))
            if existing_id is None:
                created.append(self._insert(company_id, data))
            else:
                sent = {k: v for k, v in data.items() if k in item}
                updated.append(self._update(self._by_id[existing_id], sent))
        return {"created": created, "updated": updated, "errors": errors}

    def _insert(self, company_id: int, data: dict[str, Any]) -> Vendor:
        now = self._state.clock.now()
        values = {name: self._state.stored_text(data.get(name)) for name in _WRITABLE}
        vendor = Vendor(
            id=self._state.ids.integer("vendor"),
            ottimate_company_id=company_id,
            created_at=now,
            last_modified=now,
            **values,
        )
        self._by_id[vendor.id] = vendor
        self._listing.add(vendor)
        if isinstance(vendor.erp_vendor_id, str):
            self._by_erp_id[(company_id, vendor.erp_vendor_id)] = vendor.id
        return vendor

    def _update(self, vendor: Vendor, data: dict[str, Any]) -> Vendor:
        if self._state.faults.on("bulk_updates_lost"):
            vendor = replace(vendor)  # the answer shows the change; the stored vendor never gets it
        for name, value in data.items():
            if name in _WRITABLE and name != "erp_vendor_id":
                setattr(vendor, name, self._state.stored_text(value))
        vendor.last_modified = self._state.clock.now()
        return vendor

    def seed(self, company_id: int, names: list[str], *, start: int = 1) -> None:
        for n, name in enumerate(names, start=start):
            self._insert(
                company_id,
                {
                    "erp_vendor_id": f"SEED-V{company_id}-{n}",
                    "erp_vendor_name": name,
                    "payment_method": "ach",
                    "net_terms": "Net 30",
                },
            )
