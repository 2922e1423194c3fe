"""A scriptable fake of the API and its token endpoint, for httpx.MockTransport."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from ottimate_validation.client import SCOPE, ClientConfig, Credentials, OttimateClient

API_URL = "https://api.test/v1"
AUTH_URL = "https://auth.test"
CREDS = Credentials(api_key="key-1234567890", client_id="client-abc", client_secret="s3cret-value-xyz")

Handler = Callable[[httpx.Request], httpx.Response]


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"ok": True})


class FakeApi:
    """Issues tokens tok-1, tok-2, ... and answers resource calls with `resource`."""

    def __init__(self, resource: Handler = ok, *, expires_in: int = 3600, token_status: int = 200) -> None:
        self.resource = resource
        self.expires_in = expires_in
        self.token_status = token_status
        self.requests: list[httpx.Request] = []
        self.issued = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        # A snapshot: the auth flow re-sends the same Request object with new headers.
        self.requests.append(
            httpx.Request(request.method, request.url, headers=request.headers.copy(), content=request.read())
        )
        if request.url.path == "/oauth/token":
            if self.token_status != 200:
                return httpx.Response(self.token_status, json={"code": "invalid_client", "message": None})
            self.issued += 1
            body = {
                "access_token": f"tok-{self.issued}",
                "token_type": "Bearer",
                "expires_in": self.expires_in,
                "scope": SCOPE,
            }
            return httpx.Response(200, json=body)
        return self.resource(request)

    @property
    def resource_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path != "/oauth/token"]

    @property
    def token_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == "/oauth/token"]


class FakeSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_config(**overrides: object) -> ClientConfig:
    return ClientConfig(api_url=API_URL, auth_url=AUTH_URL, credentials=CREDS, **overrides)  # type: ignore[arg-type]


def make_client(api: Handler, **kwargs: object) -> OttimateClient:
    kwargs.setdefault("sleep", FakeSleep())
    config = kwargs.pop("config", None) or make_config()
    return OttimateClient(config, transport=httpx.MockTransport(api), **kwargs)  # type: ignore[arg-type]
