"""A route: path rule, method, handler, and which parts of the request pipeline apply to it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from werkzeug.wrappers import Response

from .contract import MAX_JSON_BODY_BYTES
from .core.context import Ctx

# api: API key + bearer + rate limit + idempotency; token: API key + rate limit; control: none of them.
RouteKind = Literal["api", "token", "control"]


@dataclass(frozen=True)
class Route:
    rule: str
    method: str
    handler: Callable[[Ctx], Response]
    kind: RouteKind = "api"
    max_body_bytes: int = MAX_JSON_BODY_BYTES  # uploads raise it (§13: 25 MB files)
    #: A route outside the Reference: the decision whose choice "absent" takes it away (404, no such route).
    extension: str | None = None
