"""`Idempotency-Key` as CONTRACT §5 describes it.

Scope: API key + method + path + key. JSON bodies are compared by SHA-256; any other body makes the
key single-use. Only 2xx answers are kept (24 h on the sandbox clock); a key still being processed
answers 409.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field

from ..contract import IDEMPOTENCY_KEY_PATTERN, IDEMPOTENCY_RETENTION_SECONDS, ErrorCode
from .clock import Clock
from .errors import BadRequest, Conflict, Unprocessable


@dataclass
class StoredResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class _Entry:
    body_hash: str | None  # None: not JSON, so the key is single-use
    created_at: float
    response: StoredResponse | None = None  # None while in flight
    done: threading.Event = field(default_factory=threading.Event)


Scope = tuple[str, str, str, str]


class IdempotencyStore:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[Scope, _Entry] = {}

    @staticmethod
    def validate_key(key: str) -> None:
        if not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
            raise BadRequest(
                "Idempotency-Key must be 1-128 characters of A-Z a-z 0-9 . _ - + = /",
                code=ErrorCode.IDEMPOTENCY_KEY_INVALID,
            )

    def begin(self, scope: Scope, body: bytes, is_json: bool) -> StoredResponse | None:
        """Reserve the key, or return the response to replay. Raises 409/422 as documented."""
        body_hash = hashlib.sha256(body).hexdigest() if is_json else None
        now = self._clock.time()
        with self._lock:
            entry = self._entries.get(scope)
            if entry is not None and now - entry.created_at > IDEMPOTENCY_RETENTION_SECONDS:
                del self._entries[scope]
                entry = None
            if entry is None:
                self._entries[scope] = _Entry(body_hash=body_hash, created_at=now)
                return None
            if entry.response is None:
                raise Conflict("a request with this Idempotency-Key is still being processed; retry when it completes")
            if entry.body_hash is None or body_hash is None:
                raise Unprocessable(
                    "this Idempotency-Key was already used for a non-JSON request; use a new key per upload"
                )
            if entry.body_hash != body_hash:
                raise Unprocessable("this Idempotency-Key was already used with a different request body")
            return entry.response

    def finish(self, scope: Scope, response: StoredResponse) -> None:
        with self._lock:
            entry = self._entries.get(scope)
            if entry is None:
                return
            if 200 <= response.status < 300:
                entry.response = response
                entry.created_at = self._clock.time()
            else:
                del self._entries[scope]  # only 2xx answers are replayed; a retry runs fresh
            entry.done.set()

    def abandon(self, scope: Scope) -> None:
        with self._lock:
            self._entries.pop(scope, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
