"""HTTP layer for purchase orders (§14): read parameters, call the backend, serialise."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from ..accounts.models import ApiUser
from ..batch.responses import accepted
from ..core import dates
from ..core.context import Ctx
from ..core.errors import ApiError
from ..core.pagination import PageRequest
from ..routing import Route
from .models import POItem, PurchaseOrder

if TYPE_CHECKING:
    from ..state import SandboxState

_SUMMARY = (
    "external_id",
    "po_number",
    "status",
    "ottimate_location_id",
    "ottimate_company_id",
    "date",
    "erp_vendor_id",
    "erp_vendor_name",
    "total_amount",
)
_DETAIL = ("tax", "freight", "miscellaneous_charges", "invoice_number_ref", "is_2_way")


def present(out: dict[str, Any]) -> dict[str, Any]:
    """Optional values that are unset are left out: the Reference types them as non-null strings/numbers."""
    return {k: v for k, v in out.items() if v is not None or k.endswith("_utc")}


def serialise_item(state: SandboxState, item: POItem, *, utc: bool = True) -> dict[str, Any]:
    dims: dict[str, Any] = {}
    for key, dim_id in item.dimensions.items():
        dim = state.dimensions._by_id.get(dim_id)  # read-only look into the dimensions store
        if dim is not None:
            dims[key] = {"id": dim.id, "erp_dimension_id": dim.erp_dimension_id, "name": dim.name, "code": dim.code}
    out: dict[str, Any] = {
        "id": item.id,
        "external_id": item.external_id,
        "name": item.name,
        "sku": item.sku,
        "quantity": item.quantity,
        "price": item.price,
        "uom": item.uom,
        "dimensions": dims,
        "created_date": dates.stamp(item.created_at),
        "last_modified_date": dates.stamp(item.last_modified),
    }
    if utc:
        out["created_date_utc"] = dates.stamp_utc(item.created_at)
        out["last_modified_date_utc"] = dates.stamp_utc(item.last_modified)
    return present(out)


def serialise(state: SandboxState, po: PurchaseOrder, *, view: str = "detail") -> dict[str, Any]:
    """view: "summary" (list), "created" (POST answer, also the batch task result), "detail" (GET one)."""
    out: dict[str, Any] = {"id": po.id, **{name: getattr(po, name) for name in _SUMMARY}}
    if view == "detail":
        out.update({name: getattr(po, name) for name in _DETAIL})
    if view in ("created", "detail"):
        out["items_count"] = len(po.items)
        out["items"] = [serialise_item(state, i, utc=view == "detail") for i in po.items]
    out["created_date"] = dates.stamp(po.created_at)
    if view != "created":
        out["created_date_utc"] = dates.stamp_utc(po.created_at)
        out["last_modified_date"] = dates.stamp(po.last_modified)
        out["last_modified_date_utc"] = dates.stamp_utc(po.last_modified)
    out["custom_fields"] = po.custom_fields
    return present(out)


def document_list(
    ctx: Ctx,
    key: str,
    matching: Callable[[ApiUser, Mapping[str, str]], tuple[Sequence[Any], bool]],
    row: Callable[..., dict[str, Any]],
    item_row: Callable[[SandboxState, Any], dict[str, Any]],
) -> Response:
    """The PO and receipt lists (§14, §15): one envelope, summaries, items when `expand=items`."""
    page = PageRequest.from_query(ctx.query)
    matches, expand = matching(ctx.user, ctx.query)
    results = []
    for doc in page.slice(list(matches), ctx.state.faults, order_open=True):
        out = row(ctx.state, doc, view="summary")
        if expand:
            out["items"] = [item_row(ctx.state, i) for i in doc.items]
        results.append(out)
    return ctx.respond(
        {"version": ctx.version, "count": len(matches), "page": page.page, "limit": page.limit, key: results}
    )


def list_purchase_orders(ctx: Ctx) -> Response:
    return document_list(ctx, "purchase_orders", ctx.state.purchase_orders.matching, serialise, serialise_item)


def create_purchase_order(ctx: Ctx) -> Response:
    po = ctx.state.purchase_orders.upsert(ctx.user, ctx.json_object())
    return ctx.respond_created({"version": ctx.version, **serialise(ctx.state, po, view="created")})


def get_purchase_order(ctx: Ctx) -> Response:
    po = ctx.state.purchase_orders.get(ctx.user, ctx.path_args["id"])
    return ctx.respond({"version": ctx.version, "purchase_order": serialise(ctx.state, po)})


def patch_purchase_order(ctx: Ctx) -> Response:
    po = ctx.state.purchase_orders.patch(ctx.user, ctx.path_args["id"], ctx.json_object())
    out = {"version": ctx.version, "id": po.id, **{name: getattr(po, name) for name in _SUMMARY}}
    out.update(items_count=len(po.items), last_modified_date=dates.stamp(po.last_modified))
    return ctx.respond(present(out))


def bulk_purchase_orders(ctx: Ctx) -> Response:
    state, user = ctx.state, ctx.user
    backend = state.purchase_orders
    company_id, location_id, pos = backend.validate_bulk(user, ctx.json_object())

    def process(index: int, item: Any) -> tuple[dict[str, Any] | None, str | None]:
        try:
            po = backend.upsert_bulk_item(user, company_id, location_id, index, item)
        except ApiError as exc:
            return None, exc.message
        return serialise(state, po, view="created"), None

    batch = state.batches.submit(user, "purchase_orders", pos, process)
    total = sum(len(p["items"]) for p in pos if isinstance(p, dict) and isinstance(p.get("items"), list))
    return accepted(ctx, batch, {"count": len(pos), "total_items": total})


ROUTES = [
    Route("/v1/purchase-orders", "GET", list_purchase_orders),
    Route("/v1/purchase-orders", "POST", create_purchase_order),
    Route("/v1/purchase-orders/bulk", "POST", bulk_purchase_orders),
    Route("/v1/purchase-orders/bulk-upsert", "POST", bulk_purchase_orders),  # §19 #5 alias (changelog path)
    Route("/v1/purchase-orders/<id>", "GET", get_purchase_order),
    Route("/v1/purchase-orders/<id>", "PATCH", patch_purchase_order),
]
