"""What a handler gets: the request, the caller, the sandbox state, and helpers to answer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.wrappers import Request, Response

from .. import readings
from ..contract import MAX_JSON_BODY_BYTES, ErrorCode
from .errors import ApiError, BadRequest, PayloadTooLarge

if TYPE_CHECKING:
    from ..accounts.models import ApiUser
    from ..state import SandboxState


class QueryArgs(ImmutableMultiDict[str, str]):
    """Query and form parameters whose `get` answers a missing name without werkzeug raising and catching
    a KeyError for it (most optional parameters are absent from most requests)."""

    def get(self, key: str, default: Any = None, type: Any = None) -> Any:  # type: ignore[override]
        values = dict.get(self, key)
        if not values:
            return default
        if type is None:
            return values[0]
        return super().get(key, default, type)


class SandboxRequest(Request):
    parameter_storage_class = QueryArgs


@dataclass
class Ctx:
    request: Request
    state: SandboxState
    request_id: str
    version: str
    version_explicit: bool
    path_args: dict[str, Any] = field(default_factory=dict)
    _user: ApiUser | None = None
    _body: bytes | None = None
    max_body: int = MAX_JSON_BODY_BYTES  # the route's limit (uploads have their own, §13)
    client_id: str | None = None  # the API client a token request names (the journal's, before any user)

    @property
    def user(self) -> ApiUser:
        assert self._user is not None, "route declared auth=False but reads the user"
        return self._user

    @property
    def query(self) -> MultiDict[str, str]:
        return self.request.args

    def raw_body(self) -> bytes:
        if self._body is None:
            limit = self.max_body
            length = self.request.content_length
            if length is not None and length > limit:
                raise PayloadTooLarge(f"request body is larger than {limit} bytes")
            chunks: list[bytes] = []
            size = 0
            while size <= limit:  # a socket stream may hand out less than asked; read until EOF or past the limit
                chunk = self.request.stream.read(limit + 1 - size)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"request body is larger than {limit} bytes")
            self._body = b"".join(chunks)
        return self._body

    @property
    def is_json(self) -> bool:
        mimetype = self.request.mimetype
        return mimetype == "application/json" or mimetype.endswith("+json")

    def json(self) -> Any:
        mimetype = self.request.mimetype
        if mimetype and not self.is_json:
            if readings.current().takes("wrong-content-type-on-a-json-endpoint", "415"):
                raise ApiError(
                    f'Unsupported media type "{mimetype}" in request.', code="unsupported_media_type", status=415
                )
            raise BadRequest(f"Content-Type must be application/json, got {mimetype!r}")
        raw = self.raw_body()
        if not raw.strip():
            raise BadRequest("a JSON request body is required", code=ErrorCode.INVALID_JSON)
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest(f"the request body is not valid JSON: {exc}", code=ErrorCode.INVALID_JSON) from None

    def json_object(self) -> dict[str, Any]:
        body = self.json()
        if not isinstance(body, dict):
            raise BadRequest("the request body must be a JSON object", code=ErrorCode.INVALID_JSON)
        return body

    def respond(self, payload: Any, status: int = 200) -> Response:
        return json_response(payload, status)

    def respond_created(self, payload: Any) -> Response:
        """201 for a create."""
        return self.respond(payload, 201)

    def respond_bulk(self, created: list[Any], updated: list[Any], errors: list[Any]) -> Response:
        """The synchronous create-or-update answer shared by vendor and dimension bulk (§9, §10): 201."""
        return self.respond(
            {
                "version": self.version,
                "success_count": len(created) + len(updated),
                "created_count": len(created),
                "updated_count": len(updated),
                "error_count": len(errors),
                "created": created,
                "updated": updated,
                "errors": errors,
            },
            201,
        )


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(payload), status=status, headers=headers, content_type="application/json")


def dumps(payload: Any) -> bytes:
    """Compact UTF-8 JSON, as `json.dumps(ensure_ascii=False, separators=(",", ":"))` writes it: orjson
    where it can, the standard library for what orjson refuses (integers beyond 64 bits, non-string keys)."""
    try:
        return orjson.dumps(payload)
    except TypeError:
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
