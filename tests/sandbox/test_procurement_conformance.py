"""Every answer of the batch, catalog, purchase-order and receipt operations matches Ottimate's API
reference: a documented status (or 401/403/429) and a body valid against the reference schema; every
operation of these tags answered with success at least once."""

from __future__ import annotations

import httpx

from .. import reference
from .conftest import Box
from .procurement import entry_body, finish_batches, po_body, receipt_body

AREAS = ("catalog", "purchaseOrders", "receipts", "batch")


def _exercise(box: Box) -> list[httpx.Response]:
    seen: list[httpx.Response] = []
    for version in (None, "1.0.0"):
        box.sb.reset()
        headers = {"X-API-Version": version} if version else {}
        with box.api(**headers) as api:
            _, companies, locations = box.ids(api)
            cid, lid = companies[0], locations[0]
            dims = api.get("/dimensions", params={"ottimate_company_id": cid}).json()["dimensions"]
            dept = next(d for d in dims if d["ottimate_type"] == "department")
            body = po_body(lid)
            body["items"][0]["dimensions"] = {"DEPARTMENT": dept["erp_dimension_id"]}
            po = api.post("/purchase-orders", json=body)
            po_id = po.json()["id"]
            seen += [
                po,
                api.post("/purchase-orders", json={"ottimate_location_id": lid}),
                api.get("/purchase-orders"),
                api.get(
                    "/purchase-orders",
                    params={
                        "expand": "items",
                        "date_from": "2026-10-20",
                        "date_to": "2026-11-10",
                        "status": "approved",
                    },
                ),
                api.get("/purchase-orders", params={"expand": "items"}),
                api.get(f"/purchase-orders/{po_id}"),
                api.patch(f"/purchase-orders/{po_id}", json={"total_amount": 50, "tax": 1.5}),
                api.patch(f"/purchase-orders/{po_id}", json={"po_number": "CHANGED"}),
            ]
            bulk = api.post(
                "/purchase-orders/bulk",
                json={"ottimate_company_id": cid, "ottimate_location_id": lid, "purchase_orders": [po_body(lid, 2)]},
            )
            seen += [bulk, api.post("/purchase-orders/bulk", json={"ottimate_company_id": cid})]
            receipt = api.post("/receipts", json=receipt_body(po_id))
            rid = receipt.json()["id"]
            seen += [
                receipt,
                api.post("/receipts", json={"receipt_number": "x"}),
                api.get("/receipts", params={"ottimate_po_id": po_id}),
                api.get("/receipts", params={"expand": "items", "date_from": "2026-11-01", "date_to": "2026-11-05"}),
                api.get(f"/receipts/{rid}"),
                api.patch(f"/receipts/{rid}", json={"note": "checked", "items": [{"sku": "SKU-1-B", "quantity": 3}]}),
                api.patch(f"/receipts/{rid}", json={"receipt_number": "OTHER"}),
                api.post("/receipts/bulk", json={"ottimate_company_id": cid, "receipts": [receipt_body(po_id, 2)]}),
                api.post("/receipts/bulk", json={"ottimate_company_id": cid, "receipts": []}),
            ]
            entry = api.post("/catalog/entries", json=entry_body(cid, prices=[{"price": 19.5}]))
            eid = entry.json()["id"]
            seen += [
                entry,
                api.post("/catalog/entries", json={"ottimate_company_id": cid, "description": "only a description"}),
                api.get("/catalog/entries", params={"ottimate_company_id": cid, "expand": "prices,allowances"}),
                api.get(
                    "/catalog/entries", params={"ottimate_company_id": cid, "buying_format": "null", "price": 19.5}
                ),
                api.get("/catalog/entries"),
                api.get(f"/catalog/entries/{eid}"),
                api.patch(f"/catalog/entries/{eid}", json={"uom": "each", "erp_vendor_name": ""}),
                api.patch(f"/catalog/entries/{eid}", json={"price": "x"}),
                api.post("/catalog/entries/bulk", json={"ottimate_company_id": cid, "entries": [entry_body(cid, 2)]}),
                api.post("/catalog/entries/bulk", json={"ottimate_company_id": cid, "entries": []}),
                api.post(
                    "/catalog/prices",
                    json={"ottimate_company_id": cid, "catalog_entry_id": eid, "price": 18, "start_date": "2026-01-01"},
                ),
                api.post("/catalog/prices", json={"ottimate_company_id": cid}),
                api.get("/catalog/prices", params={"ottimate_company_id": cid, "price_type": "company"}),
                api.get("/catalog/prices", params={"ottimate_company_id": cid, "price_type": "x"}),
                api.post(
                    "/catalog/prices/bulk",
                    json={
                        "ottimate_company_id": cid,
                        "prices": [{"catalog_entry_id": eid, "price": 17, "start_date": "2026-02-01"}],
                    },
                ),
            ]
            allowance = api.post(
                "/catalog/allowances",
                json={
                    "ottimate_company_id": cid,
                    "catalog_entry_id": int(eid.removeprefix("cte_")),
                    "amount": 1.25,
                    "start_date": "2026-01-01T00:00:00Z",
                    "reference_id": "AL-1",
                },
            )
            seen += [
                allowance,
                api.post("/catalog/allowances", json={"ottimate_company_id": cid, "catalog_entry_id": eid}),
                api.get("/catalog/allowances", params={"ottimate_company_id": cid, "effective_date": "2026-06-01"}),
                api.get("/catalog/allowances"),
                api.patch(f"/catalog/allowances/{allowance.json()['id']}", json={"amount": 2}),
                api.patch(f"/catalog/allowances/{allowance.json()['id']}", json={"target": "location"}),
                api.post(
                    "/catalog/allowances/bulk",
                    json={
                        "ottimate_company_id": cid,
                        "allowances": [{"catalog_entry_id": eid, "amount": 1, "start_date": "2026-03-01"}],
                    },
                ),
            ]
            variances = api.get("/catalog/variances", params={"ottimate_company_id": cid, "expand": "invoice_items"})
            vid = variances.json()["results"][0]["id"]
            seen += [
                variances,
                api.get("/catalog/variances", params={"ottimate_company_id": cid, "exception_type": "overbilling"}),
                api.get("/catalog/variances", params={"ottimate_company_id": cid, "exception_type": "x"}),
                api.get(f"/catalog/variances/{vid}/invoice-items"),
                api.get("/catalog/variances/cte_0/invoice-items"),
                api.get("/catalog/variance-batches", params={"ottimate_company_id": cid, "limit": 1}),
                api.get("/catalog/variance-batches"),
            ]
            pending = [b for b in box.sb.state.catalog.variance_batches.values() if b.export_status == "pending"]
            mine = next(b for b in pending if b.ottimate_company_id == cid)
            seen += [
                api.post(f"/catalog/variance-batches/{mine.id}/export"),
                api.post(f"/catalog/variance-batches/{mine.id}/export"),
                api.post("/catalog/variance-batches/ctb_x/export"),
            ]
            progress = api.get(f"/batch/{bulk.json()['batch_id']}/progress")
            seen += [progress, api.get(f"/batch/{bulk.json()['batch_id']}/results")]
            finish_batches(box)
            seen += [
                api.get(f"/batch/{bulk.json()['batch_id']}/progress"),
                api.get(f"/batch/{bulk.json()['batch_id']}/results"),
                api.get("/batch", params={"status": "completed"}),
                api.get("/batch", params={"status": "x"}),
            ]
    with box.api("location") as scoped:
        seen.append(scoped.get(f"/purchase-orders/{po_id}", params={}))  # 403 or 200 depending on the location
        seen.append(scoped.get(f"/batch/{bulk.json()['batch_id']}/progress"))  # 403: another user's batch
    return seen


def test_every_answer_of_these_operations_matches_the_reference(box: Box) -> None:
    reference.load()
    reference.judge(_exercise(box), set(AREAS))
