"""The preflight: every set-up mistake is one sentence (exit code 2) before anything is sent or written.

The network is replaced by httpx.MockTransport: a handler that fails the test proves nothing was sent.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from ottimate_validation.run.target import RunRefused, Target, preflight, production_banner

SANDBOX = "https://sandbox-api.ottimate.com/v1"
CANARY_SECRET = "canary-secret-0123456789"
CANARY_KEY = "canary-key-0123456789"


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials of an imaginary sandbox; no .env file, no proxy."""
    monkeypatch.setenv("OTTIMATE_ENV_FILE", "")
    for name in (
        "OTTIMATE_AUTH_URL",
        "OTTIMATE_ALLOW_PRODUCTION",
        "OTTIMATE_SCOPED_CLIENT_ID",
        "OTTIMATE_SCOPED_CLIENT_SECRET",
        "OTTIMATE_SCOPED_API_KEY",
        "OTTIMATE_API_VERSION",
    ):
        monkeypatch.delenv(name, raising=False)  # fmt: skip
    monkeypatch.setenv("OTTIMATE_API_URL", SANDBOX)
    monkeypatch.setenv("OTTIMATE_API_KEY", CANARY_KEY)
    monkeypatch.setenv("OTTIMATE_CLIENT_ID", "client-1")
    monkeypatch.setenv("OTTIMATE_CLIENT_SECRET", CANARY_SECRET)


def no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"the preflight sent {request.method} {request.url} although it should have refused first")


def api(
    accounts: Callable[[httpx.Request], httpx.Response] | None = None,
    token: Callable[[httpx.Request], httpx.Response] | None = None,
) -> httpx.MockTransport:
    """A fake Ottimate: 401 JSON on /accounts without credentials, a token for the credentials."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth/token"):
            if token is not None:
                return token(request)
            return httpx.Response(200, json={"access_token": "t" * 40, "token_type": "Bearer", "expires_in": 3600})
        if accounts is not None:
            return accounts(request)
        return httpx.Response(401, json={"code": "missing_token", "message": "no bearer token"})

    return httpx.MockTransport(handle)


def refusal(**kwargs: object) -> str:
    with pytest.raises(RunRefused) as refused:
        preflight(**kwargs)  # type: ignore[arg-type]
    message = str(refused.value)
    assert "\n" not in message and message.endswith("."), f"not one sentence: {message!r}"
    assert CANARY_SECRET not in message and CANARY_KEY not in message
    return message


# --- production ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_url", "auth_url"),
    [("https://api.ottimate.com/v1", None), (SANDBOX, "https://auth.ottimate.com"),
     ("https://API.ottimate.com./v1", None)],
    ids=["production API", "production auth server", "spelled otherwise"],
)  # fmt: skip
def test_a_production_host_is_refused_before_any_request(
    monkeypatch: pytest.MonkeyPatch, api_url: str, auth_url: str | None
) -> None:
    monkeypatch.setenv("OTTIMATE_API_URL", api_url)
    if auth_url:
        monkeypatch.setenv("OTTIMATE_AUTH_URL", auth_url)
    message = refusal(network=httpx.MockTransport(no_network))
    assert message.startswith("Refusing to run against the production host ")
    assert "--allow-production" in message


def test_production_is_refused_even_when_a_credential_is_missing_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTTIMATE_API_URL", "https://api.ottimate.com/v1")
    monkeypatch.delenv("OTTIMATE_CLIENT_SECRET")
    assert refusal(network=httpx.MockTransport(no_network)).startswith("Refusing to run against the production")


def test_with_allow_production_a_production_host_is_accepted_and_the_run_is_read_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTTIMATE_API_URL", "https://api.ottimate.com/v1")
    check = preflight(allow_production=True, network=api())
    assert check.target is not None
    assert (check.target.production, check.read_only) == (True, True)
    assert check.target.auth_url == "https://auth.ottimate.com", "the documented production auth host"


def test_the_environment_can_allow_production_with_the_same_read_only_restriction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTTIMATE_API_URL", "https://api.ottimate.com/v1")
    monkeypatch.setenv("OTTIMATE_ALLOW_PRODUCTION", "true")
    assert preflight(network=api()).read_only is True


def test_a_sandbox_run_is_not_read_only_unless_asked() -> None:
    assert preflight(network=api()).read_only is False
    assert preflight(network=api(), allow_production=True).read_only is True


def test_a_read_only_production_run_says_so_loudly_in_the_console_and_the_report() -> None:
    check = preflight(allow_production=True, api_url="https://api.ottimate.com/v1", network=api())
    assert check.read_only and check.target is not None and check.target.production
    banner = production_banner(check.target, read_only=check.read_only)
    assert any("PRODUCTION TARGET https://api.ottimate.com/v1" in line for line in banner)
    assert any("only the read-only checks run" in line for line in banner)
    normal = preflight(network=api())
    assert production_banner(normal.target, read_only=normal.read_only) == []
    assert isinstance(normal.target, Target) and normal.target.kind == "sandbox"


# --- settings and credentials --------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["OTTIMATE_API_KEY", "OTTIMATE_CLIENT_ID", "OTTIMATE_CLIENT_SECRET"])
def test_a_missing_credential_is_named(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    monkeypatch.delenv(missing)
    assert refusal(network=httpx.MockTransport(no_network)) == (
        f"{missing} is not set (in the environment or in .env)."
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [("OTTIMATE_API_URL", "sandbox-api.ottimate.com"), ("OTTIMATE_API_URL", "ftp://x/v1"),
     ("OTTIMATE_API_VERSION", "2.0"), ("OTTIMATE_ALLOW_PRODUCTION", "perhaps")],
)  # fmt: skip
def test_an_invalid_setting_is_named_without_echoing_its_value(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    message = refusal(network=httpx.MockTransport(no_network))
    assert message.startswith(f"{name} is invalid")


def test_without_a_url_the_embedded_sandbox_is_used_and_nothing_is_probed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTTIMATE_API_URL")
    check = preflight(network=httpx.MockTransport(no_network))
    assert check.embedded and not check.read_only


# --- probes --------------------------------------------------------------------------------------


def test_an_unreachable_api_is_one_sentence_naming_the_url_and_the_variable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    message = refusal(network=httpx.MockTransport(refuse))
    assert message == (
        f"The API at {SANDBOX} cannot be reached (ConnectError: [Errno 111] Connection refused); "
        "check OTTIMATE_API_URL, or unset it to validate against the embedded sandbox."
    )


@pytest.mark.parametrize(
    "answer",
    [httpx.Response(200, html="<html>Welcome</html>"), httpx.Response(404, json={"code": "not_found"}),
     httpx.Response(302, headers={"Location": "https://example.test/login"})],
    ids=["a web page", "a 404", "a redirect"],
)  # fmt: skip
def test_a_host_that_is_not_the_ottimate_api_is_refused(answer: httpx.Response) -> None:
    message = refusal(network=api(accounts=lambda request: answer))
    assert message.startswith(f"{SANDBOX} does not look like the Ottimate API")
    assert "OTTIMATE_API_URL" in message


def test_an_api_that_errors_is_refused_with_try_again_later() -> None:
    message = refusal(network=api(accounts=lambda request: httpx.Response(500, text="boom")))
    assert "answered 500" in message and "try again later" in message


def test_a_sporadic_503_on_the_probe_is_retried_not_refused() -> None:
    answers = iter([httpx.Response(503)])
    check = preflight(network=api(accounts=lambda request: next(answers, httpx.Response(401, json={}))))
    assert check.api_url == SANDBOX


def test_refused_credentials_are_one_sentence_naming_the_variables_and_no_secret() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"code": "invalid_client", "message": f"bad secret {CANARY_SECRET}"})

    message = refusal(network=api(token=refused))
    assert message == (
        "The auth server refused these credentials (HTTP 401, invalid_client); check OTTIMATE_API_KEY, "
        "OTTIMATE_CLIENT_ID and OTTIMATE_CLIENT_SECRET."
    )


def test_an_auth_url_that_is_not_an_auth_server_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTTIMATE_AUTH_URL", "https://login.example.test")
    message = refusal(network=api(token=lambda request: httpx.Response(404, html="<h1>Not found</h1>")))
    assert message.startswith("https://login.example.test does not look like the Ottimate auth server")
    assert "OTTIMATE_AUTH_URL" in message


def test_an_unreachable_auth_server_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Name or service not known", request=request)

    monkeypatch.setenv("OTTIMATE_AUTH_URL", "https://auth.nowhere.test")
    message = refusal(network=api(token=refuse))
    assert message.startswith("The auth server at https://auth.nowhere.test cannot be reached")


def test_the_token_the_probe_is_issued_is_never_kept() -> None:
    check = preflight(network=api())
    assert "t" * 40 not in repr(check)
