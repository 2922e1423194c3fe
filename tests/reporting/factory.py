"""Synthetic runs: a run folder with ledger records, shaped like those the plugin writes."""

from __future__ import annotations

import base64
import gzip
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ottimate_validation.report.operations import operation_of
from ottimate_validation.run import Run
from ottimate_validation.run.ledger import Check, Exchange, Ledger, Records, Source, read_ledger

#: Ottimate's sandbox as ``run.json`` describes it: a run against it is evidence.
SANDBOX = {
    "kind": "sandbox",
    "api_url": "https://sandbox-api.ottimate.com/v1",
    "auth_url": "https://sandbox-auth.ottimate.com",
    "api_version": None,
    "control_url": None,
    "production": False,
}


@dataclass(frozen=True)
class Sent:
    """One exchange: ``Sent("GET", "/v1/vendors", 200, 12.0)``."""

    method: str
    path: str
    status: int | None = 200
    ms: float | None = 10.0


class Results:
    """A run folder being written: ``test(...)`` records one test's exchanges and its Check."""

    def __init__(self, folder: Path, *, run: Run | None = None) -> None:
        self.folder = folder
        self.run = run or Run(id="r1", folder=folder, target=SANDBOX)
        self.run.save()
        self.ledger = Ledger(self.run.ledger_dir, process="gw0")
        self._clock = 1_800_000_000.0

    def exchange(self, sent: Sent, test: str | None, source: str = Source.SUITE) -> None:
        self._clock += 0.01
        self.ledger.record(
            Exchange(
                at=self._clock,
                method=sent.method,
                path=sent.path,
                status=sent.status,
                ms=sent.ms,
                operation=operation_of(sent.method, sent.path),
                test=test,
                source=source,
                error=None if sent.status is not None else "ConnectError",
            )
        )

    def test(
        self,
        name: str,
        status: str = "passed",
        epic: str | None = "Authentication",
        *,
        sent: Sequence[Sent] = (),
        failed_operation: str | None = None,
        message: str = "",
        title: str | None = None,
        category: str | None = None,
        budget_skipped: bool = False,
        at: float | None = None,
    ) -> str:
        nodeid = f"suites/demo.py::{name}"
        for exchange in sent:
            self.exchange(exchange, nodeid)
        self._clock += 1.0
        if category is None and status in ("failed", "broken"):
            category = "Contract violation" if status == "failed" else "Harness error"
        self.ledger.record(
            Check(
                at=at if at is not None else self._clock,
                test=nodeid,
                title=title or name,
                status=status,
                criterion=epic,
                category=category,
                message=message,
                failed_operation=failed_operation,
                seconds=0.5,
                budget_skipped=budget_skipped,
            )
        )
        return nodeid

    def records(self) -> Records:
        return read_ledger(self.folder)


# --- reading a built report -------------------------------------------------------------------

_PACKED = re.compile(r'inflate\("([A-Za-z0-9+/=]+)"\)')
_INLINED = re.compile(r'\bd\("([^"]+)","([A-Za-z0-9+/=]*)"\)')


def report_files(html: str) -> dict[str, bytes]:
    """Every data file a single-file report carries, whether packed by the project or as Allure
    wrote it: ``{"widgets/nav.json": b"...", "data/attachments/….txt": b"..."}``."""
    packed = _PACKED.findall(html)
    if not packed:
        return {name: base64.b64decode(data) for name, data in _INLINED.findall(html)}
    bundle = gzip.decompress(base64.b64decode(packed[0]))
    header, _, body = bundle.partition(b"\n")
    files: dict[str, bytes] = {}
    at = 0
    for name, size in json.loads(header):
        files[name] = body[at : at + size]
        at += size
    return files


def report_app(html: str) -> bytes:
    """The report's JavaScript app."""
    packed = _PACKED.findall(html)
    if packed:
        return gzip.decompress(base64.b64decode(packed[1]))
    match = re.search(r'src="data:text/javascript;base64,([A-Za-z0-9+/=]+)"', html)
    assert match, "the report carries no app"
    return base64.b64decode(match.group(1))
