"""Acting as an end user: every action goes through the API's rules (a refusal carries the API's own
message), its effect is what the API reads next, and a forged or stale form changes nothing."""

from __future__ import annotations

import html
from typing import Any

import httpx
import pytest

from fixtures.documents import MAX_UPLOAD_BYTES
from ottimate_validation.sandbox import EmbeddedSandbox

from .world import World, advance, csrf_of, pdf_invoice, version_of


def _act(dash: httpx.Client, invoice_id: str, action: str, **form: str) -> httpx.Response:
    page = dash.get(f"/invoices/{invoice_id}")
    assert page.status_code == 200, page.text[:300]
    data = {"csrf": csrf_of(page.text), "version": version_of(page.text), **form}
    return dash.post(f"/invoices/{invoice_id}/{action}", data=data)


def _done(dash: httpx.Client, answer: httpx.Response) -> str:
    """The page a successful action leads to (303 back to the invoice), with its message."""
    assert answer.status_code == 303, answer.text[:2000]
    return dash.get(answer.headers["Location"]).text


def _shown(page: str) -> str:
    return html.unescape(page)


def test_approving_as_each_approver_moves_the_invoice_on_as_the_api_then_reads_it(
    dash: httpx.Client, api: httpx.Client, world: World
) -> None:
    inv = world.create_invoice(api)
    first, second = api.get(f"/invoices/{inv['id']}/approvers").json()["approvers"]
    page = _done(dash, _act(dash, inv["id"], "approve", approval_id=first["id"]))
    assert "Approved as Test Approver - Downtown 1 (approver1.downtown@example.test)" in page
    approvers = api.get(f"/invoices/{inv['id']}/approvers").json()["approvers"]
    assert [a["status"] for a in approvers] == ["approved", "pending"]
    assert api.get(f"/invoices/{inv['id']}").json()["status"] == "pending-approval"
    page = _done(dash, _act(dash, inv["id"], "approve", approval_id=second["id"]))
    assert "the invoice is now ready-for-export" in page
    after = api.get(f"/invoices/{inv['id']}").json()
    assert after["status"] == "ready-for-export" and after["approved_date_utc"]
    assert after["last_modified_user"]["email"].startswith(dash_user(dash))


def dash_user(dash: httpx.Client) -> str:
    page = dash.get("/").text
    return page.split("Signed in as <strong>")[1].split("<")[0]


def test_force_approve_is_what_the_api_reads_next(dash: httpx.Client, api: httpx.Client, world: World) -> None:
    inv = world.create_invoice(api)
    page = _done(dash, _act(dash, inv["id"], "force-approve"))
    assert "Force-approved, bypassing the approval chain; the invoice is now ready-for-export." in page
    assert api.get(f"/invoices/{inv['id']}").json()["status"] == "ready-for-export"
    history = api.get(f"/invoices/{inv['id']}", params={"expand": "history"}).json()["history"]
    assert any("force-approved" in h["message"] for h in history)


def test_flagging_with_a_reason_is_what_the_api_reads_next(dash: httpx.Client, api: httpx.Client, world: World) -> None:
    inv = world.create_invoice(api)
    page = _done(dash, _act(dash, inv["id"], "flag", flagging_reason="Test Invoice - wrong total"))
    assert "Flagged (Test Invoice - wrong total); the invoice is now incomplete." in page
    after = api.get(f"/invoices/{inv['id']}").json()
    assert after["status"] == "incomplete" and after["error"] == "Test Invoice - wrong total"


def test_marking_exported_then_unexported_is_what_the_api_reads_next(
    dash: httpx.Client, api: httpx.Client, world: World
) -> None:
    inv = world.create_invoice(api)
    assert api.post(f"/invoices/{inv['id']}/force-approve").status_code == 200
    _done(
        dash, _act(dash, inv["id"], "mark-exported", marked_reason="Test Invoice - sent", export_transaction_id="TX-9")
    )
    after = api.get(f"/invoices/{inv['id']}").json()
    assert after["status"] == "exported" and after["exported_date_utc"]
    receivers = api.get(
        "/invoices/receiver-export",
        params={"ottimate_company_id": world.company_id, "ottimate_location_id": world.location_id},
    ).json()["results"]
    assert inv["invoice_id"] in [r["invoice_id"] for r in receivers]
    page = _done(dash, _act(dash, inv["id"], "mark-unexported", marked_reason="Test Invoice - undo", flag_invoice="1"))
    assert "Marked as not exported; the invoice is now incomplete." in page
    after = api.get(f"/invoices/{inv['id']}").json()
    assert after["status"] == "incomplete" and "exported_date" not in after


def test_an_illegal_transition_is_refused_with_the_apis_own_message(
    dash: httpx.Client, api: httpx.Client, world: World
) -> None:
    exported = world.invoices["exported"]
    by_api = api.post(f"/invoices/{exported['id']}/force-approve")
    assert by_api.status_code == 409
    refused = _act(dash, exported["id"], "force-approve")
    assert refused.status_code == 409
    assert by_api.json()["message"] in _shown(refused.text)
    assert "Refused: nothing was changed" in refused.text
    assert api.get(f"/invoices/{exported['id']}").json()["status"] == "exported"


def test_exporting_an_invoice_not_ready_is_refused_with_the_apis_message_for_it(
    dash: httpx.Client, api: httpx.Client, world: World
) -> None:
    inv = world.create_invoice(api)
    by_api = api.post("/invoices/mark-exported", json={"invoices": [{"invoice_id": inv["invoice_id"]}]}).json()
    refused = _act(dash, inv["id"], "mark-exported")
    assert refused.status_code == 409 and by_api["failed"][0]["error"] in _shown(refused.text)
    unexport = _act(dash, inv["id"], "mark-unexported")
    assert unexport.status_code == 409 and "the invoice is not exported (status pending-approval)" in unexport.text
    assert api.get(f"/invoices/{inv['id']}").json()["status"] == "pending-approval"


def test_approving_for_an_approver_not_on_the_invoice_is_the_apis_404(
    dash: httpx.Client, api: httpx.Client, world: World
) -> None:
    inv = world.create_invoice(api)
    refused = _act(dash, inv["id"], "approve", approval_id="pbjappr_not_there")
    assert refused.status_code == 404 and "no such approver on this invoice" in refused.text


def test_a_stale_page_is_refused_and_nothing_changes(dash: httpx.Client, api: httpx.Client, world: World) -> None:
    inv = world.create_invoice(api)
    page = dash.get(f"/invoices/{inv['id']}").text
    first = api.get(f"/invoices/{inv['id']}/approvers").json()["approvers"][0]
    patched = api.patch(f"/invoices/{inv['id']}", json={"notes": "Test Invoice - changed meanwhile"})
    assert patched.status_code == 200
    stale = dash.post(
        f"/invoices/{inv['id']}/approve",
        data={"csrf": csrf_of(page), "version": version_of(page), "approval_id": first["id"]},
    )
    assert stale.status_code == 412
    assert "This invoice changed since your page showed it (you saw version 1, it is now at version 2)" in stale.text
    assert "nothing was done" in stale.text and "Test Invoice - changed meanwhile" in stale.text  # shown as it is now
    assert [a["status"] for a in api.get(f"/invoices/{inv['id']}/approvers").json()["approvers"]] == ["pending"] * 2
    missing = dash.post(f"/invoices/{inv['id']}/force-approve", data={"csrf": csrf_of(page)})
    assert missing.status_code == 412 and "you saw no version" in missing.text
    assert api.get(f"/invoices/{inv['id']}").json()["status"] == "pending-approval"


@pytest.mark.parametrize("csrf", [None, "forged-token"])
def test_a_form_without_its_csrf_token_changes_nothing(
    dash: httpx.Client, api: httpx.Client, world: World, csrf: str | None
) -> None:
    inv = world.create_invoice(api)
    page = dash.get(f"/invoices/{inv['id']}").text
    data = {"version": version_of(page), **({"csrf": csrf} if csrf else {})}
    forged = dash.post(f"/invoices/{inv['id']}/force-approve", data=data)
    assert forged.status_code == 403
    assert "This form did not come from this dashboard page" in _shown(forged.text)
    assert api.get(f"/invoices/{inv['id']}").json()["status"] == "pending-approval"


def test_a_form_posted_from_another_site_changes_nothing(
    sandbox: EmbeddedSandbox, dash: httpx.Client, api: httpx.Client, world: World
) -> None:
    inv = world.create_invoice(api)
    page = dash.get(f"/invoices/{inv['id']}").text
    data = {"csrf": csrf_of(page), "version": version_of(page)}
    for origin in ("https://evil.example", "null"):
        forged = dash.post(f"/invoices/{inv['id']}/force-approve", data=data, headers={"Origin": origin})
        assert forged.status_code == 403, origin
    assert api.get(f"/invoices/{inv['id']}").json()["status"] == "pending-approval"
    same = dash.post(f"/invoices/{inv['id']}/force-approve", data=data, headers={"Origin": sandbox.url})
    assert same.status_code == 303


def _new_invoice_form(dash: httpx.Client, world: World, **fields: str) -> dict[str, str]:
    page = dash.get("/invoices/new").text
    form = {
        "csrf": csrf_of(page),
        "ottimate_location_id": str(world.location_id),
        "erp_vendor_id": world.erp_vendor_id,
        "invoice_number": "TI-HAND-1",
        "invoice_date": "2026-11-04",
        "due_date": "2026-12-04",
        "total_amount": "27.00",
        "total_tax": "2.00",
        "currency": "USD",
        "dim:GLACCOUNT": "SEED-GLACCOUNT-1",
        "line-0-name": "Test Invoice - Pears",
        "line-0-sku": "PER-1",
        "line-0-quantity": "5",
        "line-0-price": "3",
        "line-1-name": "Test Invoice - Figs",
        "line-1-quantity": "2",
        "line-1-price": "5",
    }
    form.update(fields)
    return form


def test_an_invoice_created_by_hand_is_what_the_api_reads_next(
    dash: httpx.Client, api: httpx.Client, world: World
) -> None:
    created = dash.post("/invoices", data=_new_invoice_form(dash, world))
    page = _done(dash, created)
    assert "Invoice TI-HAND-1 created; it is pending-approval." in page
    found = api.get("/invoices", params={"search": "TI-HAND-1"}).json()["results"]
    assert len(found) == 1
    inv = api.get(f"/invoices/{found[0]['id']}").json()
    assert (inv["status"], inv["total_amount"], inv["invoice_date"]) == ("pending-approval", 27.0, "2026-11-04")
    assert inv["dimensions"] == {"GLACCOUNT": "SEED-GLACCOUNT-1"}
    assert [(i["name"], i["sku"], i["quantity"], i["price"]) for i in inv["items"]] == [
        ("Test Invoice - Pears", "PER-1", 5.0, 3.0),
        ("Test Invoice - Figs", None, 2.0, 5.0),
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ottimate_location_id": ""}, "ottimate_location_id: Field required"),
        ({"line-0-quantity": "five"}, "items.0.quantity: Input should be a valid number"),
        ({"invoice_date": "04/11/2026"}, "invoice_date: Value error, must be a date YYYY-MM-DD"),
        ({"ottimate_location_id": "99999"}, "ottimate_location_id 99999 is outside this API user's scope"),
    ],
)
def test_an_invoice_the_api_refuses_shows_its_message_and_keeps_what_was_typed(
    dash: httpx.Client, api: httpx.Client, world: World, fields: dict[str, str], message: str
) -> None:
    before = api.get("/invoices").json()["count"]
    refused = dash.post("/invoices", data=_new_invoice_form(dash, world, invoice_number="TI-HAND-NOT", **fields))
    assert refused.status_code in (400, 403)
    assert message in _shown(refused.text) and "Not created: nothing was changed" in refused.text
    assert 'value="TI-HAND-NOT"' in refused.text and 'value="Test Invoice - Pears"' in refused.text
    assert api.get("/invoices").json()["count"] == before


def _upload(dash: httpx.Client, world: World, name: str, content: bytes, ctype: str, **extra: Any) -> httpx.Response:
    page = dash.get("/uploads").text
    data = {"csrf": csrf_of(page), "ottimate_location_id": str(world.location_id), **extra}
    return dash.post("/uploads", data=data, files={"file": (name, content, ctype)}, timeout=60)


def test_an_uploaded_document_becomes_the_invoice_the_api_reads_after_extraction(
    sandbox: EmbeddedSandbox, dash: httpx.Client, api: httpx.Client, world: World
) -> None:
    done = _upload(
        dash, world, "by-hand.pdf", pdf_invoice("TI-UP-1"), "application/pdf", created_email="ap@example.test"
    )
    page = dash.get(done.headers["Location"]).text
    assert done.status_code == 303 and "Uploaded by-hand.pdf as upl_" in page
    upload_id = page.split("Uploaded by-hand.pdf as ")[1].split(";")[0]
    pending = api.get("/invoices/uploads", params={"ottimate_location_id": world.location_id}).json()["results"]
    assert upload_id in [u["id"] for u in pending]
    advance(sandbox, 31)
    found = api.get("/invoices", params={"search": upload_id}).json()["results"]
    assert [(f["invoice_number"], f["status"]) for f in found] == [("TI-UP-1", "pending-approval")]
    shown = dash.get(f"/invoices/{found[0]['id']}").text
    assert "What extraction read from by-hand.pdf" in shown and "<iframe" in shown


def test_a_file_that_is_not_a_document_is_refused_with_the_apis_message(
    dash: httpx.Client, api: httpx.Client, world: World
) -> None:
    before = api.get("/invoices/uploads").json()["count"]
    refused = _upload(dash, world, "invoice.pdf", b"just text, named like a PDF", "application/pdf")
    assert refused.status_code == 400
    assert "Not uploaded: nothing was changed" in refused.text
    assert "the file is not a PDF, JPG/JPEG, PNG or TIFF (judged by its content, not its name)" in refused.text
    assert f'<option value="{world.location_id}" selected>' in refused.text  # the form keeps what was chosen
    assert api.get("/invoices/uploads").json()["count"] == before
    empty = dash.post("/uploads", data={"csrf": csrf_of(dash.get("/uploads").text)})
    assert empty.status_code == 400 and "Choose a file to upload" in empty.text


def test_a_file_over_the_apis_limit_is_refused_with_its_message(
    dash: httpx.Client, api: httpx.Client, world: World
) -> None:
    before = api.get("/invoices/uploads").json()["count"]
    big = b"%PDF-1.4\n" + b"0" * MAX_UPLOAD_BYTES
    refused = _upload(dash, world, "big.pdf", big, "application/pdf")
    assert refused.status_code == 413 and "the file is larger than 25 MB" in refused.text
    assert api.get("/invoices/uploads").json()["count"] == before


def test_a_body_larger_than_any_upload_is_refused_unread(sandbox: EmbeddedSandbox, dash: httpx.Client) -> None:
    page = dash.get("/uploads").text
    huge = b"%PDF-1.4\n" + b"0" * (27 * 1024 * 1024)
    refused = dash.post(
        "/uploads", data={"csrf": csrf_of(page)}, files={"file": ("huge.pdf", huge, "application/pdf")}, timeout=60
    )
    assert refused.status_code == 413 and "larger than 26 MB: nothing was changed" in refused.text
    assert refused.headers.get("Connection") == "close"
    with httpx.Client() as fresh:  # the sandbox goes on serving
        assert fresh.get(f"{sandbox.url}/_sandbox/health").status_code == 200
