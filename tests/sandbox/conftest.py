"""A sandbox per worker for the sandbox's own tests, reset before each test; raw httpx on purpose."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from ottimate_validation.sandbox import EmbeddedSandbox


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[EmbeddedSandbox]:
    with EmbeddedSandbox(seed=7) as sb:
        yield sb


@dataclass
class Box:
    """The running sandbox plus helpers to talk to it as one of its API users."""

    sb: EmbeddedSandbox
    http: httpx.Client

    def token(self, user: str = "account") -> str:
        u = self.sb.users[user]
        r = self.http.post(
            f"{self.sb.auth_url}/oauth/token",
            data={"grant_type": "client_credentials", "client_id": u.client_id, "client_secret": u.client_secret},
            headers={"X-Api-Key": u.api_key},
        )
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    def api(self, user: str = "account", **headers: str) -> httpx.Client:
        u = self.sb.users[user]
        return httpx.Client(
            base_url=self.sb.api_url,
            headers={"X-Api-Key": u.api_key, "Authorization": f"Bearer {self.token(user)}", **headers},
        )

    def control(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        r = self.http.request(method, f"{self.sb.url}/_sandbox/{path}", **kwargs)
        assert r.status_code < 300, r.text
        return r

    def ids(self, client: httpx.Client) -> tuple[str, list[int], list[int]]:
        account = client.get("/accounts").json()["results"][0]["id"]
        companies = [c["id"] for c in client.get(f"/accounts/{account}/companies").json()["results"]]
        locations = [loc["id"] for loc in client.get(f"/accounts/{account}/locations").json()["results"]]
        return account, companies, locations


@pytest.fixture
def box(sandbox_server: EmbeddedSandbox) -> Iterator[Box]:
    sandbox_server.reset()
    with httpx.Client() as http:
        yield Box(sandbox_server, http)


@pytest.fixture
def api(box: Box) -> Iterator[httpx.Client]:
    with box.api() as client:
        yield client


@pytest.fixture
def company_id(box: Box, api: httpx.Client) -> int:
    return box.ids(api)[1][0]


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body["code"], str) and body["code"]
    assert "message" in body
    assert isinstance(body["request_id"], str) and isinstance(body["timestamp"], str)
    if code is not None:
        assert body["code"] == code, body
    return dict(body)


def vendor_body(company_id: int, n: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "ottimate_company_id": company_id,
        "erp_vendor_name": f"Test Vendor - Harness {n}",
        "erp_vendor_id": f"HV-{n}",
        **extra,
    }


def dimension_body(company_id: int, n: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "ottimate_company_id": company_id,
        "erp_type": "Department",
        "ottimate_type": "department",
        "name": f"Test Dimension - Harness {n}",
        "code": f"D{n}",
        "reference_id": f"REF-{n}",
        "erp_dimension_id": f"ERP-D-{n}",
        **extra,
    }
