from ottimate_validation.client import ClientConfig, Credentials, RetryPolicy

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
