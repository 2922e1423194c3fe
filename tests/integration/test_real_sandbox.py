"""With OTTIMATE_API_URL set, the integration talks to a recording proxy on loopback that forwards to the
partner's sandbox (here: a sandbox on loopback, served as the real one is, without a control plane).
Faults are answered by the proxy and never forwarded; "answer lost" forwards the write, then loses the
answer; the documented limits stay the sandbox's own."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ottimate_validation.cli import validate as cli
from ottimate_validation.run.ledger import read_ledger
from ottimate_validation.sandbox import EmbeddedSandbox

from .conftest import sample

PROXY_ANSWERED = {"429-read", "503-write", "token-revoked"}


class Door:
    """Counts what reaches the sandbox from the integration (urllib), not from the harness (httpx)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[tuple[str, str]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if str(environ.get("HTTP_USER_AGENT", "")).startswith("Python-urllib"):
            self.seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        return self.app(environ, start_response)  # type: ignore[no-any-return]


@pytest.fixture
def real_sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[EmbeddedSandbox, Door]]:
    sandbox = EmbeddedSandbox(control_plane=False)
    door = Door(sandbox.app)
    sandbox.app = door  # type: ignore[assignment]
    with sandbox:
        account = sandbox.users["account"]
        for name, value in (
            ("API_URL", sandbox.api_url),
            ("AUTH_URL", sandbox.auth_url),
            ("API_KEY", account.api_key),
            ("CLIENT_ID", account.client_id),
            ("CLIENT_SECRET", account.client_secret),
        ):
            monkeypatch.setenv(f"OTTIMATE_{name}", value)
        yield sandbox, door


def test_the_proxy_forwards_records_and_answers_faults_itself(
    real_sandbox: tuple[EmbeddedSandbox, Door], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox, door = real_sandbox
    monkeypatch.chdir(tmp_path)
    faults = "429-read,503-write,answer-lost,token-revoked"
    argv = ["integration", "--reports-dir", str(tmp_path / "reports"), "--no-report", "--passes", "fault"]
    code = cli.main([*argv, "--faults", faults, "--", *sample()])
    assert code == 0

    run_dir = (tmp_path / "reports" / "latest").resolve()
    exchanges = [x for x in read_ledger(run_dir).exchanges if x.lane == "fault"]
    fired = {x.fault for x in exchanges if x.fault}
    assert fired == set(faults.split(","))
    assert all(x.host.startswith("127.0.0.1:") for x in exchanges)  # the integration only ever saw the proxy
    forwarded = [x for x in exchanges if x.fault not in PROXY_ANSWERED]
    assert len(door.seen) == len(forwarded)  # nothing the proxy answered itself reached the sandbox

    lost = next(x for x in exchanges if x.fault == "answer-lost")
    assert lost.status in (502, 504) and lost.facts["processed_status"] in (200, 201)  # processed, then lost
    retry = next(
        x for x in exchanges if x.idempotency_key == lost.idempotency_key and x.at > lost.at and x.status in (200, 201)
    )
    assert retry.response_headers.get("X-Idempotent-Replayed") == "true"  # the sandbox's replay, forwarded

    summary = (run_dir / "summary.md").read_text()
    assert f"your sandbox at {sandbox.api_url}, through a recording proxy" in summary


def test_an_unreachable_sandbox_is_refused_in_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in (("API_URL", "http://127.0.0.1:9/v1"), ("API_KEY", "k"), ("CLIENT_ID", "c")):
        monkeypatch.setenv(f"OTTIMATE_{name}", value)
    monkeypatch.setenv("OTTIMATE_CLIENT_SECRET", "s")
    assert cli.main(["integration", "--reports-dir", str(tmp_path), "--no-report", "--", "true"]) == 2
    err = capsys.readouterr().err
    assert "The API at http://127.0.0.1:9/v1 cannot be reached" in err
    assert "Traceback" not in err
