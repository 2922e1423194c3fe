"""Refuse a run that must not or cannot run, before anything is sent or written.

``preflight()`` is called by ``ottimate-validate`` before it creates a run folder, and by the pytest
plugin (``fixtures/target.py``) before collection, so both say the same single sentence and neither
leaves anything half-written behind. In order:

1. Settings (``OTTIMATE_*``, ``.env``): an invalid value names its variable.
2. Production (CONTRACT §1): ``api.ottimate.com`` / ``auth.ottimate.com`` are refused before any request,
   unless production is explicitly allowed (``--allow-production`` or ``OTTIMATE_ALLOW_PRODUCTION``);
   then the run is *read-only*: only the tests marked ``readonly`` run, and the console and the report
   say so loudly (``production_banner``, ``report_variables``).
3. Credentials: a missing one names its variable.
4. Probes: the API answers like the Ottimate API (``GET /accounts`` without credentials: 401 with a
   JSON body, not a 404 or an HTML page), and the auth server issues a token for the credentials.

Every refusal is a ``RunRefused`` whose message is one sentence and never holds a secret; the caller
prints it and exits with code 2. Probe requests are retried like the client's (429, 503), so a
sandbox shedding load now and then does not stop a run.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from ottimate_validation.client import (
    ClientConfig,
    Credentials,
    EnvironmentTransport,
    RetryTransport,
    build_token_request,
)
from ottimate_validation.client.errors import OttimateError
from ottimate_validation.settings import ENV_PREFIX, check_not_production, load_settings, production_hosts

EXIT_REFUSED = 2
ALLOW_PRODUCTION_FLAG = "--allow-production"
API_URL_ENV = f"{ENV_PREFIX}API_URL"
AUTH_URL_ENV = f"{ENV_PREFIX}AUTH_URL"
PROBE_TIMEOUT = 10.0
_RULE = "!" * 100


class RunRefused(OttimateError):
    """The run must not or cannot start; the message is one sentence for the user (exit code 2)."""


@dataclass(frozen=True)
class TargetCheck:
    """What the preflight found. ``api_url`` None: no URL is set, the embedded sandbox will be used."""

    api_url: str | None
    auth_url: str | None
    credentials: Credentials | None = field(default=None, repr=False)
    scoped_credentials: Credentials | None = field(default=None, repr=False)
    api_version: str | None = None
    production: bool = False
    #: Only the tests marked ``readonly`` may run (production allowed, or ``--allow-production`` given).
    read_only: bool = False

    @property
    def embedded(self) -> bool:
        return self.api_url is None


def preflight(
    *,
    allow_production: bool = False,
    api_url: str | None = None,
    probe: bool = True,
    transport: httpx.BaseTransport | None = None,
    timeout: float = PROBE_TIMEOUT,
) -> TargetCheck:
    """Check the configured target; raise RunRefused with one sentence when the run must not start.

    ``api_url`` overrides ``OTTIMATE_API_URL`` (pytest's ``--target-url``); ``probe=False`` skips the
    network checks (steps 1-3 only); ``transport`` replaces the network, for tests.
    """
    try:
        settings = load_settings(**({"api_url": api_url} if api_url else {}))
    except OttimateError as exc:
        raise RunRefused(_sentence(exc)) from None
    if settings.api_url is None:
        return TargetCheck(api_url=None, auth_url=None, read_only=allow_production)
    url = settings.api_url.rstrip("/")
    auth_url = (settings.auth_url or url).rstrip("/")
    allowed = allow_production or settings.allow_production
    try:
        check_not_production(url, auth_url, allowed)  # before any request, whatever else is wrong
        credentials = settings.require_credentials()
        scoped = settings.scoped_credentials()
    except OttimateError as exc:
        raise RunRefused(_sentence(exc)) from None
    production = bool(production_hosts(url, auth_url))
    check = TargetCheck(
        api_url=url,
        auth_url=auth_url,
        credentials=credentials,
        scoped_credentials=scoped,
        api_version=settings.api_version,
        production=production,
        read_only=allow_production or production,
    )
    if probe:
        probe_target(check, transport=transport, timeout=timeout)
    return check


def probe_target(
    check: TargetCheck, *, transport: httpx.BaseTransport | None = None, timeout: float = PROBE_TIMEOUT
) -> None:
    """The network checks of ``preflight`` (the API answers as the API, the token is issued) for a
    target it has already let through; raise RunRefused with one sentence otherwise."""
    assert check.api_url is not None
    # The two probes are independent: sent side by side (one round trip at a real sandbox's
    # latency, not two); an unreachable API is still the one reported when both fail.
    with (
        httpx.Client(
            transport=RetryTransport(transport or EnvironmentTransport()), timeout=timeout, follow_redirects=False
        ) as http,
        ThreadPoolExecutor(max_workers=2) as pool,
    ):
        api, token = pool.submit(_probe_api, http, check.api_url), pool.submit(_probe_token, http, check)
        api.result()
        token.result()


# ---------------------------------------------------------------------------------------------
# Probes


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


def _probe_token(http: httpx.Client, check: TargetCheck) -> None:
    assert check.api_url is not None and check.auth_url is not None and check.credentials is not None
    config = ClientConfig(
        api_url=check.api_url,
        auth_url=check.auth_url,
        credentials=check.credentials,
        api_version=check.api_version,
    )
    try:
        answer = http.send(build_token_request(config))  # the token it may issue is dropped unread
    except httpx.HTTPError as exc:
        raise RunRefused(
            f"The auth server at {check.auth_url} cannot be reached ({_reason(exc)}); check {AUTH_URL_ENV}."
        ) from None
    status = answer.status_code
    if status == 200 or status == 429:  # issued, or merely throttled: the run will retry
        return
    if status >= 500:
        raise RunRefused(
            f"The auth server at {check.auth_url} is not answering properly (POST /oauth/token answered "
            f"{status}); try again later."
        )
    if status == 404 or not _is_json(answer):
        raise RunRefused(
            f"{check.auth_url} does not look like the Ottimate auth server (POST /oauth/token answered "
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


# ---------------------------------------------------------------------------------------------
# Saying it loudly


def production_banner(check: TargetCheck) -> list[str]:
    """Lines to print before and after a read-only run (none for a normal run)."""
    if not check.read_only:
        return []
    where = check.api_url or "the embedded sandbox"
    if check.production:
        headline = f"PRODUCTION TARGET {where}: only the read-only checks run, nothing is written."
    else:
        headline = f"READ-ONLY RUN against {where} ({ALLOW_PRODUCTION_FLAG}): only the read-only checks run."
    return [
        _RULE,
        headline,
        "These verdicts cover read-only behaviour only; they are not the sandbox validation Ottimate asks for.",
        _RULE,
    ]


def report_variables(check: TargetCheck) -> dict[str, str]:
    """Facts for the report's header: the target, and the read-only mode when it applies."""
    facts = {"Target": check.api_url or "embedded sandbox"}
    if check.read_only:
        facts["Mode"] = ("PRODUCTION - " if check.production else "") + "read-only checks only"
    return facts


def pytest_args(check: TargetCheck) -> list[str]:
    """What to add to the child pytest's command line so it restricts itself the same way."""
    return [ALLOW_PRODUCTION_FLAG] if check.read_only else []
