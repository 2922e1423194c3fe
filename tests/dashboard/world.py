"""A sandbox with something on every dashboard page, made through the API only (as an integration would),
and the helpers the dashboard's tests share: an API client, a signed-in dashboard client, form tokens."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from fixtures.documents import InvoiceContents, Line, invoice_pdf
from ottimate_validation.sandbox import EmbeddedSandbox

SEEDED_VENDOR = "Test Vendor - Produce Supplier"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_VERSION = re.compile(r'name="version" value="([^"]+)"')


def csrf_of(page: str) -> str:
    found = _CSRF.search(page)
    assert found, "the page carries a CSRF token"
    return html.unescape(found.group(1))


def version_of(page: str) -> str:
    found = _VERSION.search(page)
    assert found, "the invoice page carries its version"
    return html.unescape(found.group(1))


def api_client(sb: EmbeddedSandbox, user: str = "account") -> httpx.Client:
    u = sb.users[user]
    token = httpx.post(
        f"{sb.auth_url}/oauth/token",
        data={"grant_type": "client_credentials", "client_id": u.client_id, "client_secret": u.client_secret},
        headers={"X-Api-Key": u.api_key},
    )
    assert token.status_code == 200, token.text
    return httpx.Client(
        base_url=sb.api_url,
        headers={"X-Api-Key": u.api_key, "Authorization": f"Bearer {token.json()['access_token']}"},
        timeout=30,
    )


@contextmanager
def dashboard_client(sb: EmbeddedSandbox, user: str = "account") -> Iterator[httpx.Client]:
    """An httpx client signed in to the dashboard through a one-time link (cookies kept, no redirects)."""
    with httpx.Client(base_url=f"{sb.url}/_dashboard", follow_redirects=False, timeout=30) as client:
        link = sb.dashboard_link(user)
        assert link is not None
        signed = client.get(link)
        assert signed.status_code == 303, signed.text
        yield client


def advance(sb: EmbeddedSandbox, seconds: float) -> None:
    r = httpx.post(f"{sb.url}/_sandbox/clock", json={"advance_seconds": seconds})
    assert r.status_code == 200, r.text


def pdf_invoice(number: str = "TI-PDF-1", vendor: str = SEEDED_VENDOR) -> bytes:
    from datetime import date

    contents = InvoiceContents(
        number=number,
        invoice_date=date(2026, 11, 2),
        due_date=date(2026, 12, 2),
        vendor_name=vendor,
        bill_to="Test Location - Downtown",
        lines=(
            Line("Test Invoice - Roma Tomatoes", 3, Decimal("12.50")),
            Line("Test Invoice - Yellow Onions", 2, Decimal("4.25")),
        ),
        tax=Decimal("2.00"),
    )
    return invoice_pdf(contents).content


@dataclass
class World:
    """What was made: ids to look for on the pages."""

    company_id: int
    location_id: int
    erp_vendor_id: str
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)  # by status
    extracted: dict[str, Any] = field(default_factory=dict)
    po: dict[str, Any] = field(default_factory=dict)
    receipt: dict[str, Any] = field(default_factory=dict)
    entry: dict[str, Any] = field(default_factory=dict)
    batch_id: str = ""
    pending_upload: str = ""
    n: int = 0

    def invoice_body(self, **extra: Any) -> dict[str, Any]:
        self.n += 1
        return {
            "ottimate_location_id": self.location_id,
            "erp_vendor_id": self.erp_vendor_id,
            "invoice_number": f"TI-DASH-{self.n}",
            "invoice_date": "2026-11-01",
            "due_date": "2026-12-01",
            "total_amount": 32.5,
            "total_tax": 2.5,
            "dimensions": {"GLACCOUNT": "SEED-GLACCOUNT-1"},
            "items": [
                {"name": "Test Invoice - Apples", "quantity": 2, "price": 10.0, "sku": "APL-1"},
                {
                    "name": "Test Invoice - Milk",
                    "quantity": 4,
                    "price": 2.5,
                    "dimensions": {"Department": "SEED-DEPARTMENT-2"},
                },
            ],
            **extra,
        }

    def create_invoice(self, api: httpx.Client, **extra: Any) -> dict[str, Any]:
        r = api.post("/invoices", json=self.invoice_body(**extra))
        assert r.status_code == 201, r.text
        return dict(r.json())


def build(sb: EmbeddedSandbox) -> World:
    """Invoices in several statuses, an extracted PDF upload and a pending one, a PO with a receipt, a
    catalog entry with a price and an allowance, and a finished bulk batch."""
    with api_client(sb) as api:
        account = api.get("/accounts").json()["results"][0]["id"]
        company_id = api.get(f"/accounts/{account}/companies").json()["results"][0]["id"]
        location_id = api.get(f"/accounts/{account}/locations").json()["results"][0]["id"]
        vendors = api.get("/vendors", params={"ottimate_company_id": company_id}).json()["vendors"]
        erp_vendor_id = next(v["erp_vendor_id"] for v in vendors if v["erp_vendor_name"] == SEEDED_VENDOR)
        world = World(company_id, location_id, erp_vendor_id)

        world.invoices["pending-approval"] = world.create_invoice(api)
        ready = world.create_invoice(api)
        assert api.post(f"/invoices/{ready['id']}/force-approve").status_code == 200
        world.invoices["ready-for-export"] = ready
        exported = world.create_invoice(api)
        assert api.post(f"/invoices/{exported['id']}/force-approve").status_code == 200
        marked = api.post("/invoices/mark-exported", json={"invoices": [{"invoice_id": exported["invoice_id"]}]})
        assert marked.json()["updated"] == [exported["invoice_id"]], marked.text
        world.invoices["exported"] = exported
        world.invoices["needs-attention"] = world.create_invoice(api, items=[])

        uploaded = api.post(
            "/invoices/upload",
            data={"ottimate_location_id": str(location_id)},
            files={"file": ("tomatoes.pdf", pdf_invoice(), "application/pdf")},
        )
        assert uploaded.status_code == 200, uploaded.text
        advance(sb, 31)
        found = api.get("/invoices", params={"search": uploaded.json()["reference_id"]}).json()["results"]
        assert len(found) == 1, found
        world.extracted = found[0]
        pending = api.post(
            "/invoices/upload",
            data={"ottimate_location_id": str(location_id)},
            files={"file": ("later.pdf", pdf_invoice("TI-PDF-2"), "application/pdf")},
        )
        world.pending_upload = pending.json()["reference_id"]

        po = api.post(
            "/purchase-orders",
            json={
                "ottimate_location_id": location_id,
                "external_id": "EXT-PO-DASH-1",
                "po_number": "PO-DASH-1",
                "erp_vendor_id": erp_vendor_id,
                "erp_vendor_name": SEEDED_VENDOR,
                "date": "2026-11-01",
                "total_amount": 45.0,
                "items": [
                    {
                        "external_id": "EXT-PO-DASH-1-1",
                        "name": "Test Item - Tomatoes",
                        "sku": "SKU-DASH-A",
                        "quantity": 10,
                        "price": 2.5,
                        "dimensions": {"Department": "SEED-DEPARTMENT-2"},
                    },
                    {
                        "external_id": "EXT-PO-DASH-1-2",
                        "name": "Test Item - Onions",
                        "sku": "SKU-DASH-B",
                        "quantity": 10,
                        "price": 2,
                    },
                ],
            },
        )
        assert po.status_code == 201, po.text
        world.po = po.json()
        receipt = api.post(
            "/receipts",
            json={
                "ottimate_po_id": world.po["id"],
                "external_id": "EXT-RC-DASH-1",
                "receipt_number": "RC-DASH-1",
                "date": "2026-11-03",
                "total_amount": 25.0,
                "items": [{"sku": "SKU-DASH-A", "quantity": 10}],
            },
        )
        assert receipt.status_code == 201, receipt.text
        world.receipt = receipt.json()

        entry = api.post(
            "/catalog/entries",
            json={
                "ottimate_company_id": company_id,
                "erp_vendor_id": erp_vendor_id,
                "item_name": "Test Item - Apples",
                "sku": "APL-1",
                "size": "12 ct",
                "uom": "case",
                "price": 9.5,
                "prices": None,
                "allowances": None,
            },
        )
        assert entry.status_code in (200, 201), entry.text
        world.entry = entry.json()
        entry_id = world.entry["id"]
        price = api.post(
            "/catalog/prices",
            json={
                "ottimate_company_id": company_id,
                "catalog_entry_id": entry_id,
                "price": 9.75,
                "start_date": "2026-01-01",
            },
        )
        assert price.status_code in (200, 201), price.text
        allowance = api.post(
            "/catalog/allowances",
            json={
                "ottimate_company_id": company_id,
                "catalog_entry_id": entry_id,
                "amount": 0.5,
                "start_date": "2026-01-01",
                "reference_id": "ALW-DASH-1",
            },
        )
        assert allowance.status_code in (200, 201), allowance.text

        bulk = api.post(
            "/purchase-orders/bulk",
            json={
                "ottimate_company_id": company_id,
                "ottimate_location_id": location_id,
                "purchase_orders": [
                    {
                        "po_number": "PO-BULK-1",
                        "external_id": "EXT-BULK-1",
                        "erp_vendor_id": erp_vendor_id,
                        "date": "2026-11-05",
                        "total_amount": 5.0,
                        "items": [{"name": "Test Item - Lemons", "quantity": 1, "price": 5.0}],
                    },
                    {"po_number": "PO-BULK-2"},
                ],
            },
        )
        assert bulk.status_code == 202, bulk.text
        world.batch_id = bulk.json()["batch_id"]
        advance(sb, 5)
        assert api.get(f"/batch/{world.batch_id}/progress").json()["status"] == "completed"
    return world


#: Every dashboard page, as (path, texts it must show) for a world.
Expect = Callable[[World], tuple[str, list[str]]]

PAGES: dict[str, Expect] = {
    "overview": lambda w: ("/", ["Invoices by status", "uploads being extracted"]),
    "organisation": lambda w: (
        "/organisation",
        [
            "Test Account - Harbor Restaurant Group",
            "Test Company - Harbor Bakeries",
            "Test Location - Old Town",
            "Test Group - Travel",
            "location",
            "accounts.can_access_dashboard",
        ],
    ),
    "vendors": lambda w: ("/vendors", [SEEDED_VENDOR, w.erp_vendor_id, "Net 30"]),
    "dimensions": lambda w: ("/dimensions", ["Test Dimension - Food Cost", "SEED-GLACCOUNT-1", "GLACCOUNT"]),
    "invoices": lambda w: ("/invoices", [w.invoices["exported"]["invoice_number"], "needs-attention", "TI-PDF-1"]),
    "new invoice": lambda w: ("/invoices/new", ["Create an invoice by hand", 'name="line-0-quantity"', SEEDED_VENDOR]),
    "invoice": lambda w: (
        f"/invoices/{w.invoices['pending-approval']['id']}",
        [
            "Test Approver - Downtown 1",
            "approver2.downtown@example.test",
            "Test Policy - Two approvers per location",
            "Test Dimension - Food Cost",
            "Test Dimension - Kitchen",
            "Test Invoice - Apples",
            "entered the approval workflow",
        ],
    ),
    "exported invoice": lambda w: (f"/invoices/{w.invoices['exported']['id']}", ["exported", "marked as exported"]),
    "extracted invoice": lambda w: (
        f"/invoices/{w.extracted['id']}",
        [
            "What extraction read from tomatoes.pdf",
            "Test Invoice - Roma Tomatoes",
            "Complete and consistent",
            "<iframe",
        ],
    ),
    "uploads": lambda w: ("/uploads", [w.pending_upload, "later.pdf", "tomatoes.pdf", 'enctype="multipart/form-data"']),
    "purchase orders": lambda w: ("/purchase-orders", ["PO-DASH-1", "EXT-PO-DASH-1", "three-way"]),
    "purchase order": lambda w: (
        f"/purchase-orders/{w.po['id']}",
        ["Test Item - Tomatoes", "Test Dimension - Kitchen", "RC-DASH-1"],
    ),
    "receipts": lambda w: ("/receipts", ["RC-DASH-1", "PO-DASH-1"]),
    "receipt": lambda w: (f"/receipts/{w.receipt['id']}", ["SKU-DASH-A", "PO-DASH-1"]),
    "catalog": lambda w: (
        "/catalog",
        ["Test Item - Apples", "Test Item - Roma Tomatoes 25 lb", "Test Cost Batch 2", "+1.50"],
    ),
    "catalog entry": lambda w: (f"/catalog/{w.entry['id']}", ["9.75", "ALW-DASH-1", "Test Invoice - Apples", "+0.25"]),
    "batches": lambda w: ("/batches", [w.batch_id, "Purchase orders (bulk)", "completed"]),
    "batch": lambda w: (f"/batches/{w.batch_id}", ["PO-BULK-1", "failed", "purchase_orders[1]"]),
    "request log": lambda w: ("/log", ["/v1/purchase-orders/bulk", "Request log"]),
}
