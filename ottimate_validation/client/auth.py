"""OAuth2 client-credentials flow (CONTRACT §2) as an `httpx.Auth`.

Token requests are yielded from the auth flow, so they travel through the client's own transport
stack: they are retried like any safe request and every exchange reaches `on_exchange`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import httpx

from .config import ClientConfig
from .errors import AuthenticationFailed
from .retry import RETRY_SAFE

#: The only scope the API supports (CONTRACT §2.1).
SCOPE = "accounts.can_access_dashboard"

#: Renew this long before expiry at most; short-lived tokens renew at 90 % of their lifetime.
MAX_EXPIRY_SKEW = 60.0


@dataclass(frozen=True)
class Token:
    """A token endpoint answer. `raw` is the decoded body, for schema checks."""

    access_token: str = field(repr=False)
    token_type: str
    expires_in: int | None
    scope: str | None
    raw: dict[str, Any] = field(repr=False)


def build_token_request(config: ClientConfig) -> httpx.Request:
    """The client-credentials token request: form-encoded, API key header, no Authorization."""
    creds = config.credentials
    headers = {"X-Api-Key": creds.api_key, "Accept": "application/json", "User-Agent": config.user_agent}
    if config.api_version:
        headers["X-API-Version"] = config.api_version
    form = {
        "grant_type": "client_credentials",
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "scope": SCOPE,
    }
    return httpx.Request(
        "POST",
        config.token_url,
        headers=headers,
        data=form,
        # Built outside the client, so the client's timeout must be set here; minting a second
        # token is harmless, so the request may be retried.
        extensions={"timeout": config.http_timeout().as_dict(), RETRY_SAFE: True},
    )


def parse_token_response(response: httpx.Response, config: ClientConfig) -> Token:
    """Turn a token endpoint answer into a Token, or raise AuthenticationFailed."""
    body = _decode(response, config.credentials.client_secret)
    if response.status_code != 200:
        code = body.get("code") if isinstance(body, dict) else None
        detail = f" ({code})" if isinstance(code, str) and code else ""
        raise AuthenticationFailed(
            f"The token endpoint refused client_id {config.credentials.client_id!r} "
            f"with HTTP {response.status_code}{detail}.",
            status_code=response.status_code,
            body=body,
        )
    access_token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(access_token, str) or not access_token:
        raise AuthenticationFailed(
            "The token endpoint answered 200 without an access_token.", status_code=200, body=body
        )
    # Lenient on the optional-looking fields: the auth suite checks `raw` against the contract.
    token_type, expires_in, scope = body.get("token_type"), body.get("expires_in"), body.get("scope")
    return Token(
        access_token=access_token,
        token_type=token_type if isinstance(token_type, str) else "",
        expires_in=expires_in if isinstance(expires_in, int) and not isinstance(expires_in, bool) else None,
        scope=scope if isinstance(scope, str) else None,
        raw=body,
    )


def _decode(response: httpx.Response, secret: str) -> Any:
    """The body as JSON when possible, else text; a secret echoed by a server is masked."""
    text = response.text.replace(secret, "***") if secret else response.text
    try:
        return json.loads(text)
    except ValueError:
        return text


class OAuth2ClientCredentials(httpx.Auth):
    """Adds `X-Api-Key` and `Authorization: Bearer` to every request.

    The token is cached and shared by all threads using the client, renewed shortly before it
    expires, and renewed once more when a resource call answers 401 (the request is then replayed
    once). Sync clients only: the lock is held across the token request.
    """

    # The token answer is parsed inside the flow.
    requires_response_body = True

    def __init__(self, config: ClientConfig, *, now: Callable[[], float] = time.monotonic) -> None:
        self._config = config
        self._now = now
        self._lock = threading.Lock()
        self._token: Token | None = None
        self._renew_at = 0.0
        self.tokens_fetched = 0

    @property
    def token(self) -> Token | None:
        """The cached token, if any (valid or not)."""
        return self._token

    def invalidate(self) -> None:
        """Forget the cached token; the next request fetches a new one."""
        with self._lock:
            self._token = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = yield from self._current_token(stale=None)
        self._authorize(request, token)
        response = yield request
        if response.status_code == 401:
            # CONTRACT §2.1: on 401, get a new token. Once only: a second 401 is the answer.
            token = yield from self._current_token(stale=token)
            self._authorize(request, token)
            yield request

    def _current_token(self, stale: Token | None) -> Generator[httpx.Request, httpx.Response, Token]:
        """The cached token unless it is missing, due for renewal, or the one that got a 401."""
        # Held across the yield so concurrent threads wait for one fetch instead of each fetching;
        # sync flows resume in the same thread, and httpx closes the flow (releasing it) on error.
        with self._lock:
            token = self._token
            if token is not None and token is not stale and self._now() < self._renew_at:
                return token
            response = yield build_token_request(self._config)
            token = parse_token_response(response, self._config)
            self.tokens_fetched += 1
            self._token = token
            self._renew_at = self._now() + _lifetime(token)
            return token

    def _authorize(self, request: httpx.Request, token: Token) -> None:
        request.headers["X-Api-Key"] = self._config.credentials.api_key
        request.headers["Authorization"] = f"Bearer {token.access_token}"


def _lifetime(token: Token) -> float:
    if token.expires_in is None:
        return float("inf")  # no stated expiry: rely on the 401 renewal
    return usable_seconds(token.expires_in)


def usable_seconds(expires_in: int) -> float:
    """Seconds a token is used before renewal: expires_in minus min(60 s, 10 %)."""
    return expires_in - min(MAX_EXPIRY_SKEW, 0.1 * expires_in)
