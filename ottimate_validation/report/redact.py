"""Redaction: what of an HTTP exchange may be written anywhere (report, ledger, console, JUnit).

Pure functions and one small registry, no I/O. Headers are shown by allowlist: only the names in
``SAFE_HEADERS`` keep their value; every other header (``Authorization``, ``X-Api-Key`` and anything
unknown) reads ``[redacted]``. Body and query fields named in ``SECRET_FIELDS`` are redacted, and every
credential value a process knows (``Secrets``; tokens are learnt from token answers) is scrubbed from
any text. Stricter than schemathesis's sanitizer, which redacts by denylist.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson

REDACTED = "[redacted]"

SAFE_HEADERS = frozenset(
    name.lower()
    for name in (
        "Accept",
        "Accept-Encoding",
        "Allow",
        "Cache-Control",
        "Connection",
        "Content-Encoding",
        "Content-Length",
        "Content-Type",
        "Date",
        "Host",
        "Idempotency-Key",
        "Location",
        "Retry-After",
        "Server",
        "Transfer-Encoding",
        "User-Agent",
        "Vary",
        "X-API-Version",
        "X-Idempotent-Replayed",
        "X-Request-Id",
    )
)
SECRET_FIELDS = frozenset({"client_secret", "access_token", "refresh_token", "api_key", "password"})
# A body is walked for secret fields only when one of their names occurs in it at all: most bodies
# (vendor lists, invoices) hold none, and walking every key of them was most of the evidence cost.
_SECRET_FIELD_KEYS = tuple(f'"{name}"'.encode() for name in SECRET_FIELDS)
MIN_SECRET_CHARS = 4  # shorter values would scrub ordinary words


class Secrets:
    """The credential values one process knows, scrubbed from anything it writes. Thread-safe."""

    def __init__(self, *values: str | None) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._ordered: tuple[str, ...] = ()
        self.add(*values)

    def add(self, *values: str | None) -> None:
        fresh = {v for v in values if v and len(v) >= MIN_SECRET_CHARS} - self._values
        if not fresh:
            return
        with self._lock:
            self._values |= fresh
            # Longest first, so a secret that contains another is replaced whole.
            self._ordered = tuple(sorted(self._values, key=len, reverse=True))

    def learn_from_body(self, raw: bytes) -> None:
        """Remember an access token found in a token answer."""
        if b"access_token" not in raw:
            return
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return
        if isinstance(body, dict) and isinstance(body.get("access_token"), str):
            self.add(body["access_token"])

    def __bool__(self) -> bool:
        return bool(self._ordered)

    def __contains__(self, value: object) -> bool:
        return value in self._values

    def scrub(self, text: str) -> str:
        """``text`` with every known credential value replaced by ``[redacted]``."""
        for value in self._ordered:
            if value in text:
                text = text.replace(value, REDACTED)
        return text

    def found_in(self, text: str) -> list[str]:
        """Which kinds of known secret occur in ``text`` (their fingerprints, never the values)."""
        return [fingerprint(value) for value in self._ordered if value in text]


def fingerprint(value: str) -> str:
    """A short, one-way name for a credential, so records can say "the same token" without holding it."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]


def without_userinfo(url: str) -> str:
    """The URL with any ``user:password@`` removed (a URL may carry credentials)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    shown: dict[str, str] = {}
    for name, value in headers:
        shown[name] = value if name.lower() in SAFE_HEADERS else REDACTED
    return shown


def may_name_secret_fields(raw: bytes) -> bool:
    lowered = raw.lower()
    return any(key in lowered for key in _SECRET_FIELD_KEYS)


def redact_data(data: Any) -> Any:
    if isinstance(data, dict):
        return {
            key: (REDACTED if str(key).lower() in SECRET_FIELDS else redact_data(value)) for key, value in data.items()
        }
    if isinstance(data, list):
        return [redact_data(item) for item in data]
    return data


def redact_query(query: str) -> str:
    if not query:
        return ""
    pairs = [(k, REDACTED if k.lower() in SECRET_FIELDS else v) for k, v in parse_qsl(query, keep_blank_values=True)]
    return urlencode(pairs, safe="[]")


def redact_url(url: str) -> str:
    parts = urlsplit(without_userinfo(url))
    if not parts.query:
        return urlunsplit(parts)
    return urlunsplit(parts._replace(query=redact_query(parts.query)))


def redact_body(raw: bytes, content_type: str, limit: int | None = None) -> Any:
    """The body as data (JSON, form pairs) or text, secret fields redacted; text cut at ``limit``."""
    if not raw:
        return None
    kind = content_type.split(";")[0].strip().lower()
    text = raw.decode("utf-8", errors="replace")
    if kind == "application/x-www-form-urlencoded":
        pairs = parse_qsl(text, keep_blank_values=True)
        return {k: (REDACTED if k.lower() in SECRET_FIELDS else v) for k, v in pairs}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    else:
        return redact_data(data) if may_name_secret_fields(raw) else data
    if kind.startswith("text/") or kind in ("", "application/json", "application/problem+json"):
        return text if limit is None else cut(text, limit)
    return f"<{len(raw)} bytes of {kind or 'unknown content'}>"


def cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n[… {len(text) - limit:,} more characters not shown]"
