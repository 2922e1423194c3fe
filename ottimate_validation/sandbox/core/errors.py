"""Typed API errors, turned into the ErrorResponse envelope in exactly one place (`app.py`)."""

from __future__ import annotations

from typing import Any

from ..contract import ErrorCode


class ApiError(Exception):
    status = 400
    code = ErrorCode.INVALID_REQUEST

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.errors = errors
        self.headers = headers or {}


class BadRequest(ApiError):
    status = 400
    code = ErrorCode.INVALID_REQUEST


class ValidationFailed(ApiError):
    status = 400
    code = ErrorCode.VALIDATION_ERROR


class Unauthorized(ApiError):
    status = 401
    code = ErrorCode.INVALID_TOKEN


class Forbidden(ApiError):
    status = 403
    code = ErrorCode.FORBIDDEN


class NotFound(ApiError):
    status = 404
    code = ErrorCode.NOT_FOUND


class Conflict(ApiError):
    status = 409
    code = ErrorCode.IDEMPOTENCY_KEY_IN_USE


class PayloadTooLarge(ApiError):
    status = 413
    code = ErrorCode.PAYLOAD_TOO_LARGE


class Unprocessable(ApiError):
    status = 422
    code = ErrorCode.IDEMPOTENCY_KEY_REUSED


class TooManyRequests(ApiError):
    status = 429
    code = ErrorCode.RATE_LIMITED
