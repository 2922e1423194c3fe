import threading
import time
from urllib.parse import parse_qs

import httpx
import pytest
from client_fakes import API_URL, AUTH_URL, CREDS, FakeApi, make_client, make_config

from ottimate_validation.client import SCOPE, AuthenticationFailed


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_token_is_fetched_once_and_reused_across_calls():
    api = FakeApi()
    with make_client(api) as client:
        for _ in range(3):
            assert client.get("/vendors").status_code == 200
        assert client.auth.tokens_fetched == 1
    assert len(api.token_requests) == 1


def test_every_resource_request_carries_the_api_key_and_bearer_token():
    api = FakeApi()
    with make_client(api) as client:
        client.get("/vendors")
        client.post("/vendors", json={"name": "x"})
        client.patch("/invoices/1", json={})
    assert len(api.resource_requests) == 3
    for request in api.resource_requests:
        assert request.headers["X-Api-Key"] == CREDS.api_key
        assert request.headers["Authorization"] == "Bearer tok-1"


def test_token_request_is_a_form_encoded_client_credentials_grant_with_the_api_key():
    api = FakeApi()
    with make_client(api) as client:
        client.get("/vendors")
    (request,) = api.token_requests
    assert str(request.url) == AUTH_URL + "/oauth/token"
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["X-Api-Key"] == CREDS.api_key
    assert "Authorization" not in request.headers
    assert "X-API-Version" not in request.headers
    form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
    assert form == {
        "grant_type": "client_credentials",
        "client_id": CREDS.client_id,
        "client_secret": CREDS.client_secret,
        "scope": SCOPE,
    }


def test_token_and_resource_requests_carry_the_api_version_when_configured():
    api = FakeApi()
    with make_client(api, config=make_config(api_version="1.1.0")) as client:
        client.get("/vendors")
    assert [r.headers["X-API-Version"] for r in api.requests] == ["1.1.0", "1.1.0"]


def test_token_is_renewed_a_minute_before_it_expires():
    api, clock = FakeApi(expires_in=3600), Clock()
    with make_client(api, now=clock) as client:
        client.get("/vendors")
        clock.t += 3600 - 60 - 1
        client.get("/vendors")
        assert client.auth.tokens_fetched == 1
        clock.t += 2
        client.get("/vendors")
        assert client.auth.tokens_fetched == 2
    assert api.resource_requests[-1].headers["Authorization"] == "Bearer tok-2"


def test_short_lived_token_is_renewed_at_ninety_percent_of_its_lifetime():
    api, clock = FakeApi(expires_in=100), Clock()
    with make_client(api, now=clock) as client:
        client.get("/vendors")
        clock.t += 89
        client.get("/vendors")
        assert client.auth.tokens_fetched == 1
        clock.t += 2
        client.get("/vendors")
        assert client.auth.tokens_fetched == 2


def test_a_401_renews_the_token_once_and_replays_the_request():
    def resource(request: httpx.Request) -> httpx.Response:
        revoked = request.headers["Authorization"] == "Bearer tok-1"
        return httpx.Response(401 if revoked else 200, json={"code": "unauthorized", "message": None})

    api = FakeApi(resource)
    with make_client(api) as client:
        response = client.post("/vendors", json={"name": "x"})
    assert response.status_code == 200
    assert client.auth.tokens_fetched == 2
    assert [r.headers["Authorization"] for r in api.resource_requests] == ["Bearer tok-1", "Bearer tok-2"]
    assert api.resource_requests[1].content == api.resource_requests[0].content


def test_a_server_that_always_answers_401_gets_two_token_fetches_and_the_401_back():
    api = FakeApi(lambda request: httpx.Response(401, json={"code": "unauthorized", "message": None}))
    with make_client(api) as client:
        response = client.get("/vendors")
    assert response.status_code == 401
    assert client.auth.tokens_fetched == 2
    assert len(api.resource_requests) == 2


def test_refused_credentials_raise_authentication_failed_with_status_and_body_but_no_secret():
    api = FakeApi(token_status=401)
    with make_client(api) as client, pytest.raises(AuthenticationFailed) as caught:
        client.get("/vendors")
    assert caught.value.status_code == 401
    assert caught.value.body == {"code": "invalid_client", "message": None}
    assert caught.value.code == "invalid_client"
    assert CREDS.client_secret not in str(caught.value)
    assert CREDS.api_key not in str(caught.value)
    assert api.resource_requests == []


def test_a_secret_echoed_by_the_token_endpoint_is_masked_in_the_error():
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"code": "bad_request", "message": request.content.decode()})

    with make_client(echo) as client, pytest.raises(AuthenticationFailed) as caught:
        client.fetch_token()
    assert CREDS.client_secret not in repr(caught.value.body)
    assert "***" in caught.value.body["message"]


def test_a_token_answer_without_access_token_raises_authentication_failed():
    def empty(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"token_type": "Bearer"})

    with make_client(empty) as client, pytest.raises(AuthenticationFailed, match="without an access_token"):
        client.get("/vendors")


def test_threads_sharing_a_client_fetch_a_single_token():
    api = FakeApi()

    def slow(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            time.sleep(0.05)
        return api(request)

    with make_client(slow) as client:
        threads = [threading.Thread(target=client.get, args=("/vendors",)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert client.auth.tokens_fetched == 1
    assert len(api.resource_requests) == 8


def test_fetch_token_calls_the_token_endpoint_without_touching_the_cached_token():
    api = FakeApi()
    with make_client(api) as client:
        client.get("/vendors")
        token = client.fetch_token()
        client.get("/vendors")
        assert client.auth.tokens_fetched == 1
    assert token.access_token == "tok-2"
    assert (token.token_type, token.expires_in, token.scope) == ("Bearer", 3600, SCOPE)
    assert token.raw["access_token"] == "tok-2"
    assert "tok-2" not in repr(token)
    assert api.resource_requests[-1].headers["Authorization"] == "Bearer tok-1"


def test_unauthenticated_requests_carry_no_credentials():
    api = FakeApi()
    with make_client(api) as client:
        response = client.get("/vendors", authenticated=False, headers={"X-Api-Key": "wrong"})
    assert response.status_code == 200
    assert api.token_requests == []
    (request,) = api.resource_requests
    assert request.headers["X-Api-Key"] == "wrong"
    assert "Authorization" not in request.headers
    assert str(request.url) == API_URL + "/vendors"


def test_a_failed_token_fetch_does_not_block_later_requests():
    api = FakeApi(token_status=401)
    with make_client(api) as client:
        with pytest.raises(AuthenticationFailed):
            client.get("/vendors")
        api.token_status = 200
        worker = threading.Thread(target=client.get, args=("/vendors",))
        worker.start()
        worker.join(timeout=5)
        assert not worker.is_alive(), "the token lock was left held"
        assert client.auth.tokens_fetched == 1
