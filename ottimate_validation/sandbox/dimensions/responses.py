"""HTTP layer for dimensions (§10)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..contract import ErrorCode
from ..core.context import Ctx
from ..core.errors import BadRequest
from ..core.pagination import PageRequest, optional_int_param
from ..routing import Route
from .models import Dimension

_BASIC = ("id", "name", "erp_type", "erp_dimension_id", "ottimate_company_id")
_FULL = ("id", "name", "erp_type", "code", "reference_id", "ottimate_type", "erp_dimension_id", "ottimate_company_id")


def serialise(dimension: Dimension, *, detail: bool = True) -> dict[str, Any]:
    return {name: getattr(dimension, name) for name in (_FULL if detail else _BASIC)}


def list_dimensions(ctx: Ctx) -> Response:
    detail = ctx.query.get("detail")
    if detail not in (None, "", "basic"):
        raise BadRequest(f"detail must be 'basic', got {detail!r}", code=ErrorCode.INVALID_PARAMETER)
    page = PageRequest.from_query(ctx.query)
    company_id = optional_int_param(ctx.query, "ottimate_company_id")
    matches = ctx.state.dimensions.matching(ctx.user, ctx.query, company_id)
    return ctx.respond(
        {
            "version": ctx.version,
            "count": len(matches),
            "page": page.page,
            "limit": page.limit,
            "dimensions": [
                serialise(d, detail=detail != "basic") for d in page.slice(matches, ctx.state.faults, order_open=True)
            ],
        }
    )


def create_dimension(ctx: Ctx) -> Response:
    dimension = ctx.state.dimensions.create(ctx.user, ctx.json_object())
    return ctx.respond_created({"version": ctx.version, **serialise(dimension)})


def get_dimension(ctx: Ctx) -> Response:
    dimension = ctx.state.dimensions.get(ctx.user, ctx.path_args["id"])
    return ctx.respond({"version": ctx.version, "dimension": serialise(dimension)})


def bulk_dimensions(ctx: Ctx) -> Response:
    result = ctx.state.dimensions.bulk(ctx.user, ctx.json_object())
    created = [{"id": d.id, "name": d.name} for d in result["created"]]
    updated = [{"id": d.id, "name": d.name} for d in result["updated"]]
    return ctx.respond_bulk(created, updated, result["errors"])


ROUTES = [
    Route("/v1/dimensions", "GET", list_dimensions),
    Route("/v1/dimensions", "POST", create_dimension),
    Route("/v1/dimensions/bulk", "POST", bulk_dimensions),
    Route("/v1/dimensions/bulk-create", "POST", bulk_dimensions),  # §19 #4 alias
    Route("/v1/dimensions/<id>", "GET", get_dimension),
]
