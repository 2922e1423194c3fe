"""Receipts (§15): each references an existing PO (by id or the lookup trio); items map to PO items."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..accounts.models import ApiUser
from ..contract import RECEIPT_BULK_MAX, RECEIPT_BULK_MAX_ITEMS, ErrorCode
from ..core.errors import BadRequest, NotFound, ValidationFailed
from ..core.pagination import optional_int_param
from ..core.validation import Body, Text, check, parse
from ..purchase_orders.models import (
    DateText,
    POItem,
    PurchaseOrder,
    new_uuid,
    on_day,
    reject_changes,
    window,
)

if TYPE_CHECKING:
    from ..state import SandboxState


class ReceiptItemIn(Body):
    external_id: Text | None = None
    ottimate_po_item_id: Text | None = None
    po_external_item_id: Text | None = None
    sku: Text | None = None
    quantity: float
    price: float | None = None
    uom: Text | None = None


class ReceiptItemPatch(ReceiptItemIn):
    id: Text | None = None
    quantity: float | None = None  # type: ignore[assignment]  # optional when updating an item by id


class ReceiptCreate(Body):
    ottimate_po_id: Text | None = None
    ottimate_location_id: int | None = None
    erp_vendor_id: Text | None = None
    po_number: Text | None = None
    po_external_id: Text | None = None
    external_id: Text | None = None
    receipt_number: Text
    date: DateText
    total_amount: float
    invoice_number_ref: Text | None = None
    note: Text | None = None
    items: list[dict[str, Any]]


class ReceiptPatch(Body):
    receipt_number: Text | None = None
    date: DateText | None = None
    total_amount: float | None = None
    invoice_number_ref: Text | None = None
    note: Text | None = None
    items: list[dict[str, Any]] | None = None


class ReceiptBulk(Body):
    ottimate_company_id: int
    receipts: list[Any]


IMMUTABLE = ("status", "receipt_number", "external_id", "ottimate_po_id")


@dataclass
class ReceiptItem:
    id: str
    external_id: str | None
    ottimate_po_item_id: str
    name: str
    sku: str | None
    quantity: float
    price: float | None
    uom: str | None
    created_at: datetime
    last_modified: datetime


@dataclass
class Receipt:
    id: str
    ottimate_company_id: int
    ottimate_location_id: int
    ottimate_po_id: str
    external_id: str | None
    receipt_number: str
    status: str
    date: str
    total_amount: float
    invoice_number_ref: str | None
    note: str | None
    created_at: datetime
    last_modified: datetime
    items: list[ReceiptItem] = field(default_factory=list)


class ReceiptBackend:
    def __init__(self, state: SandboxState) -> None:
        self._state = state
        self._by_id: dict[str, Receipt] = {}
        self._by_external: dict[tuple[int, str], str] = {}

    # -- reads -----------------------------------------------------------------------------------

    def get(self, user: ApiUser, receipt_id: str) -> Receipt:
        receipt = self._by_id.get(receipt_id)
        if receipt is None:
            raise NotFound(f"receipt {receipt_id} not found")
        self._state.org.require_location_read(user, receipt.ottimate_location_id)
        return receipt

    def matching(self, user: ApiUser, query: Mapping[str, str]) -> tuple[list[Receipt], bool]:
        company_id = optional_int_param(query, "ottimate_company_id")
        location_id = optional_int_param(query, "ottimate_location_id")
        if company_id is not None:
            self._state.org.require_company_read(user, company_id)
        if location_id is not None:
            self._state.org.require_location_read(user, location_id)
        start, end, expand = window(query, "receipts")
        po_id = query.get("ottimate_po_id") or None
        status = query.get("status") or None  # a free string (§15): exact match, unknown values match nothing
        external = query.get("external_id") or None
        if self._state.faults.on("filters_ignored"):
            company_id = location_id = None
            po_id = status = external = None
            start = end = None
        visible = self._state.org.visible_locations(user)
        found = [
            r
            for r in self._by_id.values()
            if (visible is None or r.ottimate_location_id in visible)
            and (company_id is None or r.ottimate_company_id == company_id)
            and (location_id is None or r.ottimate_location_id == location_id)
            and (po_id is None or r.ottimate_po_id == po_id)
            and (status is None or r.status == status)
            and (external is None or r.external_id == external)
            and on_day(r.date, start, end)
        ]
        return found, expand

    # -- writes ----------------------------------------------------------------------------------

    def upsert(self, user: ApiUser, body: dict[str, Any], company_id: int | None = None) -> Receipt:
        data = parse(ReceiptCreate, body, self._state.faults)
        return self._upsert(user, data, company_id)

    def upsert_bulk_item(self, user: ApiUser, company_id: int, index: int, body: Any) -> Receipt:
        data, problem = check(ReceiptCreate, body, prefix=f"receipts[{index}].")
        if data is None:
            raise ValidationFailed(problem or "invalid receipt")
        return self._upsert(user, data, company_id)

    def validate_bulk(self, user: ApiUser, body: dict[str, Any]) -> tuple[int, list[Any]]:
        data = parse(ReceiptBulk, body, self._state.faults)
        company_id, receipts = data["ottimate_company_id"], data["receipts"]
        self._state.org.require_company_read(user, company_id)
        if not 1 <= len(receipts) <= RECEIPT_BULK_MAX:
            raise BadRequest(
                f"receipts must hold 1 to {RECEIPT_BULK_MAX} items, got {len(receipts)}",
                code=ErrorCode.VALIDATION_ERROR,
            )
        total = sum(len(r["items"]) for r in receipts if isinstance(r, dict) and isinstance(r.get("items"), list))
        if total > RECEIPT_BULK_MAX_ITEMS:
            raise BadRequest(
                f"a bulk request may carry at most {RECEIPT_BULK_MAX_ITEMS} items in total, got {total}",
                code=ErrorCode.VALIDATION_ERROR,
            )
        return company_id, receipts

    def patch(self, user: ApiUser, receipt_id: str, body: dict[str, Any]) -> Receipt:
        receipt = self.get(user, receipt_id)
        body = reject_changes(receipt, body, IMMUTABLE)
        data = parse(ReceiptPatch, body, self._state.faults)
        items = data.pop("items")
        po = self._state.purchase_orders.find(receipt.ottimate_po_id)
        new_items = self._patched_items(receipt, po, items) if items is not None else None
        for name, value in data.items():
            if name in body and name != "receipt_number":
                setattr(receipt, name, self._state.stored_text(value))
        if new_items is not None:
            receipt.items = new_items
        receipt.last_modified = self._state.clock.now()
        return receipt

    def resolve_po(self, user: ApiUser, data: dict[str, Any]) -> PurchaseOrder:
        """`ottimate_po_id`, else `erp_vendor_id` + `ottimate_location_id` + (`po_number` | `po_external_id`)."""
        backend = self._state.purchase_orders
        if data.get("ottimate_po_id"):
            po = backend.find(data["ottimate_po_id"])
            if po is None:
                raise BadRequest(
                    f"ottimate_po_id {data['ottimate_po_id']} does not match any purchase order",
                    code=ErrorCode.VALIDATION_ERROR,
                )
        else:
            vendor, location_id = data.get("erp_vendor_id"), data.get("ottimate_location_id")
            number, external = data.get("po_number"), data.get("po_external_id")
            if not (vendor and location_id is not None and (number or external)):
                raise BadRequest(
                    "send ottimate_po_id, or erp_vendor_id + ottimate_location_id + po_number or po_external_id",
                    code=ErrorCode.VALIDATION_ERROR,
                )
            self._state.org.require_location_read(user, location_id)
            po = backend.lookup(vendor, location_id, number, external)
            if po is None:
                raise BadRequest("no purchase order matches the lookup fields", code=ErrorCode.VALIDATION_ERROR)
        self._state.org.require_location_read(user, po.ottimate_location_id)
        return po

    def _upsert(self, user: ApiUser, data: dict[str, Any], company_id: int | None) -> Receipt:
        po = self.resolve_po(user, data)
        if company_id is not None and po.ottimate_company_id != company_id:
            raise BadRequest(
                f"the purchase order belongs to company {po.ottimate_company_id}, not {company_id}",
                code=ErrorCode.VALIDATION_ERROR,
            )
        if not data["items"]:
            raise ValidationFailed("items must hold at least one item", errors=[{"field": "items", "message": "empty"}])
        now = self._state.clock.now()
        key = (po.ottimate_company_id, data["external_id"]) if data["external_id"] else None
        existing = self._by_id.get(self._by_external.get(key, "")) if key else None
        if existing is not None and existing.ottimate_po_id != po.id:
            raise BadRequest(
                f"external_id {data['external_id']!r} belongs to a receipt of another purchase order; "
                "ottimate_po_id cannot change",
                code=ErrorCode.VALIDATION_ERROR,
            )
        old = {i.external_id: i for i in existing.items if i.external_id} if existing else {}
        items = []
        for n, raw in enumerate(data["items"]):
            item = parse(ReceiptItemIn, raw, self._state.faults, prefix=f"items[{n}].")
            keep = old.get(item["external_id"]) if item["external_id"] else None
            items.append(self._new_item(po, item, n, keep.id if keep else None, keep.created_at if keep else now))
        if existing is not None:
            for name in ("receipt_number", "date", "total_amount", "invoice_number_ref", "note"):
                setattr(existing, name, self._state.stored_text(data[name]))
            existing.items, existing.last_modified = items, now
            return existing
        receipt = Receipt(
            id=new_uuid(self._state),
            ottimate_company_id=po.ottimate_company_id,
            ottimate_location_id=po.ottimate_location_id,
            ottimate_po_id=po.id,
            external_id=data["external_id"],
            receipt_number=self._state.stored_text(data["receipt_number"]),
            status="open",
            date=data["date"],
            total_amount=data["total_amount"],
            invoice_number_ref=data["invoice_number_ref"],
            note=self._state.stored_text(data["note"]),
            created_at=now,
            last_modified=now,
            items=items,
        )
        self._by_id[receipt.id] = receipt
        if key:
            self._by_external[key] = receipt.id
        return receipt

    def _new_item(
        self, po: PurchaseOrder | None, data: dict[str, Any], n: int, item_id: str | None, created: datetime
    ) -> ReceiptItem:
        po_item = self._po_item(po, data, n)
        now = self._state.clock.now()
        return ReceiptItem(
            id=item_id or new_uuid(self._state),
            external_id=data["external_id"],
            ottimate_po_item_id=po_item.id,
            name=po_item.name,
            sku=data["sku"] or po_item.sku,
            quantity=data["quantity"],
            price=data["price"],
            uom=data["uom"] or po_item.uom,
            created_at=created,
            last_modified=now,
        )

    @staticmethod
    def _po_item(po: PurchaseOrder | None, data: dict[str, Any], n: int) -> POItem:
        """`ottimate_po_item_id`, else `po_external_item_id`, else a `sku` matching exactly one PO item (§15)."""
        items = po.items if po else []
        if data.get("ottimate_po_item_id"):
            found = [i for i in items if i.id == data["ottimate_po_item_id"]]
            how = f"ottimate_po_item_id {data['ottimate_po_item_id']}"
        elif data.get("po_external_item_id"):
            found = [i for i in items if i.external_id == data["po_external_item_id"]]
            how = f"po_external_item_id {data['po_external_item_id']!r}"
        elif data.get("sku"):
            found = [i for i in items if i.sku == data["sku"]]
            how = f"sku {data['sku']!r}"
            if len(found) > 1:
                raise BadRequest(
                    f"items[{n}]: {how} matches {len(found)} items of the purchase order; send ottimate_po_item_id",
                    code=ErrorCode.VALIDATION_ERROR,
                )
        else:
            raise BadRequest(
                f"items[{n}] needs ottimate_po_item_id, po_external_item_id or sku", code=ErrorCode.VALIDATION_ERROR
            )
        if not found:
            raise BadRequest(
                f"items[{n}]: {how} matches no item of the purchase order", code=ErrorCode.VALIDATION_ERROR
            )
        return found[0]

    def _patched_items(self, receipt: Receipt, po: PurchaseOrder | None, items: list[Any]) -> list[ReceiptItem]:
        current = {i.id: i for i in receipt.items}
        out = list(receipt.items)
        now = self._state.clock.now()
        for n, raw in enumerate(items):
            data = parse(ReceiptItemPatch, raw, self._state.faults, prefix=f"items[{n}].")
            if data["id"] is not None:
                item = current.get(data["id"])
                if item is None:
                    raise ValidationFailed(f"items[{n}].id {data['id']} is not an item of this receipt")
                if any(data.get(k) for k in ("ottimate_po_item_id", "po_external_item_id")):
                    item.ottimate_po_item_id = self._po_item(po, data, n).id
                for name in ("external_id", "sku", "quantity", "price", "uom"):
                    if name in raw:
                        setattr(item, name, data[name])
                item.last_modified = now
                continue
            if data["quantity"] is None:
                raise ValidationFailed(
                    f"items[{n}]: a new item needs quantity",
                    errors=[{"field": f"items[{n}].quantity", "message": "required for a new item"}],
                )
            out.append(self._new_item(po, data, n, None, now))
        return out
