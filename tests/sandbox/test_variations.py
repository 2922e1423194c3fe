"""Variations: the sandbox stays within the contract but differs, each switchable from the control plane."""

from __future__ import annotations

import gzip
import json
import time

import httpx
import pytest

from ottimate_validation.sandbox.variations import (
    EVERY_NTH_429,
    EVERY_NTH_503_GET,
    EXTRA_FIELD,
    LATENCY_MS,
    VARIATIONS,
    accepts_gzip,
)

from .conftest import Box, assert_error, vendor_body


def vary(box: Box, *names: str) -> None:
    box.control("PUT", "variations", json={"enabled": list(names)})


def test_variations_are_listed_switched_and_unknown_names_refused(box: Box) -> None:
    listed = box.control("GET", "variations").json()
    assert set(listed["available"]) == {v.name for v in VARIATIONS}
    assert listed["enabled"] == []
    assert box.control("PUT", "variations", json={"enabled": ["gzip"]}).json()["enabled"] == ["gzip"]
    refused = box.http.put(f"{box.sb.url}/_sandbox/variations", json={"enabled": ["no_such_variation"]})
    assert_error(refused, 400)
    assert "no_such_variation" in refused.json()["message"]


def test_a_reset_switches_variations_back_off(box: Box) -> None:
    vary(box, "gzip")
    box.control("POST", "reset")
    assert box.control("GET", "variations").json()["enabled"] == []


def test_extra_fields_adds_an_unknown_field_to_every_object_of_an_answer(
    box: Box, api: httpx.Client, company_id: int
) -> None:
    api.post("/vendors", json=vendor_body(company_id))
    vary(box, "extra_fields")
    body = api.get("/vendors", params={"ottimate_company_id": company_id}).json()
    assert EXTRA_FIELD in body
    assert body["vendors"] and all(EXTRA_FIELD in vendor for vendor in body["vendors"])
    assert EXTRA_FIELD in api.get("/vendors/0").json(), "error bodies vary too"


def test_shuffled_keys_changes_the_order_but_not_the_content(box: Box, api: httpx.Client, company_id: int) -> None:
    plain = api.get("/vendors", params={"ottimate_company_id": company_id})
    vary(box, "shuffled_keys")
    orders = set()
    for _ in range(4):
        shuffled = api.get("/vendors", params={"ottimate_company_id": company_id})
        assert shuffled.json() == plain.json()
        orders.add(tuple(json.loads(shuffled.content)))
    assert len(orders) > 1, "the key order never changed"


def test_gzip_compresses_answers_for_clients_that_accept_it(box: Box, api: httpx.Client) -> None:
    vary(box, "gzip")
    compressed = api.get("/accounts", headers={"Accept-Encoding": "gzip"})
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed.headers["Vary"]
    assert compressed.json()["results"], "httpx decodes it transparently"
    identity = api.get("/accounts", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in identity.headers
    assert identity.json() == compressed.json()


def test_gzip_bodies_decode_to_the_json_they_replace(box: Box) -> None:
    vary(box, "gzip")
    token = box.token()
    u = box.sb.users["account"]
    with httpx.stream(
        "GET",
        f"{box.sb.api_url}/accounts",
        headers={"X-Api-Key": u.api_key, "Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"},
    ) as raw:
        body = b"".join(raw.iter_raw())
    assert json.loads(gzip.decompress(body))["results"]


@pytest.mark.parametrize(
    ("header", "accepted"),
    [("gzip", True), ("gzip, deflate", True), ("deflate, gzip;q=0.5", True), ("gzip;q=0", False),
     ("*", True), ("identity", False), ("", False)],
)  # fmt: skip
def test_accept_encoding_is_read_with_its_weights(header: str, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted


def test_sporadic_429_answers_every_nth_call_with_retry_after_one_second(box: Box, api: httpx.Client) -> None:
    vary(box, "sporadic_429")
    statuses = [api.get("/accounts") for _ in range(2 * EVERY_NTH_429)]
    throttled = [i for i, r in enumerate(statuses, start=1) if r.status_code == 429]
    assert throttled == [EVERY_NTH_429, 2 * EVERY_NTH_429]
    answer = statuses[EVERY_NTH_429 - 1]
    assert answer.headers["Retry-After"] == "1"
    assert_error(answer, 429, "rate_limited")


def test_sporadic_429_never_reaches_a_call_without_a_known_api_key(box: Box) -> None:
    vary(box, "sporadic_429")
    answers = [box.http.get(f"{box.sb.api_url}/accounts") for _ in range(EVERY_NTH_429 + 1)]
    assert {r.status_code for r in answers} == {401}


def test_sporadic_503_hits_every_nth_get_and_never_a_post(box: Box, api: httpx.Client, company_id: int) -> None:
    vary(box, "sporadic_503_get")
    gets = [api.get("/accounts").status_code for _ in range(EVERY_NTH_503_GET)]
    assert gets == [200] * (EVERY_NTH_503_GET - 1) + [503]
    posts = [api.post("/vendors", json=vendor_body(company_id, n)).status_code for n in range(EVERY_NTH_503_GET + 1)]
    assert posts == [201] * (EVERY_NTH_503_GET + 1)


def test_the_control_plane_is_never_varied(box: Box) -> None:
    vary(box, "sporadic_503_get", "extra_fields", "gzip")
    for _ in range(2 * EVERY_NTH_503_GET):
        answer = box.http.get(f"{box.sb.url}/_sandbox/health", headers={"Accept-Encoding": "gzip"})
        assert answer.status_code == 200
        assert answer.json() == {"status": "ok"}
        assert "Content-Encoding" not in answer.headers


def test_latency_slows_every_api_call(box: Box, api: httpx.Client) -> None:
    vary(box, "latency")
    start = time.perf_counter()
    api.get("/accounts")
    assert time.perf_counter() - start >= LATENCY_MS / 1000
