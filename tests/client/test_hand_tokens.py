"""Hand-fetched tokens: one per test where tests move the clock, else reused until near expiry."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ottimate_validation.pytest_plugin.clients import HandTokens


class _TokenEndpoint:
    def __init__(self, expires_in: Any = 3600) -> None:
        self.calls = 0
        self.expires_in = expires_in

    def __call__(self, **_: Any) -> httpx.Response:
        self.calls += 1
        body: dict[str, Any] = {"access_token": f"tok-{self.calls}", "token_type": "Bearer"}
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        return httpx.Response(200, json=body)


def test_where_tests_move_the_clock_every_test_gets_a_token_of_its_own() -> None:
    endpoint = _TokenEndpoint()
    tokens = HandTokens(endpoint, reuse=False, clock=lambda: 0.0)
    assert [tokens.current() for _ in range(3)] == ["tok-1", "tok-2", "tok-3"]


@pytest.mark.parametrize(("expires_in", "renewed_at"), [(3600, 3540.0), (60, 54.0)])
def test_elsewhere_one_token_serves_until_the_client_would_renew_its_own(expires_in: int, renewed_at: float) -> None:
    # The client's rule (ottimate_validation.client.auth): expires_in minus min(60 s, 10 %).
    now = [0.0]
    endpoint = _TokenEndpoint(expires_in=expires_in)
    tokens = HandTokens(endpoint, reuse=True, clock=lambda: now[0])
    assert [tokens.current() for _ in range(5)] == ["tok-1"] * 5
    now[0] = renewed_at - 0.001
    assert tokens.current() == "tok-1"
    now[0] = renewed_at
    assert tokens.current() == "tok-2", "renewed before it expires"
    assert endpoint.calls == 2


@pytest.mark.parametrize("lifetime", [None, "3600", True, 36.5])
def test_a_token_without_a_stated_whole_lifetime_is_never_reused(lifetime: Any) -> None:
    endpoint = _TokenEndpoint(expires_in=lifetime)
    tokens = HandTokens(endpoint, reuse=True, clock=lambda: 0.0)
    tokens.current(), tokens.current()
    assert endpoint.calls == 2
