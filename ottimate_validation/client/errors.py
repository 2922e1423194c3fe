"""Exceptions raised by the client and the settings.

    OttimateError
    ├── ConfigurationError        a required setting is missing or invalid
    ├── ProductionTargetRefused   the target is production and that was not allowed
    ├── TargetUnreachable         no connection could be made to the target (after retries)
    └── AuthenticationFailed      the token endpoint refused the credentials

HTTP error statuses of resource calls are not exceptions: the suites inspect them. No message
ever contains an API key, a client secret or an access token.
"""

from __future__ import annotations

from typing import Any


class OttimateError(Exception):
    """Base class of every error raised by the client and the settings."""


class ConfigurationError(OttimateError):
    """A required setting is missing or invalid; the message names the environment variable."""


class ProductionTargetRefused(OttimateError):
    """The target is a production host and production was not explicitly allowed."""


class TargetUnreachable(OttimateError):
    """No connection could be made to the target, even after retries."""

    def __init__(self, message: str, *, host: str) -> None:
        super().__init__(message)
        self.host = host


class AuthenticationFailed(OttimateError):
    """The token endpoint did not issue a token.

    `status_code` is the HTTP status; `body` the decoded ErrorResponse (CONTRACT §7) when the
    answer was JSON, else its text. Neither ever holds the client secret.
    """

    def __init__(self, message: str, *, status_code: int, body: Any = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body

    @property
    def code(self) -> str | None:
        """The ErrorResponse `code`, when the body had one."""
        if isinstance(self.body, dict) and isinstance(self.body.get("code"), str):
            return str(self.body["code"])
        return None
