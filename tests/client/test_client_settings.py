import os
from pathlib import Path

import pytest

from ottimate_validation.client import ConfigurationError, Credentials, ProductionTargetRefused
from ottimate_validation.run.target import check_not_production, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No OTTIMATE_* variable and no .env leak in from the developer's shell or checkout."""
    for name in list(os.environ):
        if name.startswith("OTTIMATE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def set_env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(f"OTTIMATE_{name.upper()}", value)


def test_nothing_set_means_the_embedded_sandbox_and_production_not_allowed():
    settings = load_settings()
    assert settings.api_url is None
    assert settings.auth_url is None
    assert settings.allow_production is False
    assert settings.scoped_credentials() is None


@pytest.mark.parametrize(
    ("present", "missing"),
    [
        ({}, "OTTIMATE_API_KEY"),
        ({"api_key": "k"}, "OTTIMATE_CLIENT_ID"),
        ({"api_key": "k", "client_id": "c"}, "OTTIMATE_CLIENT_SECRET"),
        ({"client_id": "c", "client_secret": "s"}, "OTTIMATE_API_KEY"),
    ],
)
def test_the_first_missing_credential_variable_is_named(monkeypatch, present, missing):
    set_env(monkeypatch, **present)
    with pytest.raises(ConfigurationError, match=f"^{missing} is not set"):
        load_settings().require_credentials()


def test_credentials_are_read_from_the_environment(monkeypatch):
    set_env(monkeypatch, api_key="key-1", client_id="client-1", client_secret="secret-1")
    assert load_settings().require_credentials() == Credentials("key-1", "client-1", "secret-1")


def test_secrets_never_show_in_the_settings_repr(monkeypatch):
    set_env(monkeypatch, api_key="key-1", client_id="client-1", client_secret="secret-1")
    text = repr(load_settings())
    assert "key-1" not in text
    assert "secret-1" not in text


def test_a_dotenv_file_in_the_current_directory_is_read(clean_environment, monkeypatch):
    (clean_environment / ".env").write_text(
        "OTTIMATE_API_URL=https://sandbox-api.ottimate.com/v1\n"
        "OTTIMATE_API_KEY=file-key\nOTTIMATE_CLIENT_ID=file-client\nOTTIMATE_CLIENT_SECRET=file-secret\n"
        "OTTIMATE_API_VERSION=1.1.0\nUNRELATED=1\nOTTIMATE_FOR_ANOTHER_TOOL=x\n"
    )
    monkeypatch.setenv("OTTIMATE_CLIENT_ID", "env-client")  # the environment wins over the file
    settings = load_settings()
    assert settings.api_url == "https://sandbox-api.ottimate.com/v1"
    assert settings.api_version == "1.1.0"
    assert settings.require_credentials() == Credentials("file-key", "env-client", "file-secret")


def test_overrides_win_over_the_environment(monkeypatch):
    set_env(monkeypatch, api_url="https://one.test/v1")
    assert load_settings(api_url="https://two.test/v1").api_url == "https://two.test/v1"


@pytest.mark.parametrize(
    ("api_url", "auth_url"),
    [
        ("https://sandbox-api.ottimate.com/v1", "https://sandbox-auth.ottimate.com"),
        ("https://api.ottimate.com/v1", "https://auth.ottimate.com"),
        ("http://127.0.0.1:8123/v1/", "http://127.0.0.1:8123"),
        ("https://staging.example.com/api/v1", "https://staging.example.com"),
    ],
)
def test_the_auth_url_defaults_from_the_api_url(monkeypatch, api_url, auth_url):
    set_env(monkeypatch, api_url=api_url)
    assert load_settings().auth_url == auth_url


def test_an_explicit_auth_url_is_kept(monkeypatch):
    set_env(monkeypatch, api_url="https://sandbox-api.ottimate.com/v1", auth_url="https://auth.example.com/")
    assert load_settings().auth_url == "https://auth.example.com"


def test_an_invalid_api_version_is_refused_naming_the_variable(monkeypatch):
    set_env(monkeypatch, api_version="2.0.0")
    with pytest.raises(ConfigurationError, match=r"^OTTIMATE_API_VERSION is invalid"):
        load_settings()


def test_a_url_that_is_not_http_is_refused_naming_the_variable(monkeypatch):
    set_env(monkeypatch, api_url="sandbox-api.ottimate.com")
    with pytest.raises(ConfigurationError, match=r"^OTTIMATE_API_URL is invalid"):
        load_settings()


def test_the_scoped_user_reuses_the_main_api_key_unless_given_its_own(monkeypatch):
    set_env(monkeypatch, api_key="key-1", scoped_client_id="narrow", scoped_client_secret="narrow-secret")
    assert load_settings().scoped_credentials() == Credentials("key-1", "narrow", "narrow-secret")
    set_env(monkeypatch, scoped_api_key="key-2")
    assert load_settings().scoped_credentials() == Credentials("key-2", "narrow", "narrow-secret")


def test_a_half_configured_scoped_user_names_the_missing_variable(monkeypatch):
    set_env(monkeypatch, api_key="key-1", scoped_client_id="narrow")
    with pytest.raises(ConfigurationError, match=r"^OTTIMATE_SCOPED_CLIENT_SECRET is not set"):
        load_settings().scoped_credentials()


def test_the_scoped_users_declared_companies_are_read_and_a_wrong_list_named(monkeypatch):
    set_env(monkeypatch, scoped_company_ids=" 12, 34 ")
    assert load_settings().scoped_company_ids == "12,34"
    set_env(monkeypatch, scoped_company_ids="acme")
    with pytest.raises(ConfigurationError, match=r"^OTTIMATE_SCOPED_COMPANY_IDS is invalid.*company ids") as refused:
        load_settings()
    assert "acme" not in str(refused.value)


@pytest.mark.parametrize(
    ("api_url", "auth_url"),
    [
        ("https://api.ottimate.com/v1", "https://auth.ottimate.com"),
        ("https://API.Ottimate.com/v1", None),
        ("https://sandbox-api.ottimate.com/v1", "https://auth.ottimate.com"),
    ],
)
def test_production_hosts_are_refused(api_url, auth_url):
    with pytest.raises(ProductionTargetRefused, match="OTTIMATE_ALLOW_PRODUCTION") as caught:
        check_not_production(api_url, auth_url, allow_production=False)
    assert "\n" not in str(caught.value)


def test_production_is_accepted_when_explicitly_allowed():
    check_not_production("https://api.ottimate.com/v1", "https://auth.ottimate.com", allow_production=True)


@pytest.mark.parametrize(
    "api_url",
    ["https://sandbox-api.ottimate.com/v1", "http://127.0.0.1:9000/v1", "https://api.ottimate.com.evil.test/v1"],
)
def test_sandbox_and_other_hosts_are_not_production(api_url):
    check_not_production(api_url, None, allow_production=False)
