"""HTTP layer for vendors: read parameters, call the backend, serialise (§9)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..contract import ErrorCode
from ..core import dates
from ..core.context import Ctx
from ..core.errors import BadRequest
from ..core.pagination import PageRequest, optional_int_param
from ..routing import Route
from .models import Vendor

_FIELDS = (
    "erp_vendor_id",
    "erp_vendor_name",
    "email",
    "phone",
    "net_terms",
    "payment_method",
    "address_line_1",
    "address_line_2",
    "city",
    "state",
    "zipcode",
)


def serialise(
    ctx: Ctx, vendor: Vendor, *, detail: bool = True, with_company: bool = True, with_dates: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {"id": vendor.id, "ottimate_company_id": vendor.ottimate_company_id}
    if with_company and detail:
        company = ctx.state.org.companies.get(vendor.ottimate_company_id)
        out["company_name"] = company.name if company else None
    names = _FIELDS if detail else ("erp_vendor_id", "erp_vendor_name")
    for name in names:
        out[name] = getattr(vendor, name)
    if detail and with_dates:
        out["last_modified_date"] = dates.stamp(vendor.last_modified)
        out["last_modified_date_utc"] = dates.stamp_utc(vendor.last_modified)
    return out


def list_vendors(ctx: Ctx) -> Response:
    detail = ctx.query.get("detail")
    if detail not in (None, "", "basic"):
        raise BadRequest(f"detail must be 'basic', got {detail!r}", code=ErrorCode.INVALID_PARAMETER)
    page = PageRequest.from_query(ctx.query)
    company_id = optional_int_param(ctx.query, "ottimate_company_id")
    matches = ctx.state.vendors.matching(ctx.user, ctx.query, company_id)
    return ctx.respond(
        {
            "version": ctx.version,
            "count": len(matches),
            "page": page.page,
            "limit": page.limit,
            "vendors": [
                serialise(ctx, v, detail=detail != "basic", with_dates=True)
                for v in page.slice(matches, ctx.state.faults, order_open=True)
            ],
        }
    )


def create_vendor(ctx: Ctx) -> Response:
    vendor = ctx.state.vendors.create(ctx.user, ctx.json_object())
    return ctx.respond_created({"version": ctx.version, "vendor": serialise(ctx, vendor, with_company=False)})


def get_vendor(ctx: Ctx) -> Response:
    vendor = ctx.state.vendors.get(ctx.user, ctx.path_args["id"])
    return ctx.respond({"version": ctx.version, "vendor": serialise(ctx, vendor)})


def bulk_vendors(ctx: Ctx) -> Response:
    result = ctx.state.vendors.bulk(ctx.user, ctx.json_object())
    created = [serialise(ctx, v, with_company=False) for v in result["created"]]
    updated = [serialise(ctx, v, with_company=False) for v in result["updated"]]
    return ctx.respond_bulk(created, updated, result["errors"])


ROUTES = [
    Route("/v1/vendors", "GET", list_vendors),
    Route("/v1/vendors", "POST", create_vendor),
    Route("/v1/vendors/bulk", "POST", bulk_vendors),
    Route("/v1/vendors/bulk-create", "POST", bulk_vendors),  # §19 #3 alias
    Route("/v1/vendors/<id>", "GET", get_vendor),
]
