"""Invoices: every documented refusal of the invoice operations answers its status with an
ErrorResponse (CONTRACT §7, §12.2–§12.10)."""

import allure
import pytest

from fixtures.checks import assert_error_response, expect_status, our_reading
from fixtures.documents import text_only_pdf

pytestmark = [pytest.mark.api_area("Invoices"), pytest.mark.contract("§7", "§12.2", "§12.4", "§12.5", "§12.6")]

UNKNOWN_INVOICE = "00000000-0000-4000-8000-000000000000"  # a well-formed UUID v4 no invoice has

WRONG_PATCH_FIELDS = [
    ("total_amount", "12.50"),
    ("invoice_date", "31/12/2026"),
    ("type", "other"),  # CONTRACT §12.1: writes accept only invoice | credit_memo
    ("dimensions", ["department"]),
    ("items", "two lines"),
]


@pytest.fixture(scope="module")
def invoice_to_refuse(make_invoice):
    """One invoice the refused writes of this module aim at (none of them may change it)."""
    return make_invoice()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/invoices/{id}"),
        ("PATCH", "/invoices/{id}"),
        ("POST", "/invoices/{id}/flag"),
        ("GET", "/invoices/{id}/approvers"),
    ],
    ids=["read", "update", "flag", "approvers"],
)
def test_an_unknown_invoice_is_not_found(api, method, path):
    """An operation on an invoice that does not exist answers 404"""
    url = path.format(id=UNKNOWN_INVOICE)
    with allure.step(f"{method} {url}"):
        response = api.request(method, url, json={} if method != "GET" else None)
    assert_error_response(response, 404)


@pytest.mark.parametrize(("field", "value"), WRONG_PATCH_FIELDS, ids=[f for f, _ in WRONG_PATCH_FIELDS])
def test_updating_an_invoice_with_a_wrong_value_is_refused(api, invoice_to_refuse, field, value):
    """Updating an invoice with a value of the wrong type or outside the documented values is refused"""
    with allure.step(f"Update the invoice's '{field}' to {value!r}"):
        response = api.patch(f"/invoices/{invoice_to_refuse['id']}", json={field: value})
    assert_error_response(response, 400, mentions=field)


def test_a_structured_invoice_without_its_location_is_refused(api, invoice_payloads, guide_routes):
    """Creating a structured invoice without ottimate_location_id is refused naming it"""
    guide_routes.require_structured_create()
    body = invoice_payloads.body()
    del body["ottimate_location_id"]
    with allure.step("Create an invoice without a location"):
        response = api.post("/invoices", json=body)
    with our_reading("create-invoice-extension", "POST /invoices refuses an invalid invoice with 400"):
        assert_error_response(response, 400, mentions="ottimate_location_id")


# Which decision each undocumented value's refusal rests on: a page size beyond the documented 1-100, or a
# filter value outside its documented enum (§12.2).
UNDOCUMENTED = {
    "status": ("undocumented-filter-values", "a status outside the documented ones is refused with 400"),
    "limit": ("page-size-limits", "a page size above 100 is refused with 400"),
    "payment_status": ("undocumented-filter-values", "a payment status outside paid/partial/unpaid is refused"),
}


@pytest.mark.parametrize(
    ("name", "value"), [("status", "ready_for_export"), ("limit", "101"), ("payment_status", "overdue")]
)
def test_listing_invoices_with_an_undocumented_filter_value_is_refused(api, name, value):
    """Listing invoices with a filter value outside the documented ones is refused naming the filter"""
    with allure.step(f"List invoices with {name}={value}"):
        response = api.get("/invoices", params={name: value})
    with our_reading(*UNDOCUMENTED[name]):
        assert_error_response(response, 400, mentions=name)


@pytest.mark.parametrize("path", ["/invoices/mark-exported", "/invoices/mark-unexported"])
def test_marking_the_export_status_without_invoices_is_refused(api, path):
    """Marking the export status without the invoices list is refused naming it"""
    with allure.step(f"POST {path} with no invoices"):
        response = api.post(path, json={"marked_reason": "Test Invoice - nothing to mark"})
    assert_error_response(response, 400, mentions="invoices")


def test_an_import_that_is_not_a_list_of_invoices_is_refused(api, invoice_payloads):
    """An import whose body is one invoice object instead of a list is refused"""
    with allure.step("Import a single invoice object instead of a list"):
        response = api.post("/invoices/import", json=invoice_payloads.import_item())
    assert_error_response(response, 400)


def test_an_import_of_more_than_100_invoices_is_refused(api, invoice_payloads):
    """An import of more than 100 invoices is refused with 400"""
    item = invoice_payloads.import_item(lines=1)
    items = [{**item, "upload_id": f"{item['upload_id']}-{i}"} for i in range(101)]
    with allure.step("Import 101 invoices in one call"):
        response = api.post("/invoices/import", json=items)
    assert_error_response(response, 400, mentions=("100", "invoices"))


def test_the_receiver_export_without_a_location_is_refused(api, company):
    """The receiver export without ottimate_location_id is refused naming it"""
    with allure.step("Read the receiver export with a company but no location"):
        response = api.get("/invoices/receiver-export", params={"ottimate_company_id": company.id})
    assert_error_response(response, 400, mentions="ottimate_location_id")


def test_replacing_images_without_a_file_is_refused(api, invoice_to_refuse):
    """Replacing an invoice's images without any file in 'images' is refused naming the field"""
    files = [("scan", ("Test Invoice - scan.pdf", text_only_pdf(), "application/pdf"))]
    with allure.step("Send a file under the field 'scan' instead of 'images'"):
        response = api.patch(f"/invoices/{invoice_to_refuse['id']}/images", files=files)
    assert_error_response(response, 400, mentions="images")


def test_an_update_from_a_stale_read_is_refused_with_412(api, invoice_to_refuse, run_id):
    """An update based on a version of the invoice that has since changed is refused with 412"""
    with allure.step("Read the invoice and keep its version (ETag)"):
        read = api.get(f"/invoices/{invoice_to_refuse['id']}")
        expect_status(read, 200)
    etag = read.headers.get("ETag")
    with our_reading("concurrent-invoice-edits-412", "the detail carries an ETag that PATCH takes in If-Match"):
        assert etag, "the invoice is read without an ETag: the precondition mechanism (§12.4) is another"
    with allure.step("Someone else changes the invoice"):
        expect_status(
            api.patch(f"/invoices/{invoice_to_refuse['id']}", json={"notes": f"Test Invoice - A - {run_id}"}), 200
        )
    with allure.step("Update it from the version read before that change"):
        response = api.patch(
            f"/invoices/{invoice_to_refuse['id']}",
            json={"notes": f"Test Invoice - B - {run_id}"},
            headers={"If-Match": etag},
        )
    assert_error_response(response, 412)
