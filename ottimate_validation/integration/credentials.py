"""The credentials of an integration run, by kind, and the access tokens issued during it.

The recording layer adds each token it sees issued; the command's output is scanned for all of them,
and every record and attachment is scrubbed of them (through the ledger's ``Secrets``).
"""

from __future__ import annotations

import threading

from ottimate_validation.report.redact import Secrets

API_KEY = "the API key"
CLIENT_SECRET = "the client secret"
ACCESS_TOKEN = "an access token issued during the run"


class RunCredentials:
    def __init__(self, api_key: str, client_id: str, client_secret: str, secrets: Secrets | None = None) -> None:
        self.api_key = api_key
        self.client_id = client_id
        self.client_secret = client_secret
        self.secrets = secrets if secrets is not None else Secrets()
        self.secrets.add(api_key, client_secret)
        self._lock = threading.Lock()
        self._tokens: list[str] = []
        self._known: set[str] = set()
        self._raw: tuple[bytes, ...] = tuple(v.encode() for v in (api_key, client_secret) if len(v) >= 4)

    def add_token(self, token: str) -> None:
        with self._lock:
            if token in self._known:
                return
            self._known.add(token)
            self._tokens.append(token)
            if len(token) >= 4:
                self._raw = (*self._raw, token.encode())
        self.secrets.add(token)

    def found_in(self, raw: bytes) -> bool:
        """Whether any credential value occurs in ``raw``."""
        return any(value in raw for value in self._raw)

    @property
    def tokens(self) -> list[str]:
        with self._lock:
            return list(self._tokens)

    def by_kind(self) -> list[tuple[str, bytes]]:
        """Every credential value with its kind, longest first (a value containing another wins)."""
        values = [(API_KEY, self.api_key), (CLIENT_SECRET, self.client_secret)]
        values += [(ACCESS_TOKEN, token) for token in self.tokens]
        found = [(kind, value.encode()) for kind, value in values if len(value) >= 4]
        return sorted(found, key=lambda item: len(item[1]), reverse=True)
