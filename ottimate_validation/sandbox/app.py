"""One request pipeline for every operation:

route → API version → API key → rate limit → bearer token → idempotency → handler → error envelope.

Every error on the way, from any layer, becomes the documented ErrorResponse here and nowhere else.
The faults that only change an answer (`overlays.py`) bend the finished API answer here, once.
Variations (`variations.py`) hook in where a real deployment would differ: a gateway's 503 before
the pipeline, extra 429s at the rate limit, latency around the handler, and the rewriting and
compression of every finished answer except the control plane's.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterable
from gzip import decompress
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.http import http_date
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.wrappers import Request, Response

from . import contract, overlays, readings
from .accounts import responses as accounts
from .batch import responses as batch
from .catalog import responses as catalog
from .contract import ErrorCode
from .control import responses as control
from .core import dates
from .core.context import Ctx, SandboxRequest, json_response
from .core.errors import ApiError, BadRequest, RouteMissing, TooManyRequests, envelope
from .core.idempotency import StoredResponse
from .core.ids import well_formed_ids
from .dimensions import responses as dimensions
from .invoices import responses as invoices
from .journal import EXCHANGE_HEADER, BodyTap
from .oauth import responses as oauth
from .purchase_orders import responses as purchase_orders
from .receipts import responses as receipts
from .routing import Route
from .state import SandboxState
from .variations import (
    EVERY_NTH_429,
    EVERY_NTH_503_GET,
    LATENCY_MS,
    RETRY_AFTER_SECONDS,
    accepts_gzip,
    compress,
    rewrite_json,
)
from .vendors import responses as vendors

log = logging.getLogger(__name__)

CONTROL_PREFIX = "/_sandbox"
_EXCHANGE_ENVIRON = "HTTP_" + EXCHANGE_HEADER.upper().replace("-", "_")
_request_ids = random.Random()

ALL_ROUTES: tuple[Route, ...] = (
    *oauth.ROUTES,
    *accounts.ROUTES,
    *vendors.ROUTES,
    *dimensions.ROUTES,
    *batch.ROUTES,
    *catalog.ROUTES,
    *purchase_orders.ROUTES,
    *receipts.ROUTES,
    *invoices.ROUTES,
    *control.ROUTES,
)


class SandboxApp:
    """The WSGI application."""

    def __init__(
        self, state: SandboxState, routes: Iterable[Route] = ALL_ROUTES, *, control_plane: bool = True
    ) -> None:
        """``control_plane=False`` serves as the real sandbox does: no /_sandbox routes at all, so those
        paths answer like any unknown path and a run rehearses a real-sandbox run (real-time waits,
        no ``sandbox_only`` tests)."""
        self.state = state
        self.control_plane = control_plane
        self._routes: dict[tuple[str, str], Route] = {}
        methods: dict[str, set[str]] = {}
        for route in routes:
            if route.kind == "control" and not control_plane:
                continue
            self._routes[(route.rule, route.method)] = route
            methods.setdefault(route.rule, set()).add(route.method)
        self.url_map = Map(
            [Rule(rule, methods=sorted(m), endpoint=rule) for rule, m in methods.items()], strict_slashes=False
        )
        # Paths without a parameter, answered by a dict lookup; the map decides everything else (path
        # parameters, trailing slashes, 404 and 405), as it would have for these.
        self._static = {key: route for key, route in self._routes.items() if "<" not in route.rule}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        journal = self.state.journal
        if journal.keeps_bodies and environ.get("CONTENT_LENGTH") not in (None, "", "0"):
            environ["wsgi.input"] = BodyTap(environ["wsgi.input"], journal.body_limit)
        request = SandboxRequest(environ)
        try:
            response = self.handle(request)
        finally:
            _drain(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        with readings.in_force(self.state.decisions):  # the choices taken where the docs are silent
            return self._handle(request)

    def _handle(self, request: Request) -> Response:
        started = time.perf_counter()
        received = self.state.clock.time()
        request_id = f"req_{_request_ids.getrandbits(128):032x}"  # unique, not secret: no system call
        version = contract.LATEST_API_VERSION
        route: Route | None = None
        args: dict[str, Any] = {}
        ctx: Ctx | None = None
        try:
            route, args = self._match(request)
            well_formed_ids(route.rule, args)  # "unknown-or-malformed-entity-id"
            version, explicit = self._version(request) if route.kind != "control" else (version, False)
            ctx = Ctx(
                request=request,
                state=self.state,
                request_id=request_id,
                version=version,
                version_explicit=explicit,
                path_args=args,
                max_body=route.max_body_bytes,
            )
            response = self._run(route, ctx)
        except ApiError as exc:
            response = self.error_response(exc, request_id)
        except Exception:  # the envelope, never a traceback, for whatever the sandbox got wrong
            log.exception("unhandled error in the embedded sandbox (request %s)", request_id)
            response = self.error_response(
                ApiError("internal error in the embedded sandbox", code=ErrorCode.INTERNAL_ERROR, status=500),
                request_id,
            )
        response.headers["X-Request-Id"] = request_id
        response.headers["Date"] = http_date(self.state.clock.now())  # the sandbox's clock, not the machine's
        response.headers.setdefault("X-API-Version", version)
        control = self.control_plane and request.path.startswith(CONTROL_PREFIX)
        if not control:
            self._overlay(route, args, response)
            self._vary(request, response)
        if self.state.journal.enabled:
            self._journal(request, response, ctx, request_id, received, started, control)
        return response

    def _journal(
        self,
        request: Request,
        response: Response,
        ctx: Ctx | None,
        request_id: str,
        received: float,
        started: float,
        control: bool,
    ) -> None:
        """One entry of the request journal (`journal.py`) for this exchange."""
        environ = request.environ
        tap = environ.get("wsgi.input")
        body = response.get_data()
        if self.state.variations.on("gzip") and response.headers.get("Content-Encoding") == "gzip":
            body = decompress(body)  # kept readable
        client_id = None
        if ctx is not None:
            client_id = ctx._user.client_id if ctx._user is not None else ctx.client_id
        self.state.journal.record(
            at=received,
            method=request.method,
            path=request.path,
            query=environ.get("QUERY_STRING", ""),
            status=response.status_code,
            duration_ms=(time.perf_counter() - started) * 1000,
            client_id=client_id,
            idempotency_key=environ.get("HTTP_IDEMPOTENCY_KEY"),
            request_id=request_id,
            control=control,
            request_body=bytes(tap.kept) if isinstance(tap, BodyTap) else None,
            response_body=body,
            content_type=environ.get("CONTENT_TYPE", ""),
            ref=environ.get(_EXCHANGE_ENVIRON),
        )

    def _overlay(self, route: Route | None, args: dict[str, Any], response: Response) -> None:
        """Bend a finished API answer by the faults that only change answers (`overlays.py`)."""
        if not self.state.faults.any_on:
            return
        resource = route.rule.split("/")[2] if route is not None and route.rule.startswith("/v1/") else None
        batch_kind = self.state.batches.kind_of(args["id"]) if resource == "batch" and "id" in args else None
        batch_resource = overlays.BATCH_KIND_RESOURCE.get(batch_kind or "")
        overlays.apply(overlays.Answer(response, resource, batch_resource), self.state.faults)

    def _vary(self, request: Request, response: Response) -> None:
        """Apply the body-level variations to a finished API answer."""
        variations = self.state.variations
        if response.mimetype == "application/json":
            rewritten = rewrite_json(response.get_data(), variations)
            if rewritten is not None:
                response.set_data(rewritten)
        if (
            variations.on("gzip")
            and request.method != "HEAD"
            and response.content_length
            and "Content-Encoding" not in response.headers
            and accepts_gzip(request.headers.get("Accept-Encoding", ""))
        ):
            response.set_data(compress(response.get_data()))
            response.headers["Content-Encoding"] = "gzip"
            response.vary.add("Accept-Encoding")

    def _match(self, request: Request) -> tuple[Route, dict[str, Any]]:
        static = self._static.get((request.path, "GET" if request.method == "HEAD" else request.method))
        if static is not None:
            return _served(static, request), {}
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            rule, args = adapter.match(method=request.method)
        except MethodNotAllowed as exc:
            allowed = ", ".join(sorted(exc.valid_methods or []))
            raise RouteMissing(
                f"{request.method} is not allowed on {request.path}; allowed: {allowed}",
                code=ErrorCode.METHOD_NOT_ALLOWED,
                status=405,
                headers={"Allow": allowed},
            ) from None
        except (RouteNotFound, RequestRedirect):
            raise RouteMissing(f"no such endpoint: {request.method} {request.path}") from None
        method = "GET" if request.method == "HEAD" else request.method
        return _served(self._routes[(str(rule), method)], request), dict(args)

    @staticmethod
    def _version(request: Request) -> tuple[str, bool]:
        raw = request.headers.get("X-API-Version")
        if raw is None or raw == "":
            return contract.LATEST_API_VERSION, False
        if raw not in contract.API_VERSIONS:
            if readings.current().takes("x-api-version-values", "ignore-unknown"):
                return contract.LATEST_API_VERSION, False
            raise BadRequest(
                f"X-API-Version must be one of {', '.join(contract.API_VERSIONS)}, got {raw!r}",
                code=ErrorCode.UNSUPPORTED_API_VERSION,
            )
        return raw, True

    def _run(self, route: Route, ctx: Ctx) -> Response:
        if route.kind == "control":
            return route.handler(ctx)
        state = self.state
        if ctx.request.method in ("GET", "HEAD") and state.variations.due("sporadic_503_get", EVERY_NTH_503_GET):
            raise ApiError(
                "the service is briefly unavailable; try again",
                code=ErrorCode.SERVICE_UNAVAILABLE,
                status=503,
            )
        api_key = ctx.request.headers.get("X-Api-Key", "")  # header names are case-insensitive (§19 #20)
        if route.kind == "api" and state.faults.on("auth_not_enforced"):
            try:
                state.tokens.account_for_key(api_key)
                ctx._user = state.tokens.authenticate(api_key, ctx.request.headers.get("Authorization"))
            except ApiError:
                api_key, ctx._user = state.org.named_users["account"].api_key, state.org.named_users["account"]
        else:
            state.tokens.account_for_key(api_key)
        if state.variations.due("sporadic_429", EVERY_NTH_429):
            raise TooManyRequests(
                "too many requests; try again shortly", headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
            )
        state.rate_limiter.take(api_key)
        if route.kind == "api" and ctx._user is None:
            ctx._user = state.tokens.authenticate(api_key, ctx.request.headers.get("Authorization"))

        key = ctx.request.headers.get("Idempotency-Key")
        if route.kind != "api" or ctx.request.method != "POST" or key is None or state.faults.on("idempotency_ignored"):
            return self._invoke(route, ctx)
        state.idempotency.validate_key(key)
        scope = (api_key, ctx.request.method, ctx.request.path, key)
        replay = state.idempotency.begin(scope, ctx.raw_body(), ctx.is_json)
        if replay is not None:
            response = Response(replay.body, status=replay.status, headers=replay.headers)
            response.headers[contract.IDEMPOTENT_REPLAY_HEADER] = "true"
            return response
        try:
            response = self._invoke(route, ctx)
        except BaseException:
            state.idempotency.abandon(scope)
            raise
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "x-request-id"]
        state.idempotency.finish(scope, StoredResponse(response.status_code, headers, response.get_data()))
        return response

    def _invoke(self, route: Route, ctx: Ctx) -> Response:
        latency = self.state.config.latency_ms + (LATENCY_MS if self.state.variations.on("latency") else 0)
        if latency:
            time.sleep(latency / 1000)  # outside the lock: concurrent requests overlap as on a real server
        try:
            with self.state.lock:
                self.state.scheduler.run_due()  # work that fell due on the sandbox clock lands first
                return route.handler(ctx)
        except ApiError as exc:
            return self.error_response(exc, ctx.request_id)

    def error_response(self, exc: ApiError, request_id: str) -> Response:
        body = envelope(exc, request_id, dates.stamp_utc(self.state.clock.now()))
        return json_response(body, exc.status, headers=exc.headers)


def _served(route: Route, request: Request) -> Route:
    """``route``, unless it is an extension the decisions in force take away (then no such route)."""
    if route.extension is not None and readings.current().takes(route.extension, "absent"):
        raise RouteMissing(f"no such endpoint: {request.method} {request.path}")
    return route


def _drain(request: Request) -> None:
    """Read what the handler left of the body, so a kept-alive connection stays in step."""
    try:
        stream = request.stream
        while stream.read(1 << 16):
            pass
    except (OSError, ValueError, HTTPException):
        pass
