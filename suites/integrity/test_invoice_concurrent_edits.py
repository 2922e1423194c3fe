"""Invoices: two integrations editing one invoice never silently overwrite each other — an update
from a stale read is refused with 412 and the other change survives (CONTRACT §12.4)."""

import allure
import pytest

from fixtures.checks import assert_error_response, expect_status, our_reading
from fixtures.invoices import listed_invoice, read_back

pytestmark = [pytest.mark.api_area("Invoices"), pytest.mark.contract("§12.4")]


def version_of(api, invoice_id):
    """The invoice's current version, by its ETag. §12.4 documents the 412 but not the mechanism: ETag and
    If-Match are our reading; once the API gives an ETag, the 412 on a stale one is what §12.4 says."""
    with allure.step("Read the invoice and keep its version (ETag)"):
        response = api.get(f"/invoices/{invoice_id}")
        expect_status(response, 200)
    etag = response.headers.get("ETag")
    with our_reading("concurrent-invoice-edits-412", "the detail carries an ETag that PATCH takes in If-Match"):
        assert etag, "the invoice is read without an ETag: the precondition mechanism (§12.4) is another"
    return etag


def test_an_update_from_a_stale_read_does_not_overwrite_a_concurrent_change(api, invoice, run_id):
    """An update from a stale read is refused with 412, and the concurrent change is kept"""
    etag = version_of(api, invoice["id"])
    theirs = f"TPO-{run_id}-theirs"
    with allure.step("The first integration changes the PO, based on the version it read"):
        first = api.patch(f"/invoices/{invoice['id']}", json={"purchase_order": theirs}, headers={"If-Match": etag})
        expect_status(first, 200)
    with allure.step("Check the change gave the invoice a new version"):
        assert first.headers.get("ETag") and first.headers.get("ETag") != etag, (
            f"a change should give the invoice a new ETag, still {first.headers.get('ETag')!r}"
        )
    with allure.step("The second integration changes the PO from the same, now stale, version"):
        second = api.patch(
            f"/invoices/{invoice['id']}", json={"purchase_order": f"TPO-{run_id}-mine"}, headers={"If-Match": etag}
        )
    assert_error_response(second, 412)
    stored = listed_invoice(api, invoice["id"])  # the current one (a detail read may be cached)
    with allure.step("Check the first integration's change is the one stored"):
        assert stored.get("purchase_order") == theirs, (
            f"the concurrent change {theirs!r} should survive the refused update, "
            f"stored: {stored.get('purchase_order')!r}"
        )


def test_an_update_from_the_current_version_is_applied(api, invoice, run_id, waiter):
    """An update that names the invoice's current version is applied"""
    etag = version_of(api, invoice["id"])
    purchase_order = f"TPO-{run_id}-current"
    with allure.step("Change the PO, naming the version just read"):
        expect_status(
            api.patch(
                f"/invoices/{invoice['id']}", json={"purchase_order": purchase_order}, headers={"If-Match": etag}
            ),
            200,
        )
    stored = read_back(api, waiter, invoice["id"], lambda i: i.get("purchase_order") == purchase_order, "the change")
    with allure.step("Check the change is stored"):
        assert stored.get("purchase_order") == purchase_order, f"purchase_order: {stored.get('purchase_order')!r}"
