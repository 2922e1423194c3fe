"""The faults that only change an answer (`sandbox/overlays.py`): each bends the answer on the way out,
whichever endpoint produced it (batch results and idempotent replays included), and leaves the store
and the control plane alone."""

from __future__ import annotations

from datetime import datetime

import httpx

from ottimate_validation.sandbox.faults import FAULTS_BY_NAME
from ottimate_validation.sandbox.overlays import DATES_SHIFTED_BY, OVERLAYS

from .conftest import Box, assert_error, vendor_body
from .procurement import finish_batches, po_body


def _stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_every_overlay_is_a_known_fault() -> None:
    assert all(overlay.fault in FAULTS_BY_NAME for overlay in OVERLAYS)


def test_dates_shifted_reports_vendor_changes_five_hours_early_without_changing_the_store(
    box: Box, api: httpx.Client, company_id: int
) -> None:
    params = {"ottimate_company_id": company_id}
    before = api.get("/vendors", params=params).json()["vendors"][0]
    box.control("PUT", "faults", json={"enabled": ["dates_shifted"]})
    after = api.get("/vendors", params=params).json()["vendors"][0]
    for name in ("last_modified_date", "last_modified_date_utc"):
        assert _stamp(before[name]) - _stamp(after[name]) == DATES_SHIFTED_BY
    assert after["last_modified_date_utc"].endswith("Z") and not after["last_modified_date"].endswith("Z")
    box.control("PUT", "faults", json={"enabled": []})
    assert api.get("/vendors", params=params).json()["vendors"][0] == before


def test_po_dimensions_dropped_reaches_the_results_of_a_bulk_batch(box: Box, api: httpx.Client) -> None:
    _, companies, locations = box.ids(api)
    dims = api.get("/dimensions", params={"ottimate_company_id": companies[0]}).json()["dimensions"]
    body = po_body(locations[0])
    body["items"][0]["dimensions"] = {
        "DEPARTMENT": next(d for d in dims if d["ottimate_type"] == "department")["erp_dimension_id"]
    }
    envelope = {"ottimate_company_id": companies[0], "ottimate_location_id": locations[0], "purchase_orders": [body]}
    accepted = api.post("/purchase-orders/bulk", json=envelope)
    assert accepted.status_code == 202, accepted.text
    finish_batches(box)
    results_url = f"/batch/{accepted.json()['batch_id']}/results"
    assert api.get(results_url).json()["results"][0]["result"]["items"][0]["dimensions"] != {}
    box.control("PUT", "faults", json={"enabled": ["po_dimensions_dropped"]})
    assert api.get(results_url).json()["results"][0]["result"]["items"][0]["dimensions"] == {}


def test_wrong_status_codes_also_bends_an_idempotent_replay(box: Box, api: httpx.Client, company_id: int) -> None:
    box.control("PUT", "faults", json={"enabled": ["wrong_status_codes"]})
    headers = {"Idempotency-Key": "overlay-replay-1"}
    first = api.post("/vendors", json=vendor_body(company_id, 71), headers=headers)
    replay = api.post("/vendors", json=vendor_body(company_id, 71), headers=headers)
    assert (first.status_code, replay.status_code) == (200, 200)
    assert replay.headers.get("X-Idempotent-Replayed") == "true"
    box.control("PUT", "faults", json={"enabled": []})
    assert api.post("/vendors", json=vendor_body(company_id, 71), headers=headers).status_code == 201


def test_error_body_malformed_bends_api_errors_but_not_the_control_plane(box: Box, api: httpx.Client) -> None:
    assert_error(api.get("/vendors/0"), 404, "not_found")
    box.control("PUT", "faults", json={"enabled": ["error_body_malformed"]})
    bent = api.get("/vendors/0")
    assert bent.status_code == 404 and set(bent.json()) == {"error", "detail"}
    assert bent.json()["error"] == "not_found"
    control = box.http.put(f"{box.sb.url}/_sandbox/faults", json={"enabled": ["no_such_fault"]})
    assert_error(control, 400)


def test_retry_after_missing_drops_the_header_of_every_429(box: Box) -> None:
    box.control("PATCH", "config", json={"rate_per_second": 0.001, "burst": 1})
    box.control("PUT", "faults", json={"enabled": ["retry_after_missing"]})
    with box.api() as api:  # the token request took the one request of the burst
        limited = api.get("/accounts")
    assert limited.status_code == 429 and "Retry-After" not in limited.headers
