from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from client_fakes import FakeSleep

from ottimate_validation.client import RETRY_SAFE, RetryPolicy, RetryTransport

URL = "https://api.test/v1/vendors"


class Script:
    """Answers from a list, one per attempt; repeats the last one when the list runs out."""

    def __init__(self, *answers: int | tuple[int, dict[str, str]] | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        status, headers = answer if isinstance(answer, tuple) else (answer, {})
        return httpx.Response(status, headers=headers, json={"code": str(status), "message": None})


def client_for(script: Script, sleep: FakeSleep, policy: RetryPolicy | None = None) -> httpx.Client:
    return httpx.Client(transport=RetryTransport(httpx.MockTransport(script), policy, sleep=sleep))


def test_429_with_retry_after_is_retried_after_the_advertised_wait():
    script, sleep = Script((429, {"Retry-After": "3"}), 200), FakeSleep()
    response = client_for(script, sleep).get(URL)
    assert response.status_code == 200
    assert sleep.waits == [3.0]
    assert len(script.requests) == 2


def test_retry_after_given_as_an_http_date_is_honoured():
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=10), usegmt=True)
    script, sleep = Script((503, {"Retry-After": when}), 200), FakeSleep()
    assert client_for(script, sleep).get(URL).status_code == 200
    (wait,) = sleep.waits
    assert 8.0 < wait <= 10.0


def test_retry_after_above_the_cap_returns_the_429_without_waiting():
    script, sleep = Script((429, {"Retry-After": "3600"}), 200), FakeSleep()
    response = client_for(script, sleep).get(URL)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3600"
    assert sleep.waits == []
    assert len(script.requests) == 1


def test_503_on_get_is_retried_with_exponential_backoff():
    script, sleep = Script(503, 503, 200), FakeSleep()
    policy = RetryPolicy(backoff_base=0.2, backoff_max=5.0)
    assert client_for(script, sleep, policy).get(URL).status_code == 200
    assert len(script.requests) == 3
    first, second = sleep.waits
    assert 0.2 <= first <= 0.4
    assert 0.4 <= second <= 0.6


def test_backoff_never_exceeds_the_policy_maximum():
    script, sleep = Script(502), FakeSleep()
    policy = RetryPolicy(max_attempts=8, backoff_base=1.0, backoff_max=2.5)
    client_for(script, sleep, policy).get(URL)
    assert len(sleep.waits) == 7
    assert max(sleep.waits) == 2.5


def test_after_the_last_attempt_the_last_answer_is_returned():
    script, sleep = Script(504), FakeSleep()
    response = client_for(script, sleep, RetryPolicy(max_attempts=3)).get(URL)
    assert response.status_code == 504
    assert response.json() == {"code": "504", "message": None}
    assert len(script.requests) == 3


@pytest.mark.parametrize("status", [400, 401, 404, 409, 422, 500])
def test_other_error_statuses_are_not_retried(status: int):
    script, sleep = Script(status, 200), FakeSleep()
    assert client_for(script, sleep).get(URL).status_code == status
    assert len(script.requests) == 1


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])
def test_idempotent_methods_are_retried(method: str):
    script, sleep = Script(503, 200), FakeSleep()
    assert client_for(script, sleep).request(method, URL).status_code == 200
    assert len(script.requests) == 2


def test_post_without_idempotency_key_is_not_retried_on_503():
    script, sleep = Script(503, 200), FakeSleep()
    response = client_for(script, sleep).post(URL, json={"name": "x"})
    assert response.status_code == 503
    assert len(script.requests) == 1


def test_post_without_idempotency_key_is_not_retried_after_a_transport_error():
    script, sleep = Script(httpx.ReadTimeout("timed out"), 200), FakeSleep()
    with pytest.raises(httpx.ReadTimeout):
        client_for(script, sleep).post(URL, json={"name": "x"})
    assert len(script.requests) == 1


def test_post_with_idempotency_key_is_retried_with_the_same_key_and_body():
    script, sleep = Script(503, 200), FakeSleep()
    response = client_for(script, sleep).post(URL, json={"name": "x"}, headers={"Idempotency-Key": "k-1"})
    assert response.status_code == 200
    assert [r.headers["Idempotency-Key"] for r in script.requests] == ["k-1", "k-1"]
    assert script.requests[0].read() == script.requests[1].read()


def test_post_marked_retry_safe_is_retried():
    script, sleep = Script(503, 200), FakeSleep()
    client = client_for(script, sleep)
    request = client.build_request("POST", URL, data={"a": "b"}, extensions={RETRY_SAFE: True})
    assert client.send(request).status_code == 200
    assert len(script.requests) == 2


def test_patch_is_never_retried_after_a_failure_even_with_an_idempotency_key():
    script, sleep = Script(503, 200), FakeSleep()
    response = client_for(script, sleep).patch(URL, json={}, headers={"Idempotency-Key": "k-1"})
    assert response.status_code == 503
    assert len(script.requests) == 1


def test_a_patch_refused_by_the_rate_limiter_is_sent_again_after_retry_after():
    # A 429 is a refusal before processing, so a PATCH sent again cannot write twice.
    script, sleep = Script((429, {"Retry-After": "2"}), 200), FakeSleep()
    assert client_for(script, sleep).patch(URL, json={}).status_code == 200
    assert len(script.requests) == 2
    assert sleep.waits == [2]


def test_a_post_without_a_key_is_handed_back_even_after_a_429():
    script, sleep = Script((429, {"Retry-After": "1"}), 201), FakeSleep()
    assert client_for(script, sleep).post(URL, json={}).status_code == 429
    assert len(script.requests) == 1


def test_a_write_that_timed_out_is_not_sent_again():
    script, sleep = Script(httpx.ReadTimeout("slow")), FakeSleep()
    with pytest.raises(httpx.ReadTimeout):
        client_for(script, sleep).patch(URL, json={})
    assert len(script.requests) == 1


def test_connection_errors_on_get_are_retried_then_reraised():
    script, sleep = Script(httpx.ConnectError("refused")), FakeSleep()
    with pytest.raises(httpx.ConnectError):
        client_for(script, sleep, RetryPolicy(max_attempts=3)).get(URL)
    assert len(script.requests) == 3
    assert len(sleep.waits) == 2


def test_a_timeout_then_success_returns_the_success():
    script, sleep = Script(httpx.ReadTimeout("slow"), 200), FakeSleep()
    assert client_for(script, sleep).get(URL).status_code == 200


def test_an_unsupported_url_scheme_is_not_retried():
    script, sleep = Script(httpx.UnsupportedProtocol("ftp")), FakeSleep()
    with pytest.raises(httpx.UnsupportedProtocol):
        client_for(script, sleep).get(URL)
    assert len(script.requests) == 1
