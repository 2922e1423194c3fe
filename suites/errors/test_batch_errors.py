"""Batches: calls without credentials, for another user's batch, or with a bad filter are refused (CONTRACT §16)."""

import allure
import pytest

from fixtures.checks import assert_error_response, expect_status, our_reading

pytestmark = [pytest.mark.api_area("Batch"), pytest.mark.contract("§7", "§16")]


@pytest.fixture(scope="module")
def batch_id(api, company, po_location, procurement_bodies):
    """A batch of the account-level user (a one-PO bulk call; its outcome does not matter here)."""
    body = {
        "ottimate_company_id": company.id,
        "ottimate_location_id": po_location.id,
        "purchase_orders": [procurement_bodies.purchase_order(None, items=1)],
    }
    with allure.step("Prepare: start a batch with a one-PO bulk call"):
        accepted = expect_status(api.post("/purchase-orders/bulk", json=body), 202)
    return accepted["batch_id"]


@pytest.mark.parametrize("part", ["progress", "results"])
def test_reading_a_batch_without_credentials_answers_401(anonymous_http, batch_id, part):
    """Reading a batch's progress or results without credentials answers 401"""
    with allure.step(f"Read the {part} of batch {batch_id} with no credentials"):
        response = anonymous_http.get(f"/batch/{batch_id}/{part}")
    assert_error_response(response, 401)


@pytest.mark.scoped_user
def test_another_api_users_batch_is_refused(scoped_api, batch_id):
    """Reading the progress of a batch another API user started is refused with 403"""
    with allure.step(f"As the scoped user, read the progress of batch {batch_id}"):
        response = scoped_api.get(f"/batch/{batch_id}/progress")
    # Refused is what §16 lists (403); whether another user's batch is forbidden or not found is open.
    assert_error_response(response, response.status_code if response.status_code in (403, 404) else 403)
    with our_reading("unknown-or-foreign-batch-id", "another API user's batch is forbidden (403)"):
        assert_error_response(response, 403)


def test_listing_batches_with_an_undocumented_status_is_refused(api):
    """Listing batches with a status other than processing or completed is refused with 400"""
    with allure.step("List the batches whose status is 'done'"):
        response = api.get("/batch", params={"status": "done"})
    with our_reading("undocumented-filter-values", "a status outside processing/completed is refused with 400"):
        assert_error_response(response, 400, mentions="status")
