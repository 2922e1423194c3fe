"""A transport that retries transient failures without ever duplicating a write.

Retried: transport errors (connection failures, timeouts) and 429/502/503/504 answers, waiting
for `Retry-After` when the server gives one and otherwise backing off exponentially with jitter.
A `Retry-After` longer than the policy's cap (e.g. a daily quota reset at midnight UTC) is not
waited for: the answer is returned as is.

Only requests that are safe to send twice are retried: GET, HEAD, OPTIONS, PUT and DELETE; POST
only with an `Idempotency-Key` header (the server replays instead of writing twice, CONTRACT §5)
or the `ottimate.retry_safe` extension (token requests). A PATCH (no idempotency key exists for it)
is sent again only after a 429: the rate limiter refuses a request before anything is processed
(CONTRACT §4: the token bucket admits or rejects each request), so that cannot write twice; after a
timeout or a 5xx it may have been applied, so it is handed back. A POST without a key is handed back
even after a 429: the stricter rule the validation criteria ask for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import cast

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_base,
    retry_if_exception,
    retry_if_result,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from .config import RetryPolicy

#: Request extension marking a POST as safe to retry without an Idempotency-Key.
RETRY_SAFE = "ottimate.retry_safe"

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def is_retry_safe(request: httpx.Request) -> bool:
    """Whether sending `request` a second time cannot cause a second write."""
    if request.method in IDEMPOTENT_METHODS:
        return True
    if request.method == "POST":
        return "Idempotency-Key" in request.headers or request.extensions.get(RETRY_SAFE) is True
    return False


def retry_after(response: httpx.Response) -> float | None:
    """The `Retry-After` delay in seconds (delta-seconds or HTTP-date), or None when absent/invalid."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # HTTP-dates are GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _transient(exc: BaseException) -> bool:
    # A malformed request or an unsupported URL scheme fails the same way every time.
    return isinstance(exc, httpx.TransportError) and not isinstance(
        exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError
    )


def _discard(state: RetryCallState) -> None:
    """Free the connection of an answer about to be replaced by a retry."""
    if state.outcome is not None and not state.outcome.failed:
        response = cast(httpx.Response, state.outcome.result())
        response.read()
        response.close()


def _give_up(state: RetryCallState) -> httpx.Response:
    """Attempts exhausted: the last answer as is, or the last transport error re-raised."""
    assert state.outcome is not None
    return cast(httpx.Response, state.outcome.result())


class RetryTransport(httpx.BaseTransport):
    def __init__(
        self,
        transport: httpx.BaseTransport,
        policy: RetryPolicy | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._transport = transport
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        base = self._policy.backoff_base
        # base * 2**(n-1) plus up to `base` of jitter (so parallel workers spread out), capped in _wait.
        self._backoff = wait_exponential(multiplier=base, max=self._policy.backoff_max) + wait_random(0, base)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        retry: retry_base
        if is_retry_safe(request):
            retry = retry_if_exception(_transient) | retry_if_result(self._should_retry)
        elif request.method == "PATCH":
            # Only a refusal by the rate limiter: a timeout or a 5xx may have written already.
            retry = retry_if_result(self._refused_by_rate_limit)
        else:
            return self._transport.handle_request(request)
        retrying = Retrying(
            stop=stop_after_attempt(self._policy.max_attempts),
            retry=retry,
            wait=self._wait,
            sleep=self._sleep,
            before_sleep=_discard,
            retry_error_callback=_give_up,
        )
        return retrying(self._transport.handle_request, request)

    def close(self) -> None:
        self._transport.close()

    def _should_retry(self, response: httpx.Response) -> bool:
        if response.status_code not in RETRYABLE_STATUSES:
            return False
        delay = retry_after(response)
        return delay is None or delay <= self._policy.max_retry_after

    def _refused_by_rate_limit(self, response: httpx.Response) -> bool:
        return response.status_code == 429 and self._should_retry(response)

    def _wait(self, state: RetryCallState) -> float:
        if state.outcome is not None and not state.outcome.failed:
            delay = retry_after(cast(httpx.Response, state.outcome.result()))
            if delay is not None:
                return delay
        return min(float(self._backoff(state)), self._policy.backoff_max)
