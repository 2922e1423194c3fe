"""Against a sandbox that sheds load, the client recovers without ever writing twice.

A POST is retried only with an Idempotency-Key (the suites' client gives every POST one), so a
throttled write is sent again safely; without a key, the 429 is handed back, never retried.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ottimate_validation.client import ClientConfig, Credentials, OttimateClient
from ottimate_validation.sandbox import EmbeddedSandbox
from ottimate_validation.sandbox.variations import EVERY_NTH_429

CREATES = EVERY_NTH_429 + 5  # enough for at least one create to be throttled


@pytest.fixture
def shedding_sandbox() -> Iterator[EmbeddedSandbox]:
    with EmbeddedSandbox(variations=["sporadic_429"]) as sb:
        yield sb


def client_for(sb: EmbeddedSandbox, answers: list[httpx.Response], *, auto_keys: bool) -> OttimateClient:
    user = sb.users["account"]
    credentials = Credentials(api_key=user.api_key, client_id=user.client_id, client_secret=user.client_secret)
    config = ClientConfig(
        api_url=sb.api_url, auth_url=sb.auth_url, credentials=credentials, auto_idempotency_keys=auto_keys
    )
    return OttimateClient(config, on_exchange=lambda request, response: answers.append(response))


def create_vendors(api: OttimateClient, company: int) -> list[httpx.Response]:
    return [
        api.post("/vendors", json={"ottimate_company_id": company, "erp_vendor_name": f"Test Vendor - R - {n}",
                                   "erp_vendor_id": f"TV-retry-{n}"})
        for n in range(CREATES)
    ]  # fmt: skip


def stored_erp_ids(sb: EmbeddedSandbox) -> list[str]:
    return [v.erp_vendor_id for v in sb.state.vendors._by_id.values() if str(v.erp_vendor_id).startswith("TV-retry-")]


def first_company(sb: EmbeddedSandbox) -> int:
    return min(sb.users["account"].company_ids)


def test_throttled_creates_with_keys_are_retried_and_each_stored_once(shedding_sandbox: EmbeddedSandbox) -> None:
    seen: list[httpx.Response] = []
    with client_for(shedding_sandbox, seen, auto_keys=True) as api:
        answers = create_vendors(api, first_company(shedding_sandbox))

    assert [r.status_code for r in answers] == [201] * CREATES
    assert any(r.status_code == 429 for r in seen), "no create was throttled, so nothing was proven"
    stored = stored_erp_ids(shedding_sandbox)
    assert sorted(stored) == sorted(f"TV-retry-{n}" for n in range(CREATES)), "a retried create was stored twice"


def test_throttled_creates_without_keys_are_handed_back_not_retried(shedding_sandbox: EmbeddedSandbox) -> None:
    seen: list[httpx.Response] = []
    with client_for(shedding_sandbox, seen, auto_keys=False) as api:
        answers = create_vendors(api, first_company(shedding_sandbox))

    throttled = [r for r in answers if r.status_code == 429]
    assert throttled, "no create was throttled, so nothing was proven"
    assert len([r for r in seen if r.request.method == "POST" and "/vendors" in r.request.url.path]) == CREATES
    assert len(stored_erp_ids(shedding_sandbox)) == CREATES - len(throttled)
