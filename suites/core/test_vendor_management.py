"""Vendors: create one, read it back, list and filter (CONTRACT §9)."""

from dataclasses import dataclass
from datetime import timedelta

import allure
import pytest

from fixtures.checks import (
    about,
    assert_fields_equal,
    assert_keys,
    assert_list_envelope,
    expect_status,
    is_int,
    our_reading,
    plain_param,
    utc_param,
)
from fixtures.paging import Walk, find_by_id, last_modified, server_time, stable_walk, vendors_near

pytestmark = [pytest.mark.api_area("Vendors"), pytest.mark.contract("§3", "§6.1", "§6.2", "§9")]

VENDOR_KEYS = (
    "id",
    "ottimate_company_id",
    "erp_vendor_id",
    "erp_vendor_name",
    "email",
    "phone",
    "net_terms",
    "payment_method",
    "address_line_1",
    "address_line_2",
    "city",
    "state",
    "zipcode",
)


def read_vendor(api, vendor_id):
    with allure.step(f"Read vendor {vendor_id} back by its id"):
        body = expect_status(api.get(f"/vendors/{vendor_id}"), 200)
    assert isinstance(body, dict) and isinstance(body.get("vendor"), dict), (
        f"GET /vendors/{{id}} should answer {{version, vendor}}, got {body!r}"
    )
    return body["vendor"]


@dataclass
class NewVendor:
    """A vendor created for this module (the tests only read it), as created, read by id and listed."""

    body: dict
    answer: dict  # POST /vendors as answered (201)
    created: dict
    stored: dict
    near: Walk  # the company's vendors changed around its creation, the list page that holds it

    @property
    def id(self):
        return self.created["id"]

    def listed(self):
        """The vendor as the company's vendor list shows it."""
        found = find_by_id(self.near, self.id)
        assert found is not None, (
            f"vendor {self.id} is not in the vendor list of company {self.body['ottimate_company_id']}"
        )
        return found

    def changed_at(self):
        """When it changed, as the list says."""
        listed = self.listed()
        moment = last_modified(listed)
        assert moment is not None, f"the vendor list gives vendor {self.id} no modification time: {listed}"
        return moment


@pytest.fixture(scope="module")
def new_vendor(api, company, payloads):
    """One vendor with every documented field, created, read by id and found in the list once for the
    module: the list and filter checks below all look for it (none of them changes it)."""
    body = payloads.vendor(company.id)
    with allure.step("Prepare: create a vendor with every documented field"):
        response = api.post("/vendors", json=body)
        created = expect_status(response, 201)
    assert isinstance(created, dict) and isinstance(created.get("vendor"), dict), (
        f"POST /vendors should answer {{version, vendor}}, got {created!r}"
    )
    vendor_id = created["vendor"]["id"]
    stored = read_vendor(api, vendor_id)
    with allure.step(f"Prepare: find vendor {vendor_id} in the company's vendor list"):
        near = vendors_near(api, company.id, server_time(response), seconds=900)
        if find_by_id(near, vendor_id) is None:  # the clocks disagree: the whole company list
            near = vendors_near(api, company.id, None)
    return NewVendor(body=body, answer=created, created=created["vendor"], stored=stored, near=near)


def test_creating_a_vendor_with_every_documented_field_answers_201_with_the_vendor(new_vendor):
    """Creating a vendor with every documented field answers 201 with the vendor"""
    body, answer = new_vendor.body, new_vendor.answer  # the module's vendor, created with 201
    with allure.step("Check the answer is {version, vendor} with every field as sent"), about("POST /vendors"):
        assert_keys(answer, ["version", "vendor"], "POST /vendors answer")
        assert isinstance(answer["version"], str), f"'version' should be a string, got {answer['version']!r}"
        created = answer["vendor"]
        assert_keys(created, VENDOR_KEYS, "created vendor")
        assert is_int(created["id"]), f"a vendor id is an integer, got {created['id']!r}"
        assert_fields_equal(body, created, "The created vendor")


def test_a_created_vendor_reads_back_by_id_with_its_company_name(company, new_vendor):
    """A created vendor reads back by id with every field and its company name"""
    vendor = new_vendor.stored
    with allure.step("Check every field, the company name and the modification time"), about("GET /vendors/{id}"):
        assert vendor.get("id") == new_vendor.id, f"asked for vendor {new_vendor.id}, got {vendor.get('id')}"
        assert_fields_equal(new_vendor.body, vendor, "The vendor read by id")
        assert vendor.get("company_name") == company.name, (
            f"company_name should be {company.name!r}, got {vendor.get('company_name')!r}"
        )


def test_creating_a_vendor_stores_it_exactly_once(new_vendor):
    """Creating a vendor once stores exactly one vendor with its ERP id"""
    with allure.step("Count the ERP id among the company's vendors changed around that time"), about("GET /vendors"):
        new_vendor.listed()
        same = [v for v in new_vendor.near.items if v.get("erp_vendor_id") == new_vendor.body["erp_vendor_id"]]
        assert len(same) == 1, (
            f"one create should store one vendor with ERP id {new_vendor.body['erp_vendor_id']!r}, "
            f"the list holds {len(same)}: ids {[v.get('id') for v in same]}"
        )


def test_the_vendor_list_contains_a_new_vendor_with_every_field(new_vendor):
    """The vendor list contains a new vendor, with every field, in the documented envelope"""
    with allure.step("Check the envelope of the company's vendor list"), about("GET /vendors"):
        assert_list_envelope(new_vendor.near.pages[0].body, "vendors", "GET /vendors")
    with (
        allure.step("Check the listed vendor has every field as read by id, and a modification time"),
        about("GET /vendors"),
    ):
        found = new_vendor.listed()
        assert_fields_equal(new_vendor.stored, found, "The vendor in the list")
        for key in ("last_modified_date", "last_modified_date_utc"):
            assert key in found, f"a listed vendor should carry '{key}': {found}"


def test_filtering_vendors_by_company_lists_only_that_company(api, company, other_company, make_vendor, new_vendor):
    """Filtering vendors by company lists only that company's vendors"""
    mine = new_vendor.created
    with allure.step("Create a vendor in another company"):
        theirs = make_vendor(ottimate_company_id=other_company.id)
    moment = new_vendor.changed_at()
    with allure.step(f"List vendors of company {company.id} only"):
        listed = vendors_near(api, company.id, moment)
    with allure.step("Check every vendor listed belongs to that company"):
        strangers = [v for v in listed.items if v.get("ottimate_company_id") != company.id]
        assert not strangers, (
            f"filtering by company {company.id} listed vendors of other companies: "
            f"{[(v.get('id'), v.get('ottimate_company_id')) for v in strangers]}"
        )
        assert find_by_id(listed, mine["id"]) is not None, f"vendor {mine['id']} of company {company.id} is missing"
        assert find_by_id(listed, theirs["id"]) is None, (
            f"vendor {theirs['id']} of company {other_company.id} is listed"
        )


@pytest.mark.parametrize("suffix", ["", "_utc"], ids=["plain dates", "utc dates"])
def test_a_new_vendor_is_inside_a_last_modified_window_around_its_change(api, company, new_vendor, suffix):
    """A new vendor is listed by a last-modified window around its change"""
    vendor, moment = new_vendor.created, new_vendor.changed_at()
    fmt = utc_param if suffix else plain_param
    params = {
        "ottimate_company_id": company.id,
        f"last_modified_date_from{suffix}": fmt(moment - timedelta(minutes=2)),
        f"last_modified_date_to{suffix}": fmt(moment + timedelta(minutes=2)),
    }
    with allure.step(f"List vendors changed within two minutes of {utc_param(moment)} ({suffix or 'plain'})"):
        listed = stable_walk(api, "/vendors", "vendors", params)
    assert find_by_id(listed, vendor["id"]) is not None, (
        f"vendor {vendor['id']} changed at {utc_param(moment)} is not listed for the window {params}"
    )
    with allure.step("Check every vendor listed changed within the window"):
        low, high = moment - timedelta(minutes=2, seconds=1), moment + timedelta(minutes=2, seconds=1)
        outside = [
            (v.get("id"), v.get("last_modified_date_utc"))
            for v in listed.items
            if (changed := last_modified(v)) is not None and not low <= changed <= high
        ]
        assert not outside, f"vendors outside the window {params} are listed: {outside}"


@pytest.mark.parametrize("suffix", ["", "_utc"], ids=["plain dates", "utc dates"])
def test_a_new_vendor_is_outside_a_last_modified_window_in_the_past(api, company, new_vendor, suffix):
    """A new vendor is not listed by a last-modified window that ended before it was created"""
    vendor, moment = new_vendor.created, new_vendor.changed_at()
    fmt = utc_param if suffix else plain_param
    params = {
        "ottimate_company_id": company.id,
        f"last_modified_date_from{suffix}": fmt(moment - timedelta(days=2)),
        f"last_modified_date_to{suffix}": fmt(moment - timedelta(days=1)),
    }
    with allure.step("List vendors changed between two days and one day before it"):
        listed = stable_walk(api, "/vendors", "vendors", params)
    assert find_by_id(listed, vendor["id"]) is None, (
        f"vendor {vendor['id']} changed at {utc_param(moment)} is listed for the past window {params}"
    )


def test_a_date_only_filter_starts_at_midnight_utc(api, company, new_vendor):
    """A date-only last-modified filter (YYYY-MM-DD) counts from midnight UTC of that day"""
    vendor, moment = new_vendor.created, new_vendor.changed_at()
    params = {
        "ottimate_company_id": company.id,
        "last_modified_date_from": (moment - timedelta(days=1)).strftime("%Y-%m-%d"),
        "last_modified_date_to": (moment + timedelta(days=1)).strftime("%Y-%m-%d"),
    }
    with allure.step(
        f"List vendors changed from {params['last_modified_date_from']} to {params['last_modified_date_to']}"
    ):
        listed = stable_walk(api, "/vendors", "vendors", params)
    assert find_by_id(listed, vendor["id"]) is not None, f"vendor {vendor['id']} is not listed for {params}"


@pytest.mark.parametrize("winner", ["utc window includes it", "utc window excludes it"])
def test_the_utc_date_filter_wins_when_both_are_sent(api, company, new_vendor, winner):
    """When both a date filter and its _utc twin are sent, the _utc one wins"""
    vendor, moment = new_vendor.created, new_vendor.changed_at()
    around = (moment - timedelta(minutes=2), moment + timedelta(minutes=2))
    past = (moment - timedelta(days=2), moment - timedelta(days=1))
    utc_window, plain_window = (around, past) if winner == "utc window includes it" else (past, around)
    params = {
        "ottimate_company_id": company.id,
        "last_modified_date_from": plain_param(plain_window[0]),
        "last_modified_date_to": plain_param(plain_window[1]),
        "last_modified_date_from_utc": utc_param(utc_window[0]),
        "last_modified_date_to_utc": utc_param(utc_window[1]),
    }
    with allure.step("List vendors with contradicting plain and _utc windows"):
        listed = stable_walk(api, "/vendors", "vendors", params)
    found = find_by_id(listed, vendor["id"]) is not None
    expected = winner == "utc window includes it"
    assert found is expected, (
        f"with a _utc window {'around' if expected else 'before'} the change and a plain window "
        f"{'before' if expected else 'around'} it, vendor {vendor['id']} should "
        f"{'' if expected else 'not '}be listed: the _utc filter must win ({params})"
    )


def test_the_basic_vendor_list_still_lists_a_new_vendor(api, company, new_vendor):
    """The basic vendor list (detail=basic) answers the envelope and still lists a new vendor"""
    vendor, moment = new_vendor.created, new_vendor.changed_at()
    params = {
        "ottimate_company_id": company.id,
        "detail": "basic",
        "last_modified_date_from_utc": utc_param(moment - timedelta(minutes=5)),
    }
    with allure.step("List the company's vendors with detail=basic"):
        listed = stable_walk(api, "/vendors", "vendors", params)
        assert_list_envelope(listed.pages[0].body, "vendors", "GET /vendors?detail=basic")
    assert find_by_id(listed, vendor["id"]) is not None, f"vendor {vendor['id']} is missing from the basic list"


@pytest.mark.parametrize("version", ["1.0.0", "1.1.0"])
def test_the_vendor_list_accepts_each_documented_api_version(raw_http, company, version):
    """The vendor list accepts each documented X-API-Version"""
    http = raw_http({"X-API-Version": version})
    with allure.step(f"List vendors with X-API-Version {version}"):
        body = expect_status(http.get("/vendors", params={"ottimate_company_id": company.id}), 200)
    assert_list_envelope(body, "vendors", f"GET /vendors (version {version})")


def test_a_vendor_list_page_honours_the_limit(api, company, make_vendor, new_vendor):
    """A page of the vendor list holds at most 'limit' vendors and says which page it is"""
    make_vendor()  # with the module's vendor, the company has at least two
    with allure.step("Ask for page 1 with a limit of 1"):
        body = expect_status(api.get("/vendors", params={"ottimate_company_id": company.id, "limit": 1}), 200)
    vendors = assert_list_envelope(body, "vendors", "GET /vendors?limit=1")
    assert body["limit"] == 1, f"the page should echo limit 1, got {body['limit']!r}"
    assert body["page"] == 1, f"the page should be page 1, got {body['page']!r}"
    assert len(vendors) == 1, f"limit 1 should give one vendor, got {len(vendors)}"
    assert body["count"] >= 2, f"count is the total matching, at least 2 here, got {body['count']}"


def test_a_page_past_the_end_of_the_vendor_list_is_empty(api, company, new_vendor):
    """A page past the end of the vendor list answers 200 with no vendor"""
    with allure.step("Ask for a page far beyond the last one"):
        response = api.get("/vendors", params={"ottimate_company_id": company.id, "page": 100000, "limit": 100})
    # What a page past the end answers is open (§6.1): an empty page is our reading (a framework may say 404).
    with our_reading("page-numbers", "a page past the end answers 200 with an empty list"):
        body = expect_status(response, 200)
        vendors = assert_list_envelope(body, "vendors", "GET /vendors?page=100000")
        assert vendors == [], f"a page past the end should hold no vendor, got {len(vendors)}"
    assert body["count"] >= 1, f"count stays the total matching, got {body['count']}"


def test_page_zero_of_the_vendor_list_is_read_as_page_one(api, company, new_vendor):
    """Page 0 of the vendor list is read as page 1"""
    query = {"ottimate_company_id": company.id, "limit": 5}
    for _ in range(3):  # others may write to a shared sandbox between the two reads: compare a quiet pair
        with allure.step("Ask for page 0 and for page 1"):
            answer = api.get("/vendors", params={**query, "page": 0})
            one = expect_status(api.get("/vendors", params={**query, "page": 1}), 200)
        # The Reference's one example answers page=0 as page 1 (§6.1, for companies): for vendors, our reading.
        with our_reading("page-numbers", "page 0 is answered as page 1"):
            zero = expect_status(answer, 200)
        if zero.get("count") == one.get("count"):
            break
    with our_reading("page-numbers", "page 0 is answered as page 1"):
        assert zero.get("page") == 1, f"page 0 should be answered as page 1, got page {zero.get('page')!r}"
        assert [v.get("id") for v in zero["vendors"]] == [v.get("id") for v in one["vendors"]], (
            "page 0 and page 1 should list the same vendors"
        )
