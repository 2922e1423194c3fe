"""The pages: what the signed-in API user may see, read through the same backend methods the API uses.

A list is what the API's list operation would answer that user (its scope, its filters), and an unknown
or out-of-scope id is the API's own 404 or 403. Nothing here changes the sandbox (see `actions.py`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from werkzeug.wrappers import Response

from ..accounts.models import ApiUser, Company, Location
from ..core.errors import ApiError
from ..invoices import lifecycle
from ..invoices.models import Invoice
from .app import Refused, Req

FORM_LINES: Final = 5  # line rows on the manual invoice form
LIST_LIMIT: Final = 200  # rows a list page shows (the newest or first); the count says how many matched
STATUS_MEANING: Final = {  # CONTRACT §12.1, paraphrased
    "processing": "still being processed (extraction)",
    "incomplete": "missing or incorrect data; needs more information",
    "needs-attention": "needs manual review",
    "pending-approval": "waiting for its approvers",
    "approved": "approved; ready for further AP actions",
    "ready-for-export": "approved and ready to export to the ERP",
    "exported": "exported to the ERP",
    "archived": "archived; no longer in the active workflow",
}


# -- scope helpers -----------------------------------------------------------------------------------


def companies(r: Req) -> list[Company]:
    org, user = r.state.org, r.user
    return [c for c in org.companies.values() if org.can_read_company(user, c.id)]


def locations(r: Req) -> list[Location]:
    org, user = r.state.org, r.user
    return [loc for loc in org.locations.values() if org.can_read_location(user, loc.id)]


def company_filter(r: Req) -> int | None:
    """The `company` query parameter, if it names a company this user sees (else a clear refusal)."""
    raw = r.request.args.get("company", "")
    if not raw:
        return None
    if not raw.isdigit() or int(raw) not in {c.id for c in companies(r)}:
        raise Refused(404, "Not found", f"There is no company {raw} that this API user can see.")
    return int(raw)


def user_label(user: ApiUser | None) -> str:
    return "Ottimate (extraction)" if user is None else f"{user.client_id} ({user.scope_level})"


def search_in(query: str, *values: object) -> bool:
    needle = query.strip().casefold()
    return not needle or any(needle in str(v).casefold() for v in values if v is not None)


# -- overview and organisation -------------------------------------------------------------------------


def overview(r: Req) -> Response:
    state, user = r.state, r.user
    invoices = state.invoices.matching(user, {})
    by_status = Counter(inv.status for inv in invoices)
    pos, _ = state.purchase_orders.matching(user, {})
    receipts, _ = state.receipts.matching(user, {})
    batches = state.batches.matching(user, {})
    return r.render(
        "overview.html",
        statuses=[(s, by_status.get(s, 0)) for s in lifecycle.STATUSES],
        invoices=len(invoices),
        pending_uploads=len(state.invoices.uploads.pending_uploads(user, None)),
        purchase_orders=len(pos),
        receipts=len(receipts),
        batches_running=sum(1 for b in batches if b.status == "processing"),
        batches=len(batches),
        exchanges=len(state.journal),
        now=state.clock.now(),
    )


def organisation(r: Req) -> Response:
    org, user = r.state.org, r.user
    account = org.accounts[user.account_id]
    # The account's API users, for an account-level user; a narrower one sees itself (the others' scopes
    # would name companies and locations outside its own).
    peers = [u for u in org.users.values() if u.account_id == account.id] if user.scope_level == "account" else [user]
    users = sorted(peers, key=lambda u: ("account", "company", "location").index(u.scope_level))
    return r.render(
        "organisation.html",
        account=account,
        companies=companies(r),
        locations=locations(r),
        users=users,
        org=org,
    )


# -- vendors and dimensions ----------------------------------------------------------------------------


def vendors(r: Req) -> Response:
    company_id = company_filter(r)
    query = r.request.args.get("q", "")
    payment = r.request.args.get("payment_method", "")
    found = [
        v
        for v in r.state.vendors.matching(r.user, {}, company_id)
        if search_in(query, v.erp_vendor_name, v.erp_vendor_id, v.email, v.phone, v.city)
        and (not payment or v.payment_method == payment)
    ]
    methods = sorted({v.payment_method for v in r.state.vendors.matching(r.user, {}, None) if v.payment_method})
    return r.render(
        "vendors.html",
        vendors=found[:LIST_LIMIT],
        count=len(found),
        companies=companies(r),
        company_id=company_id,
        query=query,
        payment=payment,
        methods=methods,
        names={c.id: c.name for c in companies(r)},
    )


def dimensions(r: Req) -> Response:
    company_id = company_filter(r)
    query = r.request.args.get("q", "")
    erp_type = r.request.args.get("erp_type", "")
    everything = r.state.dimensions.matching(r.user, {}, company_id)
    found = [
        d
        for d in everything
        if (not erp_type or d.erp_type == erp_type)
        and search_in(query, d.name, d.code, d.reference_id, d.erp_dimension_id, d.id)
    ]
    return r.render(
        "dimensions.html",
        dimensions=found[:LIST_LIMIT],
        count=len(found),
        companies=companies(r),
        company_id=company_id,
        query=query,
        erp_type=erp_type,
        types=sorted({d.erp_type for d in r.state.dimensions.matching(r.user, {}, None)}),
        names={c.id: c.name for c in companies(r)},
    )


# -- invoices ------------------------------------------------------------------------------------------


def invoices(r: Req) -> Response:
    args = r.request.args
    status, location, query = args.get("status", ""), args.get("location", ""), args.get("q", "")
    api_query = {"status": status, "ottimate_location_ids": location, "search": query}
    try:
        found = r.state.invoices.matching(r.user, {k: v for k, v in api_query.items() if v})
    except ApiError as exc:  # a filter the API refuses: the API's message, and the list unfiltered
        r.session.flash("error", f"Filter not applied: {exc.message}")
        status = location = query = ""
        found = r.state.invoices.matching(r.user, {})
    return r.render(
        "invoices.html",
        invoices=list(found[:LIST_LIMIT]),
        count=len(found),
        statuses=lifecycle.STATUSES,
        locations=locations(r),
        status=status,
        location=location,
        query=query,
    )


@dataclass(frozen=True)
class Dim:
    """A dimension assignment as shown: the type, the value sent, and the dimension it names (if any)."""

    type: str
    value: str
    name: str | None


def assigned(r: Req, company_id: int, values: Mapping[str, str]) -> list[Dim]:
    """Type → `erp_dimension_id` assignments (CONTRACT §12.4), each with the company's dimension it names."""
    out = []
    for key, value in sorted(values.items()):
        found = r.state.purchase_orders.dimension_for(company_id, key, value)
        out.append(Dim(key, value, found.name if found is not None else None))
    return out


def invoice(r: Req, id: str) -> Response:
    return invoice_page(r, r.state.invoices.get(r.user, id))


def invoice_page(
    r: Req, inv: Invoice, *, status: int = 200, refusal: tuple[str, str] | None = None, stale: bool = False
) -> Response:
    """The invoice page; an action that was refused shows it again with ``refusal`` (title, message)."""
    company_id = inv.location.company_id
    document = r.state.invoices.uploads.documents.get(inv.upload_id or "") if inv.source == "upload" else None
    return r.render(
        "invoice.html",
        http_status=status,
        inv=inv,
        company=r.state.org.companies[company_id],
        meaning=STATUS_MEANING.get(inv.status, ""),
        header_dims=assigned(r, company_id, inv.dimensions),
        lines=[(li, assigned(r, company_id, li.dimensions)) for li in inv.items],
        document=document,
        refusal=refusal,
        stale=stale,
        user_label=user_label,
    )


def invoice_document(r: Req, id: str) -> Response:
    """The uploaded file the invoice was extracted from, inline, with the type its content was sniffed as."""
    inv = r.state.invoices.get(r.user, id)
    upload = r.state.invoices.uploads.documents.get(inv.upload_id or "") if inv.source == "upload" else None
    if upload is None:
        raise Refused(404, "Not found", f"Invoice {inv.id} has no uploaded document kept in this sandbox.")
    response = Response(upload.content, content_type=DOCUMENT_TYPES[upload.kind])
    safe_name = "".join(c for c in upload.filename if c.isalnum() or c in "._- ")[:100] or "document"
    response.headers["Content-Disposition"] = f'inline; filename="{safe_name}"'
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


DOCUMENT_TYPES: Final = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg", "tiff": "image/tiff"}


def new_invoice(
    r: Req, *, status: int = 200, problem: str | None = None, values: Mapping[str, Any] | None = None
) -> Response:
    """The manual invoice form (the dashboard's Invoice tab); ``values`` refill it after a refusal."""
    values = values or {}
    visible = locations(r)
    company_ids = {loc.company_id for loc in visible}
    vendor_rows = [v for v in r.state.vendors.matching(r.user, {}, None) if v.ottimate_company_id in company_ids]
    dims = [d for d in r.state.dimensions.matching(r.user, {}, None) if d.ottimate_company_id in company_ids]
    by_type: dict[str, list[Any]] = {}
    for d in dims:
        by_type.setdefault(d.erp_type, []).append(d)
    return r.render(
        "invoice_new.html",
        http_status=status,
        problem=problem,
        values=values,
        locations=visible,
        vendors=vendor_rows,
        dimension_types=sorted(by_type.items()),
        names={c.id: c.name for c in companies(r)},
        lines=FORM_LINES,
    )


# -- uploads -------------------------------------------------------------------------------------------


def uploads(
    r: Req, *, status: int = 200, problem: str | None = None, values: Mapping[str, str] | None = None
) -> Response:
    """The uploads page; after a refused upload, ``values`` refill its form."""
    state, user = r.state, r.user
    pending = state.invoices.uploads.pending_uploads(user, None)
    delay = timedelta(seconds=state.config.extraction_seconds)
    visible = {loc.id for loc in locations(r)}
    extracted = [u for u in reversed(state.invoices.uploads.documents.values()) if u.location.id in visible]
    by_upload = {inv.upload_id: inv for inv in state.invoices.matching(user, {}) if inv.source == "upload"}
    return r.render(
        "uploads.html",
        http_status=status,
        problem=problem,
        pending=[(u, u.created + delay) for u in pending],
        extracted=[(u, by_upload.get(u.id)) for u in extracted[:50]],
        locations=locations(r),
        now=state.clock.now(),
        extraction_seconds=state.config.extraction_seconds,
        values=values or {},
    )


# -- purchase orders and receipts ----------------------------------------------------------------------


def purchase_orders(r: Req) -> Response:
    args = r.request.args
    query = args.get("q", "")
    found, _ = r.state.purchase_orders.matching(r.user, _only(args, "ottimate_location_id"))
    found = [po for po in found if search_in(query, po.po_number, po.external_id, po.erp_vendor_id, po.erp_vendor_name)]
    receipts, _ = r.state.receipts.matching(r.user, {})
    counts = Counter(rc.ottimate_po_id for rc in receipts)
    return r.render(
        "purchase_orders.html",
        pos=found[:LIST_LIMIT],
        count=len(found),
        receipts=counts,
        locations=locations(r),
        location=args.get("ottimate_location_id", ""),
        query=query,
        names={loc.id: loc.name for loc in locations(r)},
    )


def purchase_order(r: Req, id: str) -> Response:
    po = r.state.purchase_orders.get(r.user, id)
    receipts, _ = r.state.receipts.matching(r.user, {"ottimate_po_id": po.id})
    return r.render(
        "purchase_order.html",
        po=po,
        receipts=receipts,
        location=r.state.org.locations[po.ottimate_location_id],
        item_dims={item.id: _dimension_names(r, item.dimensions) for item in po.items},
    )


def _dimension_names(r: Req, by_type: Mapping[str, str]) -> list[tuple[str, str]]:
    """PO item dimensions (type → dimension id) as (type, "name (erp id)")."""
    out = []
    for key, dim_id in sorted(by_type.items()):
        try:
            d = r.state.dimensions.get(r.user, dim_id)
            out.append((key, f"{d.name} ({d.erp_dimension_id})"))
        except ApiError:
            out.append((key, dim_id))
    return out


def receipts(r: Req) -> Response:
    args = r.request.args
    query = args.get("q", "")
    found, _ = r.state.receipts.matching(r.user, _only(args, "ottimate_location_id", "status"))
    found = [rc for rc in found if search_in(query, rc.receipt_number, rc.external_id, rc.ottimate_po_id)]
    pos = {po.id: po for po in r.state.purchase_orders.matching(r.user, {})[0]}
    return r.render(
        "receipts.html",
        receipts=found[:LIST_LIMIT],
        count=len(found),
        pos=pos,
        locations=locations(r),
        location=args.get("ottimate_location_id", ""),
        status_filter=args.get("status", ""),
        query=query,
        names={loc.id: loc.name for loc in locations(r)},
    )


def receipt(r: Req, id: str) -> Response:
    rc = r.state.receipts.get(r.user, id)
    po = r.state.purchase_orders.find(rc.ottimate_po_id)
    po_items = {item.id: item for item in po.items} if po is not None else {}
    return r.render("receipt.html", rc=rc, po=po, po_items=po_items)


def _only(args: Mapping[str, str], *names: str) -> dict[str, str]:
    return {n: args[n] for n in names if args.get(n)}


# -- catalog -------------------------------------------------------------------------------------------


def catalog(r: Req) -> Response:
    visible = companies(r)
    company_id = company_filter(r) or (visible[0].id if visible else None)
    query = r.request.args.get("q", "")
    if company_id is None:
        raise Refused(404, "Not found", "This API user sees no company, so no catalog.")
    cat = r.state.catalog
    entries = cat.matching_entries(r.user, {"ottimate_company_id": str(company_id), "search": query})
    variances = {
        e.id: (last, items) for e, last, items in cat.variances(r.user, {"ottimate_company_id": str(company_id)})
    }
    batches = sorted(
        (b for b in cat.variance_batches.values() if b.ottimate_company_id == company_id), key=lambda b: b.batch_number
    )
    return r.render(
        "catalog.html",
        entries=entries[:LIST_LIMIT],
        count=len(entries),
        companies=visible,
        company_id=company_id,
        query=query,
        prices={e.id: len(cat.prices_of(e)) for e in entries},
        allowances={e.id: len(cat.allowances_of(e)) for e in entries},
        variances=variances,
        vendor_name=cat.vendor_name,
        variance_batches=batches,
    )


def catalog_entry(r: Req, id: str) -> Response:
    cat = r.state.catalog
    entry = cat.get_entry(r.user, id)
    items = [i for i in cat.invoice_items(entry) if r.state.org.can_read_location(r.user, i.ottimate_location_id)]
    return r.render(
        "catalog_entry.html",
        entry=entry,
        vendor=cat.vendor_name(entry),
        prices=sorted(cat.prices_of(entry), key=lambda p: p.start_date),
        allowances=sorted(cat.allowances_of(entry), key=lambda a: a.start_date),
        items=items,
        locations={loc.id: loc.name for loc in r.state.org.locations.values()},
    )


# -- batches -------------------------------------------------------------------------------------------

KIND_LABELS: Final = {
    "purchase_orders": "Purchase orders (bulk)",
    "receipts": "Receipts (bulk)",
    "invoices": "Invoice import",
}


def batches(r: Req) -> Response:
    status = r.request.args.get("status", "")
    try:
        found = r.state.batches.matching(r.user, {"status": status} if status else {})
    except ApiError as exc:
        raise Refused(400, "Not accepted", exc.message) from None
    return r.render("batches.html", batches=found[:LIST_LIMIT], count=len(found), status_filter=status, kind=kind_label)


def batch(r: Req, id: str) -> Response:
    b = r.state.batches.get(r.user, id)
    return r.render("batch.html", b=b, kind=kind_label, compact=compact_json)


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize() + " (bulk)")


def compact_json(value: Any, limit: int = 600) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- static files --------------------------------------------------------------------------------------


def static(r: Req, name: str) -> Response:
    return r.dashboard.static(name)
