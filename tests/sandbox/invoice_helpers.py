"""Helpers for the invoice tests: seed invoices through the API and bring them into a given status."""

from __future__ import annotations

from typing import Any

import httpx
from faker import Faker

from fixtures.documents import InvoiceDocument, invoice_contents, invoice_pdf

from .conftest import Box

SEEDED_VENDOR = "Test Vendor - Produce Supplier"


def location(box: Box, api: httpx.Client, n: int = 0) -> dict[str, Any]:
    account = api.get("/accounts").json()["results"][0]["id"]
    return dict(api.get(f"/accounts/{account}/locations").json()["results"][n])


def vendor_erp_id(api: httpx.Client, company_id: int, name: str = SEEDED_VENDOR) -> str:
    vendors = api.get("/vendors", params={"ottimate_company_id": company_id}).json()["vendors"]
    return str(next(v["erp_vendor_id"] for v in vendors if v["erp_vendor_name"] == name))


def invoice_body(location_id: int, erp_vendor_id: str, n: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "ottimate_location_id": location_id,
        "erp_vendor_id": erp_vendor_id,
        "invoice_number": f"TI-H-{n}",
        "invoice_date": "2026-11-01",
        "due_date": "2026-12-01",
        "total_amount": 32.5,
        "total_tax": 2.5,
        "items": [
            {"name": "Test Invoice - Apples", "quantity": 2, "price": 10.0, "sku": "APL-1"},
            {"name": "Test Invoice - Milk", "quantity": 4, "price": 2.5},
        ],
        **extra,
    }


class Seeder:
    """Creates invoices for one location and moves them through the lifecycle through the API only."""

    def __init__(self, box: Box, api: httpx.Client) -> None:
        self.box, self.api = box, api
        self.loc = location(box, api)  # Downtown, a location of the first company
        self.company_id = box.ids(api)[1][0]
        self.erp_vendor_id = vendor_erp_id(api, self.company_id)
        self.n = 0

    def body(self, **extra: Any) -> dict[str, Any]:
        self.n += 1
        return invoice_body(self.loc["id"], self.erp_vendor_id, self.n, **extra)

    def create(self, **extra: Any) -> dict[str, Any]:
        r = self.api.post("/invoices", json=self.body(**extra))
        assert r.status_code == 201, r.text
        return dict(r.json())

    def in_status(self, status: str) -> dict[str, Any]:
        if status == "needs-attention":
            inv = self.create(items=[])
        else:
            inv = self.create()
            if status == "incomplete":
                self._ok(self.api.post(f"/invoices/{inv['id']}/flag", json={"flagging_reason": "Test Invoice - hold"}))
            elif status in ("ready-for-export", "exported"):
                self._ok(self.api.post(f"/invoices/{inv['id']}/force-approve"))
                if status == "exported":
                    r = self.api.post("/invoices/mark-exported", json={"invoices": [{"invoice_id": inv["invoice_id"]}]})
                    assert r.json()["updated"] == [inv["invoice_id"]], r.text
        got = self.get(inv["id"])
        assert got["status"] == status, got
        return got

    def get(self, invoice_id: str) -> dict[str, Any]:
        r = self.api.get(f"/invoices/{invoice_id}")
        assert r.status_code == 200, r.text
        return dict(r.json())

    @staticmethod
    def _ok(r: httpx.Response) -> None:
        assert r.status_code == 200, r.text


def pdf_for(faker: Faker, vendor: str = SEEDED_VENDOR, **kwargs: Any) -> InvoiceDocument:
    return invoice_pdf(invoice_contents(faker, vendor, bill_to="Test Location - Downtown"), **kwargs)


def upload(
    api: httpx.Client, location_id: int, filename: str, content: bytes, ctype: str, timeout: float = 30, **headers: str
) -> httpx.Response:
    return api.post(
        "/invoices/upload",
        data={"ottimate_location_id": str(location_id)},
        files={"file": (filename, content, ctype)},
        headers=headers,
        timeout=timeout,  # a 25 MB body takes a while on a loaded machine
    )


def extract(box: Box, seconds: float = 31) -> None:
    box.control("POST", "clock", json={"advance_seconds": seconds})
