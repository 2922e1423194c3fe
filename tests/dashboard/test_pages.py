"""Every page renders what the API holds, for the signed-in API user; unknown ids and wrong methods are
clear pages, never a traceback."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from ottimate_validation.sandbox import EmbeddedSandbox

from .world import PAGES, SEEDED_VENDOR, World, advance


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_renders_what_the_api_holds(dash: httpx.Client, world: World, name: str) -> None:
    path, wanted = PAGES[name](world)
    page = dash.get(path)
    assert page.status_code == 200, page.text[:500]
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    missing = [text for text in wanted if text not in page.text]
    assert not missing, f"{path} lacks {missing}"
    assert "Traceback" not in page.text


def test_the_uploaded_document_is_served_inline_as_what_its_content_is(dash: httpx.Client, world: World) -> None:
    document = dash.get(f"/invoices/{world.extracted['id']}/document")
    assert document.status_code == 200 and document.content.startswith(b"%PDF-")
    assert document.headers["Content-Type"] == "application/pdf"
    assert document.headers["Content-Disposition"] == 'inline; filename="tomatoes.pdf"'
    assert document.headers["X-Content-Type-Options"] == "nosniff"
    structured = dash.get(f"/invoices/{world.invoices['exported']['id']}/document")
    assert structured.status_code == 404 and "has no uploaded document" in structured.text


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/invoices/00000000-0000-4000-8000-000000000000", "invoice 00000000-0000-4000-8000-000000000000 not found"),
        ("/invoices/424242", "invoice 424242 not found"),
        ("/purchase-orders/no-such-po", "purchase order no-such-po not found"),
        ("/receipts/no-such-receipt", "receipt no-such-receipt not found"),
        ("/catalog/cte_0", "catalog entry cte_0 not found"),
        ("/batches/bat_nope", "batch bat_nope not found"),
        ("/log/99999999", "Exchange #99999999 is not in the request log"),
        ("/log/99999999.json", "Exchange #99999999 is not in the request log"),
        ("/static/nope.js", "There is no static file nope.js"),
        ("/no/such/page", "There is no dashboard page at /_dashboard/no/such/page"),
        ("/vendors?company=77", "There is no company 77 that this API user can see"),
    ],
)
def test_an_unknown_id_is_a_clear_404_page(dash: httpx.Client, path: str, message: str) -> None:
    page = dash.get(path)
    assert page.status_code == 404
    assert message in page.text and "Traceback" not in page.text


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("GET", "/invoices/x/approve", "POST"), ("DELETE", "/invoices", "GET, HEAD, POST"), ("GET", "/sign-out", "POST"),
     ("PUT", "/uploads", "GET, HEAD, POST")],
)  # fmt: skip
def test_a_wrong_method_is_a_405_page_naming_the_right_ones(
    dash: httpx.Client, method: str, path: str, allowed: str
) -> None:
    page = dash.request(method, path)
    assert page.status_code == 405 and page.headers["Allow"] == allowed
    assert f"{method} is not allowed on /_dashboard{path}; use {allowed}." in page.text


def test_lists_filter_as_the_api_does(dash: httpx.Client, world: World) -> None:
    exported = dash.get("/invoices", params={"status": "exported"}).text
    assert world.invoices["exported"]["invoice_number"] in exported
    assert world.invoices["pending-approval"]["invoice_number"] + "<" not in exported
    found = dash.get("/invoices", params={"q": "TI-PDF-1"}).text
    assert "1 invoices, newest first" in found
    refused = dash.get("/invoices", params={"status": "lost"})
    assert refused.status_code == 200 and "Filter not applied: status must be one of processing" in refused.text
    vendors = dash.get("/vendors", params={"q": world.erp_vendor_id}).text
    assert "1 vendors." in vendors and SEEDED_VENDOR in vendors
    dims = dash.get("/dimensions", params={"erp_type": "Department", "company": str(world.company_id)}).text
    assert "Test Dimension - Kitchen" in dims and "Test Dimension - Food Cost" not in dims
    pos = dash.get("/purchase-orders", params={"q": "PO-BULK"}).text
    assert "PO-BULK-1" in pos and "PO-DASH-1" not in pos


def test_a_pending_upload_leaves_the_uploads_page_when_extraction_makes_it_an_invoice(
    sandbox: EmbeddedSandbox, dash: httpx.Client, world: World
) -> None:
    assert world.pending_upload in dash.get("/uploads").text.split("Upload a document")[0]
    advance(sandbox, 31)
    page = dash.get("/uploads").text
    assert world.pending_upload not in page.split("Upload a document")[0]
    assert "TI-PDF-2" in page.split("Extracted recently")[1]


def test_a_page_that_fails_is_a_plain_500_page_never_a_traceback(
    sandbox: EmbeddedSandbox, dash: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sandbox.dashboard is not None
    route = sandbox.dashboard.routes["overview"]

    def broken(r: object) -> None:
        raise RuntimeError("secret internals: /srv/app.py line 3")

    monkeypatch.setitem(sandbox.dashboard.routes, "overview", dataclasses.replace(route, view=broken))
    page = dash.get("/")
    assert page.status_code == 500 and "Something went wrong" in page.text
    assert "Traceback" not in page.text and "secret internals" not in page.text
