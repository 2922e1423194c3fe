"""Purchase orders (§14): belong to one location; upserted on `external_id`; item dimensions by ERP id."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator

from .. import readings
from ..accounts.models import ApiUser
from ..contract import PO_BULK_MAX, PO_BULK_MAX_ITEMS, PO_STATUS_FILTER, ErrorCode
from ..core import dates
from ..core.errors import BadRequest, NotFound, ValidationFailed
from ..core.pagination import optional_int_param
from ..core.validation import Body, Text, check, parse

if TYPE_CHECKING:
    from ..dimensions.models import Dimension
    from ..state import SandboxState

EXPAND_WINDOW_DAYS = 30


def _iso_date(value: str) -> str:
    date.fromisoformat(value)  # raises ValueError → a 400 naming the field
    return value


DateText = Annotated[Text, AfterValidator(_iso_date)]


class POItemIn(Body):
    external_id: Text | None = None
    name: Text
    sku: Text | None = None
    quantity: float
    price: float
    uom: Text | None = None
    dimensions: dict[str, Any] | None = None


class POItemPatch(Body):
    id: Text | None = None
    external_id: Text | None = None
    name: Text | None = None
    sku: Text | None = None
    quantity: float | None = None
    price: float | None = None
    uom: Text | None = None
    dimensions: dict[str, Any] | None = None


class POFields(Body):
    external_id: Text | None = None
    po_number: Text
    erp_vendor_id: Text
    erp_vendor_name: Text | None = None
    date: DateText
    total_amount: float
    tax: float | None = None
    freight: float | None = None
    miscellaneous_charges: float | None = None
    invoice_number_ref: Text | None = None
    is_2_way: bool | None = None
    items: list[dict[str, Any]]
    custom_fields: dict[str, Any] | None = None


class POCreate(POFields):
    ottimate_location_id: int


class POBulkPO(POFields):
    ottimate_location_id: int | None = None  # overrides the envelope's default location


class POPatch(Body):
    erp_vendor_name: Text | None = None
    date: DateText | None = None
    total_amount: float | None = None
    tax: float | None = None
    freight: float | None = None
    miscellaneous_charges: float | None = None
    invoice_number_ref: Text | None = None
    is_2_way: bool | None = None
    items: list[dict[str, Any]] | None = None
    custom_fields: dict[str, Any] | None = None


class POBulk(Body):
    ottimate_company_id: int
    ottimate_location_id: int
    purchase_orders: list[Any]


IMMUTABLE = ("status", "po_number", "external_id", "erp_vendor_id", "ottimate_location_id")
_HEADER = (
    "erp_vendor_name",
    "date",
    "total_amount",
    "tax",
    "freight",
    "miscellaneous_charges",
    "invoice_number_ref",
    "is_2_way",
    "custom_fields",
)


@dataclass
class POItem:
    id: str
    external_id: str | None
    name: str
    sku: str | None
    quantity: float
    price: float
    uom: str | None
    dimensions: dict[str, str]  # upper-case type → dimension id
    created_at: datetime
    last_modified: datetime


@dataclass
class PurchaseOrder:
    id: str
    ottimate_company_id: int
    ottimate_location_id: int
    external_id: str | None
    po_number: str
    erp_vendor_id: str
    erp_vendor_name: str | None
    date: str
    total_amount: float
    tax: float | None
    freight: float | None
    miscellaneous_charges: float | None
    invoice_number_ref: str | None
    is_2_way: bool
    custom_fields: dict[str, Any]
    status: str
    created_at: datetime
    last_modified: datetime
    items: list[POItem] = field(default_factory=list)


# The list filter enum (§19 #13) is a different vocabulary from the response enum; how they map.
STATUS_FILTER_MAP: dict[str, frozenset[str]] = {
    "pending_review": frozenset({"pending", "flagged"}),
    "approved": frozenset({"open", "received"}),
    "rejected": frozenset({"archived", "deleted"}),
    "closed": frozenset({"closed"}),
}
assert tuple(STATUS_FILTER_MAP) == PO_STATUS_FILTER


def new_uuid(state: SandboxState) -> str:
    """A UUID v4 drawn from the seeded id factory, so `--seed` runs repeat their ids."""
    return str(uuid.UUID(int=int(state.ids.digits("", 38)) % (1 << 128), version=4))


def window(query: Mapping[str, str], what: str) -> tuple[datetime | None, datetime | None, bool]:
    """(date_from, date_to, expand_items); expand=items needs both dates at most 30 days apart (§6.2)."""
    start = dates.parse_filter(query, "date_from")
    end = dates.parse_filter(query, "date_to")
    expand = query.get("expand") or ""
    if expand not in ("", "items"):
        raise BadRequest(f"expand must be 'items', got {expand!r}", code=ErrorCode.INVALID_PARAMETER)
    if expand == "items":
        if start is None or end is None:
            raise BadRequest(
                f"expand=items on {what} needs both date_from and date_to", code=ErrorCode.INVALID_PARAMETER
            )
        if end < start or end - start > timedelta(days=EXPAND_WINDOW_DAYS):
            raise BadRequest(
                f"expand=items needs date_from..date_to within {EXPAND_WINDOW_DAYS} days",
                code=ErrorCode.INVALID_PARAMETER,
            )
    return start, end, expand == "items"


def on_day(value: str, start: datetime | None, end: datetime | None) -> bool:
    """Business dates (YYYY-MM-DD) against a window, as midnight UTC of that day."""
    return dates.in_window(datetime.fromisoformat(value + "T00:00:00+00:00"), start, end)


class PurchaseOrderBackend:
    def __init__(self, state: SandboxState) -> None:
        self._state = state
        self._by_id: dict[str, PurchaseOrder] = {}
        self._by_external: dict[tuple[int, str], str] = {}

    # -- reads -----------------------------------------------------------------------------------

    def get(self, user: ApiUser, po_id: str) -> PurchaseOrder:
        po = self._by_id.get(po_id)
        if po is None:
            raise NotFound(f"purchase order {po_id} not found")
        self._state.org.require_location_read(user, po.ottimate_location_id)
        return po

    def find(self, po_id: str) -> PurchaseOrder | None:
        return self._by_id.get(po_id)

    def lookup(
        self, vendor: str, location_id: int, po_number: str | None, external_id: str | None
    ) -> PurchaseOrder | None:
        for po in self._by_id.values():
            if (
                po.erp_vendor_id == vendor
                and po.ottimate_location_id == location_id
                and (po_number is None or po.po_number == po_number)
                and (external_id is None or po.external_id == external_id)
            ):
                return po
        return None

    def matching(self, user: ApiUser, query: Mapping[str, str]) -> tuple[list[PurchaseOrder], bool]:
        company_id = _opt_int(query, "ottimate_company_id")
        location_id = _opt_int(query, "ottimate_location_id")
        if company_id is not None:
            self._state.org.require_company_read(user, company_id)
        if location_id is not None:
            self._state.org.require_location_read(user, location_id)
        status = query.get("status") or None
        if status is not None and status not in STATUS_FILTER_MAP:
            raise BadRequest(
                f"status must be one of {', '.join(PO_STATUS_FILTER)}, got {status!r}",
                code=ErrorCode.INVALID_PARAMETER,
            )
        start, end, expand = window(query, "purchase orders")
        vendor = query.get("erp_vendor_id") or None
        external = query.get("external_id") or None
        if self._state.faults.on("filters_ignored"):
            company_id = location_id = None
            status = vendor = external = None
            start = end = None
        visible = self._state.org.visible_locations(user)
        found = [
            po
            for po in self._by_id.values()
            if (visible is None or po.ottimate_location_id in visible)
            and (company_id is None or po.ottimate_company_id == company_id)
            and (location_id is None or po.ottimate_location_id == location_id)
            and (vendor is None or po.erp_vendor_id == vendor)
            and (external is None or po.external_id == external)
            and (status is None or po.status in STATUS_FILTER_MAP[status])
            and on_day(po.date, start, end)
        ]
        return found, expand

    # -- writes ----------------------------------------------------------------------------------

    def upsert(self, user: ApiUser, body: dict[str, Any]) -> PurchaseOrder:
        data = parse(POCreate, body, self._state.faults)
        return self._upsert(user, data, data["ottimate_location_id"])

    def upsert_bulk_item(
        self, user: ApiUser, company_id: int, default_location: int, index: int, body: Any
    ) -> PurchaseOrder:
        data, problem = check(POBulkPO, body, prefix=f"purchase_orders[{index}].")
        if data is None:
            raise ValidationFailed(problem or "invalid purchase order")
        location_id = data.get("ottimate_location_id") or default_location
        loc = self._state.org.require_location_read(user, location_id)
        if loc.company_id != company_id:
            raise BadRequest(f"ottimate_location_id {location_id} does not belong to company {company_id}")
        return self._upsert(user, data, location_id)

    def validate_bulk(self, user: ApiUser, body: dict[str, Any]) -> tuple[int, int, list[Any]]:
        """The envelope: (company, default location, POs); per-PO problems surface in the batch results."""
        data = parse(POBulk, body, self._state.faults)
        company_id, location_id, pos = (
            data["ottimate_company_id"],
            data["ottimate_location_id"],
            data["purchase_orders"],
        )
        self._state.org.require_company_read(user, company_id)
        loc = self._state.org.require_location_read(user, location_id)
        if loc.company_id != company_id:
            raise BadRequest(
                f"ottimate_location_id {location_id} does not belong to company {company_id}",
                code=ErrorCode.VALIDATION_ERROR,
            )
        if not 1 <= len(pos) <= PO_BULK_MAX:
            raise BadRequest(
                f"purchase_orders must hold 1 to {PO_BULK_MAX} items, got {len(pos)}", code=ErrorCode.VALIDATION_ERROR
            )
        total = sum(len(p["items"]) for p in pos if isinstance(p, dict) and isinstance(p.get("items"), list))
        if total > PO_BULK_MAX_ITEMS:
            raise BadRequest(
                f"a bulk request may carry at most {PO_BULK_MAX_ITEMS} items in total, got {total}",
                code=ErrorCode.VALIDATION_ERROR,
            )
        return company_id, location_id, pos

    def patch(self, user: ApiUser, po_id: str, body: dict[str, Any]) -> PurchaseOrder:
        po = self.get(user, po_id)
        body = reject_changes(po, body, IMMUTABLE)
        data = parse(POPatch, body, self._state.faults)
        items = data.pop("items")
        new_items = self._patched_items(po, items) if items is not None else None
        for name, value in data.items():
            if name in body:
                setattr(po, name, self._state.stored_text(value) if name != "custom_fields" else (value or {}))
        if new_items is not None:
            po.items = new_items
        po.last_modified = self._state.clock.now()
        return po

    def _upsert(self, user: ApiUser, data: dict[str, Any], location_id: int) -> PurchaseOrder:
        loc = self._state.org.require_location_read(user, location_id)
        now = self._state.clock.now()
        items_in = data["items"]
        existing = (
            self._by_id.get(self._by_external.get((loc.company_id, data["external_id"]), ""))
            if data["external_id"]
            else None
        )
        if existing is not None and existing.ottimate_location_id != location_id:
            raise BadRequest(
                f"external_id {data['external_id']!r} belongs to a purchase order of location "
                f"{existing.ottimate_location_id}; ottimate_location_id cannot change",
                code=ErrorCode.VALIDATION_ERROR,
            )
        items = self._new_items(loc.company_id, items_in, existing)
        if existing is not None:
            for name in ("po_number", "erp_vendor_id", *_HEADER):
                value = data.get(name)
                if name == "custom_fields":
                    value = value or {}
                elif name == "is_2_way":
                    value = bool(value)
                setattr(existing, name, self._state.stored_text(value))
            existing.items = items
            existing.last_modified = now
            return existing
        po = PurchaseOrder(
            id=new_uuid(self._state),
            ottimate_company_id=loc.company_id,
            ottimate_location_id=location_id,
            external_id=data["external_id"],
            po_number=self._state.stored_text(data["po_number"]),
            erp_vendor_id=data["erp_vendor_id"],
            erp_vendor_name=self._state.stored_text(data["erp_vendor_name"]),
            date=data["date"],
            total_amount=data["total_amount"],
            tax=data["tax"],
            freight=data["freight"],
            miscellaneous_charges=data["miscellaneous_charges"],
            invoice_number_ref=data["invoice_number_ref"],
            is_2_way=bool(data["is_2_way"]),
            custom_fields=data["custom_fields"] or {},
            status="open",
            created_at=now,
            last_modified=now,
            items=items,
        )
        self._by_id[po.id] = po
        if po.external_id:
            self._by_external[(po.ottimate_company_id, po.external_id)] = po.id
        return po

    def _new_items(self, company_id: int, items: list[Any], existing: PurchaseOrder | None) -> list[POItem]:
        """Items of a create or upsert: the list replaces the PO's items; same external_id keeps the item id."""
        if not items:
            raise ValidationFailed("items must hold at least one item", errors=[{"field": "items", "message": "empty"}])
        old = {i.external_id: i for i in existing.items if i.external_id} if existing else {}
        out: list[POItem] = []
        for n, raw in enumerate(items):
            data = parse(POItemIn, raw, self._state.faults, prefix=f"items[{n}].")
            dims = self.resolve_dimensions(company_id, data["dimensions"], f"items[{n}].dimensions")
            keep = old.get(data["external_id"]) if data["external_id"] else None
            now = self._state.clock.now()
            out.append(
                POItem(
                    id=keep.id if keep else new_uuid(self._state),
                    external_id=data["external_id"],
                    name=self._state.stored_text(data["name"]),
                    sku=data["sku"],
                    quantity=data["quantity"],
                    price=data["price"],
                    uom=data["uom"],
                    dimensions=dims if dims is not None else (keep.dimensions if keep else {}),
                    created_at=keep.created_at if keep else now,
                    last_modified=now,
                )
            )
        return out

    def _patched_items(self, po: PurchaseOrder, items: list[Any]) -> list[POItem]:
        """PATCH items: with `id` → update that item; without → a new item. Items not sent are kept."""
        current = {i.id: i for i in po.items}
        out = list(po.items)
        now = self._state.clock.now()
        for n, raw in enumerate(items):
            data = parse(POItemPatch, raw, self._state.faults, prefix=f"items[{n}].")
            dims = self.resolve_dimensions(po.ottimate_company_id, data["dimensions"], f"items[{n}].dimensions")
            if data["id"] is not None:
                item = current.get(data["id"])
                if item is None:
                    raise ValidationFailed(f"items[{n}].id {data['id']} is not an item of this purchase order")
                for name in ("external_id", "name", "sku", "quantity", "price", "uom"):
                    if name in raw:
                        setattr(item, name, data[name])
                if dims is not None:
                    item.dimensions = dims
                item.last_modified = now
                continue
            missing = [name for name in ("name", "quantity", "price") if data[name] is None]
            if missing:
                raise ValidationFailed(
                    f"items[{n}]: a new item needs {', '.join(missing)}",
                    errors=[{"field": f"items[{n}].{m}", "message": "required for a new item"} for m in missing],
                )
            out.append(
                POItem(
                    id=new_uuid(self._state),
                    external_id=data["external_id"],
                    name=data["name"],
                    sku=data["sku"],
                    quantity=data["quantity"],
                    price=data["price"],
                    uom=data["uom"],
                    dimensions=dims or {},
                    created_at=now,
                    last_modified=now,
                )
            )
        return out

    def resolve_dimensions(self, company_id: int, dims: dict[str, Any] | None, where: str) -> dict[str, str] | None:
        """type → erp_dimension_id string, resolved to existing dimensions; None = leave unchanged (§14)."""
        if dims is None:
            return None
        if not dims:
            raise BadRequest(f"{where} must not be empty; omit it or send null to leave dimensions unchanged")
        out: dict[str, str] = {}
        for key, value in dims.items():
            if not isinstance(value, str):
                raise BadRequest(f"Dimension value for '{key}' must be a string.", code=ErrorCode.PO_VALIDATION)
            dim = self.dimension_for(company_id, key, value)
            if dim is None:
                raise BadRequest(
                    f"{where}: no {key} dimension with erp_dimension_id {value!r} exists in company {company_id}",
                    code=ErrorCode.VALIDATION_ERROR,
                )
            out[key.upper()] = dim.id
        return out

    def dimension_for(self, company_id: int, type_key: str, erp_dimension_id: str) -> Dimension | None:
        """The key matches a dimension's `ottimate_type` or `erp_type`, case-insensitively (see DECISIONS)."""
        key = type_key.casefold()
        for dim in self._state.dimensions._by_id.values():  # read-only look into the dimensions store
            if (
                dim.ottimate_company_id == company_id
                and dim.erp_dimension_id == erp_dimension_id
                and key in (dim.ottimate_type.casefold(), dim.erp_type.casefold())
            ):
                return dim
        return None


def reject_changes(obj: Any, body: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """Immutable fields: sending the current value is accepted, a different value is 400 (§19 #18), or
    ignored ("immutable-fields-on-patch": ignore-changes). Answers the body to apply."""
    changed = [n for n in names if n in body and body[n] != getattr(obj, n)]
    if changed and readings.current().takes("immutable-fields-on-patch", "ignore-changes"):
        return {k: v for k, v in body.items() if k not in names}
    if changed:
        raise BadRequest(
            f"{', '.join(changed)} cannot be changed",
            code=ErrorCode.VALIDATION_ERROR,
            errors=[{"field": n, "message": "cannot be changed"} for n in changed],
        )
    return body


_opt_int = optional_int_param
