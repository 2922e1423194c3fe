"""Target settings, read from `OTTIMATE_*` environment variables and a `.env` file.

`OTTIMATE_API_URL` unset means "start the embedded sandbox"; the credentials then come from the
sandbox, so they are only required (`require_credentials`) against an external target.
"""

from __future__ import annotations

import os
from typing import Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ottimate_validation.client import Credentials
from ottimate_validation.client.errors import ConfigurationError, ProductionTargetRefused

ENV_PREFIX = "OTTIMATE_"

# What `ottimate-validate` hands the pytest run it starts (and its xdist workers): the run's id, which
# every record created carries, and its folder, where fixtures leave files for the summary.
RUN_ID_ENV = "OTTIMATE_RUN_ID"
RUN_DIR_ENV = "OTTIMATE_RUN_DIR"

#: CONTRACT §1: production hosts. The suites write data, so these are refused unless allowed.
PRODUCTION_HOSTS = frozenset({"api.ottimate.com", "auth.ottimate.com"})

#: CONTRACT §1: the documented API hosts whose auth server lives on another host.
_AUTH_URL_FOR_API_HOST = {
    "sandbox-api.ottimate.com": "https://sandbox-auth.ottimate.com",
    "api.ottimate.com": "https://auth.ottimate.com",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",  # relative to the current directory when the settings are loaded
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",  # the .env may hold variables meant for other tools
    )

    api_url: str | None = None
    auth_url: str | None = None
    api_key: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    # A second, narrower API user (company- or location-scoped), for the scoping scenarios.
    scoped_api_key: SecretStr | None = None
    scoped_client_id: str | None = None
    scoped_client_secret: SecretStr | None = None
    api_version: Literal["1.0.0", "1.1.0"] | None = None
    allow_production: bool = False

    @field_validator("api_url", "auth_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL")
        return value.strip().rstrip("/")

    @model_validator(mode="after")
    def _defaults(self) -> Self:
        if self.api_url is not None and self.auth_url is None:
            self.auth_url = default_auth_url(self.api_url)
        if self.scoped_api_key is None:
            self.scoped_api_key = self.api_key
        return self

    def require_credentials(self) -> Credentials:
        """The main API user's credentials; ConfigurationError names the first one missing."""
        api_key = _required(self.api_key, "API_KEY")
        client_id = _required(self.client_id, "CLIENT_ID")
        client_secret = _required(self.client_secret, "CLIENT_SECRET")
        return Credentials(api_key=api_key, client_id=client_id, client_secret=client_secret)

    def scoped_credentials(self) -> Credentials | None:
        """The narrower API user's credentials, or None when none are configured."""
        if self.scoped_client_id is None and self.scoped_client_secret is None:
            return None
        return Credentials(
            api_key=_required(self.scoped_api_key, "SCOPED_API_KEY"),
            client_id=_required(self.scoped_client_id, "SCOPED_CLIENT_ID"),
            client_secret=_required(self.scoped_client_secret, "SCOPED_CLIENT_SECRET"),
        )


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; keyword overrides win over the environment and `.env`.

    Invalid values raise ConfigurationError naming the variable (never echoing its value).
    """
    # OTTIMATE_ENV_FILE picks another dotenv file; empty means none (the project's tests set that, so a
    # developer's .env can never redirect them to a real sandbox).
    env_file = os.environ.get("OTTIMATE_ENV_FILE", ".env") or None
    try:
        return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]  # pydantic-settings init kwarg
    except ValidationError as exc:
        error = exc.errors()[0]
        name = ENV_PREFIX + str(error["loc"][0]).upper() if error["loc"] else "settings"
        raise ConfigurationError(f"{name} is invalid: {error['msg']}.") from None


def default_auth_url(api_url: str) -> str:
    """The auth server for an API URL: the documented one for Ottimate hosts, else the API's origin."""
    parts = urlsplit(api_url)
    host = (parts.hostname or "").lower().rstrip(".")
    return _AUTH_URL_FOR_API_HOST.get(host, f"{parts.scheme}://{parts.netloc}")


def production_hosts(*urls: str | None) -> list[str]:
    """The production hosts (CONTRACT §1) among the URLs, in order, without repeats."""
    found: list[str] = []
    for url in urls:
        host = (urlsplit(url).hostname or "").lower().rstrip(".") if url else ""
        if host in PRODUCTION_HOSTS and host not in found:
            found.append(host)
    return found


def check_not_production(api_url: str | None, auth_url: str | None, allow_production: bool) -> None:
    """Raise ProductionTargetRefused when either URL points at production and that is not allowed."""
    if allow_production:
        return
    hosts = production_hosts(api_url, auth_url)
    if hosts:
        raise ProductionTargetRefused(
            f"Refusing to run against the production host {hosts[0]}: validate against the sandbox, or pass "
            f"--allow-production (or set {ENV_PREFIX}ALLOW_PRODUCTION=true) to run only the read-only checks there."
        )


def _required(value: SecretStr | str | None, name: str) -> str:
    plain = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not plain:
        raise ConfigurationError(f"{ENV_PREFIX}{name} is not set (in the environment or in .env).")
    return plain
