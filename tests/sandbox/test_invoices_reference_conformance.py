"""Every answer of the `invoices` operations matches Ottimate's API reference: the status is documented for
the operation (or is one every operation may give: 401, 403, 429) and the body validates against the
schema the reference gives for that status. The sandbox-only extensions (POST /invoices, approval
actions) are exercised for setup but are not in the reference, so they are not judged here."""

from __future__ import annotations

import httpx
from faker import Faker

from .. import reference
from .conftest import Box
from .invoice_helpers import Seeder, extract, pdf_for, upload

EXTENSIONS = {("POST", "/invoices"), ("POST", "approve"), ("POST", "force-approve"), ("POST", "approvers")}


def _is_extension(method: str, path: str) -> bool:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return (method, path) in EXTENSIONS or (method, last) in EXTENSIONS or method == "DELETE"


def _exercise(box: Box) -> list[httpx.Response]:
    seen: list[httpx.Response] = []
    faker = Faker()
    faker.seed_instance(11)
    for version in (None, "1.0.0"):
        headers = {"X-API-Version": version} if version else {}
        with box.api(**headers) as api:
            seeder = Seeder(box, api)
            loc = seeder.loc["id"]
            doc = pdf_for(faker)
            seen.append(
                upload(
                    api, loc, doc.filename, doc.content, doc.content_type, **{"Idempotency-Key": "u-" + str(version)}
                )
            )
            seen.append(
                upload(
                    api, loc, doc.filename, doc.content, doc.content_type, **{"Idempotency-Key": "u-" + str(version)}
                )
            )
            seen.append(upload(api, loc, "x.pdf", b"not a pdf", "application/pdf"))
            seen.append(upload(api, loc, "big.pdf", b"%PDF-" + b"0" * (25 * 1024 * 1024), "application/pdf"))
            seen.append(api.get("/invoices/uploads"))
            seen.append(api.get("/invoices/uploads", params={"ottimate_location_id": loc}))
            extract(box)
            held = seeder.create(items=[])
            pending = seeder.create(purchase_order="PO-1", posting_date="2026-11-02")
            ready = seeder.in_status("ready-for-export")
            seen += [
                api.get("/invoices"),
                api.get("/invoices", params={"status": "pending-approval", "limit": 2, "page": 1}),
                api.get("/invoices", params={"expand": "items", "last_modified_date_from": ready["created_at"][:10]}),
                api.get("/invoices", params={"status": "nope"}),
                api.get(f"/invoices/{pending['id']}"),
                api.get(f"/invoices/{held['id']}", params={"expand": "history,gl_splits"}),
                api.get("/invoices/00000000-0000-4000-8000-000000000000"),
                api.get(f"/invoices/{pending['id']}/approvers"),
                api.get(f"/invoices/{held['id']}/approvers"),
                api.get("/invoices/00000000-0000-4000-8000-000000000000/approvers"),
            ]
            etag = api.get(f"/invoices/{pending['id']}").headers["ETag"]
            seen.append(
                api.patch(
                    f"/invoices/{pending['id']}",
                    json={
                        "notes": "n",
                        "items": [{"name": "Test Invoice - X", "quantity": 1, "price": 1.0}, {"id": 1}],
                    },
                    headers={"If-Match": etag},
                )
            )
            seen.append(api.patch(f"/invoices/{pending['id']}", json={"notes": "m"}, headers={"If-Match": etag}))
            seen.append(api.patch(f"/invoices/{pending['id']}", json={"total_amount": "x"}))
            seen.append(api.patch("/invoices/00000000-0000-4000-8000-000000000000", json={}))
            seen.append(api.post(f"/invoices/{held['id']}/flag", json={"flagging_reason": "Test Invoice - why"}))
            seen.append(api.post("/invoices/00000000-0000-4000-8000-000000000000/flag"))
            seen.append(
                api.post(
                    "/invoices/mark-exported",
                    json={"invoices": [{"invoice_id": ready["invoice_id"]}, {"invoice_id": 1}]},
                )
            )
            seen.append(api.post("/invoices/mark-exported", json={"invoices": []}))
            seen.append(
                api.get(
                    "/invoices/receiver-export",
                    params={"ottimate_company_id": seeder.company_id, "ottimate_location_id": loc, "limit": 1},
                )
            )
            seen.append(api.get("/invoices/receiver-export"))
            seen.append(
                api.post(
                    "/invoices/mark-unexported",
                    json={
                        "invoices": [
                            {"invoice_id": ready["invoice_id"]},
                            {"invoice_id": held["invoice_id"]},
                            {"invoice_id": 1},
                        ],
                        "flag_invoice": True,
                    },
                )
            )
            seen.append(api.post("/invoices/mark-unexported", json={}))
            seen.append(api.post("/invoices/import", json=[{**seeder.body(), "upload_id": f"imp-{version}"}]))
            seen.append(api.post("/invoices/import", json={"not": "an array"}))
            files = [("images", ("a.pdf", doc.content, "application/pdf")), ("images", ("b.txt", b"t", "text/plain"))]
            seen.append(api.patch(f"/invoices/{pending['id']}/images", files=files))
            seen.append(api.patch(f"/invoices/{pending['id']}/images", files={"x": ("a", b"1")}))
            seen.append(api.patch("/invoices/00000000-0000-4000-8000-000000000000/images", files=files))
    seen.append(box.http.get(box.sb.api_url + "/invoices"))  # 401
    with box.api("location") as scoped:
        seen.append(scoped.get(f"/invoices/{pending['id']}"))  # same location: 200
        seen.append(scoped.get("/invoices", params={"ottimate_location_ids": "1"}))  # 403
    return seen


def test_every_answer_of_the_invoice_operations_matches_the_reference(box: Box) -> None:
    reference.load()
    reference.judge(_exercise(box), {"invoices"}, skip=_is_extension)
