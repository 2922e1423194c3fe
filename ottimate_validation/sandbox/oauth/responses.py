"""HTTP layer of the auth server (§2.1): `POST /oauth/token` and `POST /v1/oauth/token`."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..core.context import Ctx
from ..routing import Route


def token(ctx: Ctx) -> Response:
    form: dict[str, Any]
    if ctx.is_json:
        form = ctx.json_object()  # [S] types the body as JSON; the docs' examples are form-encoded
    else:
        form = ctx.request.form.to_dict()
    api_key = ctx.request.headers.get("X-Api-Key", "")
    if isinstance(form.get("client_id"), str):
        ctx.client_id = form["client_id"]
    body = ctx.state.tokens.issue(api_key, form)
    return ctx.respond(body, 200)


ROUTES = [
    Route("/oauth/token", "POST", token, kind="token"),
    Route("/v1/oauth/token", "POST", token, kind="token"),
]
