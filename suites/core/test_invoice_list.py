"""Invoices: the list and its filters (CONTRACT §12.2)."""

import allure
import pytest

from fixtures.checks import assert_keys, expect_status, our_reading, parse_timestamp, utc_param
from fixtures.invoices import HELD, IN_WORKFLOW, invoice_status

pytestmark = [pytest.mark.api_area("Invoices"), pytest.mark.contract("§6.1", "§12.2")]

LIST_ITEM_KEYS = ("id", "status", "payment_status", "created_at")


@pytest.fixture(scope="module")
def two_invoices(make_invoice, invoice_payloads):
    """One complete invoice (in the approval workflow) and one held for attention, created for this module."""
    pending = make_invoice()
    held = make_invoice(total_amount=round(invoice_payloads.body()["total_amount"] + 5, 2))
    with our_reading("invoice-lifecycle", "a complete invoice enters the approval workflow, one not adding up is held"):
        assert invoice_status(pending) in IN_WORKFLOW and invoice_status(held) in HELD, (
            f"setup: expected one invoice in the workflow and one held, got {pending['status']!r}, {held['status']!r}"
        )
    return pending, held


def listed(api, **params):
    with allure.step(f"List invoices with {params}"):
        body = expect_status(api.get("/invoices", params=params), 200)
    assert_keys(body, ["version", "count", "results"], "GET /invoices answer")
    assert isinstance(body["results"], list), f"'results' should be a list, got {body['results']!r}"
    return body


def ids_of(body):
    return [item.get("id") for item in body["results"]]


def test_filtering_by_invoice_ids_lists_exactly_those_invoices(api, two_invoices):
    """Filtering invoices by their ids lists exactly those invoices, with the documented fields"""
    pending, held = two_invoices
    body = listed(api, invoice_ids=f"{pending['id']},{held['id']}")
    with allure.step("Check exactly the two invoices are listed, newest first, each with its required fields"):
        assert sorted(ids_of(body)) == sorted([pending["id"], held["id"]]), (
            f"expected invoices {pending['id']} and {held['id']}, got {ids_of(body)}"
        )
        assert body["count"] == 2, f"'count' should be the 2 matching invoices, got {body['count']}"
        for item in body["results"]:
            assert_keys(item, LIST_ITEM_KEYS, "listed invoice")
        assert ids_of(body) == [held["id"], pending["id"]], (
            f"invoices are listed newest created first: expected {[held['id'], pending['id']]}, got {ids_of(body)}"
        )
        by_id = {item["id"]: item for item in body["results"]}
        assert by_id[held["id"]].get("invoice_number") == held.get("number"), (
            f"the list should show invoice_number {held.get('number')!r}: {by_id[held['id']]}"
        )


def test_filtering_by_status_lists_only_invoices_in_that_status(api, two_invoices):
    """Filtering invoices by status lists only invoices in that status"""
    pending, held = two_invoices
    status = invoice_status(held)
    body = listed(api, status=status, invoice_ids=f"{pending['id']},{held['id']}")
    with allure.step("Check of the two invoices only the one held for attention is listed"):
        assert ids_of(body) == [held["id"]], (
            f"status={status} among {pending['id']} ({pending['status']}) and {held['id']} ({held['status']}) "
            f"should list only {held['id']}, got {ids_of(body)}"
        )
        assert invoice_status(body["results"][0]) == status, f"listed as {body['results'][0]}"


def test_searching_by_invoice_number_finds_the_invoice(api, two_invoices):
    """Searching invoices by invoice number finds that invoice only"""
    pending, _ = two_invoices
    body = listed(api, search=pending["number"])
    with allure.step("Check the search finds the invoice and nothing else of this run"):
        assert ids_of(body) == [pending["id"]], (
            f"searching {pending['number']!r} should find invoice {pending['id']} only, got {ids_of(body)}"
        )


def test_filtering_by_location_and_last_modified_window_lists_the_new_invoices(api, two_invoices, invoice_location):
    """Filtering invoices by location and last-modified window lists the invoices just created"""
    pending, held = two_invoices
    since = utc_param(min(parse_timestamp(inv["last_modified_date_utc"]) for inv in (pending, held)))
    body = listed(api, ottimate_location_ids=str(invoice_location.id), last_modified_date_from_utc=since, limit=100)
    with allure.step("Check both invoices are listed and every listed invoice is of that location"):
        for inv in (pending, held):
            assert inv["id"] in ids_of(body), f"invoice {inv['id']} of location {invoice_location.id} is missing"
        others = [i for i in body["results"] if i.get("ottimate_location_name") not in (None, invoice_location.name)]
        assert not others, f"the location filter listed invoices of other locations: {others}"
        too_old = [
            i["id"]
            for i in body["results"]
            if i.get("last_modified_date_utc") and parse_timestamp(i["last_modified_date_utc"]) < parse_timestamp(since)
        ]
        assert not too_old, f"invoices modified before the window were listed: {too_old}"


def test_filtering_by_vendor_lists_that_vendors_invoices(api, two_invoices, billing_vendor):
    """Filtering invoices by vendor lists that vendor's invoices only"""
    pending, held = two_invoices
    body = listed(api, ottimate_vendor_id=str(billing_vendor["id"]), limit=100)
    with allure.step("Check the vendor's invoices are listed and no other vendor's"):
        for inv in (pending, held):
            assert inv["id"] in ids_of(body), f"invoice {inv['id']} of the vendor is missing: {ids_of(body)}"
        others = [i for i in body["results"] if i.get("ottimate_vendor_name") != billing_vendor["erp_vendor_name"]]
        assert not others, f"the vendor filter listed other vendors' invoices: {others}"
