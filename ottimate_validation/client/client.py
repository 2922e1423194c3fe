"""`OttimateClient`: one small synchronous client for the Ottimate v1 API.

Transport stack, outermost first::

    httpx.Client (base_url, timeouts, OAuth2ClientCredentials auth flow)
      -> RetryTransport          retries safe requests
        -> _ExchangeTransport    reads the body, reports every exchange to on_exchange
          -> transport           EnvironmentTransport (httpx's, via the environment's proxies),
                                 or a MockTransport in tests

The exchange reporter sits innermost so that token requests and each retry attempt are seen;
httpx event hooks would miss the attempts made inside the retry transport.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from datetime import timedelta
from types import TracebackType
from typing import Any, Self

import httpx

from .auth import OAuth2ClientCredentials, Token, build_token_request, parse_token_response
from .config import ClientConfig
from .errors import TargetUnreachable
from .retry import RetryTransport
from .transport import EnvironmentTransport

OnExchange = Callable[[httpx.Request, httpx.Response], None]


class _ExchangeTransport(httpx.BaseTransport):
    """Reads each answer fully, times it, and hands the exchange to `on_exchange`."""

    def __init__(self, transport: httpx.BaseTransport, on_exchange: OnExchange | None) -> None:
        self._transport = transport
        self._on_exchange = on_exchange

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        start = time.perf_counter()
        response = self._transport.handle_request(request)
        try:
            response.read()
        except BaseException:
            response.close()
            raise
        # Reading here closes the stream before httpx can time it, so set what it would have.
        response.elapsed = timedelta(seconds=time.perf_counter() - start)
        response.request = request
        if self._on_exchange is not None:
            self._on_exchange(request, response)
        return response

    def close(self) -> None:
        self._transport.close()


class OttimateClient:
    """Sends requests to the API with credentials, retries and exchange reporting.

    Answers are returned whatever their status: 4xx/5xx are for the caller to judge. Failing to
    connect at all raises TargetUnreachable; a refused token request raises AuthenticationFailed.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        on_exchange: OnExchange | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.auth = OAuth2ClientCredentials(config, now=now)
        headers = {"User-Agent": config.user_agent, "Accept": "application/json"}
        if config.api_version:
            headers["X-API-Version"] = config.api_version
        exchange = _ExchangeTransport(transport or EnvironmentTransport(), on_exchange)
        self._http = httpx.Client(
            base_url=config.api_url,
            auth=self.auth,
            transport=RetryTransport(exchange, config.retry, sleep=sleep),
            timeout=config.http_timeout(),
            headers=headers,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        authenticated: bool = True,
    ) -> httpx.Response:
        """Send one request. `path` is relative to api_url ("/vendors"); absolute URLs pass through.

        A POST is retried (on 429/503, ...) only when it carries an `Idempotency-Key`: the one given,
        or with `config.auto_idempotency_keys` a fresh one for every call.

        `authenticated=False` sends it without X-Api-Key and Bearer token (negative auth tests);
        add those headers yourself to send wrong ones.
        """
        merged = dict(headers or {})
        if idempotency_key is not None:
            merged["Idempotency-Key"] = idempotency_key
        elif (
            self.config.auto_idempotency_keys
            and method.upper() == "POST"
            and not any(name.lower() == "idempotency-key" for name in merged)
        ):
            merged["Idempotency-Key"] = str(uuid.uuid4())
        request = self._http.build_request(
            method, path, params=params, json=json, content=content, data=data, files=files, headers=merged
        )
        return self._send(request, authenticated=authenticated)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def fetch_token(self) -> Token:
        """Ask the token endpoint for a new token, bypassing (and not touching) the cached one.

        Raises AuthenticationFailed (with status and body) when the endpoint refuses.
        """
        response = self._send(build_token_request(self.config), authenticated=False)
        return parse_token_response(response, self.config)

    def _send(self, request: httpx.Request, *, authenticated: bool) -> httpx.Response:
        try:
            return self._http.send(request, auth=httpx.USE_CLIENT_DEFAULT if authenticated else None)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            host = _host_of(exc, request)
            timed_out = isinstance(exc, httpx.ConnectTimeout)
            reason = str(exc).strip() or ("connection timed out" if timed_out else "connection failed")
            raise TargetUnreachable(f"Cannot reach {host}: {reason}.", host=host) from None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _host_of(exc: httpx.RequestError, fallback: httpx.Request) -> str:
    try:
        url = exc.request.url
    except RuntimeError:  # httpx raises this when the error carries no request
        url = fallback.url
    return url.netloc.decode("ascii", "replace")
