"""Idempotency: a retried write with the same key is replayed, never applied twice (CONTRACT §5)."""

import threading

import allure
import pytest

from fixtures.checks import assert_error_response, expect_status
from fixtures.paging import find_by_id, server_time, stable_walk, vendors_near

pytestmark = [pytest.mark.api_area("Idempotency"), pytest.mark.contract("§5")]

REPLAYED = "X-Idempotent-Replayed"


def vendors_with_erp_id(api, company_id, vendor_id, erp_id, near):
    """The company's vendors with ``erp_id``, among those changed within 15 minutes of ``near`` (a
    duplicate would have been stored in the same moment), else in the whole list (clocks disagree)."""
    listed = vendors_near(api, company_id, near, seconds=900)
    if find_by_id(listed, vendor_id) is None:
        listed = vendors_near(api, company_id, None)
    assert find_by_id(listed, vendor_id) is not None, (
        f"vendor {vendor_id} is not in the vendor list of company {company_id}"
    )
    return [v for v in listed.items if v.get("erp_vendor_id") == erp_id]


def test_a_vendor_create_sent_twice_with_one_key_is_replayed_and_stored_once(api, company, payloads):
    """A vendor create sent twice with the same key and body is replayed and stores one vendor"""
    body, key = payloads.vendor(company.id), payloads.idempotency_key()
    with allure.step("Create a vendor with an Idempotency-Key"):
        first = api.post("/vendors", json=body, idempotency_key=key)
        original = expect_status(first, 201)
        assert first.headers.get(REPLAYED, "").lower() != "true", "the first call is marked as a replay"
    with allure.step("Send exactly the same request again"):
        second = api.post("/vendors", json=body, idempotency_key=key)
        replay = expect_status(second, 201)
    with allure.step("Check the second answer is a replay of the first"):
        assert second.headers.get(REPLAYED, "").lower() == "true", (
            f"a replay should carry {REPLAYED}: true, headers were {dict(second.headers)}"
        )
        assert replay == original, f"the replay differs from the original answer:\n{original}\n{replay}"
    with allure.step("Check the company holds exactly one vendor with that ERP id"):
        same = vendors_with_erp_id(
            api, company.id, original["vendor"]["id"], body["erp_vendor_id"], server_time(second)
        )
        assert len(same) == 1, f"two sends with one key stored {len(same)} vendors: {[v.get('id') for v in same]}"


def test_a_dimension_create_sent_twice_with_one_key_is_replayed_and_stored_once(api, company, payloads, run_id):
    """A dimension create sent twice with the same key and body is replayed and stores one dimension"""
    erp_type = f"Replay {run_id}-{payloads.number()}"
    body, key = payloads.dimension(company.id, erp_type=erp_type), payloads.idempotency_key()
    with allure.step("Create a dimension with an Idempotency-Key, twice"):
        first = api.post("/dimensions", json=body, idempotency_key=key)
        original = expect_status(first, 201)
        second = api.post("/dimensions", json=body, idempotency_key=key)
        replay = expect_status(second, 201)
    with allure.step("Check the second answer is a replay and one dimension exists"):
        assert second.headers.get(REPLAYED, "").lower() == "true", f"a replay should carry {REPLAYED}: true"
        assert replay == original, f"the replay differs from the original answer:\n{original}\n{replay}"
        listed = stable_walk(
            api, "/dimensions", "dimensions", {"ottimate_company_id": company.id, "erp_type": erp_type}
        )
        assert len(listed.items) == 1, f"two sends with one key stored {len(listed.items)} dimensions"


def test_a_bulk_sent_twice_with_one_key_is_replayed(api, company, payloads):
    """A vendor bulk call sent twice with the same key is replayed, not applied again"""
    body, key = (
        payloads.vendor_bulk(company.id, [payloads.vendor_item(), payloads.vendor_item()]),
        payloads.idempotency_key(),
    )
    with allure.step("Send a bulk call with an Idempotency-Key, twice"):
        first = expect_status(api.post("/vendors/bulk", json=body, idempotency_key=key), 201)
        second = api.post("/vendors/bulk", json=body, idempotency_key=key)
        replay = expect_status(second, 201)
    assert second.headers.get(REPLAYED, "").lower() == "true", f"a replay should carry {REPLAYED}: true"
    assert replay == first, (
        f"the replay should repeat the original answer (2 created), got created {replay.get('created_count')}, "
        f"updated {replay.get('updated_count')}"
    )


def test_one_key_can_be_used_on_two_different_endpoints(api, company, payloads):
    """The same key used on the vendor and the dimension endpoints creates both"""
    key = payloads.idempotency_key()
    with allure.step("Create a vendor and a dimension with the same Idempotency-Key"):
        vendor = api.post("/vendors", json=payloads.vendor(company.id), idempotency_key=key)
        dimension = api.post("/dimensions", json=payloads.dimension(company.id), idempotency_key=key)
    expect_status(vendor, 201)
    expect_status(dimension, 201)
    assert dimension.headers.get(REPLAYED, "").lower() != "true", "the dimension create was treated as a replay"


def test_a_key_whose_first_use_failed_can_be_used_again(api, company, payloads):
    """A key whose first request failed validation is not cached: a corrected request with it succeeds"""
    key = payloads.idempotency_key()
    body = payloads.vendor(company.id)
    with allure.step("Send an invalid vendor (no name) with an Idempotency-Key"):
        assert_error_response(
            api.post("/vendors", json={k: v for k, v in body.items() if k != "erp_vendor_name"}, idempotency_key=key),
            400,
        )
    with allure.step("Send the corrected vendor with the same key"):
        response = api.post("/vendors", json=body, idempotency_key=key)
    expect_status(response, 201)
    assert response.headers.get(REPLAYED, "").lower() != "true", "the corrected request was answered by a replay"


def test_two_simultaneous_creates_with_one_key_store_one_vendor(api, raw_http, company, payloads):
    """Two simultaneous creates with the same key store one vendor; the other gets 409 or a replay"""
    body, key = payloads.vendor(company.id), payloads.idempotency_key()
    clients = [raw_http({"Idempotency-Key": key}), raw_http({"Idempotency-Key": key})]
    start = threading.Barrier(2)
    answers = [None, None]

    def send(index):
        start.wait()
        answers[index] = clients[index].post("/vendors", json=body)

    with allure.step("Send the same create with the same key from two threads at once"):
        threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    with allure.step("Check one created the vendor and the other was told 409 or got a replay"):
        # Not a status left open: 409 is documented for a key still in flight (§5), and a replay (201) is right
        # when the first create finished before the second arrived; which one happens is timing.
        statuses = sorted(a.status_code for a in answers)
        assert statuses in ([201, 201], [201, 409]), f"expected 201 and (201 replay or 409), got {statuses}"
        created = [a for a in answers if a.status_code == 201]
        if len(created) == 2:
            assert created[0].json() == created[1].json(), "both answered 201 but with different vendors"
            replayed = [a.headers.get(REPLAYED, "").lower() == "true" for a in created]
            assert replayed.count(True) == 1, f"exactly one 201 should be a replay, replay flags: {replayed}"
        else:
            assert_error_response(next(a for a in answers if a.status_code == 409), 409)
    with allure.step("Check the company holds exactly one vendor with that ERP id"):
        vendor_id = created[0].json()["vendor"]["id"]
        same = vendors_with_erp_id(api, company.id, vendor_id, body["erp_vendor_id"], server_time(created[0]))
        assert len(same) == 1, f"two simultaneous sends with one key stored {len(same)} vendors"
