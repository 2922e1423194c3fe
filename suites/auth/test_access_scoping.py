"""Access scoping: a company-scoped API user cannot reach other companies (CONTRACT §2.2)."""

import allure
import pytest

from fixtures.checks import assert_error_response, expect_status, our_reading
from fixtures.paging import find_by_id, last_modified, server_time, vendors_near

pytestmark = [pytest.mark.api_area("Access scoping"), pytest.mark.scoped_user, pytest.mark.contract("§2.2", "§8")]


def test_the_scoped_user_sees_only_some_of_the_accounts_companies(org, scoped_org):
    """The company- or location-scoped user sees some of the account's companies, not all of them"""
    with allure.step("Compare the companies each API user sees"):
        assert scoped_org.companies, "the scoped API user sees no company at all"
        extra = scoped_org.company_ids - org.company_ids
        assert not extra, f"the scoped user sees companies the account user does not: {sorted(extra)}"
    if len(org.companies) < 2:
        pytest.skip("the account has a single company, so a company-scoped user rightly sees all of it")
    # Whether the structure lists only what a user's scope covers is open (§8): what it may use is §2.2's.
    with (
        allure.step("Check the scoped user does not see every company of the account"),
        our_reading("companies-and-locations-seen-by-a-scoped-user", "a scoped user lists only its companies"),
    ):
        assert scoped_org.company_ids != org.company_ids, (
            f"a company- or location-scoped API user sees all {len(org.companies)} companies of the account "
            f"({sorted(org.company_ids)}): its scope is not enforced"
        )


@pytest.fixture(scope="module")
def in_scope_vendor(request, company, in_scope_company, make_vendor):
    """A vendor of the scoped user's own company: the run's own vendor where that company is the run's."""
    if in_scope_company.id == company.id:
        return request.getfixturevalue("run_vendor")
    return make_vendor(ottimate_company_id=in_scope_company.id)


def test_the_scoped_user_can_list_and_read_vendors_of_its_own_company(scoped_api, in_scope_company, in_scope_vendor):
    """The scoped user can read a vendor of its own company and finds it in that company's vendor list"""
    vendor = in_scope_vendor
    with allure.step(f"As the scoped user, read vendor {vendor['id']}"):
        response = scoped_api.get(f"/vendors/{vendor['id']}")
        stored = expect_status(response, 200)["vendor"]
    with allure.step(f"As the scoped user, find it among the vendors of company {in_scope_company.id}"):
        near = last_modified(stored) or server_time(response)
        listed = vendors_near(scoped_api, in_scope_company.id, near, seconds=900)
        if find_by_id(listed, vendor["id"]) is None:  # the clocks disagree: the whole company list
            listed = vendors_near(scoped_api, in_scope_company.id, None)
        assert find_by_id(listed, vendor["id"]) is not None, (
            f"the scoped user's list of its own company {in_scope_company.id} does not show its vendor {vendor['id']}"
        )


def test_the_scoped_user_cannot_list_vendors_of_another_company(scoped_api, out_of_scope_company):
    """The scoped user listing the vendors of a company outside its scope is refused with 403"""
    with allure.step(f"As the scoped user, list the vendors of company {out_of_scope_company.id}"):
        response = scoped_api.get("/vendors", params={"ottimate_company_id": out_of_scope_company.id})
    assert_error_response(response, 403)


def test_the_scoped_user_cannot_create_a_vendor_in_another_company(scoped_api, out_of_scope_company, payloads):
    """The scoped user creating a vendor in a company outside its scope is refused with 403"""
    with allure.step(f"As the scoped user, create a vendor in company {out_of_scope_company.id}"):
        response = scoped_api.post("/vendors", json=payloads.vendor(out_of_scope_company.id))
    assert_error_response(response, 403)


def test_the_scoped_user_cannot_bulk_write_vendors_of_another_company(scoped_api, out_of_scope_company, payloads):
    """The scoped user sending vendors in bulk to a company outside its scope is refused with 403"""
    body = payloads.vendor_bulk(out_of_scope_company.id, [payloads.vendor_item()])
    with allure.step(f"As the scoped user, bulk-create a vendor in company {out_of_scope_company.id}"):
        response = scoped_api.post("/vendors/bulk", json=body)
    assert_error_response(response, 403)


def test_the_scoped_user_cannot_read_a_vendor_of_another_company(scoped_api, out_of_scope_company, out_of_scope_vendor):
    """The scoped user reading a vendor of a company outside its scope is refused with 403"""
    vendor = out_of_scope_vendor
    with allure.step(f"As the scoped user, read vendor {vendor['id']} of company {out_of_scope_company.id}"):
        response = scoped_api.get(f"/vendors/{vendor['id']}")
    assert_error_response(response, 403)


def test_the_scoped_user_lists_only_vendors_of_its_companies(
    scoped_api, scoped_org, out_of_scope_company, out_of_scope_vendor, in_scope_vendor
):
    """The scoped user listing vendors without a company filter sees only its own companies' vendors"""
    outsider = out_of_scope_vendor
    with allure.step("As the scoped user, list vendors without a company filter"):
        body = expect_status(scoped_api.get("/vendors", params={"limit": 100}), 200)
    # Its own company has a vendor (in_scope_vendor): an empty list would show nothing about the scope.
    assert body["vendors"], "the scoped user is shown no vendor at all, not even its own company's"
    strangers = [
        (v.get("id"), v.get("ottimate_company_id"))
        for v in body["vendors"]
        if v.get("ottimate_company_id") not in scoped_org.company_ids
    ]
    assert not strangers, f"the scoped user is shown vendors of companies outside its scope: {strangers[:10]}"
    assert outsider["id"] not in [v.get("id") for v in body["vendors"]], (
        f"the scoped user is shown vendor {outsider['id']} of company {out_of_scope_company.id}"
    )


def test_the_scoped_user_cannot_list_dimensions_of_another_company(scoped_api, out_of_scope_company):
    """The scoped user listing the dimensions of a company outside its scope is refused with 403"""
    with allure.step(f"As the scoped user, list the dimensions of company {out_of_scope_company.id}"):
        response = scoped_api.get("/dimensions", params={"ottimate_company_id": out_of_scope_company.id})
    assert_error_response(response, 403)


def test_the_scoped_user_cannot_create_a_dimension_in_another_company(scoped_api, out_of_scope_company, payloads):
    """The scoped user creating a dimension in a company outside its scope is refused with 403"""
    with allure.step(f"As the scoped user, create a dimension in company {out_of_scope_company.id}"):
        response = scoped_api.post("/dimensions", json=payloads.dimension(out_of_scope_company.id))
    assert_error_response(response, 403)


def test_the_scoped_user_cannot_read_a_dimension_of_another_company(scoped_api, out_of_scope_company, make_dimension):
    """The scoped user reading a dimension of a company outside its scope is refused with 403"""
    dimension = make_dimension(ottimate_company_id=out_of_scope_company.id)
    with allure.step(f"As the scoped user, read dimension {dimension['id']} of company {out_of_scope_company.id}"):
        response = scoped_api.get(f"/dimensions/{dimension['id']}")
    assert_error_response(response, 403)


def _location_of(org, company):
    found = org.locations_of(company)
    if not found:
        pytest.skip(f"company {company.name!r} has no location these credentials reach")
    return found[0]


def test_the_scoped_user_cannot_list_invoices_of_a_location_outside_its_scope(scoped_api, org, out_of_scope_company):
    """The scoped user listing the invoices of a location outside its scope is refused with 403"""
    location = _location_of(org, out_of_scope_company)
    with allure.step(f"As the scoped user, list the invoices of location {location.name!r}"):
        response = scoped_api.get("/invoices", params={"ottimate_location_ids": str(location.id)})
    assert_error_response(response, 403)


def test_the_scoped_user_cannot_read_an_invoice_of_a_location_outside_its_scope(
    scoped_api, org, out_of_scope_company, out_of_scope_vendor, make_invoice
):
    """An invoice belongs to a location: the scoped user reading one booked outside its scope gets 403"""
    location = _location_of(org, out_of_scope_company)
    outsider = out_of_scope_vendor
    invoice = make_invoice(ottimate_location_id=location.id, erp_vendor_id=outsider["erp_vendor_id"])
    with allure.step(f"As the scoped user, read invoice {invoice['id']} of location {location.name!r}"):
        response = scoped_api.get(f"/invoices/{invoice['id']}")
    assert_error_response(response, 403)
    with allure.step("As the scoped user, try to flag it"):
        response = scoped_api.post(f"/invoices/{invoice['id']}/flag", json={"flagging_reason": "Test Invoice - scope"})
    assert_error_response(response, 403)
