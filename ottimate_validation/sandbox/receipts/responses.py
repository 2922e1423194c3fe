"""HTTP layer for receipts (§15): read parameters, call the backend, serialise."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from ..batch.responses import accepted
from ..core import dates
from ..core.context import Ctx
from ..core.errors import ApiError
from ..purchase_orders.responses import document_list, present
from ..routing import Route
from .models import Receipt, ReceiptItem

if TYPE_CHECKING:
    from ..state import SandboxState

_SUMMARY = ("external_id", "receipt_number", "status", "ottimate_po_id", "date", "total_amount")


def serialise_item(state: SandboxState, item: ReceiptItem) -> dict[str, Any]:
    out = {
        "id": item.id,
        "external_id": item.external_id,
        "ottimate_po_item_id": item.ottimate_po_item_id,
        "name": item.name,
        "sku": item.sku,
        "quantity": item.quantity,
        "price": item.price,
        "uom": item.uom,
        "created_date": dates.stamp(item.created_at),
        "created_date_utc": dates.stamp_utc(item.created_at),
        "last_modified_date": dates.stamp(item.last_modified),
        "last_modified_date_utc": dates.stamp_utc(item.last_modified),
    }
    return present(out)


def serialise(state: SandboxState, receipt: Receipt, *, view: str = "detail") -> dict[str, Any]:
    """view: "summary" (list), "created" (POST answer, also the batch task result), "detail" (GET one)."""
    out: dict[str, Any] = {"id": receipt.id, **{name: getattr(receipt, name) for name in _SUMMARY}}
    if view == "created":
        out["items_count"] = len(receipt.items)
    if view == "detail":
        out["invoice_number_ref"] = receipt.invoice_number_ref
        out["note"] = receipt.note
        out["items"] = [serialise_item(state, i) for i in receipt.items]
    out["created_date"] = dates.stamp(receipt.created_at)
    if view != "created":
        out["created_date_utc"] = dates.stamp_utc(receipt.created_at)
    if view == "detail":
        out["last_modified_date"] = dates.stamp(receipt.last_modified)
        out["last_modified_date_utc"] = dates.stamp_utc(receipt.last_modified)
    return present(out)


def list_receipts(ctx: Ctx) -> Response:
    return document_list(ctx, "receipts", ctx.state.receipts.matching, serialise, serialise_item)


def create_receipt(ctx: Ctx) -> Response:
    receipt = ctx.state.receipts.upsert(ctx.user, ctx.json_object())
    return ctx.respond_created({"version": ctx.version, **serialise(ctx.state, receipt, view="created")})


def get_receipt(ctx: Ctx) -> Response:
    receipt = ctx.state.receipts.get(ctx.user, ctx.path_args["id"])
    return ctx.respond({"version": ctx.version, "receipt": serialise(ctx.state, receipt)})


def patch_receipt(ctx: Ctx) -> Response:
    r = ctx.state.receipts.patch(ctx.user, ctx.path_args["id"], ctx.json_object())
    out = {"version": ctx.version, "id": r.id, **{name: getattr(r, name) for name in _SUMMARY}}
    out.update(items_count=len(r.items), last_modified_date=dates.stamp(r.last_modified))
    return ctx.respond(present(out))


def bulk_receipts(ctx: Ctx) -> Response:
    state, user = ctx.state, ctx.user
    backend = state.receipts
    company_id, receipts = backend.validate_bulk(user, ctx.json_object())

    def process(index: int, item: Any) -> tuple[dict[str, Any] | None, str | None]:
        try:
            receipt = backend.upsert_bulk_item(user, company_id, index, item)
        except ApiError as exc:
            return None, exc.message
        return serialise(state, receipt, view="created"), None

    batch = state.batches.submit(user, "receipts", receipts, process)
    total = sum(len(r["items"]) for r in receipts if isinstance(r, dict) and isinstance(r.get("items"), list))
    return accepted(ctx, batch, {"count": len(receipts), "total_items": total})


ROUTES = [
    Route("/v1/receipts", "GET", list_receipts),
    Route("/v1/receipts", "POST", create_receipt),
    Route("/v1/receipts/bulk", "POST", bulk_receipts),
    Route("/v1/receipts/bulk-upsert", "POST", bulk_receipts),  # §19 #5 alias (changelog path)
    Route("/v1/receipts/<id>", "GET", get_receipt),
    Route("/v1/receipts/<id>", "PATCH", patch_receipt),
]
