"""Vendors (§9): company-level, identified by an integer id or by `erp_vendor_id` within a company."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from ..accounts.models import ApiUser
from ..contract import VENDOR_BULK_MAX, ErrorCode, PaymentMethod
from ..core import dates
from ..core.errors import BadRequest, NotFound
from ..core.pagination import Selection
from ..core.validation import Body, Text, check, parse

if TYPE_CHECKING:
    from ..state import SandboxState

TEXT_FIELDS = ("email", "phone", "net_terms", "address_line_1", "address_line_2", "city", "state", "zipcode")


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
class Vendor:
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


_WINDOWS_KEPT = 64  # date windows kept sorted at once (a page walk needs one; pollers a few)

_WRITABLE = tuple(
    f.name for f in fields(Vendor) if f.name not in ("id", "ottimate_company_id", "created_at", "last_modified")
)


class VendorBackend:
    def __init__(self, state: SandboxState) -> None:
        self._state = state
        self._by_id: dict[int, Vendor] = {}
        self._by_erp_id: dict[tuple[int, str], int] = {}
        # Lists read indexes rather than every vendor (a vendor never changes company and is never
        # deleted): every vendor in id order, the same per company, and each one's place there.
        self._order: list[Vendor] = []
        self._company_order: dict[int, list[Vendor]] = {}
        self._position: dict[int, int] = {}
        # Per set of visible companies, a byte per vendor in id order (1 = visible), kept up to date on
        # insert: an unfiltered list copies the visible vendors without reading each one.
        self._visible_masks: dict[frozenset[int], bytearray] = {}
        # company -> (last_modified, place) of its vendors, sorted: a date window is two binary searches.
        self._by_modified: dict[int, list[tuple[datetime, int]]] = {}
        # (company, first, last index into its _by_modified) -> those places in id order: a window is
        # sorted once and its pages are then read one page at a time, until the next write.
        self._windows: dict[tuple[int, int, int], list[int]] = {}

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
        # The same answer as a filter over every vendor in id order, without visiting the others.
        # (Lists are views: a page of 100,000 vendors reads only that page's.)
        if company_id is not None and (visible is None or company_id in visible):
            in_company = self._company_order.get(company_id, [])
            if start is None and end is None:
                return Selection(in_company)
            stamps = self._by_modified.get(company_id, [])  # (last_modified, position in in_company)
            low = bisect_left(stamps, (start,)) if start is not None else 0
            high = bisect_right(stamps, (end, math.inf)) if end is not None else len(stamps)
            window = self._windows.get((company_id, low, high))
            if window is None:
                if len(self._windows) >= _WINDOWS_KEPT:
                    self._windows.clear()
                window = self._windows[(company_id, low, high)] = sorted(map(itemgetter(1), stamps[low:high]))
            return Selection(in_company, positions=window)
        if company_id is not None:
            return []
        # Date filters need a company (checked above), so what is left is the visible vendors.
        if visible is None or visible.issuperset(self._company_order):
            return Selection(self._order)
        mask = self._visible_masks.get(visible)
        if mask is None:
            mask = self._visible_masks[visible] = bytearray(v.ottimate_company_id in visible for v in self._order)
        return Selection(self._order, mask=bytes(mask))

    # -- writes ----------------------------------------------------------------------------------

    def create(self, user: ApiUser, body: dict[str, Any]) -> Vendor:
        data = parse(VendorCreate, body, self._state.faults)
        company_id = data["ottimate_company_id"]
        if isinstance(company_id, int):
            self._state.org.require_company_write(user, company_id)
        erp_id = data["erp_vendor_id"]
        if (company_id, erp_id) in self._by_erp_id and not self._state.faults.on("validation_not_enforced"):
            raise BadRequest(
                f"a vendor with erp_vendor_id {erp_id!r} already exists in this company", code=ErrorCode.DUPLICATE
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
        self._order.append(vendor)
        in_company = self._company_order.setdefault(company_id, [])
        in_company.append(vendor)
        self._position[vendor.id] = len(in_company) - 1
        insort(self._by_modified.setdefault(company_id, []), (vendor.last_modified, len(in_company) - 1))
        self._windows.clear()
        for visible, mask in self._visible_masks.items():
            mask.append(company_id in visible)
        if isinstance(vendor.erp_vendor_id, str):
            self._by_erp_id[(company_id, vendor.erp_vendor_id)] = vendor.id
        return vendor

    def _update(self, vendor: Vendor, data: dict[str, Any]) -> Vendor:
        if self._state.faults.on("bulk_updates_lost"):
            vendor = replace(vendor)  # the answer shows the change; the stored vendor never gets it
        for name, value in data.items():
            if name in _WRITABLE and name != "erp_vendor_id":
                setattr(vendor, name, self._state.stored_text(value))
        stamps = self._by_modified.get(vendor.ottimate_company_id)
        if stamps is not None and self._by_id.get(vendor.id) is vendor:  # not the copy `bulk_updates_lost` changes
            position = self._position[vendor.id]
            del stamps[bisect_left(stamps, (vendor.last_modified, position))]
            vendor.last_modified = self._state.clock.now()
            insort(stamps, (vendor.last_modified, position))
            self._windows.clear()
        else:
            vendor.last_modified = self._state.clock.now()
        return vendor

    def seed(self, company_id: int, names: list[str]) -> None:
        for n, name in enumerate(names, start=1):
            self._insert(
                company_id,
                {
                    "erp_vendor_id": f"SEED-V{company_id}-{n}",
                    "erp_vendor_name": name,
                    "payment_method": "ach",
                    "net_terms": "Net 30",
                },
            )
