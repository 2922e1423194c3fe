"""What a client needs to know about its target: URLs, credentials, timeouts, retry policy."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

#: Contract §4: the API answers within 29 s or not at all.
REQUEST_TIMEOUT = 29.0
CONNECT_TIMEOUT = 10.0


@dataclass(frozen=True, repr=False)
class Credentials:
    """One API user: the account's API key plus an OAuth2 client (CONTRACT §2).

    The repr shows only the client id, so credentials can be logged or put in reports safely.
    """

    api_key: str
    client_id: str
    client_secret: str

    def __repr__(self) -> str:
        return f"Credentials(client_id={self.client_id!r}, api_key='***', client_secret='***')"

    __str__ = __repr__


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the transport retries transient failures (429/502/503/504, connection errors)."""

    max_attempts: int = 4
    backoff_base: float = 0.2
    backoff_max: float = 5.0
    #: A longer Retry-After (e.g. the daily quota, reset at midnight UTC) is not waited for.
    max_retry_after: float = 30.0


@dataclass(frozen=True)
class ClientConfig:
    api_url: str
    auth_url: str
    credentials: Credentials
    api_version: str | None = None
    timeout: float = REQUEST_TIMEOUT
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    user_agent: str = "ottimate-validation/0.1"
    #: Give every POST sent without an `Idempotency-Key` a fresh one (a UUID), so that a 429 or 503
    #: on any write can be retried without ever writing twice (CONTRACT §5; Stripe's clients do the
    #: same). Off by default: an endpoint that ignores the header would make such a retry unsafe.
    auto_idempotency_keys: bool = False

    @property
    def token_url(self) -> str:
        return self.auth_url.rstrip("/") + "/oauth/token"

    def http_timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.timeout, connect=min(CONNECT_TIMEOUT, self.timeout))
