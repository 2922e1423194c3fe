"""HTTP layer for the catalog (§11): read parameters, call the backend, serialise."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from ..batch.responses import accepted
from ..contract import CATALOG_ENTRIES_PAGE_SIZE, CATALOG_TARGETS, ErrorCode
from ..core import dates
from ..core.context import Ctx
from ..core.errors import ApiError, BadRequest
from ..core.pagination import PageRequest
from ..purchase_orders.responses import present
from ..routing import Route
from .models import Allowance, CatalogEntry, Price, VarianceBatch, VarianceItem

if TYPE_CHECKING:
    from ..state import SandboxState


def amount_text(value: Decimal) -> str:
    """Decimal strings, at least two places (§11)."""
    return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else format(value.normalize(), "f")


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else amount_text(value)


def _pair(name: str, value: Any) -> dict[str, Any]:
    return {name: dates.stamp(value), f"{name}_utc": dates.stamp_utc(value)}


def serialise_price(p: Price) -> dict[str, Any]:
    out = {
        "id": p.id,
        "catalog_entry_id": p.catalog_entry_id,
        "ottimate_company_id": p.ottimate_company_id,
        "price": _amount(p.price),
        "unit_price": _amount(p.unit_price),
        "price_type": CATALOG_TARGETS[p.price_type],
        "price_type_display": p.price_type,
        "ottimate_location_id": p.ottimate_location_id,
        "ottimate_group_id": p.ottimate_group_id,
        **_pair("start_date", p.start_date),
        **_pair("end_date", p.end_date),
        "reference_id": p.reference_id,
        **_pair("created_date", p.created_at),
        **_pair("last_modified_date", p.last_modified),
    }
    return present(out)


def serialise_allowance(a: Allowance) -> dict[str, Any]:
    out = {
        "id": a.id,
        "catalog_entry_id": a.catalog_entry_id,
        "ottimate_company_id": a.ottimate_company_id,
        "ottimate_location_id": a.ottimate_location_id,
        "ottimate_group_id": a.ottimate_group_id,
        "allowance_type": a.allowance_type,
        "amount": _amount(a.amount),
        "unit_allowance": _amount(a.unit_allowance),
        "target": CATALOG_TARGETS[a.target],
        "target_type": a.target,
        **_pair("start_date", a.start_date),
        **_pair("end_date", a.end_date),
        "reference_id": a.reference_id,
        **_pair("created_date", a.created_at),
        **_pair("last_modified_date", a.last_modified),
    }
    return present(out)


def serialise_entry(
    state: SandboxState,
    e: CatalogEntry,
    *,
    full: bool = True,
    expand: frozenset[str] = frozenset(),
    write: bool = True,
) -> dict[str, Any]:
    """full: the retrieve/write object; otherwise the list's "basic" variant (plus what `expand` asks for)."""
    vendor_name = state.catalog.vendor_name(e)
    out: dict[str, Any] = {
        "id": e.id,
        "ottimate_company_id": e.ottimate_company_id,
        "reference_id": e.reference_id,
        "catalog_unique_key": e.catalog_unique_key,
        "item_name": e.item_name,
        "description": e.item_name,  # deprecated twin of item_name
        "original_description": e.original_description,
        "sku": e.sku,
        "upc": e.upc,
        "buying_format": e.buying_format,
        "pack_size": e.size,
        "uom": e.uom,
        "price": _amount(e.price),
        "unit_price": _amount(e.unit_price),
        "last_purchased_price": _amount(e.last_purchased_price),
        "erp_vendor_id": e.erp_vendor_id,
        "ottimate_vendor_name": vendor_name,
        "erp_vendor_name": vendor_name,
        "is_split_case": e.is_split_case,
        "last_purchased_date": dates.stamp(e.last_purchased_at),
        "last_purchased_date_utc": dates.stamp_utc(e.last_purchased_at),
        **_pair("created_date", e.created_at),
        **_pair("last_modified_date", e.last_modified),
    }
    out = present(out)
    out["buying_format"] = e.buying_format  # string|null in the Reference
    out["erp_vendor_name"] = out["ottimate_vendor_name"] = vendor_name
    if full:
        out["dimensions"] = dict(e.dimensions) or None
        out["display_name"] = f"{e.item_name} ({e.size})" if e.size else e.item_name
    if full or "prices" in expand:
        out["prices"] = [serialise_price(p) for p in state.catalog.prices_of(e)]
    if full or "allowances" in expand:
        out["allowances"] = [serialise_allowance(a) for a in state.catalog.allowances_of(e)]
    if full:
        out["warnings"] = [{"message": w} for w in e.warnings] if write else []  # they describe a write
    return out


def _variance_item(i: VarianceItem) -> dict[str, Any]:
    return {
        "id": i.id,
        "invoice_id": i.invoice_id,
        "item_name": i.item_name,
        "price": i.price,
        "quantity": i.quantity,
        "invoice_date": i.invoice_date.isoformat(),
        "price_variance": i.price_variance,
        "effective_price": i.effective_price,
    }


def serialise_variance_batch(b: VarianceBatch) -> dict[str, Any]:
    return {
        "id": b.id,
        "ottimate_company_id": b.ottimate_company_id,
        "batch_number": b.batch_number,
        "export_status": b.export_status,
        "exported_at": dates.stamp(b.exported_at),
        "exported_at_utc": dates.stamp_utc(b.exported_at),
        "costbatch_payload": b.payload,
    }


# -- entries -----------------------------------------------------------------------------------------


def _expand(ctx: Ctx) -> frozenset[str]:
    wanted = frozenset(part.strip() for part in (ctx.query.get("expand") or "").split(",") if part.strip())
    unknown = wanted - {"prices", "allowances"}
    if unknown:
        raise BadRequest(
            f"expand takes prices and/or allowances, got {', '.join(sorted(unknown))}",
            code=ErrorCode.INVALID_PARAMETER,
        )
    return wanted


def list_entries(ctx: Ctx) -> Response:
    page = PageRequest.from_query(ctx.query, default_limit=CATALOG_ENTRIES_PAGE_SIZE)
    expand = _expand(ctx)
    matches = ctx.state.catalog.matching_entries(ctx.user, ctx.query)
    results = [
        serialise_entry(ctx.state, e, full=False, expand=expand)
        for e in page.slice(matches, ctx.state.faults, order_open=True)
    ]
    return ctx.respond({"count": len(matches), "results": results, "page": page.page, "per_page": page.limit})


def create_entry(ctx: Ctx) -> Response:
    entry = ctx.state.catalog.upsert_entry(ctx.user, ctx.json_object())
    return ctx.respond_created(serialise_entry(ctx.state, entry))


def get_entry(ctx: Ctx) -> Response:
    entry = ctx.state.catalog.get_entry(ctx.user, ctx.path_args["id"])
    return ctx.respond(serialise_entry(ctx.state, entry, write=False))


def patch_entry(ctx: Ctx) -> Response:
    entry = ctx.state.catalog.patch_entry(ctx.user, ctx.path_args["id"], ctx.json_object())
    return ctx.respond(serialise_entry(ctx.state, entry))


def _bulk(ctx: Ctx, kind: str, list_name: str, run: Callable[[int, Any], dict[str, Any]]) -> Response:
    company_id, items = ctx.state.catalog.bulk_envelope(ctx.user, ctx.json_object(), list_name)
    del company_id

    def process(index: int, item: Any) -> tuple[dict[str, Any] | None, str | None]:
        try:
            return run(index, item), None
        except ApiError as exc:
            return None, exc.message

    batch = ctx.state.batches.submit(ctx.user, kind, items, process)
    return accepted(ctx, batch, {"count": len(items)})


def bulk_entries(ctx: Ctx) -> Response:
    state, user = ctx.state, ctx.user
    company_id = _company_of(ctx)

    def run(index: int, item: Any) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise BadRequest(f"entries[{index}] must be an object")
        return serialise_entry(state, state.catalog.upsert_entry(user, item, company_id))

    return _bulk(ctx, "catalog_entries", "entries", run)


def bulk_prices(ctx: Ctx) -> Response:
    state, user = ctx.state, ctx.user
    company_id = _company_of(ctx)
    return _bulk(
        ctx,
        "catalog_prices",
        "prices",
        lambda index, item: serialise_price(state.catalog.bulk_price(user, company_id, index, item)),
    )


def bulk_allowances(ctx: Ctx) -> Response:
    state, user = ctx.state, ctx.user
    company_id = _company_of(ctx)
    return _bulk(
        ctx,
        "catalog_allowances",
        "allowances",
        lambda index, item: serialise_allowance(state.catalog.bulk_allowance(user, company_id, index, item)),
    )


def _company_of(ctx: Ctx) -> int:
    company_id = ctx.json_object().get("ottimate_company_id")
    return company_id if isinstance(company_id, int) else 0  # the envelope check rejects anything else


# -- prices, allowances ------------------------------------------------------------------------------


def list_prices(ctx: Ctx) -> Response:
    page = PageRequest.from_query(ctx.query)
    matches = ctx.state.catalog.matching_prices(ctx.user, ctx.query)
    results = [serialise_price(p) for p in page.slice(matches, ctx.state.faults, order_open=True)]
    return ctx.respond({"count": len(matches), "page": page.page, "per_page": page.limit, "results": results})


def create_price(ctx: Ctx) -> Response:
    price = ctx.state.catalog.create_price(ctx.user, ctx.json_object())
    return ctx.respond_created(serialise_price(price))


def list_allowances(ctx: Ctx) -> Response:
    page = PageRequest.from_query(ctx.query)
    matches = ctx.state.catalog.matching_allowances(ctx.user, ctx.query)
    results = [serialise_allowance(a) for a in page.slice(matches, ctx.state.faults, order_open=True)]
    return ctx.respond({"count": len(matches), "results": results})


def create_allowance(ctx: Ctx) -> Response:
    allowance = ctx.state.catalog.upsert_allowance(ctx.user, ctx.json_object())
    return ctx.respond_created(serialise_allowance(allowance))


def patch_allowance(ctx: Ctx) -> Response:
    allowance = ctx.state.catalog.patch_allowance(ctx.user, ctx.path_args["id"], ctx.json_object())
    return ctx.respond(serialise_allowance(allowance))


# -- variances ---------------------------------------------------------------------------------------


def list_variances(ctx: Ctx) -> Response:
    page = PageRequest.from_query(ctx.query)
    matches = ctx.state.catalog.variances(ctx.user, ctx.query)
    expand = ctx.query.get("expand") == "invoice_items"
    results = []
    for entry, last, items in page.slice(matches, ctx.state.faults, order_open=True):
        row = present(
            {
                "id": entry.id,
                "item_name": entry.item_name,
                "sku": entry.sku,
                "upc": entry.upc,
                "pack_size": entry.size,
                "erp_vendor_id": entry.erp_vendor_id,
            }
        )
        last_item = _variance_item(last)
        del last_item["invoice_id"], last_item["item_name"], last_item["quantity"]
        row["last_invoice_item"] = last_item
        if expand:
            row["invoice_items"] = [_variance_item(i) for i in items]
        results.append(row)
    return ctx.respond({"count": len(matches), "results": results})


def variance_invoice_items(ctx: Ctx) -> Response:
    entry = ctx.state.catalog.get_entry(ctx.user, ctx.path_args["id"])
    page = PageRequest.from_query(ctx.query)
    items = [
        i
        for i in ctx.state.catalog.invoice_items(entry)
        if ctx.state.org.can_read_location(ctx.user, i.ottimate_location_id)
    ]
    return ctx.respond(
        {
            "version": ctx.version,
            "count": len(items),
            "page": page.page,
            "limit": page.limit,
            "results": [_variance_item(i) for i in page.slice(items, ctx.state.faults)],
        }
    )


def list_variance_batches(ctx: Ctx) -> Response:
    page = PageRequest.from_query(ctx.query)
    matches = ctx.state.catalog.matching_variance_batches(ctx.user, ctx.query)

    def link(n: int) -> str:
        query = {**ctx.query.to_dict(), "page": str(n), "limit": str(page.limit)}
        return "/v1/catalog/variance-batches?" + "&".join(f"{k}={v}" for k, v in query.items())

    more = page.page * page.limit < len(matches)
    return ctx.respond(
        {
            "count": len(matches),
            "next": link(page.page + 1) if more else None,
            "previous": link(page.page - 1) if page.page > 1 else None,
            "results": [serialise_variance_batch(b) for b in page.slice(matches, ctx.state.faults)],
        }
    )


def export_variance_batch(ctx: Ctx) -> Response:
    batch = ctx.state.catalog.export_variance_batch(ctx.user, ctx.path_args["id"])
    return ctx.respond(serialise_variance_batch(batch))


ROUTES = [
    Route("/v1/catalog/entries", "GET", list_entries),
    Route("/v1/catalog/entries", "POST", create_entry),
    Route("/v1/catalog/entries/bulk", "POST", bulk_entries),
    Route("/v1/catalog/entries/<id>", "GET", get_entry),
    Route("/v1/catalog/entries/<id>", "PATCH", patch_entry),
    Route("/v1/catalog/prices", "GET", list_prices),
    Route("/v1/catalog/prices", "POST", create_price),
    Route("/v1/catalog/prices/bulk", "POST", bulk_prices),
    Route("/v1/catalog/allowances", "GET", list_allowances),
    Route("/v1/catalog/allowances", "POST", create_allowance),
    Route("/v1/catalog/allowances/bulk", "POST", bulk_allowances),
    Route("/v1/catalog/allowances/<id>", "PATCH", patch_allowance),
    Route("/v1/catalog/variances", "GET", list_variances),
    Route("/v1/catalog/variances/<id>/invoice-items", "GET", variance_invoice_items),
    Route("/v1/catalog/variance-batches", "GET", list_variance_batches),
    Route("/v1/catalog/variance-batches/<id>/export", "POST", export_variance_batch),
]
