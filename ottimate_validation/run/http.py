"""The one place an HTTP stack is assembled.

Every request a run sends (the suites' client, hand-built requests, preflight probes, control-plane
calls, clean-up) goes through ``LedgerTransport``, innermost, so each attempt is one ledger record
and one unit of the request budget. Above it: ``RetryTransport`` (safe retries), and for the API
client the OAuth2 flow (``OttimateClient``)::

    httpx.Client / OttimateClient (auth flow, timeouts)
      -> RetryTransport            safe requests retried (client/retry.py)
        -> LedgerTransport         budget, record, timing
          -> EnvironmentTransport  the network, through the environment's proxies

The integration mode's proxy forwards the partner's requests through ``forwarding_client``: the network
alone, since its recording middleware records each request once and the retries are the partner's.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from ottimate_validation.client import (
    ClientConfig,
    EnvironmentTransport,
    OnExchange,
    OttimateClient,
    RetryPolicy,
    RetryTransport,
)
from ottimate_validation.client.config import REQUEST_TIMEOUT
from ottimate_validation.client.transport import shared_ssl_context
from ottimate_validation.run.ledger import Budget, Ledger, LedgerTransport, Source


def recorded(
    ledger: Ledger,
    *,
    source: str,
    budget: Budget | None = None,
    keep_bodies: bool = False,
    network: httpx.BaseTransport | None = None,
) -> LedgerTransport:
    """The network, recorded into ``ledger`` (and drawn from ``budget``)."""
    return LedgerTransport(
        network if network is not None else EnvironmentTransport(),
        ledger,
        source=source,
        budget=budget,
        keep_bodies=keep_bodies,
    )


def api_client(
    config: ClientConfig,
    ledger: Ledger,
    *,
    source: str = Source.SUITE,
    budget: Budget | None = None,
    network: httpx.BaseTransport | None = None,
    on_exchange: OnExchange | None = None,
) -> OttimateClient:
    """The project's API client (OAuth2 flow, safe retries) over a recorded transport. ``on_exchange``
    is the client's own hook, for a test that inspects what one client sent."""
    return OttimateClient(
        config, on_exchange=on_exchange, transport=recorded(ledger, source=source, budget=budget, network=network)
    )


def plain_client(
    base_url: str,
    ledger: Ledger,
    *,
    source: str,
    headers: Mapping[str, str] | None = None,
    budget: Budget | None = None,
    retry: RetryPolicy | None = RetryPolicy(),  # noqa: B008 (frozen, shared on purpose)
    timeout: float = REQUEST_TIMEOUT,
    network: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """A hand-built client: no credentials unless given in ``headers``; retried like the API client
    (GETs; POSTs only with an Idempotency-Key) unless ``retry`` is None."""
    transport: httpx.BaseTransport = recorded(ledger, source=source, budget=budget, network=network)
    if retry is not None:
        transport = RetryTransport(transport, retry)
    return httpx.Client(
        base_url=base_url,
        headers=dict(headers or {}),
        timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
        transport=transport,
        verify=shared_ssl_context(),
        follow_redirects=False,
    )


def forwarding_client(*, timeout: float = 60.0, network: httpx.BaseTransport | None = None) -> httpx.Client:
    """The integration proxy's way to the partner's sandbox: neither retried nor recorded here. A request
    is forwarded as the partner's code sent it (its retries are what is judged), and the recording
    middleware around the proxy has already recorded it."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
        transport=network if network is not None else EnvironmentTransport(),
        verify=shared_ssl_context(),
        follow_redirects=False,
    )
