"""Which API the tests talk to, the embedded sandbox's control plane, and ``ottimate_sandbox``.

- ``target``           session: the run's target; without a URL, an embedded sandbox per process
- ``sandbox``          function: the target's control plane (clock, faults, config), restored after
                       the test; tests using it are ``sandbox_only`` and skip where there is none
- ``ottimate_sandbox`` function: a fresh embedded sandbox of the test's own, with its credentials,
                       for a partner's own test suite (as moto's ``mock_aws``)
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from ottimate_validation.client import Credentials, OttimateClient
from ottimate_validation.pytest_plugin.state import state_of
from ottimate_validation.run.http import api_client, plain_client
from ottimate_validation.run.ledger import Ledger, Source
from ottimate_validation.run.target import CONTROL_PREFIX, Target


def has_control_plane(config: pytest.Config) -> bool:
    return state_of(config).has_control_plane


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("sandbox_only") and not has_control_plane(item.config):
        pytest.skip(no_control_plane(state_of(item.config).remote))


def no_control_plane(remote: Target | None) -> str:
    """Why a test that changes the sandbox's clock, faults or limits does not run here."""
    if remote is not None and remote.control_url is not None:
        return (
            f"changes the sandbox's clock, faults or limits, and {remote.api_url} is shared (by other runs, or by "
            "this run's parallel workers), which it would fail; it runs on the embedded sandbox of a default run"
        )
    where = remote.api_url if remote else "this target"
    return f"needs the embedded sandbox's control plane (clock, faults, config), which {where} does not have"


def credentials_of(user: Any) -> Credentials:
    return Credentials(api_key=user.api_key, client_id=user.client_id, client_secret=user.client_secret)


def _started(sandbox: Any, ledger: Ledger) -> Target:
    credentials = credentials_of(sandbox.users["account"])
    scoped = credentials_of(sandbox.users["company"])
    ledger.secrets.add(credentials.api_key, credentials.client_secret, scoped.api_key, scoped.client_secret)
    return Target(
        api_url=str(sandbox.api_url).rstrip("/"),
        auth_url=str(sandbox.auth_url).rstrip("/"),
        credentials=credentials,
        scoped_credentials=scoped,
        scoped_companies=tuple(sorted(sandbox.users["company"].company_ids)),
        embedded=True,
        control_url=str(sandbox.url).rstrip("/") + CONTROL_PREFIX,
    )


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Iterator[Target]:
    """The API under validation; an embedded sandbox per worker when no URL is configured."""
    state = state_of(pytestconfig)
    if state.remote is not None:
        yield state.remote
        return
    from ottimate_validation.sandbox import EmbeddedSandbox  # the only sandbox import allowed

    sandbox = EmbeddedSandbox(port=0, decisions=state.sandbox_decisions)
    sandbox.start()
    try:
        yield _started(sandbox, state.ledger)
    finally:
        sandbox.stop()


class SandboxControl:
    """The embedded sandbox's control plane (no auth), reached over HTTP like any client would."""

    def __init__(self, control_url: str, ledger: Ledger) -> None:
        self.control_url = control_url
        self._http = plain_client(control_url, ledger, source=Source.CONTROL, retry=None, timeout=30.0)

    def close(self) -> None:
        self._http.close()

    def _json(self, method: str, path: str, body: Any = None) -> Any:
        response = self._http.request(method, f"{self.control_url}{path}", json=body)
        if response.status_code >= 400:
            raise RuntimeError(
                f"sandbox control call {method} {path} answered {response.status_code}: {response.text[:300]}"
            )
        return response.json() if response.content else None

    def reset(self) -> None:
        """Reseed the store and put clock, faults and config back to their start values."""
        self._json("POST", "/reset")

    def now(self) -> str:
        return str(self._json("GET", "/clock")["now"])

    def advance_clock(self, seconds: float) -> str:
        """Move the sandbox clock forward; answers the new time (ISO 8601)."""
        return str(self._json("POST", "/clock", {"advance_seconds": seconds})["now"])

    def faults(self) -> dict[str, Any]:
        return dict(self._json("GET", "/faults"))

    def set_faults(self, enabled: list[str]) -> dict[str, Any]:
        return dict(self._json("PUT", "/faults", {"enabled": list(enabled)}))

    def config(self) -> dict[str, Any]:
        return dict(self._json("GET", "/config"))

    def set_config(self, **changes: Any) -> dict[str, Any]:
        return dict(self._json("PATCH", "/config", changes))


@pytest.fixture
def sandbox(target: Target, pytestconfig: pytest.Config) -> Iterator[SandboxControl]:
    """Control plane of the embedded sandbox; faults and config are restored after the test."""
    if target.control is None:
        pytest.skip(no_control_plane(target))
    control = SandboxControl(target.control, state_of(pytestconfig).ledger)
    config_before = control.config()
    faults_before = list(control.faults().get("enabled", []))
    try:
        yield control
    finally:
        control.set_config(**config_before)
        control.set_faults(faults_before)
        control.close()


@dataclass
class OttimateSandbox:
    """A fresh embedded sandbox for one test: its URLs, credentials and the variables that point an
    integration at it (``env``), the sandbox itself (faults, clock: ``sandbox.state``), and ``client()``."""

    sandbox: Any
    target: Target
    ledger: Ledger
    env: dict[str, str] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return self.target.api_url

    @property
    def auth_url(self) -> str:
        return self.target.auth_url

    @property
    def credentials(self) -> Credentials:
        return self.target.credentials

    def client(self, credentials: Credentials | None = None) -> OttimateClient:
        """The project's API client, authenticated as the account-level user (or ``credentials``)."""
        return api_client(self.target.client_config(credentials), self.ledger)

    @functools.cached_property
    def company_id(self) -> int:
        """The first company of the sandbox's account, found through the API as an integration would."""
        with self.client() as api:
            account = api.get("/accounts").json()["results"][0]["id"]
            return int(api.get(f"/accounts/{account}/companies").json()["results"][0]["id"])


@pytest.fixture
def ottimate_sandbox(pytestconfig: pytest.Config, monkeypatch: pytest.MonkeyPatch) -> Iterator[OttimateSandbox]:
    """A fresh embedded Ottimate sandbox for this test, its ``OTTIMATE_*`` variables set in the
    environment (as a partner sets them for the real sandbox), stopped afterwards."""
    from ottimate_validation.sandbox import EmbeddedSandbox

    sandbox = EmbeddedSandbox(port=0)
    sandbox.start()
    ledger = state_of(pytestconfig).ledger
    try:
        handle = OttimateSandbox(sandbox, _started(sandbox, ledger), ledger, dict(sandbox.target_variables()))
        for name, value in handle.env.items():
            monkeypatch.setenv(name, value)
        yield handle
    finally:
        sandbox.stop()
