import httpx
import pytest

from ottimate_validation.client import ClientConfig, Credentials, RetryPolicy
from ottimate_validation.client.transport import proxy_for

CREDS = Credentials(api_key="key-1234567890", client_id="client-abc", client_secret="s3cret-value-xyz")


def test_credentials_repr_and_str_show_the_client_id_but_hide_the_api_key_and_secret():
    for text in (repr(CREDS), str(CREDS), f"{CREDS}", repr(ClientConfig("https://a/v1", "https://b", CREDS))):
        assert "client-abc" in text
        assert "key-1234567890" not in text
        assert "s3cret-value-xyz" not in text
    assert repr(CREDS) == "Credentials(client_id='client-abc', api_key='***', client_secret='***')"


def test_config_defaults_follow_the_contract():
    config = ClientConfig(api_url="https://sandbox-api.ottimate.com/v1", auth_url="https://x", credentials=CREDS)
    assert config.timeout == 29.0
    assert config.retry == RetryPolicy(max_attempts=4, backoff_base=0.2, backoff_max=5.0, max_retry_after=30.0)
    assert config.api_version is None
    assert config.user_agent == "ottimate-validation/0.1"


def test_token_url_is_the_auth_url_plus_oauth_token():
    config = ClientConfig(api_url="https://a/v1", auth_url="https://sandbox-auth.ottimate.com/", credentials=CREDS)
    assert config.token_url == "https://sandbox-auth.ottimate.com/oauth/token"


@pytest.mark.parametrize(
    ("env", "url", "proxy"),
    [
        ({}, "https://sandbox-api.ottimate.com/v1", None),
        ({"HTTPS_PROXY": "http://proxy.test:3128"}, "https://sandbox-api.ottimate.com/v1", "http://proxy.test:3128"),
        ({"HTTPS_PROXY": "http://proxy.test:3128"}, "http://127.0.0.1:8000/v1", None),
        ({"ALL_PROXY": "http://all.test:1"}, "http://127.0.0.1:8000/v1", "http://all.test:1"),
        ({"HTTPS_PROXY": "http://proxy.test:3128", "NO_PROXY": ".ottimate.com"},
         "https://sandbox-api.ottimate.com/v1", None),
    ],
    ids=["no proxy", "https proxy", "https proxy, http url", "all proxy", "no_proxy domain"],
)  # fmt: skip
def test_the_transport_takes_the_proxy_the_environment_names_for_each_host(monkeypatch, env, url, proxy):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert proxy_for(httpx.URL(url)) == proxy
