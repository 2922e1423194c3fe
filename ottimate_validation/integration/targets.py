"""Where a pass runs: a fresh embedded sandbox, or the partner's real sandbox behind a recording proxy.

Embedded (``OTTIMATE_API_URL`` unset): the clean pass and the fault pass each get a fresh sandbox with
the same credentials; the repeat pass runs on the clean pass's sandbox, as left (a nightly job runs
every night). Each sandbox is served once, on its own loopback port, for as long as the run lasts, so
the repeat pass meets the same URL as the clean pass. A fresh sandbox holds ``EXISTING_VENDORS`` and
``EXISTING_DIMENSIONS`` more records per company than the seed, so lists span several pages.

Real sandbox (``OTTIMATE_API_URL`` set, production refused before this point): one loopback proxy,
``Recorder`` over ``Forwarder``, for every pass; the passes share the partner's sandbox and its state.

Either way the integration is given loopback URLs: the API under ``/v1`` and the auth server at the
origin (``/oauth/token``). An embedded sandbox also serves its dashboard (``/_dashboard/``, outside the
recording layer: a user's pages are not the integration's traffic); each exchange the recorder forwards
names its ledger id to the sandbox, so the findings that cite it can be marked on the dashboard's log
(``mark_findings``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import httpx

from ottimate_validation.run.http import plain_client
from ottimate_validation.run.ledger import Finding, Source
from ottimate_validation.sandbox import EmbeddedSandbox, Mark, SandboxConfig, UserSecrets
from ottimate_validation.sandbox.app import SandboxApp
from ottimate_validation.sandbox.journal import EXCHANGE_HEADER
from ottimate_validation.sandbox.server import SandboxServer

from .credentials import RunCredentials
from .journal import Journal
from .model import CLEAN, REPEAT, Limits
from .proxy import Forwarder, Recorder
from .state import StateReader

LOOPBACK = "127.0.0.1"
EXISTING_VENDORS = 40  # with the seed's 2: three pages of the default 20
EXISTING_DIMENSIONS = 25
HARNESS_READ = "harness: state read"  # how the harness's own reads of a sandbox are named in its request log


@dataclass
class Served:
    """One served target: the URLs the integration gets, the recorder in front, a state reader."""

    api_url: str
    auth_url: str
    recorder: Recorder
    reader: StateReader
    fresh: bool  # a new sandbox, not yet used by a pass
    label: str  # "embedded sandbox A", "your sandbox at ..."
    reads_refilled: int = 0  # the reader's requests the sandbox's token bucket has been given back
    dashboard: str | None = None  # a link that opens the sandbox's dashboard signed in (once)


def _origin(server: SandboxServer) -> str:
    return f"http://{LOOPBACK}:{server.port}"


class EmbeddedTargets:
    def __init__(
        self,
        ledger: Journal,
        *,
        limits: Limits,
        existing_vendors: int = EXISTING_VENDORS,
        existing_dimensions: int = EXISTING_DIMENSIONS,
    ) -> None:
        self._ledger = ledger
        self._limits = limits
        self._existing = (existing_vendors, existing_dimensions)
        self._sandboxes: list[tuple[EmbeddedSandbox, Served]] = []
        # One seed for every sandbox of the run: the same organisation, ids and seed records in each, so
        # the clean and fault passes start alike and their results compare (ids are ignored anyway).
        self._seed = random.randrange(1 << 31)
        first = self._sandbox()
        account = first.users["account"]
        self.secrets = UserSecrets(
            api_key=account.api_key, client_id=account.client_id, client_secret=account.client_secret
        )
        self.credentials = RunCredentials(
            account.api_key, account.client_id, account.client_secret, secrets=ledger.secrets
        )
        self._spare: EmbeddedSandbox | None = first
        self._by_pass: dict[str, Served] = {}
        self.description = "a fresh embedded sandbox per pass (the repeat pass: the clean pass's)"

    def _sandbox(self, secrets: UserSecrets | None = None) -> EmbeddedSandbox:
        config = SandboxConfig(
            rate_per_second=self._limits.rate_per_second,
            burst=self._limits.burst,
            daily_quota=self._limits.daily_quota,
        )
        return EmbeddedSandbox(
            LOOPBACK, 0, seed=self._seed, account_secrets=secrets, config=config, control_plane=False, dashboard=True
        )

    def for_pass(self, name: str) -> Served:
        if name == REPEAT and CLEAN in self._by_pass:
            served = self._by_pass[CLEAN]
            served.fresh = False
            self._by_pass[name] = served
            return served
        sandbox = self._spare if self._spare is not None else self._sandbox(self.secrets)
        self._spare = None
        recorder = Recorder(cast(Any, sandbox.app), self._ledger, self.credentials, tag=True)
        sandbox.wrap(lambda _app: cast(Any, recorder))  # served in front of the app; the dashboard beside it
        sandbox.start()
        reader = StateReader(
            # In process, past the recording layer: the harness's own reads are not the integration's,
            # and the sandbox's request log names them as the harness's.
            plain_client(
                "http://sandbox",
                self._ledger.ledger,
                source=Source.STATE,
                headers={EXCHANGE_HEADER: HARNESS_READ},
                retry=None,
                network=httpx.WSGITransport(app=sandbox.app),
            ),
            api_url="http://sandbox/v1",
            auth_url="http://sandbox",
            api_key=self.credentials.api_key,
            client_id=self.credentials.client_id,
            client_secret=self.credentials.client_secret,
        )
        reader.add_existing(*self._existing)
        letter = "ABCDEFGH"[len(self._sandboxes)] if len(self._sandboxes) < 8 else str(len(self._sandboxes))
        served = Served(
            api_url=f"{sandbox.url}/v1",
            auth_url=sandbox.url,
            recorder=recorder,
            reader=reader,
            fresh=True,
            label=f"embedded sandbox {letter}",
            dashboard=sandbox.dashboard_link(),
        )
        self._sandboxes.append((sandbox, served))
        self._by_pass[name] = served
        return served

    def mark_findings(self, findings: Sequence[Finding]) -> None:
        """Show the findings on each sandbox's dashboard, on the exchanges they cite."""
        marks = [Mark(x, f.rule, f.finding, f.holds) for f in findings for x in f.exchanges]
        for sandbox, _served in self._sandboxes:
            sandbox.mark_findings(marks)

    def dashboards(self) -> list[tuple[str, str]]:
        """(label, a fresh one-time link) for each sandbox's dashboard."""
        return [(served.label, sandbox.dashboard_link() or "") for sandbox, served in self._sandboxes]

    def close(self) -> None:
        for sandbox, served in self._sandboxes:
            sandbox.stop()
            served.reader.close()
        self._sandboxes.clear()


class RemoteTargets:
    def __init__(
        self,
        ledger: Journal,
        *,
        api_url: str,
        auth_url: str,
        api_key: str,
        client_id: str,
        client_secret: str,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.credentials = RunCredentials(api_key, client_id, client_secret, secrets=ledger.secrets)
        self._forwarder = Forwarder(api_url, auth_url, transport=transport)
        recorder = Recorder(self._forwarder, ledger, self.credentials)
        self._server = SandboxServer(cast(SandboxApp, recorder), LOOPBACK, 0)
        self._server.start()
        reader = StateReader(
            plain_client(api_url, ledger.ledger, source=Source.STATE, retry=None, timeout=60.0, network=transport),
            api_url=api_url,
            auth_url=auth_url,
            api_key=api_key,
            client_id=client_id,
            client_secret=client_secret,
        )
        self._served = Served(
            api_url=f"{_origin(self._server)}/v1",
            auth_url=_origin(self._server),
            recorder=recorder,
            reader=reader,
            fresh=False,
            label=f"your sandbox at {api_url}, through a recording proxy",
        )
        self.description = f"your sandbox at {api_url}, through a recording proxy on loopback"

    @property
    def harness_requests(self) -> int:
        """Requests the harness itself sent to the partner's sandbox (reading its state)."""
        return self._served.reader.requests

    def for_pass(self, name: str) -> Served:
        return self._served

    def mark_findings(self, findings: Sequence[Finding]) -> None:
        """Nothing to mark: the partner's sandbox has no dashboard of ours."""

    def dashboards(self) -> list[tuple[str, str]]:
        return []

    def close(self) -> None:
        self._server.stop()
        self._served.reader.close()
        self._forwarder.close()
