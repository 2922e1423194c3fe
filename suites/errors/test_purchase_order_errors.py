"""Purchase orders: invalid writes are refused with 400 naming the field, object-valued dimensions with
PO4000, unknown ids with 404, other locations' POs with 403 (CONTRACT §7, §14)."""

import allure
import pytest

from fixtures.checks import assert_error_response, expect_status, judging, our_reading
from fixtures.procurement import DIMENSION_TYPE

pytestmark = [pytest.mark.api_area("Purchase orders"), pytest.mark.contract("§2.2", "§7", "§14")]

REQUIRED = ("ottimate_location_id", "po_number", "erp_vendor_id", "date", "total_amount", "items")
ITEM_REQUIRED = ("name", "quantity", "price")
UNKNOWN_PO = "00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize("missing", REQUIRED)
def test_creating_a_purchase_order_without_a_required_field_is_refused(api, procurement_bodies, po_location, missing):
    """Creating a purchase order without a required field is refused with 400 naming the field"""
    body = procurement_bodies.purchase_order(po_location.id)
    del body[missing]
    with allure.step(f"Create a purchase order without '{missing}'"):
        response = api.post("/purchase-orders", json=body)
    assert_error_response(response, 400, mentions=missing)


@pytest.mark.parametrize("missing", ITEM_REQUIRED)
def test_creating_a_purchase_order_with_an_incomplete_item_is_refused(api, procurement_bodies, po_location, missing):
    """Creating a purchase order whose item lacks a name, quantity or price is refused with 400 naming it"""
    body = procurement_bodies.purchase_order(po_location.id, items=1)
    del body["items"][0][missing]
    with allure.step(f"Create a purchase order whose item has no '{missing}'"):
        response = api.post("/purchase-orders", json=body)
    assert_error_response(response, 400, mentions=missing)


def test_an_object_valued_item_dimension_is_refused_with_po4000(api, procurement_bodies, po_location, po_dimension):
    """A PO item dimension sent as an object (as reads show it) is refused with PO4000"""
    as_read = {k: po_dimension[k] for k in ("id", "erp_dimension_id", "name", "code")}
    body = procurement_bodies.purchase_order(po_location.id, items=1)
    body["items"][0]["dimensions"] = {DIMENSION_TYPE: as_read}
    with allure.step(f"Create a purchase order whose item's {DIMENSION_TYPE} dimension is an object"):
        response = api.post("/purchase-orders", json=body)
    error = assert_error_response(response, 400)
    assert error["code"] == "PO4000", f"§7 documents code PO4000 for object-valued PO dimensions, got {error}"
    assert DIMENSION_TYPE in str(error.get("message")) and "string" in str(error.get("message")), (
        f"the message should say the {DIMENSION_TYPE} value must be a string, got {error.get('message')!r}"
    )


def test_sending_dimensions_back_as_read_in_a_patch_is_refused_with_po4000(api, purchase_order, po_dimension):
    """Updating a PO item with its dimension as an object, the way reads show it, is refused with PO4000"""
    as_read = {k: po_dimension[k] for k in ("id", "erp_dimension_id", "name", "code")}
    item = purchase_order["items"][0]
    with allure.step(f"Update item {item['id']} with its {DIMENSION_TYPE} dimension as an object"):
        response = api.patch(
            f"/purchase-orders/{purchase_order['id']}",
            json={"items": [{"id": item["id"], "dimensions": {DIMENSION_TYPE: as_read}}]},
        )
    error = assert_error_response(response, 400)
    assert error["code"] == "PO4000", f"§7 documents code PO4000 for object-valued PO dimensions, got {error}"


def test_an_empty_item_dimensions_map_is_refused(api, procurement_bodies, po_location):
    """A PO item with an empty dimensions map ({}) is refused with 400"""
    body = procurement_bodies.purchase_order(po_location.id, items=1)
    body["items"][0]["dimensions"] = {}
    with allure.step("Create a purchase order whose item's dimensions are {}"):
        response = api.post("/purchase-orders", json=body)
    assert_error_response(response, 400, mentions="dimension")


def test_a_dimension_that_does_not_exist_is_refused(api, procurement_bodies, po_location):
    """A PO item naming a dimension that does not exist is refused with 400"""
    body = procurement_bodies.purchase_order(po_location.id, items=1)
    body["items"][0]["dimensions"] = {DIMENSION_TYPE: f"TD-{procurement_bodies.run_id}-does-not-exist"}
    with allure.step("Create a purchase order whose item names a department that does not exist"):
        response = api.post("/purchase-orders", json=body)
    assert_error_response(response, 400, mentions=("dimension", DIMENSION_TYPE))


def test_changing_a_purchase_orders_number_is_refused(api, purchase_order):
    """Changing a purchase order's number with PATCH is refused with 400 naming po_number"""
    with allure.step(f"Change the number of purchase order {purchase_order['id']}"):
        response = api.patch(
            f"/purchase-orders/{purchase_order['id']}", json={"po_number": f"{purchase_order['po_number']}-changed"}
        )
    if 200 <= response.status_code < 300:  # accepted: the number must still not have changed (§14)
        with judging(response):
            kept = expect_status(response, response.status_code).get("po_number")
            assert kept == purchase_order["po_number"], f"PATCH changed the PO's number to {kept!r} (§14: it cannot)"
    with our_reading("immutable-fields-on-patch", "a change of po_number is refused with 400"):
        assert_error_response(response, 400, mentions="po_number")


@pytest.mark.readonly
def test_reading_an_unknown_purchase_order_answers_404(api):
    """Reading a purchase order id that does not exist answers 404"""
    with allure.step(f"Read purchase order {UNKNOWN_PO}"):
        response = api.get(f"/purchase-orders/{UNKNOWN_PO}")
    assert_error_response(response, 404)


def test_updating_an_unknown_purchase_order_answers_404(api):
    """Updating a purchase order id that does not exist answers 404"""
    with allure.step(f"Update purchase order {UNKNOWN_PO}"):
        response = api.patch(f"/purchase-orders/{UNKNOWN_PO}", json={"total_amount": 1.0})
    assert_error_response(response, 404)


def test_a_bulk_call_without_a_default_location_is_refused(api, company, procurement_bodies):
    """A PO bulk call without ottimate_location_id is refused with 400 naming it"""
    body = {"ottimate_company_id": company.id, "purchase_orders": [procurement_bodies.purchase_order(None, items=1)]}
    with allure.step("Send a PO bulk call with no default location"):
        response = api.post("/purchase-orders/bulk", json=body)
    assert_error_response(response, 400, mentions="ottimate_location_id")


def test_a_bulk_call_of_more_than_100_purchase_orders_is_refused(api, company, po_location, procurement_bodies):
    """A PO bulk call with more than 100 purchase orders is refused with 400"""
    pos = [procurement_bodies.purchase_order(None, items=1) for _ in range(101)]
    body = {"ottimate_company_id": company.id, "ottimate_location_id": po_location.id, "purchase_orders": pos}
    with allure.step("Send 101 purchase orders in one bulk call"):
        response = api.post("/purchase-orders/bulk", json=body)
    assert_error_response(response, 400, mentions=("purchase_orders", "100"))


@pytest.mark.scoped_user
def test_the_scoped_user_cannot_create_a_purchase_order_outside_its_locations(
    scoped_api, org, out_of_scope_company, procurement_bodies
):
    """The scoped user creating a purchase order at a location outside its scope is refused with 403"""
    outside = [loc for loc in org.locations if loc.company == out_of_scope_company.name]
    if not outside:
        pytest.skip(f"company {out_of_scope_company.id} has no location these credentials can see")
    with allure.step(f"As the scoped user, create a purchase order at {outside[0].name!r}"):
        response = scoped_api.post("/purchase-orders", json=procurement_bodies.purchase_order(outside[0].id))
    assert_error_response(response, 403)


@pytest.mark.scoped_user
def test_the_scoped_user_cannot_read_or_list_purchase_orders_outside_its_locations(
    api, scoped_api, org, out_of_scope_company, procurement_bodies
):
    """The scoped user reading or listing purchase orders of a location outside its scope is refused with 403"""
    outside = [loc for loc in org.locations if loc.company == out_of_scope_company.name]
    if not outside:
        pytest.skip(f"company {out_of_scope_company.id} has no location these credentials can see")
    with allure.step(f"Prepare: as the account user, create a purchase order at {outside[0].name!r}"):
        po = expect_status(api.post("/purchase-orders", json=procurement_bodies.purchase_order(outside[0].id)), 201)
    with allure.step(f"As the scoped user, read purchase order {po['id']}"):
        assert_error_response(scoped_api.get(f"/purchase-orders/{po['id']}"), 403)
    with allure.step(f"As the scoped user, list the purchase orders of {outside[0].name!r}"):
        assert_error_response(scoped_api.get("/purchase-orders", params={"ottimate_location_id": outside[0].id}), 403)
