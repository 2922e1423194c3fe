"""Synthetic allure-results folders, shaped like the files allure-pytest and the evidence plugin write."""

from __future__ import annotations

import base64
import gzip
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ottimate_validation.report.exchanges import exchange_name


@dataclass(frozen=True)
class Sent:
    """One exchange: ``Sent("GET", "/v1/vendors", 200, 12.0)``."""

    method: str
    path: str
    status: int | None = 200
    ms: float | None = 10.0


class Results:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._clock = 1_800_000_000_000

    def _attachment(self, sent: Sent) -> dict[str, str]:
        source = f"{uuid.uuid4()}-attachment.txt"
        (self.folder / source).write_text(f"{sent.method} http://target{sent.path}\n", encoding="utf-8")
        name = exchange_name(sent.method, sent.path, sent.status, sent.ms)
        return {"name": name, "source": source, "type": "text/plain"}

    def test(
        self,
        name: str,
        status: str = "passed",
        epic: str | None = "Authentication",
        *,
        sent: Sequence[Sent] = (),
        operations: Sequence[str] = (),
        failed_operations: Sequence[str] = (),
        message: str | None = None,
        title: str | None = None,
    ) -> str:
        self._clock += 1000
        test_uuid = str(uuid.uuid4())
        labels = [{"name": "suite", "value": "demo"}]
        if epic:
            labels.append({"name": "epic", "value": epic})
        labels += [{"name": "operation", "value": op} for op in operations]
        labels += [{"name": "failed_operation", "value": op} for op in failed_operations]
        data: dict[str, Any] = {
            "uuid": test_uuid,
            "historyId": f"h-{name}",
            "name": title or name,
            "fullName": f"suites.demo#{name}",
            "status": status,
            "start": self._clock - 500,
            "stop": self._clock,
            "labels": labels,
            "steps": [
                {
                    "name": "Send the requests",
                    "status": status,
                    "attachments": [self._attachment(s) for s in sent],
                    "steps": [],
                }
            ],
        }
        if message is not None:
            data["statusDetails"] = {"message": message, "trace": ""}
        (self.folder / f"{test_uuid}-result.json").write_text(json.dumps(data), encoding="utf-8")
        return test_uuid

    def shared_fixture(self, children: Sequence[str], sent: Sequence[Sent]) -> None:
        """A session fixture's container: its exchanges happened once, whoever its children are."""
        data = {
            "uuid": str(uuid.uuid4()),
            "children": list(children),
            "befores": [{"name": "org", "status": "passed", "attachments": [self._attachment(s) for s in sent]}],
            "afters": [],
        }
        (self.folder / f"{data['uuid']}-container.json").write_text(json.dumps(data), encoding="utf-8")


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
