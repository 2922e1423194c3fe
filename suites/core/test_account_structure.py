"""Accounts API: the account, its companies and locations, as the credentials see them."""

import allure
import pytest

from fixtures.checks import assert_keys, assert_list_envelope, expect_status, is_int

pytestmark = [pytest.mark.api_area("Accounts"), pytest.mark.readonly, pytest.mark.contract("§8")]


def test_the_account_list_shows_the_account_of_these_credentials(api, org):
    """The account list shows the account these credentials belong to"""
    with allure.step("List the accounts these credentials reach"):
        body = expect_status(api.get("/accounts"), 200)
    accounts = assert_list_envelope(body, "results", "GET /accounts", versioned=False)
    with allure.step("Check the account is listed with its documented fields"):
        mine = [a for a in accounts if a.get("id") == org.account_id]
        assert mine, f"GET /accounts does not list account {org.account_id}: {accounts}"
        account = mine[0]
        assert_keys(account, ["id", "name"], "account")
        assert isinstance(account["id"], str) and account["id"].startswith("racc_"), (
            f"an account id is a string prefixed 'racc_', got {account['id']!r}"
        )
        for key in ("company_count", "location_count"):  # optional (§8: only id and name are required)
            if key in account:
                assert is_int(account[key]), f"account '{key}' should be an integer, got {account[key]!r}"


def test_searching_accounts_by_name_finds_the_account(api, org):
    """Searching accounts by name finds the account"""
    with allure.step(f"Search the accounts for {org.account_name!r}"):
        body = expect_status(api.get("/accounts", params={"search": org.account_name}), 200)
    found = assert_list_envelope(body, "results", "GET /accounts?search=", versioned=False)
    assert org.account_id in [a.get("id") for a in found], (
        f"searching for {org.account_name!r} did not find account {org.account_id}: {found}"
    )


def test_searching_accounts_for_an_unknown_name_finds_nothing_of_mine(api, org, run_id):
    """Searching accounts for a name no account has does not list the account"""
    with allure.step("Search the accounts for a name that matches nothing"):
        body = expect_status(api.get("/accounts", params={"search": f"No Such Account {run_id}"}), 200)
    found = assert_list_envelope(body, "results", "GET /accounts?search=", versioned=False)
    assert org.account_id not in [a.get("id") for a in found], (
        f"a search for a name nobody has still listed account {org.account_id}: the search is ignored"
    )


def test_the_account_lists_its_companies(api, org):
    """The account lists its companies with integer ids and names"""
    with allure.step("List the companies of the account"):
        body = expect_status(api.get(f"/accounts/{org.account_id}/companies"), 200)
    companies = assert_list_envelope(body, "results", "GET /accounts/{id}/companies", versioned=False)
    assert companies, "the account lists no company"
    for company in companies:
        assert_keys(company, ["id", "name"], "company")
        assert is_int(company["id"]), f"a company id is an integer, got {company['id']!r}"
        assert isinstance(company["name"], str) and company["name"], f"a company has a name: {company}"
    assert body["count"] >= len(companies), f"count {body['count']} is below the {len(companies)} listed"


def test_the_account_lists_its_locations(api, org):
    """The account lists its locations with integer ids, names and their company"""
    with allure.step("List the locations of the account"):
        body = expect_status(api.get(f"/accounts/{org.account_id}/locations"), 200)
    locations = assert_list_envelope(body, "results", "GET /accounts/{id}/locations", versioned=False)
    # The run books its invoices at a location of the account (fixtures.resources.location), so there is one.
    assert locations, "the account lists no location"
    company_names = {c.name for c in org.companies}
    for location in locations:
        assert_keys(location, ["id", "name"], "location")
        assert is_int(location["id"]), f"a location id is an integer, got {location['id']!r}"
        if location.get("company") is not None:  # optional (§8: only id and name are required)
            assert location["company"] in company_names, (
                f"location {location['id']} belongs to {location['company']!r}, "
                f"which is not one of the account's companies {sorted(company_names)}"
            )


@pytest.mark.parametrize(
    ("version", "present", "absent"),
    [("1.1.0", "location_group", "group"), ("1.0.0", "group", "location_group"), (None, "group", "location_group")],
    ids=["version 1.1.0", "version 1.0.0", "no version header"],
)
def test_locations_name_their_group_as_the_api_version_says(raw_http, org, version, present, absent):
    """Locations name their group 'location_group' from version 1.1.0, 'group' before or without a version"""
    http = raw_http({"X-API-Version": version} if version else {})
    with allure.step(f"List the locations with X-API-Version {version or '(none)'}"):
        body = expect_status(http.get(f"/accounts/{org.account_id}/locations"), 200)
    locations = assert_list_envelope(body, "results", "GET /accounts/{id}/locations", versioned=False)
    if not locations:
        pytest.skip("the account has no location to look at")
    with allure.step(f"Check every location carries '{present}' and not '{absent}'"):
        for location in locations:
            assert present in location, (
                f"with version {version or '(none)'} a location should carry '{present}': {location}"
            )
            assert absent not in location, (
                f"with version {version or '(none)'} a location should not carry '{absent}': {location}"
            )
