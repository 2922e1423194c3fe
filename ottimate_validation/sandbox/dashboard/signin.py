"""Signing in and out (see `access.py` for why the dashboard's users are the sandbox's API users)."""

from __future__ import annotations

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from .access import same_secret
from .app import PREFIX, Req


def sign_in_form(r: Req, *, status: int = 200, problem: str | None = None, client_id: str = "") -> Response:
    return r.render(
        "sign_in.html",
        http_status=status,
        problem=problem,
        client_id=client_id,
        next=_safe_next(r.request.args.get("next") or r.request.form.get("next")),  # kept through a refusal
    )


def sign_in(r: Req) -> Response:
    client_id = r.form.get("client_id", "").strip()
    secret = r.form.get("client_secret", "")
    user = r.state.org.users.get(client_id)
    if user is None or not secret or not same_secret(secret, user.client_secret):
        return sign_in_form(
            r, status=401, problem="No API user of this sandbox has that client id and secret.", client_id=client_id
        )
    r.dashboard.sessions.drop(r.session)
    r.session = r.dashboard.sessions.new(user.client_id)  # a new session id on sign-in
    return redirect(_safe_next(r.form.get("next")) or r.url("overview"), code=303)


def sign_out(r: Req) -> Response:
    r.dashboard.sessions.drop(r.session)
    r.session = r.dashboard.sessions.new()
    r.session.flash("ok", "Signed out.")
    return r.redirect_to("sign_in")


def _safe_next(target: str | None) -> str | None:
    """Only a page of this dashboard (no other host, no scheme): never an open redirect."""
    if not target or not target.startswith(PREFIX + "/") or "//" in target or "\\" in target:
        return None
    return target
