"""The auth server (§2): client-credentials tokens, and who a resource call is made by."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import readings
from ..accounts.models import ApiUser, Organisation
from ..contract import GRANT_TYPE, SUPPORTED_SCOPE, TOKEN_TYPE, ErrorCode
from ..core.clock import Clock
from ..core.errors import BadRequest, Unauthorized
from ..faults import FaultSwitches


@dataclass
class _Token:
    user: ApiUser
    api_key: str
    expires_at: float


class TokenService:
    def __init__(self, org: Organisation, clock: Clock, faults: FaultSwitches, ttl: Callable[[], int]) -> None:
        self._org = org
        self._clock = clock
        self._faults = faults
        self._ttl = ttl
        self._lock = threading.Lock()
        self._tokens: dict[str, _Token] = {}

    def account_for_key(self, api_key: str | None) -> str:
        if not api_key:
            raise Unauthorized("the X-API-Key header is required", code=ErrorCode.MISSING_API_KEY)
        account_id = self._org.api_keys.get(api_key)
        if account_id is None:
            raise Unauthorized("the API key is not valid", code=ErrorCode.INVALID_API_KEY)
        return account_id

    def issue(self, api_key: str, form: dict[str, Any]) -> dict[str, Any]:
        lenient = readings.current().takes("token-endpoint-errors", "lenient")
        for name in ("grant_type", "client_id", "client_secret"):
            if not isinstance(form.get(name), str) or not form[name]:
                if lenient and name != "grant_type":
                    raise Unauthorized("client authentication failed", code=ErrorCode.INVALID_CLIENT)
                raise BadRequest(f"{name} is required", code=ErrorCode.INVALID_REQUEST)
        if form["grant_type"] != GRANT_TYPE:
            raise BadRequest(
                f"grant_type must be {GRANT_TYPE!r}, got {form['grant_type']!r}", code=ErrorCode.UNSUPPORTED_GRANT_TYPE
            )
        scope = form.get("scope")
        unsupported = scope not in (None, "") and (
            not isinstance(scope, str) or set(scope.split()) != {SUPPORTED_SCOPE}
        )
        if unsupported and not lenient:
            raise BadRequest(f"only the scope {SUPPORTED_SCOPE!r} is supported", code=ErrorCode.INVALID_SCOPE)
        user = self._org.users.get(form["client_id"])
        secret_ok = user is not None and (
            secrets.compare_digest(user.client_secret, form["client_secret"])
            or self._faults.on("client_secret_not_checked")
        )
        if user is None or not secret_ok:
            raise Unauthorized("client authentication failed", code=ErrorCode.INVALID_CLIENT)
        if user.api_key != api_key:
            raise Unauthorized("this client does not belong to the API key's account", code=ErrorCode.INVALID_CLIENT)
        ttl = self._ttl()
        access_token = secrets.token_urlsafe(30)[:40]
        with self._lock:
            self._tokens[access_token] = _Token(user, api_key, self._clock.time() + ttl)
        return {"access_token": access_token, "token_type": TOKEN_TYPE, "expires_in": ttl, "scope": SUPPORTED_SCOPE}

    def authenticate(self, api_key: str, authorization: str | None) -> ApiUser:
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorized(
                "an Authorization: Bearer <access_token> header is required", code=ErrorCode.MISSING_TOKEN
            )
        with self._lock:
            token = self._tokens.get(value.strip())
        if token is None or token.api_key != api_key:
            raise Unauthorized("the access token is not valid", code=ErrorCode.INVALID_TOKEN)
        if self._clock.time() >= token.expires_at and not self._faults.on("token_never_expires"):
            raise Unauthorized("the access token has expired; request a new one", code=ErrorCode.TOKEN_EXPIRED)
        return token.user

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()
