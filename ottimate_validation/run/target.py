"""The API a run validates: settings, the one ``Target``, and the preflight that refuses a bad one.

Settings come from ``OTTIMATE_*`` variables and a ``.env`` file, never from source. Without
``OTTIMATE_API_URL`` the target is an embedded sandbox (started by whoever runs the tests); with it,
``resolve`` checks, in order, before anything is sent or written:

1. settings: an invalid value names its variable (its value is never echoed);
2. production (CONTRACT §1): ``api.ottimate.com`` / ``auth.ottimate.com`` are refused unless
   production is explicitly allowed, and then the run is *read-only* (only tests marked ``readonly``);
3. credentials: a missing one names its variable.

``probe`` then checks the network side: the API answers like the Ottimate API (``GET /accounts``
without credentials is refused in JSON, not a 404 or an HTML page), the auth server issues a token,
and (side by side) whether the target has an embedded sandbox's control plane. Every refusal is a
``RunRefused`` with one sentence and no secret; callers print it and exit with code 2.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Self
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ottimate_validation.client import ClientConfig, Credentials, build_token_request
from ottimate_validation.client.errors import ConfigurationError, OttimateError, ProductionTargetRefused
from ottimate_validation.run.http import plain_client
from ottimate_validation.run.ledger import Ledger, Source

ENV_PREFIX = "OTTIMATE_"
API_URL_ENV = f"{ENV_PREFIX}API_URL"
#: An overrides file for the embedded sandbox a run starts (``--sandbox-decisions``; docs/sandbox.md).
SANDBOX_DECISIONS_ENV = "OTTIMATE_SANDBOX_DECISIONS"
AUTH_URL_ENV = f"{ENV_PREFIX}AUTH_URL"
ENV_FILE_ENV = f"{ENV_PREFIX}ENV_FILE"
ALLOW_PRODUCTION_FLAG = "--allow-production"
CONTROL_PREFIX = "/_sandbox"
PROBE_TIMEOUT = 10.0

#: CONTRACT §1: production hosts. The suites write data, so these are refused unless allowed.
PRODUCTION_HOSTS = frozenset({"api.ottimate.com", "auth.ottimate.com"})
OTTIMATE_SANDBOX_HOSTS = frozenset({"sandbox-api.ottimate.com"})
#: CONTRACT §1: the documented API hosts whose auth server lives on another host.
_AUTH_URL_FOR_API_HOST = {
    "sandbox-api.ottimate.com": "https://sandbox-auth.ottimate.com",
    "api.ottimate.com": "https://auth.ottimate.com",
}
_RULE = "!" * 100


class RunRefused(OttimateError):
    """The run must not or cannot start; the message is one sentence for the user (exit code 2)."""


# ---------------------------------------------------------------------------------------------
# Settings


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
    # The companies Ottimate provisioned that user for ("12,34"): what the API's answers are judged against,
    # since a listing that shows more is open (§8) and a user reaching everything may be either unscoped
    # credentials or an unenforced scope.
    scoped_company_ids: str | None = None
    api_version: Literal["1.0.0", "1.1.0"] | None = None
    allow_production: bool = False

    @field_validator("scoped_company_ids")
    @classmethod
    def _company_ids(cls, value: str | None) -> str | None:
        if value is None:
            return None
        ids = [part.strip() for part in value.split(",") if part.strip()]
        if not ids or not all(part.isdigit() for part in ids):
            raise ValueError("must be Ottimate company ids separated by commas, e.g. 12,34")
        return ",".join(ids)

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
    env_file = os.environ.get(ENV_FILE_ENV, ".env") or None
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
            f"{ALLOW_PRODUCTION_FLAG} (or set {ENV_PREFIX}ALLOW_PRODUCTION=true) to run only the read-only "
            "checks there."
        )


def _required(value: SecretStr | str | None, name: str) -> str:
    plain = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not plain:
        raise ConfigurationError(f"{ENV_PREFIX}{name} is not set (in the environment or in .env).")
    return plain


# ---------------------------------------------------------------------------------------------
# The target


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()


Kind = Literal["embedded", "embedded-external", "sandbox", "production", "other"]


@dataclass(frozen=True)
class Target:
    """The API under validation. Credentials never leave the process (``facts`` holds none)."""

    api_url: str
    auth_url: str
    credentials: Credentials = field(repr=False)
    scoped_credentials: Credentials | None = field(default=None, repr=False)
    #: The companies the scoped user was provisioned for, as declared (empty: learnt from the API).
    scoped_companies: tuple[int, ...] = ()
    api_version: str | None = None
    #: Started by this run (one per test worker): the run's own simulator.
    embedded: bool = False
    #: The embedded sandbox's control plane (``{origin}/_sandbox``), on any target that has one.
    control_url: str | None = None
    production: bool = False
    #: The sandbox is this run's alone (started for it): its clock, faults and limits may be changed.
    #: A sandbox served for several runs (``ottimate-sandbox serve``) never is: one run changing them
    #: would fail the others.
    own: bool = False

    @property
    def simulator(self) -> bool:
        """The target is our embedded sandbox (it has a control plane), not Ottimate's."""
        return self.embedded or self.control_url is not None

    @property
    def control(self) -> str | None:
        """The control plane this run may use: only a sandbox of its own."""
        return self.control_url if (self.embedded or self.own) else None

    @property
    def origin(self) -> str:
        return origin_of(self.api_url)

    @property
    def token_url(self) -> str:
        return f"{self.auth_url.rstrip('/')}/oauth/token"

    @property
    def token_urls(self) -> tuple[str, ...]:
        """Both published token URLs: on the auth host and under the API base."""
        return (self.token_url, f"{self.api_url}/oauth/token")

    @property
    def kind(self) -> Kind:
        if self.embedded:
            return "embedded"
        host = urlsplit(self.api_url).hostname or ""
        if host in OTTIMATE_SANDBOX_HOSTS:
            return "sandbox"
        if self.production:
            return "production"
        if self.control_url is not None:
            return "embedded-external"
        return "other"

    @property
    def label(self) -> str:
        return describe_kind(self.kind, self.api_url)

    def client_config(self, credentials: Credentials | None = None, **options: Any) -> ClientConfig:
        return ClientConfig(
            api_url=self.api_url,
            auth_url=self.auth_url,
            credentials=credentials or self.credentials,
            api_version=self.api_version,
            **options,
        )

    def with_control(self, control_url: str | None, *, own: bool | None = None) -> Target:
        return replace(self, control_url=control_url, own=self.own if own is None else own)

    def facts(self) -> dict[str, Any]:
        """What a run folder may keep of the target: no credential."""
        return {
            "kind": self.kind,
            "api_url": without_userinfo(self.api_url),
            "auth_url": without_userinfo(self.auth_url),
            "api_version": self.api_version,
            "control_url": self.control_url,
            "production": self.production,
        }


def describe_kind(kind: str, api_url: str | None = None) -> str:
    """The target as the report names it."""
    host = (urlsplit(api_url).hostname or "") if api_url else ""
    return {
        "embedded": "Embedded sandbox (local simulator, one per test worker)",
        "embedded-external": "Embedded sandbox (started separately)",
        "sandbox": "Ottimate sandbox",
        "production": "Ottimate production",
    }.get(kind, f"Other host ({host})" if host else "Other host")


def resolve(*, allow_production: bool = False, api_url: str | None = None) -> Target | None:
    """The configured target after steps 1-3 of the preflight (no request sent), or None when no URL
    is set (an embedded sandbox will be started). RunRefused with one sentence when it must not run.

    ``api_url`` overrides ``OTTIMATE_API_URL`` (pytest's ``--target-url``)."""
    try:
        settings = load_settings(**({"api_url": api_url} if api_url else {}))
    except OttimateError as exc:
        raise RunRefused(_sentence(exc)) from None
    if settings.api_url is None:
        return None
    url = settings.api_url.rstrip("/")
    auth_url = (settings.auth_url or url).rstrip("/")
    try:
        check_not_production(url, auth_url, allow_production or settings.allow_production)
        credentials = settings.require_credentials()
        scoped = settings.scoped_credentials()
    except OttimateError as exc:
        raise RunRefused(_sentence(exc)) from None
    return Target(
        api_url=url,
        auth_url=auth_url,
        credentials=credentials,
        scoped_credentials=scoped,
        scoped_companies=tuple(int(part) for part in (settings.scoped_company_ids or "").split(",") if part),
        api_version=settings.api_version,
        production=bool(production_hosts(url, auth_url)),
    )


def allowed_production(allow_flag: bool) -> bool:
    """Whether production is allowed: the flag, or ``OTTIMATE_ALLOW_PRODUCTION``."""
    if allow_flag:
        return True
    try:
        return load_settings().allow_production
    except OttimateError:
        return False


# ---------------------------------------------------------------------------------------------
# Probes


def probe(target: Target, http: httpx.Client) -> Target:
    """The network checks (API, token, control plane), side by side: one round trip at a real
    sandbox's latency. Answers the target with its control plane, if any; RunRefused otherwise."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        api = pool.submit(_probe_api, http, target.api_url)
        token = pool.submit(_probe_token, http, target)
        control = pool.submit(_probe_control_plane, http, target.api_url)
        api.result()  # an unreachable API is the one reported when several fail
        token.result()
        return target.with_control(control.result())


def _probe_control_plane(http: httpx.Client, api_url: str) -> str | None:
    control = origin_of(api_url) + CONTROL_PREFIX
    try:
        answer = http.get(f"{control}/health", extensions={"ottimate.source": "control"})
    except httpx.HTTPError:
        return None
    return control if answer.status_code == 200 else None


def _probe_api(http: httpx.Client, api_url: str) -> None:
    try:
        answer = http.get(f"{api_url}/accounts", headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise RunRefused(
            f"The API at {api_url} cannot be reached ({_reason(exc)}); check {API_URL_ENV}, "
            "or unset it to validate against the embedded sandbox."
        ) from None
    if answer.status_code >= 500:
        raise RunRefused(
            f"The API at {api_url} is not answering properly (GET /accounts answered {answer.status_code}); "
            "try again later."
        )
    # Without credentials the API refuses (401/403) in JSON; a 404 or an HTML page is another site.
    if answer.status_code == 404 or not (answer.status_code in (401, 403) or _is_json(answer)):
        raise RunRefused(
            f"{api_url} does not look like the Ottimate API (GET /accounts without credentials answered "
            f"{_described(answer)}, where the API refuses with a JSON error); check {API_URL_ENV}, "
            "the API base ending in /v1."
        )


def _probe_token(http: httpx.Client, target: Target) -> None:
    try:
        answer = http.send(build_token_request(target.client_config()))  # the token is dropped unread
    except httpx.HTTPError as exc:
        raise RunRefused(
            f"The auth server at {target.auth_url} cannot be reached ({_reason(exc)}); check {AUTH_URL_ENV}."
        ) from None
    status = answer.status_code
    if status == 200 or status == 429:  # issued, or merely throttled: the run will retry
        return
    if status >= 500:
        raise RunRefused(
            f"The auth server at {target.auth_url} is not answering properly (POST /oauth/token answered "
            f"{status}); try again later."
        )
    if status == 404 or not _is_json(answer):
        raise RunRefused(
            f"{target.auth_url} does not look like the Ottimate auth server (POST /oauth/token answered "
            f"{_described(answer)}); check {AUTH_URL_ENV}."
        )
    code = _error_code(answer)
    raise RunRefused(
        f"The auth server refused these credentials (HTTP {status}{', ' + code if code else ''}); check "
        f"{ENV_PREFIX}API_KEY, {ENV_PREFIX}CLIENT_ID and {ENV_PREFIX}CLIENT_SECRET."
    )


def _is_json(answer: httpx.Response) -> bool:
    if "json" not in answer.headers.get("content-type", "").lower():
        return False
    try:
        json.loads(answer.content)
    except ValueError:
        return False
    return True


def _error_code(answer: httpx.Response) -> str | None:
    try:
        body = json.loads(answer.content)
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    # Only a short identifier-like code is repeated; anything else could echo what was sent.
    return code if isinstance(code, str) and code.replace("_", "").isalnum() and len(code) <= 64 else None


def _described(answer: httpx.Response) -> str:
    kind = answer.headers.get("content-type", "").split(";")[0].strip() or "no content type"
    return f"{answer.status_code} with {kind}"


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()).rstrip(".")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _sentence(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if text.endswith(".") else text + "."


@dataclass(frozen=True)
class Preflight:
    """What the preflight found: the target (None: embedded sandboxes) and whether the run is read-only."""

    target: Target | None
    read_only: bool

    @property
    def embedded(self) -> bool:
        return self.target is None

    @property
    def api_url(self) -> str | None:
        return self.target.api_url if self.target is not None else None


def preflight(
    *,
    allow_production: bool = False,
    api_url: str | None = None,
    ledger: Ledger | None = None,
    network: httpx.BaseTransport | None = None,
    timeout: float = PROBE_TIMEOUT,
) -> Preflight:
    """Every check, in order, before anything is written; RunRefused with one sentence otherwise.
    The probes are recorded in ``ledger`` (source ``preflight``); ``network`` replaces the network."""
    allow = allowed_production(allow_production)
    target = resolve(allow_production=allow, api_url=api_url)
    if target is None:
        return Preflight(None, read_only=allow)
    with plain_client(
        target.api_url, ledger or Ledger(), source=Source.PREFLIGHT, timeout=timeout, network=network
    ) as http:
        target = probe(target, http)
    return Preflight(target, read_only=allow or target.production)


# ---------------------------------------------------------------------------------------------
# Saying it loudly


def production_banner(target: Target | None, *, read_only: bool) -> list[str]:
    """Lines to print before and after a read-only run (none for a normal run)."""
    if not read_only:
        return []
    where = target.api_url if target is not None else "the embedded sandbox"
    if target is not None and target.production:
        headline = f"PRODUCTION TARGET {where}: only the read-only checks run, nothing is written."
    else:
        headline = f"READ-ONLY RUN against {where} ({ALLOW_PRODUCTION_FLAG}): only the read-only checks run."
    return [
        _RULE,
        headline,
        "These verdicts cover read-only behaviour only; they are not the sandbox validation Ottimate asks for.",
        _RULE,
    ]
