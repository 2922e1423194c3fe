"""The request journal: every exchange the sandbox served, newest last, for a live request log.

Each `Exchange` holds what a log line needs (time on the sandbox clock, method, path, query, status,
duration, the API user's client_id, the idempotency key, the request id, whether it was a control-plane
call) and, for the most recent ones, the request and response bodies, each cut at `body_limit` bytes.
A harness in front of the sandbox may name its own record of the exchange in the `EXCHANGE_HEADER`
request header (the integration mode's recorder does); the journal keeps it as `ref`, and `mark` later
attaches the harness's findings (`Mark`) to the exchanges that carry those refs.

Bounded: the last `capacity` exchanges are kept, their bodies for the last `bodies_kept` only.
Credentials are never stored in clear: the `Authorization` and `X-Api-Key` headers are not kept at all
(the exchange names the API user by client_id), and a body or query that names a credential field
(`SECRET_FIELDS`) is stored with that field's value replaced by `REDACTED` — or, when it cannot be
parsed, not stored. Cleared by the sandbox's `reset()`. `subscribe` registers a callback called with
each new exchange (after the answer is built, outside the sandbox's lock); a callback that raises is
logged and never fails the request.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

log = logging.getLogger(__name__)

#: Body and query fields whose values are credentials (§2.1); their values are never stored.
SECRET_FIELDS: Final = ("client_secret", "access_token", "refresh_token", "api_key")
REDACTED: Final = "[redacted]"
_SECRET_BYTES: Final = re.compile("|".join(SECRET_FIELDS).encode("ascii"))
_SECRET_TEXT: Final = re.compile("|".join(SECRET_FIELDS))
UNREADABLE_BODY: Final = b"[not kept: it names a credential and could not be parsed to redact it]"

#: The request header a recording harness names its own exchange id in (kept as `Exchange.ref`).
EXCHANGE_HEADER: Final = "X-Ottimate-Exchange"
MAX_REF_CHARS: Final = 100
MAX_MARKS: Final = 10_000

DEFAULT_CAPACITY: Final = 5000
DEFAULT_BODIES_KEPT: Final = 500
DEFAULT_BODY_LIMIT: Final = 16 * 1024


class Exchange:
    """One request and its answer, as the sandbox served them."""

    __slots__ = (
        "_at",
        "_request_body",
        "_response_body",
        "client_id",
        "control",
        "duration_ms",
        "idempotency_key",
        "method",
        "path",
        "query",
        "ref",
        "request_id",
        "seq",
        "status",
    )

    def __init__(
        self,
        *,
        seq: int,
        at: float,
        method: str,
        path: str,
        query: str,
        status: int,
        duration_ms: float,
        client_id: str | None,
        idempotency_key: str | None,
        request_id: str | None,
        control: bool,
        request_body: bytes | None,
        response_body: bytes | None,
        ref: str | None = None,
    ) -> None:
        self.seq = seq
        self._at = at
        self.method = method
        self.path = path
        self.query = query
        self.status = status
        self.duration_ms = duration_ms
        self.client_id = client_id
        self.idempotency_key = idempotency_key
        self.request_id = request_id
        self.control = control
        self.ref = ref
        self._request_body = request_body
        self._response_body = response_body

    @property
    def at(self) -> datetime:
        """When the request was received, on the sandbox's clock."""
        return datetime.fromtimestamp(self._at, tz=UTC)

    @property
    def request_body(self) -> bytes | None:
        """The request body as received (redacted, cut at the journal's limit); None once dropped."""
        return self._request_body

    @property
    def response_body(self) -> bytes | None:
        """The response body as sent before compression (redacted, cut); None once dropped."""
        return self._response_body

    def drop_bodies(self) -> None:
        self._request_body = self._response_body = None

    def to_dict(self, *, bodies: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
            "client_id": self.client_id,
            "idempotency_key": self.idempotency_key,
            "request_id": self.request_id,
            "control": self.control,
            "ref": self.ref,
        }
        if bodies:
            out["request_body"] = _text(self._request_body)
            out["response_body"] = _text(self._response_body)
        return out

    def __repr__(self) -> str:
        return f"Exchange(#{self.seq} {self.method} {self.path} -> {self.status})"


Subscriber = Callable[[Exchange], None]


@dataclass(frozen=True)
class Mark:
    """A harness's finding about one exchange it recorded: the exchange's ref, the rule, what was found,
    and whether the rule held (None: not judged)."""

    ref: str
    rule: str
    finding: str
    holds: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"exchange": self.ref, "rule": self.rule, "finding": self.finding, "holds": self.holds}


class BodyTap:
    """A WSGI input stream that keeps a copy of the first ``limit`` bytes read from it (the request body
    for the journal, whoever reads it: the JSON reader, werkzeug's form parser, the upload parser)."""

    def __init__(self, stream: Any, limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self.kept = bytearray()

    def _keep(self, data: bytes) -> bytes:
        room = self._limit - len(self.kept)
        if room > 0 and data:
            self.kept += data[:room]
        return data

    # Sizes are passed on as given: a server's stream may take None (all) but not -1 (read to EOF, which on
    # a kept-alive connection never comes).
    def read(self, *size: int | None) -> bytes:
        return self._keep(self._stream.read(*size))

    def readline(self, *size: int | None) -> bytes:
        return self._keep(self._stream.readline(*size))

    def readlines(self, *hint: int) -> list[bytes]:
        return [self._keep(line) for line in self._stream.readlines(*hint)]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


class Journal:
    def __init__(
        self,
        capacity: int = DEFAULT_CAPACITY,
        *,
        bodies_kept: int = DEFAULT_BODIES_KEPT,
        body_limit: int = DEFAULT_BODY_LIMIT,
    ) -> None:
        """``capacity=0`` records nothing (the journal is off)."""
        self.capacity = capacity
        self.body_limit = body_limit
        self._exchanges: deque[Exchange] = deque(maxlen=max(capacity, 1))
        self._with_bodies: deque[Exchange] = deque(maxlen=max(min(bodies_kept, capacity), 1))
        self._keep_bodies = bodies_kept > 0
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._subscribers: tuple[Subscriber, ...] = ()
        self._marks: dict[str, tuple[Mark, ...]] = {}
        self.marks_version = 0  # goes up with every `mark`: a live view knows to look again

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    @property
    def keeps_bodies(self) -> bool:
        return self.enabled and self._keep_bodies

    # -- recording --------------------------------------------------------------------------------

    def record(
        self,
        *,
        at: float,
        method: str,
        path: str,
        query: str,
        status: int,
        duration_ms: float,
        client_id: str | None,
        idempotency_key: str | None,
        request_id: str | None,
        control: bool,
        request_body: bytes | None,
        response_body: bytes | None,
        content_type: str = "",
        ref: str | None = None,
    ) -> Exchange | None:
        """``at``: seconds since the epoch on the sandbox's clock (`Clock.time`); ``ref``: the harness's own
        id for this exchange (`EXCHANGE_HEADER`), if it sent one."""
        if not self.enabled:
            return None
        keep = self._keep_bodies
        exchange = Exchange(
            seq=next(self._seq),
            at=at,
            method=method,
            path=path,
            query=redact_query(query) if _names_secret(query) else query,
            status=status,
            duration_ms=duration_ms,
            client_id=client_id,
            idempotency_key=idempotency_key,
            request_id=request_id,
            control=control,
            request_body=self._kept(request_body, content_type) if keep else None,
            response_body=self._kept(response_body, "application/json") if keep else None,
            ref=ref[:MAX_REF_CHARS] if ref else None,
        )
        with self._lock:
            if keep:
                if len(self._with_bodies) == self._with_bodies.maxlen:
                    self._with_bodies[0].drop_bodies()
                self._with_bodies.append(exchange)
            self._exchanges.append(exchange)
            subscribers = self._subscribers
        for callback in subscribers:
            try:
                callback(exchange)
            except Exception:  # a live consumer's bug never fails the request it watches
                log.exception("a journal subscriber failed on exchange %s", exchange.seq)
        return exchange

    def _kept(self, body: bytes | None, content_type: str) -> bytes | None:
        if not body:
            return None
        if _names_secret_bytes(body):
            body = redact_body(body, content_type)
        return body if len(body) <= self.body_limit else body[: self.body_limit]

    # -- reading ----------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._exchanges)

    def __iter__(self) -> Iterator[Exchange]:
        with self._lock:
            return iter(list(self._exchanges))

    def entries(self, *, since: int = 0, limit: int | None = None) -> list[Exchange]:
        """The exchanges after sequence number ``since``, oldest first; the last ``limit`` of them."""
        with self._lock:
            found = [e for e in self._exchanges if e.seq > since] if since else list(self._exchanges)
        return found[-limit:] if limit else found

    def get(self, seq: int) -> Exchange | None:
        with self._lock:
            return next((e for e in reversed(self._exchanges) if e.seq == seq), None)

    def clear(self) -> None:
        """Forget every exchange and mark (sequence numbers go on, so a consumer never sees one twice)."""
        with self._lock:
            self._exchanges.clear()
            self._with_bodies.clear()
            self._marks = {}
            self.marks_version += 1

    # -- a harness's findings ---------------------------------------------------------------------

    def mark(self, marks: Iterable[Mark]) -> None:
        """Replace the findings marked on exchanges (by their refs) with ``marks`` (the first `MAX_MARKS`)."""
        by_ref: dict[str, list[Mark]] = {}
        for n, mark in enumerate(marks):
            if n >= MAX_MARKS:
                break
            by_ref.setdefault(mark.ref, []).append(mark)
        with self._lock:
            self._marks = {ref: tuple(found) for ref, found in by_ref.items()}
            self.marks_version += 1

    def marks(self) -> list[Mark]:
        with self._lock:
            return [m for found in self._marks.values() for m in found]

    def marks_for(self, ref: str | None) -> tuple[Mark, ...]:
        if not ref:
            return ()
        return self._marks.get(ref, ())

    # -- live consumers ---------------------------------------------------------------------------

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(exchange)`` for every exchange from now on; returns the unsubscribe function."""
        with self._lock:
            self._subscribers = (*self._subscribers, callback)

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = tuple(s for s in self._subscribers if s is not callback)

        return unsubscribe


# ---------------------------------------------------------------------------------------------
# Redaction


def _names_secret_bytes(data: bytes) -> bool:
    return _SECRET_BYTES.search(data) is not None


def _names_secret(text: str) -> bool:
    return bool(text) and _SECRET_TEXT.search(text) is not None


def redact_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, REDACTED if k in SECRET_FIELDS else v) for k, v in pairs])


def redact_body(body: bytes, content_type: str) -> bytes:
    """``body`` with every credential field's value replaced: JSON (at any depth) or a form; anything
    else that names a credential is not kept."""
    if "x-www-form-urlencoded" in content_type:
        try:
            return redact_query(body.decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            return UNREADABLE_BODY
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return UNREADABLE_BODY
    return json.dumps(_redacted(payload), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _redacted(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: REDACTED if k in SECRET_FIELDS else _redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return value


def _text(body: bytes | None) -> str | None:
    return None if body is None else body.decode("utf-8", "replace")
