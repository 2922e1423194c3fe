"""Who may use the dashboard: the loopback guard, one-time sign-in tokens, sessions and CSRF tokens.

- **Loopback only** unless the sandbox was started with ``allow_remote``: a request from a non-loopback
  address, or naming a host other than a loopback one (a DNS-rebinding page), is refused.
- **Sign-in** as one of the sandbox's API users, so the dashboard sees and does exactly what that user
  may through the API (its scope applies). A one-time token (`SignInTokens`, as Jupyter prints its own)
  in the printed link is exchanged for a session cookie on first use and is then spent; without one, the
  sign-in page asks for a client id and its secret.
- **Sessions** live in memory (`Sessions`), idle for at most `SESSION_IDLE_SECONDS` on the machine's clock
  (the sandbox clock jumps), at most `MAX_SESSIONS` at once; a session id is rotated on sign-in. The cookie
  is HttpOnly, SameSite=Strict, scoped to the dashboard's path, and named per dashboard instance, since
  browsers share cookies between ports of one host (the integration mode serves two sandboxes).
- **CSRF**: every session has a token; every form carries it and every POST must send it back (the
  sign-in form too: an anonymous session is made for it).
"""

from __future__ import annotations

import ipaddress
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Final

SESSION_IDLE_SECONDS: Final = 12 * 3600
MAX_SESSIONS: Final = 512
MAX_SIGN_IN_TOKENS: Final = 64
LOOPBACK_NAMES: Final = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass
class Session:
    id: str
    csrf: str
    client_id: str | None = None  # the API user signed in; None: not signed in yet
    last_seen: float = field(default_factory=time.monotonic)
    flashes: list[tuple[str, str]] = field(default_factory=list)  # (kind, message), shown once

    def flash(self, kind: str, message: str) -> None:
        self.flashes.append((kind, message))

    def take_flashes(self) -> list[tuple[str, str]]:
        taken, self.flashes = self.flashes, []
        return taken


class Sessions:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: OrderedDict[str, Session] = OrderedDict()

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        now = time.monotonic()
        with self._lock:
            session = self._by_id.get(session_id)
            if session is None:
                return None
            if now - session.last_seen > SESSION_IDLE_SECONDS:
                del self._by_id[session_id]
                return None
            session.last_seen = now
            self._by_id.move_to_end(session_id)
            return session

    def new(self, client_id: str | None = None) -> Session:
        session = Session(id=secrets.token_urlsafe(32), csrf=secrets.token_urlsafe(32), client_id=client_id)
        with self._lock:
            self._by_id[session.id] = session
            while len(self._by_id) > MAX_SESSIONS:
                self._by_id.popitem(last=False)  # the least recently used
        return session

    def drop(self, session: Session) -> None:
        with self._lock:
            self._by_id.pop(session.id, None)


class SignInTokens:
    """One-time tokens, each for one API user; spent when exchanged (or when too many are outstanding)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: OrderedDict[str, str] = OrderedDict()

    def issue(self, client_id: str) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = client_id
            while len(self._tokens) > MAX_SIGN_IN_TOKENS:
                self._tokens.popitem(last=False)
        return token

    def redeem(self, token: str) -> str | None:
        """The API user the token was issued for, once; None for an unknown or spent token."""
        with self._lock:
            for known in self._tokens:
                if secrets.compare_digest(known, token):
                    return self._tokens.pop(known)
        return None


def same_secret(given: str, expected: str) -> bool:
    return secrets.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def is_loopback_address(address: str | None) -> bool:
    if not address:
        return False
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def host_name(host_header: str) -> str:
    """``127.0.0.1:8080`` → ``127.0.0.1``; ``[::1]:8080`` → ``::1``."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_loopback_host(host_header: str) -> bool:
    name = host_name(host_header)
    return name in LOOPBACK_NAMES or is_loopback_address(name)
