"""HTTP exchanges as the report records them, and as the readiness summary reads them back.

The evidence plugin attaches every exchange with the target to the step that made it, named
``GET /v1/vendors/12 → 200 OK (14 ms)`` (or ``→ no answer``). That name is the one contract between
the plugin and the summary: the summary walks the allure-results files, finds every attachment so
named, and counts requests, 429 answers and latency per documented operation from it. Nothing else
needs to be recorded, and nothing is counted that the report does not show.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

from ottimate_validation.report.operations import operation_of

NO_ANSWER = "no answer"
_NAME = re.compile(
    r"^(?P<method>[A-Z]+) (?P<path>\S+) → (?:(?P<status>\d{3})(?: [^()]*?)?|" + NO_ANSWER + r")"
    r"(?: \((?P<ms>\d+(?:\.\d+)?) ms\))?$"
)


def exchange_name(method: str, path: str, status: int | None, elapsed_ms: float | None) -> str:
    """The attachment name of one exchange: ``POST /v1/vendors → 201 Created (12 ms)``."""
    if status is None:
        answer = NO_ANSWER
    else:
        try:
            answer = f"{status} {HTTPStatus(status).phrase}"
        except ValueError:
            answer = str(status)
    timing = f" ({elapsed_ms:.0f} ms)" if elapsed_ms is not None else ""
    return f"{method.upper()} {path or '/'} → {answer}{timing}"


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    status: int | None
    elapsed_ms: float | None

    @property
    def operation(self) -> str | None:
        return operation_of(self.method, self.path)


def parse_exchange_name(name: str) -> Exchange | None:
    match = _NAME.match(name)
    if not match:
        return None
    status, ms = match.group("status"), match.group("ms")
    return Exchange(
        method=match.group("method"),
        path=match.group("path"),
        status=int(status) if status else None,
        elapsed_ms=float(ms) if ms else None,
    )


def _attachments(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every attachment under a result or container node: its own, its steps', its fixtures'."""
    if isinstance(node, Mapping):
        for attachment in node.get("attachments") or ():
            if isinstance(attachment, Mapping):
                yield attachment
        for key in ("steps", "befores", "afters"):
            for child in node.get(key) or ():
                yield from _attachments(child)
    elif isinstance(node, list):
        for child in node:
            yield from _attachments(child)


def load_exchanges(results_dir: Path) -> list[Exchange]:
    """Every exchange recorded in an allure-results folder (tests, steps and fixtures), once each."""
    seen: set[str] = set()
    found: list[Exchange] = []
    if not results_dir.is_dir():
        return found
    files = sorted([*results_dir.glob("*-result.json"), *results_dir.glob("*-container.json")])
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        for attachment in _attachments(data):
            source, name = attachment.get("source"), attachment.get("name")
            if not isinstance(name, str) or not isinstance(source, str) or source in seen:
                continue
            exchange = parse_exchange_name(name)
            if exchange is not None:
                seen.add(source)
                found.append(exchange)
    return found
