"""The embedded sandbox: a local, faithful simulator of Ottimate's sandbox API and auth server.

`EmbeddedSandbox` is the one public entry (see docs/architecture.md); everything else in this
package is its implementation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType

from .accounts.models import ApiUser, UserSecrets
from .app import SandboxApp
from .dashboard import Dashboard
from .journal import DEFAULT_CAPACITY, Exchange, Journal, Mark
from .readings import Overrides, OverridesError
from .readings import load as load_overrides
from .readings import overrides as overrides_of
from .server import SandboxServer, WSGIApp
from .state import SandboxConfig, SandboxState

__all__ = [
    "ApiUser",
    "EmbeddedSandbox",
    "Exchange",
    "Journal",
    "Mark",
    "Overrides",
    "OverridesError",
    "SandboxConfig",
    "UserSecrets",
    "load_overrides",
]


class EmbeddedSandbox:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        token_ttl: int | None = None,
        seed: int | None = None,
        account_secrets: UserSecrets | None = None,
        config: SandboxConfig | None = None,
        variations: Iterable[str] = (),
        control_plane: bool = True,
        journal_size: int = DEFAULT_CAPACITY,
        dashboard: bool | None = None,
        allow_remote: bool = False,
        decisions: Overrides | str | Path | None = None,
        reading: str | None = None,
    ) -> None:
        """``control_plane=False``: no /_sandbox routes (404 like any unknown path), as on the real
        sandbox; for rehearsing a real-sandbox run locally. ``journal_size``: exchanges the request
        journal keeps (0: no journal). ``dashboard``: serve the dashboard under /_dashboard/ (by default
        when there is a control plane); ``allow_remote``: let it answer other machines than this one.
        ``decisions``: other choices where the docs are silent, as an overrides file's path or
        ``Overrides``; ``reading``: a named reading (``readings.READINGS``), under the file's own choices.
        A wrong file or name raises ``OverridesError`` (one sentence)."""
        config = config or SandboxConfig()
        if token_ttl is not None:
            config.token_ttl_seconds = token_ttl
        self.state = SandboxState(
            seed=seed,
            config=config,
            account_secrets=account_secrets,
            variations=variations,
            journal_size=journal_size,
            decisions=self.overrides(decisions, reading),
        )
        self.app = SandboxApp(self.state, control_plane=control_plane)
        serve_dashboard = control_plane if dashboard is None else dashboard
        self.dashboard = Dashboard(self.state, allow_remote=allow_remote) if serve_dashboard else None
        self._served: WSGIApp | None = None  # middleware around the app (`wrap`), if any
        self._host, self._port = host, port
        self._server: SandboxServer | None = None

    @staticmethod
    def overrides(decisions: Overrides | str | Path | None = None, reading: str | None = None) -> Overrides:
        """The choices an overrides file (or ``Overrides``) and a named reading make, the file's over the
        reading's; ``OverridesError`` (a ``ValueError``, one sentence) when either is wrong."""
        found = decisions if isinstance(decisions, Overrides) else (load_overrides(decisions) if decisions else None)
        if reading is None:
            return found or Overrides()
        base = overrides_of(reading, where="the reading")
        chosen = {**base.chosen, **(found.chosen if found else {})}
        return Overrides(chosen, reading, found.source if found else None)

    def wrap(self, middleware: Callable[[WSGIApp], WSGIApp]) -> None:
        """Serve ``middleware(app)`` instead of the app itself (before `start`): a recorder, a fault injector.
        Wrapping twice nests the second middleware around the first."""
        if self._server is not None:
            raise RuntimeError("wrap the embedded sandbox's app before start()")
        self._served = middleware(self._served or self.app)

    def wsgi_app(self) -> WSGIApp:
        """What the server serves: the app (or its middleware), with the dashboard beside it if any."""
        served = self._served or self.app
        return self.dashboard.mount(served) if self.dashboard is not None else served

    def start(self) -> EmbeddedSandbox:
        if self._server is None:
            self._server = SandboxServer(self.wsgi_app(), self._host, self._port)
            self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> EmbeddedSandbox:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the embedded sandbox is not started")
        host = self._server.host
        return f"http://{'[' + host + ']' if ':' in host else host}:{self._server.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def auth_url(self) -> str:
        return self.url

    @property
    def journal(self) -> Journal:
        """Every exchange served, newest last (`journal.py`): ``entries()``, ``get(seq)``, ``subscribe(callback)``."""
        return self.state.journal

    def dashboard_link(self, user: str = "account") -> str | None:
        """A link that opens the dashboard signed in as the named API user (a one-time token), or None
        without a dashboard."""
        if self.dashboard is None:
            return None
        return self.dashboard.sign_in_link(self.url, self.state.org.named_users[user])

    def mark_findings(self, marks: Iterable[Mark]) -> None:
        """Show a harness's findings on the exchanges it cited (by the ids it sent in X-Ottimate-Exchange),
        replacing any marked before; the dashboard's request log shows them. ``PUT /_sandbox/findings``
        does the same over HTTP."""
        self.state.journal.mark(marks)

    @property
    def users(self) -> dict[str, ApiUser]:
        return dict(self.state.org.named_users)

    def target_variables(self) -> dict[str, str]:
        """The variables that point a validation run at this sandbox by URL, as a partner sets them
        for the real one: the account-level user, then the company-scoped one (``OTTIMATE_SCOPED_*``)."""
        account, company = self.users["account"], self.users["company"]
        return {
            "OTTIMATE_API_URL": self.api_url,
            "OTTIMATE_AUTH_URL": self.auth_url,
            "OTTIMATE_API_KEY": account.api_key,
            "OTTIMATE_CLIENT_ID": account.client_id,
            "OTTIMATE_CLIENT_SECRET": account.client_secret,
            "OTTIMATE_SCOPED_CLIENT_ID": company.client_id,
            "OTTIMATE_SCOPED_CLIENT_SECRET": company.client_secret,
            "OTTIMATE_SCOPED_COMPANY_IDS": ",".join(str(i) for i in sorted(company.company_ids)),
        }

    @property
    def decisions(self) -> Overrides:
        """The choices in force that differ from ours (``readings.py``)."""
        return self.state.decisions

    def reset(self) -> None:
        self.state.reset()
