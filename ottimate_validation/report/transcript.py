"""One HTTP exchange as the report shows it: an HTTP transcript, redacted, bodies cut to a readable size."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import httpx
import orjson

from ottimate_validation.report.curl import raw_headers, request_bytes
from ottimate_validation.report.redact import Secrets, cut, redact_body, redact_headers, redact_url

MAX_BODY_CHARS = 3_000  # per body in an attachment: enough to read, small enough to mail the report


def _response_bytes(response: httpx.Response) -> bytes:
    try:
        return response.content
    except httpx.ResponseNotRead:
        return b""


def _body_text(body: Any, limit: int) -> str:
    if body is None:
        return ""
    if isinstance(body, str):
        return cut(body, limit)
    try:  # orjson: the stdlib's indenting encoder is pure Python, and this runs for every exchange
        text = orjson.dumps(body, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str).decode()
    except TypeError:  # what orjson refuses (integers beyond 64 bits)
        text = json.dumps(body, indent=2, ensure_ascii=False, default=str)
    return cut(text, limit)


def elapsed_ms(response: httpx.Response | None) -> float | None:
    if response is None:
        return None
    try:
        return response.elapsed.total_seconds() * 1000.0
    except RuntimeError:  # httpx sets elapsed only once the response is closed
        return None


def title(method: str, path: str, status: int | None, ms: float | None) -> str:
    """``POST /v1/vendors → 201 Created (12 ms)``: the attachment's name."""
    if status is None:
        answer = "no answer"
    else:
        try:
            answer = f"{status} {HTTPStatus(status).phrase}"
        except ValueError:
            answer = str(status)
    timing = f" ({ms:.0f} ms)" if ms is not None else ""
    return f"{method.upper()} {path or '/'} → {answer}{timing}"


def format_exchange(
    request: httpx.Request,
    response: httpx.Response | None,
    *,
    secrets: Secrets | None = None,
    limit: int = MAX_BODY_CHARS,
) -> str:
    """The exchange as an HTTP transcript: request line, headers, body; status, headers, body."""
    lines = [f"{request.method} {redact_url(str(request.url))}"]
    lines += [f"{name}: {value}" for name, value in redact_headers(raw_headers(request.headers)).items()]
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = redact_body(request_bytes(request), kind)
    if body is not None:
        if kind == "application/x-www-form-urlencoded" and isinstance(body, dict):
            lines += ["", "&".join(f"{k}={v}" for k, v in body.items())]
        else:
            lines += ["", _body_text(body, limit)]
    lines.append("")
    if response is None:
        lines.append("(no answer)")
    else:
        ms = elapsed_ms(response)
        timing = f" · {ms:.0f} ms" if ms is not None else ""
        lines.append(f"HTTP {response.status_code} {response.reason_phrase}{timing}".rstrip())
        lines += [f"{name}: {value}" for name, value in redact_headers(raw_headers(response.headers)).items()]
        raw = _response_bytes(response)
        if secrets is not None:
            secrets.learn_from_body(raw)  # a token issued here is scrubbed from this and every later text
        answer = redact_body(raw, response.headers.get("content-type", ""))
        if answer is not None:
            lines += ["", _body_text(answer, limit)]
    text = "\n".join(lines) + "\n"
    return secrets.scrub(text) if secrets is not None else text
