"""Uploads: an invoice document sent through the API waits as an upload, then becomes an invoice (CONTRACT §13)."""

import allure
import pytest

from fixtures.checks import about, expect_status, is_int, parse_timestamp
from fixtures.invoices import invoice_status
from fixtures.uploads import UPLOAD_KEYS

pytestmark = [pytest.mark.api_area("Uploads"), pytest.mark.contract("§13")]

STATUSES = ("processing", "incomplete", "needs-attention", "pending-approval", "approved", "ready-for-export")


def check_pending_upload(entry, document, location):
    assert entry is not None, (
        f"right after the upload, GET /invoices/uploads of location {location.id} should list "
        f"{document.filename!r} as not yet processed, but does not"
    )
    missing = [key for key in UPLOAD_KEYS if key not in entry]
    assert not missing, f"the pending upload lacks {', '.join(missing)}: {entry}"
    assert isinstance(entry["id"], str) and entry["id"], f"the upload 'id' should be a string, got {entry['id']!r}"
    assert isinstance(entry["status"], str) and entry["status"], (
        f"the upload 'status' should be a non-empty string, got {entry['status']!r}"
    )
    assert is_int(entry["no_of_pages"]) and entry["no_of_pages"] >= 1, (
        f"a one-page document should count at least one page, got no_of_pages {entry['no_of_pages']!r}"
    )
    try:
        parse_timestamp(entry["date"])
    except (TypeError, ValueError):
        raise AssertionError(f"the upload 'date' should be a date-time, got {entry['date']!r}") from None
    if entry.get("ottimate_location_name") is not None:  # optional in an upload entry (§13)
        assert entry["ottimate_location_name"] == location.name, (
            f"the upload was sent to {location.name!r}, the list says {entry['ottimate_location_name']!r}"
        )


@pytest.mark.waits
def test_an_uploaded_invoice_pdf_waits_as_an_upload_then_becomes_an_invoice(uploads, documents, upload_location):
    """An uploaded invoice PDF is listed as pending, then becomes an invoice of its location"""
    document = documents.pdf()
    sent = uploads.upload(document, upload_location)
    with allure.step("Check the upload is listed as not yet processed, with its file name and page count"):
        entry = uploads.pending(upload_location, document.filename)
        check_pending_upload(entry, document, upload_location)
        assert entry["no_of_pages"] == 1, f"the PDF has one page, the upload says {entry['no_of_pages']!r}"
    uploads.wait_for_extraction(sent)
    invoice = uploads.find_invoice(sent)
    with allure.step("Check the invoice belongs to the upload's location and is in the workflow"):
        assert invoice.get("ottimate_location_name") == upload_location.name, (
            f"the document was uploaded to {upload_location.name!r}, the invoice is at "
            f"{invoice.get('ottimate_location_name')!r}"
        )
        assert invoice_status(invoice) in STATUSES, (
            f"an extracted invoice should have a documented workflow status, got {invoice.get('status')!r}"
        )
        assert invoice.get("images"), (
            f"the invoice made from an uploaded document should carry that document as an image: {invoice}"
        )


IMAGE_FORMATS = ("PNG", "JPEG", "TIFF")


@pytest.fixture(scope="module")
def pending_images(uploads, documents, upload_location, payloads):
    """A picture of an invoice in each format and one sent under a file name of its own, uploaded one after
    the other and then looked for in one read of the location's pending uploads: each check below judges
    its own upload's answer and its entry in that list."""
    sent = {}
    with allure.step(f"Prepare: upload an invoice picture as {', '.join(IMAGE_FORMATS)}"):
        for image_format in IMAGE_FORMATS:
            document = documents.image(image_format)
            response = uploads.send(upload_location.id, document.filename, document.content, document.content_type)
            sent[image_format] = (document, response, document.filename)
    document = documents.image("PNG")
    chosen = f"Test Invoice - renamed - {payloads.run_id} - {payloads.number()}.png"
    with allure.step(f"Prepare: upload a scan as {document.filename!r} but name it {chosen!r}"):
        response = uploads.send(
            upload_location.id, document.filename, document.content, document.content_type, filename=chosen
        )
        sent["renamed"] = (document, response, chosen)
    with allure.step("Prepare: list the location's pending uploads"):
        pending = uploads.listed(upload_location, [name for _, _, name in sent.values()])
    return sent, pending


@pytest.mark.parametrize("image_format", IMAGE_FORMATS)
def test_an_invoice_image_is_accepted_and_listed_as_pending(uploads, upload_location, pending_images, image_format):
    """A PNG, JPEG or TIFF picture of an invoice is accepted and listed as a pending upload"""
    sent, pending = pending_images
    document, response, name = sent[image_format]
    with allure.step(f"Check the {image_format} upload was accepted"):
        uploads.accepted(response, document, upload_location)
    with allure.step(f"Check the {image_format} upload is listed as not yet processed"), about("GET /invoices/uploads"):
        check_pending_upload(pending.get(name), document, upload_location)


def test_an_upload_can_be_given_its_own_file_name(uploads, upload_location, pending_images):
    """An upload's optional filename field names the pending upload"""
    sent, pending = pending_images
    _, response, chosen = sent["renamed"]
    with allure.step("Check the upload under a name of its own was accepted"):
        expect_status(response, 200)
    with (
        allure.step("Check the pending upload carries the chosen name, not the file's own"),
        about("GET /invoices/uploads"),
    ):
        assert pending.get(chosen) is not None, (
            f"GET /invoices/uploads should list the upload under the filename sent, {chosen!r}"
        )
