"""Uploads: refused files and forms, each with its documented status and an ErrorResponse (CONTRACT §5, §13)."""

import zipfile
from io import BytesIO

import allure
import pytest

from fixtures.checks import about, assert_error_response, expect_status, refuse_outage
from fixtures.documents import MAX_UPLOAD_BYTES, non_invoice_file, oversized_pdf
from fixtures.uploads import assert_upload_refused

pytestmark = [pytest.mark.api_area("Uploads"), pytest.mark.contract("§5", "§13")]


def zipped_document():
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document>Test Invoice - a Word file</w:document>")
    return ("Test Invoice - word file.docx", buffer.getvalue(), "application/octet-stream")


UNSUPPORTED = {
    "plain text named .pdf": non_invoice_file,
    "GIF image": lambda: (
        "Test Invoice - scan.gif",
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00;",
        "image/gif",
    ),
    "Word document": zipped_document,
}


@pytest.fixture(scope="module")
def unsupported_uploads(uploads, upload_location):
    """Each unsupported file sent once, then one read of the location's pending uploads: each check below
    judges its own file's answer and that the file is not among them."""
    sent = {}
    for kind, make in UNSUPPORTED.items():
        name, content, content_type = make()
        with allure.step(f"Upload a {kind} as {name!r}"):
            sent[kind] = (name, uploads.send(upload_location.id, name, content, content_type))
    with allure.step("List the location's pending uploads"):
        pending = uploads.listed(upload_location, [name for name, _ in sent.values()])
    return sent, pending


@pytest.mark.parametrize("kind", list(UNSUPPORTED))
def test_a_file_that_is_not_a_pdf_or_an_image_is_refused(unsupported_uploads, kind):
    """A file that is not a PDF, JPG/JPEG, PNG or TIFF is refused, whatever its name says"""
    sent, pending = unsupported_uploads
    name, response = sent[kind]
    assert_upload_refused(response)  # 400 or 422: §13 does not say which (DECISIONS "Upload file types and size")
    with allure.step("Check it does not wait among the pending uploads"), about("GET /invoices/uploads"):
        assert name not in pending, f"the refused {kind} {name!r} should not be listed by GET /invoices/uploads"


def test_a_file_over_25_mb_is_refused_with_413(uploads, upload_location):
    """A file larger than 25 MB is refused with 413"""
    content = oversized_pdf(MAX_UPLOAD_BYTES + 1)
    with allure.step("Upload a PDF of 25 MB and one byte"):
        response = uploads.send(upload_location.id, "Test Invoice - oversized.pdf", content, "application/pdf")
    assert_error_response(response, 413)


def test_an_upload_without_a_location_is_refused(uploads, documents):
    """An upload without ottimate_location_id is refused naming the field"""
    document = documents.image("PNG")
    with allure.step("Upload a scan without saying which location it is for"):
        response = uploads.send(None, document.filename, document.content, document.content_type)
    assert_upload_refused(response, mentions="ottimate_location_id", status=400)  # §13: missing fields, 400


def test_an_upload_to_a_location_that_is_not_a_number_is_refused(uploads, documents):
    """An upload whose ottimate_location_id is not an integer is refused naming the field"""
    document = documents.image("PNG")
    with allure.step("Upload a scan for location 'downtown'"):
        response = uploads.send("downtown", document.filename, document.content, document.content_type)
    assert_upload_refused(response, mentions="ottimate_location_id", status=400)  # §13: bad location, 400


def test_an_upload_to_a_location_outside_the_account_is_refused(uploads, documents, org):
    """An upload to a location the credentials cannot see is refused (400 or 403)"""
    document = documents.image("PNG")
    unknown = max(location.id for location in org.locations) + 1_000_000
    with allure.step(f"Upload a scan for location {unknown}, which the account does not have"):
        response = uploads.send(unknown, document.filename, document.content, document.content_type)
    # §13 answers a bad location 400, §2.2 an out-of-scope one 403, and a location the account does not
    # have is both (DECISIONS "Out-of-scope access": 403 whether or not it exists): either is accepted.
    refuse_outage(response, (400, 403))
    assert response.status_code in (400, 403), (
        f"an upload to an unknown location should be refused with 400 or 403, got {response.status_code}: "
        f"{response.text[:500]}"
    )
    assert_error_response(response, response.status_code)


def test_an_upload_without_a_file_is_refused(api, upload_location):
    """An upload form without a file is refused naming the file"""
    with allure.step("Send the upload form with a location but no file"):
        response = api.post(
            "/invoices/upload",
            data={"ottimate_location_id": str(upload_location.id)},
            files={"filename": (None, "Test Invoice - nothing attached.pdf")},
        )
    assert_upload_refused(response, mentions="file", status=400)  # §13: missing fields, 400


def test_an_empty_file_is_refused(uploads, upload_location):
    """An upload of an empty file is refused"""
    with allure.step("Upload a file of zero bytes"):
        response = uploads.send(upload_location.id, "Test Invoice - empty.pdf", b"", "application/pdf")
    assert_upload_refused(response)  # 400 or 422: §13 does not say which (DECISIONS "Upload file types and size")


def test_an_upload_idempotency_key_cannot_be_used_twice(uploads, documents, upload_location, payloads):
    """Re-sending an upload with the same Idempotency-Key answers 422: the key of a file upload is single-use"""
    document = documents.image("PNG")
    key = payloads.idempotency_key()
    with allure.step("Upload a scan with a new Idempotency-Key"):
        first = uploads.send(
            upload_location.id, document.filename, document.content, document.content_type, idempotency_key=key
        )
        expect_status(first, 200)
    with allure.step("Send the very same upload again with the same key"):
        again = uploads.send(
            upload_location.id, document.filename, document.content, document.content_type, idempotency_key=key
        )
    assert_error_response(again, 422)


def test_listing_uploads_without_credentials_is_refused_with_401(anonymous_http, upload_location):
    """Listing the pending uploads without credentials answers 401"""
    with allure.step("List the pending uploads with no API key and no token"):
        response = anonymous_http.get("/invoices/uploads", params={"ottimate_location_id": upload_location.id})
    assert_error_response(response, 401)
