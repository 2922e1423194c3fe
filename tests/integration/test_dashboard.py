"""The integration mode's embedded sandbox serves its dashboard, prints its link, and marks the run's
findings on the exchanges they cite; the recorder names each exchange to the sandbox it forwards to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from werkzeug.test import Client
from werkzeug.wrappers import Response

from ottimate_validation.integration.credentials import RunCredentials
from ottimate_validation.integration.journal import Journal
from ottimate_validation.integration.plan import IntegrationPlan
from ottimate_validation.integration.proxy import Recorder
from ottimate_validation.integration.run import RunOptions, run
from ottimate_validation.integration.targets import HARNESS_READ
from ottimate_validation.run.ledger import Ledger, Source, read_ledger

from .conftest import sample


def test_the_recorder_names_each_exchange_to_an_embedded_sandbox_by_its_ledger_id(tmp_path: Path) -> None:
    seen: list[str | None] = []

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        seen.append(environ.get("HTTP_X_OTTIMATE_EXCHANGE"))
        return Response(b"{}", mimetype="application/json")(environ, start_response)

    journal = Journal(Ledger(None, process="test"), tmp_path / "ledger")
    credentials = RunCredentials("KEY-0123456789", "client", "SECRET-0123456789", secrets=journal.secrets)
    tagged = Recorder(app, journal, credentials, tag=True)
    Client(tagged).get("/v1/vendors", headers={"X-Ottimate-Exchange": "sent-by-the-integration"})
    Client(tagged).get("/v1/vendors")
    Client(Recorder(app, journal, credentials)).get("/v1/vendors")  # towards the partner's sandbox: not named
    journal.close()
    recorded = read_ledger(tmp_path).exchanges
    assert seen == [recorded[0].id, recorded[1].id, None]
    assert "X-Ottimate-Exchange" in recorded[0].request_headers  # what the integration sent is what is recorded
    assert "X-Ottimate-Exchange" not in recorded[1].request_headers


def test_the_integration_modes_sandbox_serves_its_dashboard_with_the_findings_marked(tmp_path: Path) -> None:
    said: list[str] = []
    options = RunOptions(
        command=sample("--break", "token-per-call"),
        reports_dir=tmp_path / "reports",
        passes=("clean",),
        faults=(),
        time_limit=60.0,
        plan=IntegrationPlan(None),
        report=False,
        cwd=tmp_path,
        keep_dashboards=True,
    )
    result = run(options, said.append)
    assert result.release is not None
    try:
        printed = [line for line in said if line.startswith("Dashboard of embedded sandbox A")]
        assert len(printed) == 1 and "/_dashboard/?token=" in printed[0]
        ((label, link),) = result.dashboards
        assert label == "embedded sandbox A"
        violated = next(f for f in result.findings if f.rule == "auth.token-reused")
        assert violated.holds is False and violated.exchanges
        with httpx.Client(follow_redirects=True) as browser:
            assert "Signed in as" in browser.get(link).text
            base = link.split("?")[0]
            rows = browser.get(f"{base}log.json", params={"since": "0", "findings": "1"}).json()["rows"]
            marked = {r["ref"]: r["marks"] for r in rows}
            for exchange in violated.exchanges:
                assert {"rule": "auth.token-reused", "finding": violated.finding, "holds": False} in marked[exchange]
            everything = browser.get(f"{base}log.json", params={"since": "0"}).json()["rows"]
            forwarded = {r["ref"] for r in everything if r["ref"] != HARNESS_READ}
            integrations = {x.id for x in read_ledger(result.run_dir).exchanges if x.source != Source.STATE}
            assert forwarded == integrations  # each named by its ledger id; the harness's reads are its own
            page = browser.get(f"{base}log", params={"findings": "1"}).text
            assert "✗ auth.token-reused" in page
    finally:
        result.release()
    with httpx.Client() as late:
        try:
            late.get(link, timeout=2)
            stopped = False
        except httpx.TransportError:
            stopped = True
    assert stopped, "release() stops the sandboxes kept up"
