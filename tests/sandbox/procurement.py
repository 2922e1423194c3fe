"""Request bodies and helpers shared by the batch, catalog, purchase-order and receipt tests."""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import Box


def location_of(box: Box, api: httpx.Client, n: int = 0) -> int:
    return box.ids(api)[2][n]


def po_body(location_id: int, n: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "ottimate_location_id": location_id,
        "external_id": f"EXT-PO-{n}",
        "po_number": f"PO-{n}",
        "erp_vendor_id": "SEED-V-1",
        "erp_vendor_name": "Test Vendor - Produce Supplier",
        "date": "2026-11-01",
        "total_amount": 45.0,
        "items": [
            {
                "external_id": f"EXT-PO-{n}-1",
                "name": "Test Item - Tomatoes",
                "sku": f"SKU-{n}-A",
                "quantity": 10,
                "price": 2.5,
            },
            {
                "external_id": f"EXT-PO-{n}-2",
                "name": "Test Item - Onions",
                "sku": f"SKU-{n}-B",
                "quantity": 10,
                "price": 2,
            },
        ],
        **extra,
    }


def receipt_body(po_id: str, n: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "ottimate_po_id": po_id,
        "external_id": f"EXT-RC-{n}",
        "receipt_number": f"RC-{n}",
        "date": "2026-11-03",
        "total_amount": 25.0,
        "items": [{"sku": f"SKU-{n}-A", "quantity": 10}],
        **extra,
    }


def entry_body(company_id: int, n: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "ottimate_company_id": company_id,
        "erp_vendor_id": "HV-1",
        "item_name": f"Test Item - Harness {n}",
        "sku": f"CAT-SKU-{n}",
        "size": "12 ct",
        "uom": "case",
        "price": 19.5,
        "prices": None,
        "allowances": None,
        **extra,
    }


def finish_batches(box: Box, seconds: float = 120) -> None:
    """Move the sandbox clock far enough for every pending batch task to fall due."""
    box.control("POST", "clock", json={"advance_seconds": seconds})


def results_of(box: Box, api: httpx.Client, accepted: httpx.Response) -> list[dict[str, Any]]:
    assert accepted.status_code == 202, accepted.text
    finish_batches(box)
    body = api.get(f"/batch/{accepted.json()['batch_id']}/results").json()
    return list(body["results"])
