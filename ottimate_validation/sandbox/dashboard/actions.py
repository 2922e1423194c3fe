"""Acting as an end user: each action calls the backend method the API's handler calls, as the signed-in
API user, so the same rules decide (an illegal transition is refused with the API's own message) and the
integration sees in its next read what was done.

An invoice action carries the version of the invoice the page showed (its ETag, as the API's If-Match):
if the invoice changed since, the action is refused with 412 and nothing is done (`InvoiceStore.
require_version`, the rule PATCH /invoices/{id} applies to If-Match). The check and the action run under
the sandbox's lock, so nothing can change between them.

The dashboard offers every action on every invoice and lets the rules answer: it holds no copy of the
lifecycle, so it cannot drift from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from werkzeug.wrappers import Response

from ..contract import ErrorCode
from ..core.errors import ApiError
from ..invoices.models import Invoice
from .app import Req
from .pages import FORM_LINES, invoice_page, new_invoice, uploads

_HEADER_TEXT: Final = ("erp_vendor_id", "erp_vendor_name", "invoice_number", "invoice_date", "due_date")
_HEADER_MORE: Final = ("purchase_order", "notes", "currency", "type")
_HEADER_NUMBERS: Final = ("total_amount", "total_tax")


# -- invoice actions --------------------------------------------------------------------------------


def approve(r: Req, id: str) -> Response:
    def act(inv: Invoice) -> str:
        approval_id = r.form.get("approval_id", "")
        r.state.invoices.approvals.approve(r.user, inv.uuid, {"approval_id": approval_id})
        who = next(a.approver for a in inv.approvals if a.id == approval_id)
        return f"Approved as {who.display_name} ({who.email}); the invoice is now {inv.status}."

    return _on_invoice(r, id, act)


def force_approve(r: Req, id: str) -> Response:
    def act(inv: Invoice) -> str:
        r.state.invoices.approvals.force_approve(r.user, inv.uuid)
        return f"Force-approved, bypassing the approval chain; the invoice is now {inv.status}."

    return _on_invoice(r, id, act)


def flag(r: Req, id: str) -> Response:
    def act(inv: Invoice) -> str:
        reason = r.form.get("flagging_reason", "").strip() or None  # an empty reason is a flag without one
        r.state.invoices.flag(r.user, inv.uuid, reason)
        return f"Flagged{f' ({reason})' if reason else ''}; the invoice is now {inv.status}."

    return _on_invoice(r, id, act)


def mark_exported(r: Req, id: str) -> Response:
    def act(inv: Invoice) -> str:
        entry = {"invoice_id": inv.id, **_texts(r.form, "marked_reason", "export_transaction_id")}
        result = r.state.invoices.exports.mark_exported(r.user, {"invoices": [entry]}, None)
        _refuse_unless_updated(result, inv)
        return f"Marked as exported; the invoice is now {inv.status}."

    return _on_invoice(r, id, act)


def mark_unexported(r: Req, id: str) -> Response:
    def act(inv: Invoice) -> str:
        body: dict[str, Any] = {"invoices": [{"invoice_id": inv.id}], **_texts(r.form, "marked_reason")}
        if r.form.get("flag_invoice"):
            body["flag_invoice"] = True
        result = r.state.invoices.exports.mark_unexported(r.user, body)
        _refuse_unless_updated(result, inv)
        return f"Marked as not exported; the invoice is now {inv.status}."

    return _on_invoice(r, id, act)


def _refuse_unless_updated(result: Mapping[str, Any], inv: Invoice) -> None:
    """The export operations answer per invoice (200 with `failed` / `skipped`); one invoice's refusal is
    the dashboard's refusal, with the API's message for it."""
    if inv.id in result.get("updated", []):
        return
    problems = [*result.get("failed", []), *result.get("skipped", [])]
    message = next((p["error"] for p in problems if p.get("id") == inv.id), "the invoice was not updated")
    raise ApiError(message, code=ErrorCode.INVALID_TRANSITION, status=409)


def _on_invoice(r: Req, id: str, act: Callable[[Invoice], str]) -> Response:
    inv = r.state.invoices.get(r.user, id)  # an unknown id: the API's 404; out of scope: its 403
    seen = r.form.get("version", "")
    try:
        r.state.invoices.require_version(inv, seen)
    except ApiError:
        message = (
            f"This invoice changed since your page showed it (you saw {_version(seen)}, it is now at "
            f"{_version(inv.etag)}): nothing was done. It is shown below as it is now; check it and try again."
        )
        return invoice_page(r, inv, status=412, refusal=("Changed since you looked", message), stale=True)
    try:
        done = act(inv)
    except ApiError as exc:
        return invoice_page(r, inv, status=exc.status, refusal=("Refused: nothing was changed", exc.message))
    r.session.flash("ok", done)
    return r.redirect_to("invoice", id=inv.uuid)


def _version(etag: str) -> str:
    """``"<uuid>.3"`` → ``version 3``."""
    revision = etag.strip().strip('"').rpartition(".")[2]
    return f"version {revision}" if revision.isdigit() else "no version"


def _texts(form: Mapping[str, str], *names: str) -> dict[str, str]:
    return {n: form[n].strip() for n in names if form.get(n, "").strip()}


# -- creating an invoice by hand ----------------------------------------------------------------------


def create_invoice(r: Req) -> Response:
    """The form, as the JSON body POST /invoices takes, created by the API's own `create`."""
    values = _form_values(r.form)
    try:
        inv = r.state.invoices.create(r.user, invoice_body(values))
    except ApiError as exc:
        return new_invoice(r, status=exc.status, problem=exc.message, values=values)
    held = f": {inv.error}" if inv.error else ""
    r.session.flash("ok", f"Invoice {inv.invoice_number or inv.id} created; it is {inv.status}{held}.")
    return r.redirect_to("invoice", id=inv.uuid)


def _form_values(form: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {k: form.get(k, "").strip() for k in (*_HEADER_TEXT, *_HEADER_MORE, *_HEADER_NUMBERS)}
    values["ottimate_location_id"] = form.get("ottimate_location_id", "").strip()
    values["dimensions"] = {k[4:]: v for k, v in form.items() if k.startswith("dim:") and v.strip()}
    values["lines"] = [
        {f: form.get(f"line-{n}-{f}", "").strip() for f in ("name", "sku", "quantity", "price")}
        for n in range(FORM_LINES)
    ]
    return values


def invoice_body(values: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body a partner would send: empty fields left out, numbers as numbers where they read as
    numbers (else as typed, so the API's validation names the field)."""
    body: dict[str, Any] = {k: values[k] for k in (*_HEADER_TEXT, *_HEADER_MORE) if values.get(k)}
    location = values.get("ottimate_location_id", "")
    if location:
        body["ottimate_location_id"] = int(location) if location.isdigit() and len(location) < 19 else location
    for name in _HEADER_NUMBERS:
        if values.get(name):
            body[name] = _number(values[name])
    if values.get("dimensions"):
        body["dimensions"] = dict(values["dimensions"])
    items = []
    for line in values.get("lines", []):
        if not any(line.values()):
            continue
        item: dict[str, Any] = {k: line[k] for k in ("name", "sku") if line[k]}
        for k in ("quantity", "price"):
            if line[k]:
                item[k] = _number(line[k])
        items.append(item)
    if items:
        body["items"] = items
    return body


def _number(text: str) -> float | str:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return text


# -- uploading a document -------------------------------------------------------------------------------


def upload(r: Req) -> Response:
    """The file, as POST /invoices/upload takes it, by the API's own `upload` (size, type, location)."""
    file = r.request.files.get("file")
    fields = {k: r.form[k].strip() for k in ("ottimate_location_id", "created_email") if r.form.get(k, "").strip()}
    if file is None or not file.filename:
        return uploads(r, status=400, problem="Choose a file to upload.", values=fields)
    try:
        done = r.state.invoices.uploads.upload(r.user, fields, file.filename, file.read())
    except ApiError as exc:
        return uploads(r, status=exc.status, problem=exc.message, values=fields)
    r.session.flash(
        "ok",
        f"Uploaded {done.filename} as {done.id}; extraction makes it an invoice "
        f"{r.state.config.extraction_seconds:g} s later on the sandbox clock.",
    )
    return r.redirect_to("uploads")
