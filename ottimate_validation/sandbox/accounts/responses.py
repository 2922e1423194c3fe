"""HTTP layer for the read-only account structure (§8)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from werkzeug.wrappers import Response

from .. import readings
from ..core import dates
from ..core.context import Ctx
from ..core.pagination import PageRequest
from ..routing import Route


def _page(ctx: Ctx, rows: Sequence[dict[str, Any]]) -> Response:
    page = PageRequest.from_query(ctx.query)
    search = (ctx.query.get("search") or "").casefold()
    if search:
        rows = [r for r in rows if search in r["name"].casefold()]
    return ctx.respond(
        {
            "count": len(rows),
            "page": page.page,
            "limit": page.limit,
            "results": page.slice(rows, ctx.state.faults, order_open=True),
        }
    )


def list_accounts(ctx: Ctx) -> Response:
    org = ctx.state.org
    accounts = [a for a in org.accounts.values() if a.id == ctx.user.account_id]
    rows = [
        {
            "id": a.id,
            "name": a.name,
            "created_date": dates.stamp(a.created_at),
            "created_date_utc": dates.stamp_utc(a.created_at),
            "company_count": len(a.company_ids),
            "location_count": sum(
                1 for c in a.company_ids for lid in org.companies[c].location_ids if org.locations[lid].active
            ),
        }
        for a in accounts
    ]
    return _page(ctx, rows)


def _listed(ctx: Ctx, readable: bool) -> bool:
    """Whether the structure lists what the user's scope covers only, or the whole account's
    ("companies-and-locations-seen-by-a-scoped-user")."""
    return readable or readings.current().takes("companies-and-locations-seen-by-a-scoped-user", "whole-account")


def list_companies(ctx: Ctx) -> Response:
    org = ctx.state.org
    account = org.account_for(ctx.user, ctx.path_args["id"])
    rows = [
        {
            "id": c.id,
            "name": c.name,
            "location_count": len(c.location_ids),
            "plan": c.plan,
        }
        for c in (org.companies[cid] for cid in account.company_ids)
        if _listed(ctx, org.can_read_company(ctx.user, c.id))
    ]
    return _page(ctx, rows)


def list_locations(ctx: Ctx) -> Response:
    org = ctx.state.org
    account = org.account_for(ctx.user, ctx.path_args["id"])
    # §3: `location_group` from 1.1.0 on; the deprecated `group` for 1.0.0 and for unversioned calls.
    group_key = "location_group" if ctx.version_explicit and ctx.version != "1.0.0" else "group"
    rows = []
    for cid in account.company_ids:
        company = org.companies[cid]
        for lid in company.location_ids:
            loc = org.locations[lid]
            if _listed(ctx, org.can_read_location(ctx.user, lid)):
                rows.append({"id": loc.id, "name": loc.name, "company": company.name, group_key: loc.group})
    return _page(ctx, rows)


ROUTES = [
    Route("/v1/accounts", "GET", list_accounts),
    Route("/v1/accounts/<id>/companies", "GET", list_companies),
    Route("/v1/accounts/<id>/locations", "GET", list_locations),
]
