"""HTTP layer for invoices (§12, §13): read parameters, call the backend, serialise.

Fields the Reference types as non-nullable are omitted when the invoice has no value for them
(`invoice_date`, `approved_date`, `error`, …); `*_utc` twins, `last_modified_user` and `gl_splits`
are null instead. Beyond the Reference: `invoice_id` (the integer id, §19 #14), `ottimate_location_id`,
`ottimate_company_id`, `upload_id`, `items[]` (detail always, list with `expand=items`) and `approvers`
status fields. Each of these is a decision; the choices in force (`state.decisions`) may write them
otherwise: null fields, underscored statuses, no `invoice_id`, no `items` in the detail, no `ETag`, a
detail served from a 5-minute cache, import results naming only the invoice.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.formparser import FormDataParser
from werkzeug.wrappers import Response

from .. import readings
from ..contract import ErrorCode
from ..core import dates
from ..core.context import Ctx
from ..core.errors import ApiError, BadRequest, ValidationFailed
from ..core.pagination import PageRequest, optional_int_param
from ..routing import Route
from .models import IMPORT_MAX, MAX_IMAGE_BYTES, MAX_UPLOAD_BYTES, Approval, Invoice, LineItem, Upload

RECEIVER_DEFAULT_LIMIT, RECEIVER_MAX_LIMIT = 50, 200  # §6.1
LIST_MAX_LIMIT = 100  # §12.2
# Whole-body limits: the file limits (25 MB upload, 50 MB per image) are checked per file, so the body may
# carry the multipart framing on top, and an images request up to two full-size files.
UPLOAD_BODY_BYTES = MAX_UPLOAD_BYTES + 1024 * 1024
IMAGES_BODY_BYTES = 2 * MAX_IMAGE_BYTES + 1024 * 1024


#: How long a detail read is served from the cache ("invoice-detail-cache": cached-5-minutes), §4.
DETAIL_CACHE_SECONDS = 300


def _put(out: dict[str, Any], name: str, value: Any) -> None:
    if value is not None or readings.current().takes("invoice-fields-without-a-value", "null"):
        out[name] = value


def spelt(status: str) -> str:
    """A status as responses spell it ("invoice-status-spellings")."""
    if readings.current().takes("invoice-status-spellings", "underscored"):
        return status.replace("-", "_")
    return status


def _uuid_only() -> bool:
    return readings.current().takes("invoice-ids", "uuid-only")


def _stamps(out: dict[str, Any], name: str, value: Any) -> None:
    _put(out, name, dates.stamp(value))
    out[f"{name}_utc"] = dates.stamp_utc(value)


def _common(ctx: Ctx, inv: Invoice) -> dict[str, Any]:
    out: dict[str, Any] = {"id": inv.uuid} if _uuid_only() else {"id": inv.uuid, "invoice_id": inv.id}
    _put(out, "ottimate_vendor_name", inv.vendor_name)
    out["ottimate_location_name"] = inv.location.name
    out["ottimate_location_id"] = inv.location.id
    out["ottimate_company_id"] = inv.location.company_id
    if inv.vendor_id is not None:
        out["ottimate_vendor_id"] = str(inv.vendor_id)
    for name in ("invoice_date", "due_date"):
        value = getattr(inv, name)
        _put(out, name, value.isoformat() if value else None)
    _put(out, "total_amount", inv.total_amount)
    _put(out, "total_tax", inv.total_tax)
    out["currency"] = inv.currency
    if inv.total_amount is not None:
        out["outstanding_balance"] = inv.total_amount if inv.payment_status != "paid" else 0.0
    out["type"] = inv.type
    out["status"] = spelt(inv.status)
    out["payment_status"] = inv.payment_status
    _put(out, "purchase_order", inv.purchase_order)
    _stamps(out, "created_at", inv.created_at)
    _stamps(out, "exported_date", inv.exported_at)
    _put(out, "error", inv.error)
    out["url"] = f"https://sandbox.example.test/invoices/{inv.uuid}"
    out["images"] = [{"id": im.id, "url": im.url} for im in inv.images]
    out["dimensions"] = dict(inv.dimensions)
    _stamps(out, "last_modified_date", inv.last_modified)
    out["last_modified_user"] = ctx.state.invoices.user_ref(inv.last_modified_user)
    _put(out, "upload_id", inv.upload_id)
    return out


def list_item(ctx: Ctx, inv: Invoice, *, with_items: bool = False) -> dict[str, Any]:
    out = _common(ctx, inv)
    _put(out, "invoice_number", inv.invoice_number)
    _stamps(out, "approved_date", inv.approved_at)
    _put(out, "posting_date", inv.posting_date.isoformat() if inv.posting_date else None)
    out["has_price_variance"] = False
    out["has_unmatched_items"] = any(not li.sku for li in inv.items)
    out["on_hold"] = {"is_held": False, "reason": ""}
    if with_items:
        out["items"] = [_line(li) for li in inv.items]
    return out


def detail(ctx: Ctx, inv: Invoice, expand: set[str] | None = None, *, items: bool | None = None) -> dict[str, Any]:
    """The invoice detail; ``items``: whether it carries the lines (default: as "invoice-line-items" says)."""
    expand = expand or set()
    if items is None:
        items = not readings.current().takes("invoice-line-items", "list-only")
    out = {"version": ctx.version, **_common(ctx, inv)}
    _put(out, "number", inv.invoice_number)
    _put(out, "invoice_number", inv.invoice_number)  # the list's name too, so one reader serves both
    _stamps(out, "approved_date", inv.approved_at)
    _put(out, "posting_date", inv.posting_date.isoformat() if inv.posting_date else None)
    _put(out, "notes", inv.notes)
    if items:
        out["items"] = [_line(li) for li in inv.items]
    if "gl_splits" in expand:
        out["gl_splits"] = None  # no real splits and no vendor split rules in the sandbox
    if "history" in expand:
        out["history"] = [
            {
                "id": h.id,
                "date": dates.stamp(h.at),
                "date_utc": dates.stamp_utc(h.at),
                "reason": h.reason,
                "message": h.message,
                "user": ctx.state.invoices.user_ref(h.user),
            }
            for h in inv.history
        ]
    return out


def _line(li: LineItem) -> dict[str, Any]:
    return {
        "id": li.id,
        "item": li.item,
        "name": li.name,
        "sku": li.sku,
        "quantity": li.quantity,
        "price": li.price,
        "amount": li.amount,
        "is_taxed": li.is_taxed,
        "dimensions": dict(li.dimensions),
        "custom_fields": li.custom_fields,
    }


def _approval(a: Approval) -> dict[str, Any]:
    return {
        "id": a.id,
        "approver": {"id": a.approver.id, "email": a.approver.email, "display_name": a.approver.display_name},
        "policy": dict(a.policy) if a.policy else None,
        "created_date": dates.stamp_utc(a.created),
        "status": "approved" if a.approved_at else "pending",
        "approved_date": dates.stamp_utc(a.approved_at),
    }


def _with_etag(response: Response, inv: Invoice) -> Response:
    if not readings.current().takes("concurrent-invoice-edits-412", "no-etag"):
        response.headers["ETag"] = inv.etag
    return response


def _expand(ctx: Ctx, allowed: tuple[str, ...]) -> set[str]:
    parts = {p.strip() for p in (ctx.query.get("expand") or "").split(",") if p.strip()}
    unknown = parts - set(allowed)
    if unknown:
        raise BadRequest(
            f"expand accepts {', '.join(allowed)}; got {', '.join(sorted(unknown))}", code=ErrorCode.INVALID_PARAMETER
        )
    return parts


# -- handlers ------------------------------------------------------------------------------------


def list_invoices(ctx: Ctx) -> Response:
    page = PageRequest.from_query(ctx.query, max_limit=LIST_MAX_LIMIT)
    expand = _expand(ctx, ("items",))
    matches = ctx.state.invoices.matching(ctx.user, ctx.query)
    results = [list_item(ctx, inv, with_items="items" in expand) for inv in page.slice(matches, ctx.state.faults)]
    return ctx.respond({"version": ctx.version, "count": len(matches), "results": results})


def create_invoice(ctx: Ctx) -> Response:
    inv = ctx.state.invoices.create(ctx.user, ctx.json_object())
    return _with_etag(ctx.respond_created(detail(ctx, inv)), inv)


def get_invoice(ctx: Ctx) -> Response:
    expand = _expand(ctx, ("history", "gl_splits"))
    inv = ctx.state.invoices.get(ctx.user, ctx.path_args["id"])
    if not ctx.state.decisions.takes("invoice-detail-cache", "cached-5-minutes"):
        return _with_etag(ctx.respond(detail(ctx, inv, expand)), inv)
    # Served from a cache the first read fills, for DETAIL_CACHE_SECONDS of the sandbox clock (§4, §12.3).
    key = (ctx.user.client_id, inv.uuid, ",".join(sorted(expand)))
    now = ctx.state.clock.time()
    cached = ctx.state.invoices.detail_cache.get(key)
    if cached is None or now - cached[0] >= DETAIL_CACHE_SECONDS:
        cached = (now, detail(ctx, inv, expand), inv.etag)
        ctx.state.invoices.detail_cache[key] = cached
    response = ctx.respond(cached[1])
    response.headers["Cache-Control"] = f"max-age={DETAIL_CACHE_SECONDS}"
    response.headers["Age"] = str(int(now - cached[0]))
    if not readings.current().takes("concurrent-invoice-edits-412", "no-etag"):
        response.headers["ETag"] = cached[2]
    return response


def patch_invoice(ctx: Ctx) -> Response:
    body = ctx.json_object()
    inv, result = ctx.state.invoices.patch(ctx.user, ctx.path_args["id"], body, ctx.request.headers.get("If-Match"))
    out = detail(ctx, inv, items=True if body.get("items") is not None else None)
    if result is not None:
        out["items_processing_result"] = result
    return _with_etag(ctx.respond(out), inv)


def upload_invoice(ctx: Ctx) -> Response:
    form, files = _multipart(ctx)
    file = files.get("file")
    if file is None:
        raise ValidationFailed("file is required", errors=[{"field": "file", "message": "required"}])
    upload = ctx.state.invoices.uploads.upload(ctx.user, form, file.filename, file.read())
    return ctx.respond({"version": ctx.version, "reference_id": upload.id})


def list_uploads(ctx: Ctx) -> Response:
    location_id = optional_int_param(ctx.query, "ottimate_location_id")
    uploads = ctx.state.invoices.uploads.pending_uploads(ctx.user, location_id)
    return ctx.respond({"version": ctx.version, "count": len(uploads), "results": [_upload(u) for u in uploads]})


def _upload(u: Upload) -> dict[str, Any]:
    return {
        "id": u.id,
        "filename": u.filename,
        "status": u.status,
        "date": dates.stamp_utc(u.created),
        "no_of_pages": u.pages,
        "ottimate_location_name": u.location.name,
        "ottimate_location_id": u.location.id,
        "preview_url": f"https://sandbox.example.test/extraction/{u.id}",
    }


def mark_exported(ctx: Ctx) -> Response:
    result = ctx.state.invoices.exports.mark_exported(
        ctx.user, ctx.json_object(), ctx.request.headers.get("X-Export-Batch-Id")
    )
    return ctx.respond({"version": ctx.version, **result})


def mark_unexported(ctx: Ctx) -> Response:
    result = ctx.state.invoices.exports.mark_unexported(ctx.user, ctx.json_object())
    return ctx.respond({"version": ctx.version, **result})


def get_approvers(ctx: Ctx) -> Response:
    approvals = ctx.state.invoices.approvals.of(ctx.user, ctx.path_args["id"])
    return ctx.respond({"version": ctx.version, "approvers": [_approval(a) for a in approvals]})


def add_approver(ctx: Ctx) -> Response:
    approval = ctx.state.invoices.approvals.add_approver(ctx.user, ctx.path_args["id"], ctx.json_object())
    return ctx.respond_created({"version": ctx.version, "approver": _approval(approval)})


def remove_approver(ctx: Ctx) -> Response:
    ctx.state.invoices.approvals.remove_approver(ctx.user, ctx.path_args["id"], ctx.path_args["approval_id"])
    return Response(status=204)


def approve(ctx: Ctx) -> Response:
    inv = ctx.state.invoices.approvals.approve(ctx.user, ctx.path_args["id"], _optional_object(ctx))
    return _with_etag(ctx.respond(detail(ctx, inv)), inv)


def force_approve(ctx: Ctx) -> Response:
    inv = ctx.state.invoices.approvals.force_approve(ctx.user, ctx.path_args["id"])
    return _with_etag(ctx.respond(detail(ctx, inv)), inv)


def flag(ctx: Ctx) -> Response:
    body = _optional_object(ctx)
    reason = body.get("flagging_reason")
    if reason is not None and (not isinstance(reason, str) or not reason.strip()):
        raise ValidationFailed("flagging_reason must be a non-empty string")
    inv = ctx.state.invoices.flag(ctx.user, ctx.path_args["id"], reason)
    return ctx.respond(
        {
            "version": ctx.version,
            "success": True,
            "message": "the invoice was flagged and is now incomplete",
            "invoice": {"id": inv.uuid, "invoice_number": inv.invoice_number or "", "status": spelt(inv.status)},
        }
    )


def import_invoices(ctx: Ctx) -> Response:
    from ..batch.responses import accepted  # imported here: the batch package is optional at import time

    body = ctx.json()
    if not isinstance(body, list):
        raise ValidationFailed("the body must be a top-level JSON array of invoices")
    if not 1 <= len(body) <= IMPORT_MAX:
        raise ValidationFailed(f"send 1 to {IMPORT_MAX} invoices, got {len(body)}")
    backend, user = ctx.state.invoices, ctx.user
    for item in body:
        backend.import_location(user, item)

    def process(index: int, item: Any) -> tuple[dict[str, Any] | None, str | None]:
        try:
            inv = backend.import_one(user, item)
        except ApiError as exc:
            return None, exc.message
        if ctx.state.decisions.takes("invoice-import", "ids-only"):
            return {"invoice_id": inv.uuid if _uuid_only() else inv.id, "upload_id": inv.upload_id}, None
        return list_item(ctx, inv), None

    batch = ctx.state.batches.submit(user, "invoices", list(body), process)
    return accepted(ctx, batch, {"invoice_count": len(body)})


def replace_images(ctx: Ctx) -> Response:
    _, files = _multipart(ctx)
    uploaded = [(f.filename or "image", f.read()) for f in files.getlist("images")]
    inv, errors = ctx.state.invoices.replace_images(ctx.user, ctx.path_args["id"], uploaded)
    return ctx.respond(
        {"version": ctx.version, "images": [{"id": im.id, "url": im.url} for im in inv.images], "image_errors": errors}
    )


def receiver_export(ctx: Ctx) -> Response:
    page = PageRequest.from_query(ctx.query, default_limit=RECEIVER_DEFAULT_LIMIT, max_limit=RECEIVER_MAX_LIMIT)
    matches = ctx.state.invoices.exports.receiver_export(ctx.user, ctx.query)
    results = [_receiver(inv) for inv in page.slice(matches, ctx.state.faults)]

    def link(n: int) -> str:
        params = {**ctx.query.to_dict(), "page": n, "limit": page.limit}
        return f"{ctx.request.base_url}?{urlencode(params)}"

    last = max((len(matches) + page.limit - 1) // page.limit, 1)
    return ctx.respond(
        {
            "count": len(matches),
            "next": link(page.page + 1) if page.page < last else None,
            "previous": link(page.page - 1) if page.page > 1 else None,
            "page": page.page,
            "per_page": page.limit,
            "results": results,
        }
    )


def _receiver(inv: Invoice) -> dict[str, Any]:
    return {
        "ottimate_invoice_id": inv.uuid,
        **({} if _uuid_only() else {"invoice_id": inv.id}),
        "ottimate_company_id": inv.location.company_id,
        "ottimate_location_id": inv.location.id,
        "invoice_number": inv.invoice_number,
        "vendor_name": inv.vendor_name or "",
        "invoice_date": inv.invoice_date.isoformat() if inv.invoice_date else None,
        "exported_at": dates.stamp(inv.exported_at),
        "exported_at_utc": dates.stamp_utc(inv.exported_at),
        "receiver_status": "success",
        "receiver_lines": [
            {
                "catalog_unique_key": li.sku,
                "upc": "",
                "description": li.name,
                "uom": "each",
                "case_pack": 1.0,
                "quantity_received": li.quantity,
                "unit_price": li.price,
                "extended_price": li.amount,
                "pack_size": None,
                "vendor_id": inv.erp_vendor_id,
                "ottimate_catalog_id": f"cte_{li.sku}",
            }
            for li in inv.items
            if li.sku
        ],
    }


def _optional_object(ctx: Ctx) -> dict[str, Any]:
    """A JSON object body that may be left out entirely."""
    if not ctx.raw_body().strip():
        return {}
    return ctx.json_object()


def _multipart(ctx: Ctx) -> tuple[MultiDict[str, str], MultiDict[str, FileStorage]]:
    """The form fields and files, parsed from the raw body (the idempotency step may have read it)."""
    if ctx.request.mimetype != "multipart/form-data":
        raise BadRequest(f"Content-Type must be multipart/form-data, got {ctx.request.mimetype!r}")
    raw = ctx.raw_body()
    parser = FormDataParser()
    try:
        _, form, files = parser.parse(io.BytesIO(raw), ctx.request.mimetype, len(raw), ctx.request.mimetype_params)
    except ValueError as exc:
        raise BadRequest(f"the multipart body could not be read: {exc}") from None
    return form, files


ROUTES = [
    Route("/v1/invoices", "GET", list_invoices),
    Route("/v1/invoices", "POST", create_invoice, extension="create-invoice-extension"),
    Route("/v1/invoices/upload", "POST", upload_invoice, max_body_bytes=UPLOAD_BODY_BYTES),
    Route("/v1/invoices/uploads", "GET", list_uploads),
    Route("/v1/invoices/mark-exported", "POST", mark_exported),
    Route("/v1/invoices/mark-unexported", "POST", mark_unexported),
    Route("/v1/invoices/import", "POST", import_invoices),
    Route("/v1/invoices/receiver-export", "GET", receiver_export),
    Route("/v1/invoices/<id>", "GET", get_invoice),
    Route("/v1/invoices/<id>", "PATCH", patch_invoice),
    Route("/v1/invoices/<id>/approvers", "GET", get_approvers),
    Route("/v1/invoices/<id>/approvers", "POST", add_approver, extension="approval-actions-extension"),
    Route(
        "/v1/invoices/<id>/approvers/<approval_id>", "DELETE", remove_approver, extension="approval-actions-extension"
    ),
    Route("/v1/invoices/<id>/approve", "POST", approve, extension="approval-actions-extension"),
    Route("/v1/invoices/<id>/force-approve", "POST", force_approve, extension="approval-actions-extension"),
    Route("/v1/invoices/<id>/flag", "POST", flag),
    Route("/v1/invoices/<id>/images", "PATCH", replace_images, max_body_bytes=IMAGES_BODY_BYTES),
]
