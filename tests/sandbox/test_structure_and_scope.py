"""The seeded organisation and access scoping by API user (§8, §2.2)."""

from __future__ import annotations

import httpx
import pytest

from .conftest import Box, assert_error, dimension_body, vendor_body


def test_the_account_user_sees_one_account_two_companies_and_four_locations(box: Box, api: httpx.Client) -> None:
    accounts = api.get("/accounts").json()
    assert accounts["count"] == 1
    account = accounts["results"][0]
    assert account["id"].startswith("racc_") and account["company_count"] == 2 and account["location_count"] == 4
    _, companies, locations = box.ids(api)
    assert len(companies) == 2 and len(locations) == 4


def test_ids_differ_between_two_sandboxes_unless_seeded_alike() -> None:
    from ottimate_validation.sandbox import EmbeddedSandbox

    a, b = EmbeddedSandbox(), EmbeddedSandbox()
    assert set(a.state.org.companies) != set(b.state.org.companies)
    assert set(EmbeddedSandbox(seed=1).state.org.companies) == set(EmbeddedSandbox(seed=1).state.org.companies)


@pytest.mark.parametrize(("user", "companies", "locations"), [("account", 2, 4), ("company", 1, 2), ("location", 1, 1)])
def test_each_scope_level_sees_only_its_part(box: Box, user: str, companies: int, locations: int) -> None:
    with box.api(user) as api:
        _, seen_companies, seen_locations = box.ids(api)
    assert (len(seen_companies), len(seen_locations)) == (companies, locations)


def test_locations_carry_group_without_a_version_and_location_group_from_1_1_0(box: Box, api: httpx.Client) -> None:
    account = box.ids(api)[0]
    plain = api.get(f"/accounts/{account}/locations").json()["results"][0]
    old = api.get(f"/accounts/{account}/locations", headers={"X-API-Version": "1.0.0"}).json()["results"][0]
    new = api.get(f"/accounts/{account}/locations", headers={"X-API-Version": "1.1.0"}).json()["results"][0]
    assert "group" in plain and "group" in old and "location_group" not in old
    assert "location_group" in new and "group" not in new


def test_search_filters_accounts_companies_and_locations_by_name(box: Box, api: httpx.Client) -> None:
    account = box.ids(api)[0]
    assert api.get("/accounts", params={"search": "harbor"}).json()["count"] == 1
    assert api.get("/accounts", params={"search": "nothing-like-it"}).json()["count"] == 0
    assert api.get(f"/accounts/{account}/companies", params={"search": "bakeries"}).json()["count"] == 1
    assert api.get(f"/accounts/{account}/locations", params={"search": "airport"}).json()["count"] == 1


def test_an_unknown_account_is_404_and_an_unlinked_one_403(box: Box, api: httpx.Client) -> None:
    assert_error(api.get("/accounts/racc_000/companies"), 404, "not_found")
    other = box.sb.state.org.named_users["other_account"].account_id
    assert_error(api.get(f"/accounts/{other}/locations"), 403, "forbidden")


def test_a_company_user_is_forbidden_the_other_company(box: Box, api: httpx.Client) -> None:
    _, (own, other), _ = box.ids(api)
    vendor = api.post("/vendors", json=vendor_body(other)).json()["vendor"]
    dimension = api.post("/dimensions", json=dimension_body(other)).json()
    with box.api("company") as scoped:
        assert scoped.get("/vendors", params={"ottimate_company_id": own}).status_code == 200
        assert_error(scoped.get("/vendors", params={"ottimate_company_id": other}), 403, "forbidden")
        assert_error(scoped.post("/vendors", json=vendor_body(other, 9)), 403, "forbidden")
        assert_error(scoped.get(f"/vendors/{vendor['id']}"), 403, "forbidden")
        assert_error(scoped.get(f"/dimensions/{dimension['id']}"), 403, "forbidden")
        assert_error(
            scoped.post(
                "/dimensions/bulk", json={"ottimate_company_id": other, "dimensions": [dimension_body(other, 3)]}
            ),
            403,
        )
        unfiltered = scoped.get("/vendors", params={"limit": 100}).json()["vendors"]
        assert {v["ottimate_company_id"] for v in unfiltered} == {own}


def test_a_location_user_reads_but_does_not_write_company_resources(box: Box, api: httpx.Client) -> None:
    own = box.ids(api)[1][0]
    with box.api("location") as scoped:
        assert scoped.get("/vendors", params={"ottimate_company_id": own}).status_code == 200
        assert_error(scoped.post("/vendors", json=vendor_body(own)), 403, "forbidden")


def test_the_scope_not_enforced_fault_opens_the_other_company(box: Box, api: httpx.Client) -> None:
    other = box.ids(api)[1][1]
    box.control("PUT", "faults", json={"enabled": ["scope_not_enforced"]})
    with box.api("company") as scoped:
        assert scoped.get("/vendors", params={"ottimate_company_id": other}).status_code == 200
