"""Dimensions: create one, read it back, list and filter, bulk upsert (CONTRACT §10)."""

from dataclasses import dataclass

import allure
import pytest

from fixtures.checks import about, assert_fields_equal, assert_keys, assert_list_envelope, expect_status, is_int
from fixtures.paging import Walk, find_by_id, stable_walk

pytestmark = [pytest.mark.api_area("Dimensions"), pytest.mark.contract("§10")]

DIMENSION_KEYS = ("id", "name", "erp_type", "code", "reference_id", "ottimate_type", "erp_dimension_id")


def read_dimension(api, dimension_id):
    with allure.step(f"Read dimension {dimension_id} back by its id"):
        body = expect_status(api.get(f"/dimensions/{dimension_id}"), 200)
    assert isinstance(body, dict) and isinstance(body.get("dimension"), dict), (
        f"GET /dimensions/{{id}} should answer {{version, dimension}}, got {body!r}"
    )
    return body["dimension"]


def dimensions_of_type(api, company_id, erp_type, **params):
    with allure.step(f"List the company's dimensions of ERP type {erp_type!r}"):
        return stable_walk(
            api, "/dimensions", "dimensions", {"ottimate_company_id": company_id, "erp_type": erp_type, **params}
        )


@dataclass
class NewDimension:
    """A dimension created for this module (the tests only read it), with one of another ERP type."""

    body: dict
    created: dict
    stored: dict  # read by id
    other: dict  # a dimension of another ERP type, created just after it
    of_type: Walk  # the company's dimensions of its ERP type, listed after both were created

    @property
    def id(self):
        return self.created["id"]


@pytest.fixture(scope="module")
def new_dimension(api, company, payloads, run_id):
    """One project dimension of an ERP type of its own and one of another type, created once for the
    module; the dimension read by id and the list of its ERP type serve the read, list and filter checks."""
    wanted, other = f"Project {run_id}-{payloads.number()}", f"Task {run_id}-{payloads.number()}"
    body = payloads.dimension(company.id, erp_type=wanted, ottimate_type="project")
    with allure.step("Prepare: create one dimension of each of two ERP types of their own"):
        created = expect_status(api.post("/dimensions", json=body), 201)
        theirs = expect_status(
            api.post("/dimensions", json=payloads.dimension(company.id, erp_type=other, ottimate_type="task")), 201
        )
    assert isinstance(created, dict) and "id" in created, f"POST /dimensions answered {created!r}"
    stored = read_dimension(api, created["id"])
    return NewDimension(body, created, stored, theirs, dimensions_of_type(api, company.id, wanted))


def test_creating_a_dimension_answers_201_with_the_flat_dimension(new_dimension):
    """Creating a dimension answers 201 with the flat dimension object"""
    body, created = new_dimension.body, new_dimension.created  # the module's dimension, created with 201
    with allure.step("Check the answer is the flat dimension with every field as sent"), about("POST /dimensions"):
        assert_keys(created, ["version", *DIMENSION_KEYS], "POST /dimensions answer")
        assert "dimension" not in created, f"POST /dimensions answers a flat object, not wrapped: {created}"
        assert isinstance(created["id"], str) and created["id"], f"a dimension id is a string, got {created['id']!r}"
        assert_fields_equal(body, created, "The created dimension")


def test_a_created_dimension_reads_back_by_id(new_dimension):
    """A created dimension reads back by id with every field"""
    stored = new_dimension.stored
    with allure.step("Check every field of the dimension read by id"), about("GET /dimensions/{id}"):
        assert stored.get("id") == new_dimension.id, f"asked for {new_dimension.id}, got {stored.get('id')}"
        assert_fields_equal(new_dimension.body, stored, "The dimension read by id")


def test_creating_a_dimension_stores_it_exactly_once(new_dimension):
    """Creating a dimension once stores exactly one dimension with its ERP id"""
    erp_id = new_dimension.body["erp_dimension_id"]
    with allure.step("Count the ERP id among the dimensions of its ERP type"), about("GET /dimensions"):
        same = [d for d in new_dimension.of_type.items if d.get("erp_dimension_id") == erp_id]
        assert len(same) == 1, (
            f"one create should store one dimension with ERP id {erp_id!r}, the list of its ERP type holds {len(same)}"
        )


def test_the_dimension_list_contains_a_new_dimension_with_every_field(new_dimension):
    """The dimension list contains a new dimension, with every field, in the documented envelope"""
    with allure.step("Check the envelope of the company's dimension list"), about("GET /dimensions"):
        assert_list_envelope(new_dimension.of_type.pages[0].body, "dimensions", "GET /dimensions")
    with allure.step("Check the listed dimension has every field as sent"), about("GET /dimensions"):
        found = find_by_id(new_dimension.of_type, new_dimension.id)
        assert found is not None, f"dimension {new_dimension.id} is not in the company's dimension list"
        assert_fields_equal(new_dimension.body, found, "The dimension in the list")


def test_filtering_dimensions_by_erp_type_lists_only_that_type(new_dimension):
    """Filtering dimensions by ERP type lists only dimensions of that type"""
    wanted, listed, theirs = new_dimension.body["erp_type"], new_dimension.of_type, new_dimension.other
    with allure.step(f"Check every dimension listed is of ERP type {wanted!r}"), about("GET /dimensions"):
        strangers = [(d.get("id"), d.get("erp_type")) for d in listed.items if d.get("erp_type") != wanted]
        assert not strangers, f"filtering by erp_type {wanted!r} listed other types: {strangers[:10]}"
        assert find_by_id(listed, new_dimension.id) is not None, (
            f"dimension {new_dimension.id} of type {wanted!r} is missing"
        )
        assert find_by_id(listed, theirs["id"]) is None, (
            f"dimension {theirs['id']} of type {theirs.get('erp_type')!r} is listed"
        )


def test_filtering_dimensions_by_company_lists_only_that_company(api, company, other_company, payloads, new_dimension):
    """Filtering dimensions by company lists only that company's dimensions"""
    erp_type, mine = new_dimension.body["erp_type"], new_dimension.created
    with allure.step("Create a dimension of the same ERP type in another company"):
        theirs = expect_status(
            api.post("/dimensions", json=payloads.dimension(other_company.id, erp_type=erp_type)), 201
        )
    listed = dimensions_of_type(api, company.id, erp_type)
    with allure.step(f"Check every dimension listed belongs to company {company.id}"):
        # A listed dimension need not carry `ottimate_company_id` (§10: not required): judged where present;
        # the other company's dimension must be absent either way.
        strangers = [
            (d.get("id"), d.get("ottimate_company_id"))
            for d in listed.items
            if "ottimate_company_id" in d and d["ottimate_company_id"] != company.id
        ]
        assert not strangers, f"filtering by company {company.id} listed other companies' dimensions: {strangers}"
        assert find_by_id(listed, mine["id"]) is not None, f"dimension {mine['id']} is missing"
        assert find_by_id(listed, theirs["id"]) is None, (
            f"dimension {theirs['id']} of company {other_company.id} is listed for company {company.id}"
        )


def test_the_basic_dimension_list_still_lists_a_new_dimension(api, company, new_dimension):
    """The basic dimension list (detail=basic) answers the envelope and still lists a new dimension"""
    params = {"ottimate_company_id": company.id, "erp_type": new_dimension.body["erp_type"], "detail": "basic"}
    with allure.step("List the dimensions with detail=basic"):
        body = expect_status(api.get("/dimensions", params=params), 200)
    found = assert_list_envelope(body, "dimensions", "GET /dimensions?detail=basic")
    assert new_dimension.id in [d.get("id") for d in found], (
        f"dimension {new_dimension.id} is missing from the basic list"
    )


@pytest.mark.parametrize("version", ["1.0.0", "1.1.0"])
def test_the_dimension_list_accepts_each_documented_api_version(raw_http, company, version):
    """The dimension list accepts each documented X-API-Version"""
    http = raw_http({"X-API-Version": version})
    with allure.step(f"List dimensions with X-API-Version {version}"):
        body = expect_status(http.get("/dimensions", params={"ottimate_company_id": company.id}), 200)
    assert_list_envelope(body, "dimensions", f"GET /dimensions (version {version})")


def test_bulk_creates_new_dimensions_and_then_updates_them(api, company, payloads, run_id):
    """Bulk creates new dimensions, then updates the same dimensions when sent again"""
    erp_type = f"Bulk {run_id}-{payloads.number()}"  # of their own: one list read shows all three
    items = [payloads.dimension_item(ottimate_type=t, erp_type=erp_type) for t in ("department", "class", "project")]
    with allure.step("Send three new dimensions in one bulk call"):
        first = expect_status(api.post("/dimensions/bulk", json=payloads.dimension_bulk(company.id, items)), 201)
    with allure.step("Check all three were created and the counts agree"):
        assert_keys(
            first,
            [
                "version",
                "success_count",
                "created_count",
                "updated_count",
                "error_count",
                "created",
                "updated",
                "errors",
            ],
            "POST /dimensions/bulk answer",
        )
        for key in ("success_count", "created_count", "updated_count", "error_count"):
            assert is_int(first[key]), f"'{key}' should be an integer, got {first[key]!r}"
        assert (first["created_count"], first["updated_count"], first["error_count"]) == (3, 0, 0), (
            f"expected 3 created, 0 updated, 0 errors: {first}"
        )
        assert first["success_count"] == 3 and len(first["created"]) == 3, f"counts disagree with lists: {first}"
        ids = {entry.get("name"): entry.get("id") for entry in first["created"]}
        for item in items:
            assert item["name"] in ids, f"{item['name']!r} is not among the created dimensions: {first['created']}"
    listed = dimensions_of_type(api, company.id, erp_type)
    with allure.step("Check each created dimension is stored with every field"):
        for item in items:
            stored = find_by_id(listed, ids[item["name"]])
            assert stored is not None, f"bulk-created dimension {ids[item['name']]} is not listed under {erp_type!r}"
            assert_fields_equal(item, stored, f"Bulk-created dimension {item['name']!r}")

    renamed = [{**item, "name": item["name"] + " (renamed)"} for item in items]
    with allure.step("Send the same three dimensions again with new names"):
        second = expect_status(api.post("/dimensions/bulk", json=payloads.dimension_bulk(company.id, renamed)), 201)
    with allure.step("Check all three were updated in place, not created again"):
        assert (second["created_count"], second["updated_count"], second["error_count"]) == (0, 3, 0), (
            f"expected 0 created, 3 updated, 0 errors: {second}"
        )
        assert second["success_count"] == 3 and len(second["updated"]) == 3, f"counts disagree with lists: {second}"
        updated_ids = sorted(str(entry.get("id")) for entry in second["updated"])
        assert updated_ids == sorted(str(i) for i in ids.values()), (
            f"the update should keep the dimension ids {sorted(ids.values())}, got {updated_ids}"
        )
    listed = dimensions_of_type(api, company.id, erp_type)
    with allure.step("Check each dimension is stored with its new name, and none was added"):
        assert sorted(map(str, listed.ids)) == sorted(map(str, ids.values())), (
            f"the dimensions of ERP type {erp_type!r} should be {sorted(ids.values())}, listed {listed.ids}"
        )
        for item, old_name in zip(renamed, items, strict=True):
            stored = find_by_id(listed, ids[old_name["name"]])
            assert_fields_equal(item, stored or {}, f"Dimension {item['name']!r} after update")
