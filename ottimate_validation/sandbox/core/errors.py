"""Typed API errors, turned into the ErrorResponse envelope in exactly one place (`app.py`, `envelope`)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from .. import readings
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


class RouteMissing(ApiError):
    """No route for the path (404), or not for the method (405)."""

    status = 404
    code = ErrorCode.NOT_FOUND


def envelope(exc: ApiError, request_id: str, timestamp: str | None) -> dict[str, Any]:
    """The ErrorResponse body of ``exc``, as the decisions in force write it ("error-code-strings",
    "error-message-names-the-field", "unknown-route-wrong-method")."""
    chosen = readings.current()
    if isinstance(exc, RouteMissing) and chosen.takes("unknown-route-wrong-method", "framework-detail"):
        if exc.status == 405:
            method = exc.message.split(" ", 1)[0]
            return {"detail": f'Method "{method}" not allowed.'}
        return {"detail": "Not found."}
    code, message = exc.code, exc.message
    if chosen.takes("error-code-strings", "reason-phrases") and code != ErrorCode.PO_VALIDATION:
        code = HTTPStatus(exc.status).phrase
    generic = chosen.takes("error-message-names-the-field", "generic") and 400 <= exc.status < 500
    if generic and exc.status not in (401, 429) and code != ErrorCode.PO_VALIDATION:
        message = f"{HTTPStatus(exc.status).phrase}."  # which field or parameter is not said
    body: dict[str, Any] = {"code": code, "message": message, "request_id": request_id, "timestamp": timestamp}
    if exc.errors and not generic:
        body["errors"] = exc.errors
    return body
