"""The dashboard's one request pipeline: guard → route → session → sign-in → CSRF → view → page.

Every page and action is a `Page` function in `pages.py`, `actions.py` or `log.py`, registered in
`ROUTES`. What a view raises is drawn here, once: a `Refused` (the dashboard's own refusal: a forged
form, a stale page, a file too large), an `ApiError` from the sandbox's rules (the API's own status
and message: 404 unknown id, 403 out of scope, 409 illegal transition), or anything else (a 500 page
that names no internal detail; the traceback goes to the log). Never a traceback to the browser.
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.routing import Map, MapAdapter, RequestRedirect, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from ..accounts.models import ApiUser
from ..core.errors import ApiError
from .access import Session, Sessions, SignInTokens, is_loopback_address, is_loopback_host, same_secret

if TYPE_CHECKING:
    from ..state import SandboxState

log = logging.getLogger(__name__)

PREFIX: Final = "/_dashboard"
#: The largest request body read: an upload's 25 MB file (CONTRACT §13) with its form around it.
MAX_BODY_BYTES: Final = 26 * 1024 * 1024
STATIC_FILES: Final = {"dashboard.css": "text/css; charset=utf-8", "dashboard.js": "text/javascript; charset=utf-8"}
_SECURITY_HEADERS: Final = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'self'; frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    # Not "no-referrer": with it a browser sends "Origin: null" on a form post, which the CSRF check refuses.
    "Referrer-Policy": "same-origin",
}

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Refused(Exception):
    """A request the dashboard itself refuses: nothing was changed. ``status``, a title and a sentence."""

    def __init__(self, status: int, title: str, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message
        self.headers = dict(headers or {})


@dataclass
class Req:
    """What a view gets: the request, the sandbox state, the session and its API user."""

    request: Request
    state: SandboxState
    session: Session
    dashboard: Dashboard
    adapter: MapAdapter

    @property
    def user(self) -> ApiUser:
        user = self.state.org.users.get(self.session.client_id or "")
        if user is None:  # the routes that need one are only reached signed in
            raise Refused(401, "Sign in first", "This page needs you to sign in as one of the sandbox's API users.")
        return user

    @property
    def signed_in(self) -> bool:
        return self.state.org.users.get(self.session.client_id or "") is not None

    @property
    def form(self) -> Mapping[str, str]:
        return self.request.form

    def url(self, endpoint: str, **values: Any) -> str:
        return self.adapter.build(endpoint, {k: v for k, v in values.items() if v not in (None, "")})

    def render(self, template: str, http_status: int = 200, **context: Any) -> Response:
        html = self.dashboard.templates.get_template(template).render(r=self, **context)
        return Response(html, status=http_status, content_type="text/html; charset=utf-8")

    def redirect_to(self, endpoint: str, **values: Any) -> Response:
        return redirect(self.url(endpoint, **values), code=303)


Page = Callable[..., Response]


@dataclass(frozen=True)
class Route:
    rule: str
    endpoint: str
    view: Page
    methods: tuple[str, ...] = ("GET",)
    signed_in: bool = True  # reached only by a signed-in session
    locked: bool = True  # reads or changes the sandbox state: runs under its lock, after due work lands


class Dashboard:
    """The dashboard's WSGI app; `mount` serves it beside the API under `PREFIX`."""

    def __init__(self, state: SandboxState, *, allow_remote: bool = False) -> None:
        from .routes import ROUTES  # the views import this module

        self.state = state
        self.allow_remote = allow_remote
        self.sessions = Sessions()
        self.tokens = SignInTokens()
        self.cookie = f"ottimate_dashboard_{secrets.token_hex(4)}"  # one name per instance (see access.py)
        self.routes = {route.endpoint: route for route in ROUTES}
        self.url_map, self.templates, self._static = _shared()

    # -- entry points ---------------------------------------------------------------------------

    def mount(self, api: WSGIApp) -> WSGIApp:
        """One WSGI app: this dashboard under `PREFIX`, ``api`` everywhere else."""

        def mounted(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            path = str(environ.get("PATH_INFO", ""))
            if path == PREFIX or path.startswith(PREFIX + "/"):
                return self(environ, start_response)
            return api(environ, start_response)

        return mounted

    def sign_in_link(self, origin: str, user: ApiUser) -> str:
        """A link that opens the dashboard signed in as ``user``: a one-time token, spent on first use."""
        return f"{origin}{PREFIX}/?token={self.tokens.issue(user.client_id)}"

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = MAX_BODY_BYTES
        response = self.handle(request)
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Cache-Control", "no-store")
        return response(environ, start_response)

    # -- the pipeline ---------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        refusal = self._guard(request)
        if refusal is not None:
            return refusal
        adapter = self.url_map.bind_to_environ(request.environ)
        session = self.sessions.get(request.cookies.get(self.cookie))
        fresh = session is None
        if session is None:
            session = self.sessions.new()
        r = Req(request=request, state=self.state, session=session, dashboard=self, adapter=adapter)
        try:
            response = self._dispatch(r)
        except Refused as exc:
            response = self.error_page(r, exc.status, exc.title, exc.message)
            response.headers.update(exc.headers)
        except ApiError as exc:
            response = self.error_page(r, exc.status, _API_TITLES.get(exc.status, "Refused"), exc.message)
        except Exception:  # a page, never a traceback, for whatever the dashboard got wrong
            log.exception("unhandled error in the sandbox dashboard (%s %s)", request.method, request.path)
            response = self.error_page(
                r, 500, "Something went wrong", "The dashboard failed on this page; the sandbox's log has the details."
            )
        if r.session is not session or fresh:
            self.set_cookie(response, r.session)
        return response

    def _dispatch(self, r: Req) -> Response:
        try:
            endpoint, args = r.adapter.match()
        except RequestRedirect as exc:
            return redirect(exc.new_url, code=308)
        except MethodNotAllowed as exc:
            allowed = ", ".join(sorted(exc.valid_methods or []))
            raise Refused(
                405,
                "Method not allowed",
                f"{r.request.method} is not allowed on {r.request.path}; use {allowed}.",
                headers={"Allow": allowed},
            ) from None
        except NotFound:
            raise Refused(404, "Not found", f"There is no dashboard page at {r.request.path}.") from None
        route = self.routes[str(endpoint)]
        token = r.request.args.get("token")
        if token and r.request.method in ("GET", "HEAD"):
            return self._redeem(r, token)
        if route.signed_in and not r.signed_in:
            if endpoint == "log_json":
                raise Refused(401, "Sign in first", "Your dashboard session ended; sign in again.")
            return redirect(r.url("sign_in", next=r.request.full_path.rstrip("?")), code=303)
        if r.request.method == "POST":
            self._check_csrf(r)
        if not route.locked:
            return route.view(r, **args)
        with self.state.lock:
            self.state.scheduler.run_due()  # work that fell due on the sandbox clock lands first, as for the API
            return route.view(r, **args)

    def _guard(self, request: Request) -> Response | None:
        if self.allow_remote:
            return None
        if not is_loopback_address(request.remote_addr) or not is_loopback_host(request.host):
            body = (
                "The sandbox dashboard answers on loopback only (127.0.0.1, localhost, ::1). "
                "Start the sandbox with --allow-remote to open it to other machines.\n"
            )
            return Response(body, status=403, content_type="text/plain; charset=utf-8")
        return None

    def _redeem(self, r: Req, token: str) -> Response:
        """Exchange a one-time sign-in token for a fresh signed-in session; the token leaves the address."""
        client_id = self.tokens.redeem(token)
        clean = r.request.path + _query_without(r.request.args, "token")
        if client_id is None or client_id not in self.state.org.users:
            r.session.flash(
                "error",
                "That sign-in link was already used or is not valid (each link signs in once). "
                "Sign in with an API user's client id and secret.",
            )
            return redirect(r.url("sign_in", next=clean), code=303)
        self.sessions.drop(r.session)
        r.session = self.sessions.new(client_id)
        return redirect(clean, code=303)

    def _check_csrf(self, r: Req) -> None:
        try:
            sent = r.request.form.get("csrf", "")
        except RequestEntityTooLarge:
            raise Refused(
                413,
                "Too large",
                f"The request is larger than {MAX_BODY_BYTES // (1024 * 1024)} MB: nothing was changed. "
                "The API takes files of at most 25 MB.",
                headers={"Connection": "close"},
            ) from None
        origin = r.request.headers.get("Origin")
        foreign = origin is not None and origin.split("://", 1)[-1] != r.request.host  # "null" included
        if foreign or not sent or not same_secret(sent, r.session.csrf):
            raise Refused(
                403,
                "Form refused",
                "This form did not come from this dashboard page (its security token is missing or out of date): "
                "nothing was changed. Reload the page and try again.",
            )

    # -- pages the pipeline draws -----------------------------------------------------------------

    def error_page(self, r: Req, status: int, title: str, message: str) -> Response:
        try:
            return r.render("error.html", http_status=status, code=status, title=title, message=message)
        except Exception:  # the error page itself failed: plain text, still no traceback
            log.exception("the dashboard's error page failed")
            return Response(f"{title}: {message}\n", status=status, content_type="text/plain; charset=utf-8")

    def static(self, name: str) -> Response:
        if name not in self._static:
            raise Refused(404, "Not found", f"There is no static file {name}.")
        response = Response(self._static[name], content_type=STATIC_FILES[name])
        response.headers["Cache-Control"] = "max-age=300"
        return response

    def set_cookie(self, response: Response, session: Session) -> None:
        response.set_cookie(
            self.cookie,
            session.id,
            path=PREFIX + "/",
            httponly=True,
            samesite="Strict",
            max_age=None,  # a browser-session cookie; the server forgets idle sessions
        )


@functools.cache
def _shared() -> tuple[Map, Environment, dict[str, bytes]]:
    """The URL map, the templates and the static files: the same for every dashboard, made once."""
    from .routes import ROUTES

    url_map = Map(
        [Rule(PREFIX + r.rule, endpoint=r.endpoint, methods=list(r.methods)) for r in ROUTES], strict_slashes=True
    )
    templates = Environment(
        loader=PackageLoader(__package__ or "ottimate_validation.sandbox.dashboard", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    templates.filters.update(when=when, day=day, money=money, number=number)
    static = {name: resources.files(__package__ or "").joinpath("static", name).read_bytes() for name in STATIC_FILES}
    return url_map, templates, static


_API_TITLES: Final = {
    400: "Not accepted",
    401: "Sign in first",
    403: "Not allowed",
    404: "Not found",
    409: "Refused",
    412: "Changed since you looked",
    413: "Too large",
}


def _query_without(args: MultiDict[str, str], name: str) -> str:
    kept = [(k, v) for k, v in args.items(multi=True) if k != name]
    return f"?{urlencode(kept)}" if kept else ""


# -- template filters ------------------------------------------------------------------------------


def when(value: datetime | None) -> str:
    """A moment in UTC, to the second: ``2025-11-24 09:00:00 UTC``."""
    if value is None:
        return "–"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def day(value: date | str | None) -> str:
    if value is None or value == "":
        return "–"
    return value if isinstance(value, str) else value.isoformat()


def money(value: float | Decimal | None, currency: str = "") -> str:
    if value is None:
        return "–"
    text = f"{float(value):,.2f}"
    return f"{text} {currency}".strip()


def number(value: float | Decimal | None) -> str:
    if value is None:
        return "–"
    return f"{float(value):g}"
