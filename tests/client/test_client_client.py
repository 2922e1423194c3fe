import httpx
import pytest
from client_fakes import API_URL, CREDS, FakeApi, FakeSleep, make_client, make_config

from ottimate_validation.client import TargetUnreachable


def test_paths_are_relative_to_the_api_url_and_absolute_urls_pass_through():
    api = FakeApi()
    with make_client(api) as client:
        client.get("/vendors", params={"ottimate_company_id": 1})
        client.get("vendors/7")
        client.get("https://elsewhere.test/x")
    assert [str(r.url) for r in api.resource_requests] == [
        API_URL + "/vendors?ottimate_company_id=1",
        API_URL + "/vendors/7",
        "https://elsewhere.test/x",
    ]


def test_error_statuses_are_returned_not_raised():
    api = FakeApi(lambda request: httpx.Response(404, json={"code": "not_found", "message": None}))
    with make_client(api) as client:
        response = client.get("/vendors/999")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_idempotency_key_is_sent_as_a_header():
    api = FakeApi()
    with make_client(api) as client:
        client.post("/vendors", json={"name": "x"}, idempotency_key="01J-KEY")
    assert api.resource_requests[0].headers["Idempotency-Key"] == "01J-KEY"


def test_every_request_carries_the_user_agent_and_configured_api_version():
    api = FakeApi()
    with make_client(api, config=make_config(api_version="1.0.0")) as client:
        client.get("/vendors")
    for request in api.requests:
        assert request.headers["User-Agent"] == "ottimate-validation/0.1"
        assert request.headers["X-API-Version"] == "1.0.0"


def test_request_methods_send_bodies_as_given():
    api = FakeApi()
    with make_client(api) as client:
        client.put("/a", content=b"raw")
        client.delete("/b")
        client.request("POST", "/c", data={"k": "v"})
        client.post("/d", files={"file": ("inv.pdf", b"%PDF-1.4", "application/pdf")})
    put, delete, form, upload = api.resource_requests
    assert (put.method, put.content) == ("PUT", b"raw")
    assert delete.method == "DELETE"
    assert form.content == b"k=v"
    assert upload.headers["Content-Type"].startswith("multipart/form-data")


def test_on_exchange_sees_the_token_call_and_every_retry_attempt():
    answers = iter([503, 503, 200])
    api = FakeApi(lambda request: httpx.Response(next(answers), json={}))
    seen: list[tuple[str, str, int, bytes]] = []

    def record(request: httpx.Request, response: httpx.Response) -> None:
        seen.append((request.method, request.url.path, response.status_code, response.content))

    with make_client(api, on_exchange=record) as client:
        assert client.get("/vendors").status_code == 200
    assert [(m, p, s) for m, p, s, _ in seen] == [
        ("POST", "/oauth/token", 200),
        ("GET", "/v1/vendors", 503),
        ("GET", "/v1/vendors", 503),
        ("GET", "/v1/vendors", 200),
    ]
    assert b"tok-1" in seen[0][3]


def test_responses_carry_their_request_and_elapsed_time():
    with make_client(FakeApi()) as client:
        response = client.get("/vendors")
    assert response.request.url.path == "/v1/vendors"
    assert response.elapsed.total_seconds() >= 0


def test_a_refused_connection_raises_target_unreachable_naming_the_host_without_secrets():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    sleep = FakeSleep()
    with make_client(refuse, sleep=sleep) as client, pytest.raises(TargetUnreachable) as caught:
        client.get("/vendors")
    message = str(caught.value)
    assert message == "Cannot reach auth.test: [Errno 111] Connection refused."
    assert caught.value.host == "auth.test"
    for secret in (CREDS.api_key, CREDS.client_secret):
        assert secret not in message
    assert len(sleep.waits) == 3  # the token request was retried before giving up


def test_a_timed_out_connection_to_the_api_raises_target_unreachable():
    api = FakeApi()

    def slow_api(request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.test":
            raise httpx.ConnectTimeout("", request=request)
        return api(request)

    with make_client(slow_api) as client, pytest.raises(TargetUnreachable, match=r"api\.test: connection timed out"):
        client.post("/vendors", json={})


def test_closing_the_client_closes_its_transport():
    closed: list[bool] = []

    class Transport(httpx.MockTransport):
        def close(self) -> None:
            closed.append(True)

    from ottimate_validation.client import OttimateClient

    client = OttimateClient(make_config(), transport=Transport(FakeApi()))
    with client:
        pass
    assert closed == [True]


def answers_once(status: int):
    """A resource handler answering `status` to the first call and 201 to every later one."""
    calls = iter([status])
    return lambda request: httpx.Response(next(calls, 201), json={"code": str(status), "message": None})


def test_a_post_without_an_idempotency_key_is_sent_once_even_when_answered_503():
    api = FakeApi(answers_once(503))
    with make_client(api) as client:
        assert client.post("/vendors", json={"name": "x"}).status_code == 503
    assert len(api.resource_requests) == 1
    assert "Idempotency-Key" not in api.resource_requests[0].headers


@pytest.mark.parametrize("status", [429, 503])
def test_a_post_with_an_idempotency_key_is_retried_with_that_key(status: int):
    api = FakeApi(answers_once(status))
    with make_client(api) as client:
        assert client.post("/vendors", json={"name": "x"}, idempotency_key="k-7").status_code == 201
    assert [r.headers["Idempotency-Key"] for r in api.resource_requests] == ["k-7", "k-7"]


def test_with_automatic_keys_every_post_gets_its_own_key_and_keeps_it_across_a_retry():
    api = FakeApi(answers_once(503))
    with make_client(api, config=make_config(auto_idempotency_keys=True)) as client:
        assert client.post("/vendors", json={"name": "x"}).status_code == 201
        assert client.post("/vendors", json={"name": "y"}).status_code == 201
    first, retry, second = (r.headers.get("Idempotency-Key") for r in api.resource_requests)
    assert first and first == retry, "a retry must carry the key of the attempt it repeats"
    assert second and second != first, "each POST needs a key of its own"


def test_automatic_keys_never_replace_a_given_key_and_leave_other_methods_alone():
    api = FakeApi()
    with make_client(api, config=make_config(auto_idempotency_keys=True)) as client:
        client.post("/vendors", json={}, idempotency_key="mine")
        client.post("/vendors", json={}, headers={"idempotency-key": "also-mine"})
        client.get("/vendors")
        client.patch("/vendors/1", json={})
    keys = [r.headers.get("Idempotency-Key") for r in api.resource_requests]
    assert keys == ["mine", "also-mine", None, None]
