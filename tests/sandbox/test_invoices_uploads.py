"""Uploads and extraction (§13): file types by content, the 25 MB limit, single-use idempotency keys,
the upload visible until extraction falls due on the sandbox clock, and what extraction reads."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from faker import Faker

from fixtures.documents import (
    MAX_UPLOAD_BYTES,
    invoice_contents,
    invoice_image,
    invoice_pdf,
    non_invoice_file,
    oversized_pdf,
    text_only_pdf,
)

from .conftest import Box, assert_error
from .invoice_helpers import SEEDED_VENDOR, extract, location, pdf_for, upload


@pytest.fixture
def faker() -> Faker:
    fake = Faker("en_US")
    fake.seed_instance(4)
    return fake


def _only_invoice(api: httpx.Client, reference_id: str) -> dict[str, object]:
    found = api.get("/invoices", params={"search": reference_id}).json()["results"]
    assert len(found) == 1, found
    r = api.get(f"/invoices/{found[0]['id']}")
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_a_pdf_upload_is_listed_until_extraction_finishes_then_its_fields_are_read(
    box: Box, api: httpx.Client, faker: Faker
) -> None:
    loc = location(box, api)
    doc = pdf_for(faker)
    r = upload(api, loc["id"], doc.filename, doc.content, doc.content_type)
    assert r.status_code == 200, r.text
    ref = r.json()["reference_id"]
    pending = api.get("/invoices/uploads", params={"ottimate_location_id": loc["id"]}).json()
    assert [u["id"] for u in pending["results"]] == [ref]
    assert pending["results"][0]["filename"] == doc.filename and pending["results"][0]["no_of_pages"] == 1
    assert api.get("/invoices", params={"search": ref}).json()["count"] == 0, "no invoice before extraction"

    extract(box)
    assert api.get("/invoices/uploads").json()["count"] == 0
    inv = _only_invoice(api, ref)
    want = doc.expected
    assert inv["status"] == "pending-approval", inv.get("error")
    assert inv["number"] == want.number
    assert inv["invoice_date"] == want.invoice_date.isoformat()
    assert inv["due_date"] == want.due_date.isoformat()
    assert inv["ottimate_vendor_name"] == SEEDED_VENDOR and "ottimate_vendor_id" in inv
    assert inv["total_amount"] == float(want.total) and inv["total_tax"] == float(want.tax)
    items = inv["items"]
    assert isinstance(items, list)
    assert [(i["name"], i["quantity"], i["price"], i["amount"]) for i in items] == [
        (li.description, float(li.quantity), float(li.unit_price), float(li.amount)) for li in want.lines
    ]


def test_extraction_time_is_configurable(box: Box, api: httpx.Client, faker: Faker) -> None:
    box.control("PATCH", "config", json={"extraction_seconds": 600})
    doc = pdf_for(faker)
    ref = upload(api, location(box, api)["id"], doc.filename, doc.content, doc.content_type).json()["reference_id"]
    extract(box, 300)
    assert api.get("/invoices/uploads").json()["count"] == 1
    extract(box, 301)
    assert api.get("/invoices/uploads").json()["count"] == 0
    assert _only_invoice(api, ref)["status"] == "pending-approval"


@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "TIFF"])
def test_an_image_has_no_text_layer_so_the_invoice_needs_attention(
    box: Box, api: httpx.Client, faker: Faker, image_format: str
) -> None:
    doc = invoice_image(invoice_contents(faker, SEEDED_VENDOR), image_format)
    r = upload(api, location(box, api)["id"], doc.filename, doc.content, doc.content_type)
    assert r.status_code == 200, r.text
    extract(box)
    inv = _only_invoice(api, r.json()["reference_id"])
    assert inv["status"] == "needs-attention"
    assert "text layer" in str(inv["error"])


@pytest.mark.parametrize(
    ("case", "problem"),
    [
        ("wrong_total", "not the total"),
        ("unknown_vendor", "not a vendor of the company"),
        ("not_an_invoice", "no invoice number"),
    ],
)
def test_a_document_that_cannot_be_fully_read_needs_attention(
    box: Box, api: httpx.Client, faker: Faker, case: str, problem: str
) -> None:
    if case == "wrong_total":
        content = pdf_for(faker, stated_total=Decimal("1.00")).content
    elif case == "unknown_vendor":
        content = pdf_for(faker, vendor="Test Vendor - Nobody Knows").content
    else:
        content = text_only_pdf()
    r = upload(api, location(box, api)["id"], "Test Invoice.pdf", content, "application/pdf")
    assert r.status_code == 200, r.text
    extract(box)
    inv = _only_invoice(api, r.json()["reference_id"])
    assert inv["status"] == "needs-attention"
    assert problem in str(inv["error"])


def test_the_file_type_is_judged_by_content_not_by_name(box: Box, api: httpx.Client) -> None:
    name, content, ctype = non_invoice_file()
    r = upload(api, location(box, api)["id"], name, content, ctype)
    body = assert_error(r, 400, "unsupported_file_type")
    assert "PDF" in body["message"]
    assert api.get("/invoices/uploads").json()["count"] == 0


def test_a_png_named_like_a_pdf_is_accepted(box: Box, api: httpx.Client, faker: Faker) -> None:
    doc = invoice_image(invoice_contents(faker, SEEDED_VENDOR), "PNG")
    assert upload(api, location(box, api)["id"], "scan.pdf", doc.content, "application/pdf").status_code == 200


def test_a_file_over_25_mb_is_refused_with_413(box: Box, api: httpx.Client) -> None:
    r = upload(api, location(box, api)["id"], "big.pdf", oversized_pdf(), "application/pdf")
    body = assert_error(r, 413, "payload_too_large")
    assert "25 MB" in body["message"]


def test_a_file_of_exactly_25_mb_is_accepted(box: Box, api: httpx.Client) -> None:
    loc = location(box, api)["id"]
    r = upload(api, loc, "big.pdf", oversized_pdf(MAX_UPLOAD_BYTES), "application/pdf", timeout=60)
    assert r.status_code == 200, r.text


def test_an_upload_idempotency_key_is_single_use(box: Box, api: httpx.Client, faker: Faker) -> None:
    doc = pdf_for(faker)
    loc = location(box, api)["id"]
    first = upload(api, loc, doc.filename, doc.content, doc.content_type, **{"Idempotency-Key": "up-1"})
    assert first.status_code == 200, first.text
    again = upload(api, loc, doc.filename, doc.content, doc.content_type, **{"Idempotency-Key": "up-1"})
    assert_error(again, 422, "idempotency_key_reused")
    assert api.get("/invoices/uploads").json()["count"] == 1


@pytest.mark.parametrize(
    ("data", "status"),
    [({}, 400), ({"ottimate_location_id": "abc"}, 400)],
)
def test_an_upload_without_a_valid_location_is_a_validation_error(
    box: Box, api: httpx.Client, data: dict[str, str], status: int
) -> None:
    r = api.post("/invoices/upload", data=data, files={"file": ("a.pdf", text_only_pdf(), "application/pdf")})
    body = assert_error(r, status, "validation_error")
    assert "ottimate_location_id" in body["message"]


def test_an_upload_needs_a_file(box: Box, api: httpx.Client) -> None:
    r = api.post(
        "/invoices/upload", data={"ottimate_location_id": str(location(box, api)["id"])}, files={"x": ("a", b"")}
    )
    body = assert_error(r, 400, "validation_error")
    assert "file" in body["message"]


def test_a_location_outside_the_company_is_a_validation_error(box: Box, api: httpx.Client) -> None:
    _, companies, _ = box.ids(api)
    downtown = location(box, api)["id"]  # a location of the first company
    r = api.post(
        "/invoices/upload",
        data={"ottimate_location_id": str(downtown), "ottimate_company_id": str(companies[1])},
        files={"file": ("a.pdf", text_only_pdf(), "application/pdf")},
    )
    body = assert_error(r, 400, "validation_error")
    assert "does not belong" in body["message"]


def test_a_location_scoped_user_cannot_upload_to_another_location(box: Box, faker: Faker) -> None:
    with box.api() as api:
        other = location(box, api, 1)["id"]
    with box.api("location") as scoped:
        r = upload(scoped, other, "a.pdf", text_only_pdf(), "application/pdf")
    assert_error(r, 403, "forbidden")


def test_the_extraction_fault_reads_a_wrong_total(box: Box, api: httpx.Client, faker: Faker) -> None:
    box.control("PUT", "faults", json={"enabled": ["extraction_wrong_totals"]})
    doc = pdf_for(faker)
    ref = upload(api, location(box, api)["id"], doc.filename, doc.content, doc.content_type).json()["reference_id"]
    extract(box)
    inv = _only_invoice(api, ref)
    assert inv["status"] == "pending-approval"
    assert inv["total_amount"] != float(doc.expected.total)


def test_the_generated_pdf_carries_its_contents_in_a_text_layer(faker: Faker) -> None:
    import io

    from pypdf import PdfReader

    doc = invoice_pdf(invoice_contents(faker, SEEDED_VENDOR))
    text = PdfReader(io.BytesIO(doc.content)).pages[0].extract_text()
    assert doc.expected.number in text and f"{doc.expected.total:.2f}" in text


def test_with_the_fault_any_content_is_accepted_as_an_upload(box: Box, api: httpx.Client) -> None:
    box.control("PUT", "faults", json={"enabled": ["upload_type_not_checked"]})
    name, content, ctype = non_invoice_file()
    r = upload(api, location(box, api)["id"], name, content, ctype)
    assert r.status_code == 200, r.text
