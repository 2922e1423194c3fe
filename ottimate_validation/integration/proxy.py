"""The one layer between the partner's integration and the API: it records and it injects faults.

``Recorder`` is WSGI middleware. In front of the embedded sandbox it wraps ``SandboxApp``; in front of
the partner's real sandbox it wraps ``Forwarder``, which sends each request on with httpx. Either way
every request the integration sends becomes one ``Exchange`` in the run's ledger (redacted, bodies
bounded, with the few facts the judge reads from the answer), and the pass's ``FaultSchedule`` decides
whether the request is answered by a fault instead::

    integration ──HTTP──► server ──► Recorder ──► SandboxApp | Forwarder ──► real sandbox
                                        │
                                        └──► Journal (the run's ledger folder): Exchange{lane, fault, ...}

Faults answered here never reach the API. "answer-lost" and "connection-dropped" are forwarded (the
write is processed) and then lose their answer: a 502/504 from the gateway, or the connection shut
without an answer where the server hands its socket over (werkzeug does; otherwise a 502).

Recording is kept cheap (a benchmark measures it): bodies are parsed only where the judge needs a fact
(token answers, list envelopes, errors, bulk answers) and kept only up to ``MAX_BODY_CHARS``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import re
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import orjson
from werkzeug.wsgi import get_input_stream

from ottimate_validation.report.operations import operation_of
from ottimate_validation.report.redact import (
    REDACTED,
    SAFE_HEADERS,
    SECRET_FIELDS,
    Secrets,
    fingerprint,
    may_name_secret_fields,
    redact_body,
    redact_data,
    redact_headers,
    redact_query,
)
from ottimate_validation.run.http import forwarding_client
from ottimate_validation.run.ledger import MAX_BODY_CHARS, Exchange, Source, issued_token
from ottimate_validation.sandbox.journal import EXCHANGE_HEADER

from .credentials import RunCredentials
from .faults import Decision, FaultSchedule, Request
from .journal import Journal

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_EXCHANGE_ENVIRON = "HTTP_" + EXCHANGE_HEADER.upper().replace("-", "_")
MAX_REQUEST_BYTES = 32 * 1024 * 1024  # above the largest documented upload (25 MB, CONTRACT §13)
_PARSE_LIMIT = 4 * 1024 * 1024  # answers larger than this are recorded without facts
_LIST_KEYS = ("vendors", "dimensions", "purchase_orders", "receipts", "results")
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "content-encoding",
    }
)
_REASONS = {200: "OK", 401: "Unauthorized", 404: "Not Found", 413: "Payload Too Large", 429: "Too Many Requests"}
_REASONS |= {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


class Recorder:
    """Records every exchange of the integration under test, and injects the current pass's faults.

    ``begin(lane, schedule)`` starts a pass; requests arriving outside a pass (a straggler of a killed
    command) are still answered and recorded, with no lane, and judged by no rule.
    """

    def __init__(self, app: WSGIApp, ledger: Journal, credentials: RunCredentials, *, tag: bool = False) -> None:
        """``tag``: name each exchange's ledger id to ``app`` in the X-Ottimate-Exchange header (the embedded
        sandbox's request journal keeps it, so its dashboard can mark the findings that cite the exchange)."""
        self._app = app
        self._ledger = ledger
        self._credentials = credentials
        self._tag = tag
        self._pass: tuple[str | None, FaultSchedule | None] = (None, None)  # swapped whole: read without a lock

    def begin(self, lane: str, schedule: FaultSchedule | None) -> None:
        self._pass = (lane, schedule)

    def end(self) -> None:
        self._pass = (None, None)
        self._ledger.flush()

    # ------------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        at = time.time()
        started = time.perf_counter()
        exchange_id = self._ledger.next_id()
        lane, schedule = self._pass
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path, query = _path_and_query(environ)
        authorization = str(environ.get("HTTP_AUTHORIZATION", ""))
        api_key = str(environ.get("HTTP_X_API_KEY", ""))
        idempotency_key = environ.get("HTTP_IDEMPOTENCY_KEY")
        content_type = str(environ.get("CONTENT_TYPE") or "")
        request_type = content_type.split(";")[0].strip().lower() or None if content_type else None
        host = str(environ.get("HTTP_HOST", ""))
        too_large = _declared_length(environ) > MAX_REQUEST_BYTES
        body = b"" if too_large else _read_body(environ)
        token = authorization[7:].strip() if authorization[:7].lower() == "bearer " else ""
        token_fp = _fingerprint(token) if token else None
        body_sha = hashlib.sha256(body).hexdigest()[:16] if body else None
        is_token = path.endswith("/oauth/token") or path.endswith("/oauth/token/")

        decision: Decision | None = None
        if schedule is not None and not too_large:
            decision = schedule.decide(
                Request(
                    method=method,
                    path=path,
                    operation_key=_operation_key(method, path, query, idempotency_key, body_sha, is_token),
                    page=_page(query),
                    token=token_fp,
                )
            )
        processed: int | None = None
        if too_large:
            status, answer_headers, answer = _error(413, "payload_too_large", "the request body is too large")
        elif decision is not None and decision.action == "answer":
            status, answer_headers, answer = _fault_answer(decision)
        else:
            if decision is not None and decision.action == "delay":
                time.sleep(decision.delay)
            theirs = environ.get(_EXCHANGE_ENVIRON) if self._tag else None
            if self._tag:
                environ[_EXCHANGE_ENVIRON] = exchange_id
            status, answer_headers, answer = self._forward(environ, body)
            if self._tag:  # recorded as the integration sent it
                if theirs is None:
                    del environ[_EXCHANGE_ENVIRON]
                else:
                    environ[_EXCHANGE_ENVIRON] = theirs
            if decision is not None and decision.action in ("lose", "drop"):
                processed = status
                status, answer_headers, answer = _fault_answer(decision)

        answer_type = _header(answer_headers, "content-type")
        issued_fp = None
        if is_token and 200 <= (processed or status) < 300:  # learnt from any success: safer than sorry
            issued = issued_token(answer)
            if issued:
                self._credentials.add_token(issued)  # known before the integration can print it
                issued_fp = _fingerprint(issued)
                if schedule is not None:
                    schedule.token_issued(issued_fp)
        parsed = _small_json(answer, answer_type.lower())
        facts = _facts(method, is_token, processed or status, answer_type, answer, answer_headers, parsed)
        if processed is not None:
            facts["processed_status"] = processed
        dropped = decision is not None and decision.action == "drop" and _drop(environ)
        secrets = self._credentials.secrets
        raw_uri = f"{path}?{query}" if query else path
        in_url = secrets.found_in(raw_uri) if secrets else []
        record = Exchange(
            at=at,
            ms=(time.perf_counter() - started) * 1000.0,
            source=Source.INTEGRATION,
            method=method,
            path=secrets.scrub(path) if in_url and secrets.found_in(path) else path,
            query=_query_kept(query, secrets),
            host=host,
            status=None if dropped else status,
            error="ConnectionDropped" if dropped else None,
            operation=_operation(method, path),
            request_headers=_scrubbed(_shown_request_headers(environ), secrets),
            response_headers={} if dropped else _scrubbed(redact_headers(answer_headers), secrets),
            token=token_fp,
            issued_token=issued_fp,
            api_key=_fingerprint(api_key) if api_key else None,
            idempotency_key=idempotency_key,
            body_sha=body_sha,
            request_type=request_type,
            request_body=_kept(body, request_type or "", self._credentials),
            response_body=None if dropped else _kept(answer, answer_type, self._credentials, parsed),
            secrets_in_url=tuple(in_url),
            id=exchange_id,
            lane=lane,
            fault=decision.fault if decision is not None else None,
            worker=_worker(environ),
            facts=facts,
        )
        self._ledger.record(record)
        start_response(f"{status} {_REASONS.get(status, 'Answer')}", answer_headers)
        return [answer]

    def _forward(self, environ: dict[str, Any], body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        if body or environ.get("CONTENT_LENGTH") or environ.get("wsgi.input_terminated"):
            # What was read is handed on whole, as a body of known length (a chunked one included).
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("wsgi.input_terminated", None)
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        seen: dict[str, Any] = {}
        written: list[bytes] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            seen["status"], seen["headers"] = status, headers
            return written.append

        result = self._app(environ, capture)
        try:
            parts = list(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status = int(str(seen.get("status", "500")).split(" ", 1)[0])
        return status, list(seen.get("headers", [])), b"".join(written) + b"".join(parts)


class Forwarder:
    """WSGI app that sends each request on to the partner's real sandbox and answers with its answer.

    The proxy serves the API under ``/v1`` and the auth server at the origin, as the variables it
    hands the integration say; ``/v1/...`` goes to ``api_url`` and ``/oauth/token`` to ``auth_url``.
    """

    def __init__(self, api_url: str, auth_url: str, *, transport: httpx.BaseTransport | None = None) -> None:
        self._api_url = api_url.rstrip("/")
        self._auth_url = auth_url.rstrip("/")
        self._client = forwarding_client(network=transport)

    def close(self) -> None:
        self._client.close()

    def upstream(self, path: str, query: str) -> str | None:
        if path == "/v1" or path.startswith("/v1/"):
            url = self._api_url + path[3:]
        elif path.rstrip("/") == "/oauth/token":
            url = self._auth_url + "/oauth/token"
        else:
            return None
        return f"{url}?{query}" if query else url

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, query = _path_and_query(environ)
        url = self.upstream(path, query)
        if url is None:
            status, headers, answer = _error(404, "not_found", f"no such endpoint: {path}")
        else:
            body = _read_body(environ)
            sent = [(k, v) for k, v in _request_headers(environ) if k.lower() not in _HOP_BY_HOP]
            try:
                response = self._client.request(
                    str(environ.get("REQUEST_METHOD", "GET")), url, headers=sent, content=body
                )
            except httpx.TimeoutException:
                status, headers, answer = _error(504, "gateway_timeout", "the sandbox did not answer in time")
            except httpx.HTTPError as exc:
                status, headers, answer = _error(
                    502, "bad_gateway", f"the sandbox cannot be reached ({type(exc).__name__})"
                )
            else:
                status, answer = response.status_code, response.content
                raw = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw]
                headers = [(k, v) for k, v in raw if k.lower() not in _HOP_BY_HOP]
                headers.append(("Content-Length", str(len(answer))))
        start_response(f"{status} {_REASONS.get(status, 'Answer')}", headers)
        return [answer]


# ---------------------------------------------------------------------------------------------
# Requests


def _path_and_query(environ: Mapping[str, Any]) -> tuple[str, str]:
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if isinstance(raw, str) and raw:
        if "://" in raw.split("?", 1)[0]:  # an absolute request target
            parts = urlsplit(raw)
            return parts.path or "/", parts.query
        path, _, query = raw.partition("?")
        return path or "/", query
    path_info = str(environ.get("PATH_INFO", "/")).encode("latin-1", "replace").decode("utf-8", "replace")
    return quote(path_info, safe="/%:@!$&'()*+,;=~") or "/", str(environ.get("QUERY_STRING", ""))


def _request_headers(environ: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The request's headers, as the client sent them (names in their usual case)."""
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.append((_HEADER_NAMES.get(key) or _header_name(key), str(value)))
    if environ.get("CONTENT_TYPE"):
        headers.append(("Content-Type", str(environ["CONTENT_TYPE"])))
    if environ.get("CONTENT_LENGTH"):
        headers.append(("Content-Length", str(environ["CONTENT_LENGTH"])))
    return headers


def _shown_request_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """``redact_headers(_request_headers(environ))``, built in one pass (the recorder's hot path)."""
    shown: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = _HEADER_NAMES.get(key) or _header_name(key)
            shown[name] = str(value) if key in _SAFE_ENVIRON else REDACTED
    if environ.get("CONTENT_TYPE"):
        shown["Content-Type"] = str(environ["CONTENT_TYPE"])
    if environ.get("CONTENT_LENGTH"):
        shown["Content-Length"] = str(environ["CONTENT_LENGTH"])
    return shown


_SAFE_ENVIRON = frozenset("HTTP_" + name.upper().replace("-", "_") for name in SAFE_HEADERS)
_HEADER_NAMES: dict[str, str] = {}


def _header_name(key: str) -> str:
    name = key[5:].replace("_", "-").title()
    if len(_HEADER_NAMES) < 1024:
        _HEADER_NAMES[key] = name
    return name


def _declared_length(environ: Mapping[str, Any]) -> int:
    try:
        return int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _read_body(environ: dict[str, Any]) -> bytes:
    chunked = "chunked" in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower()
    if not environ.get("CONTENT_LENGTH") and not environ.get("wsgi.input_terminated") and not chunked:
        return b""  # nothing announced: most reads
    try:
        if chunked and not environ.get("CONTENT_LENGTH") and not environ.get("wsgi.input_terminated"):
            # A server that decodes chunks without saying so (no wsgi.input_terminated): read to the end.
            return bytes(environ["wsgi.input"].read(MAX_REQUEST_BYTES + 1))
        stream = get_input_stream(environ, max_content_length=MAX_REQUEST_BYTES)
        return stream.read(MAX_REQUEST_BYTES + 1)
    except Exception:  # a client that hung up mid-body, a malformed chunk: nothing to forward
        return b""


def _page(query: str) -> int | None:
    if "page=" not in query:
        return None
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name == "page":
            return int(value) if value.isdigit() else None
    return None


def _operation_key(
    method: str, path: str, query: str, idempotency_key: str | None, body_sha: str | None, is_token: bool
) -> str:
    """One logical request: its attempts share this key (used to spread faults over operations)."""
    if is_token:
        return "token"
    if idempotency_key:
        return f"{method} {path} key={idempotency_key}"
    return f"{method} {path}?{query} body={body_sha}"


def _worker(environ: Mapping[str, Any]) -> int | None:
    port = environ.get("REMOTE_PORT")
    try:
        return int(port) if port is not None else None
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------------------------------------
# Answers


def _error(status: int, code: str, message: str) -> tuple[int, list[tuple[str, str]], bytes]:
    body = orjson.dumps({"code": code, "message": message, "request_id": None, "timestamp": _now_utc()})
    return status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))], body


def _fault_answer(decision: Decision) -> tuple[int, list[tuple[str, str]], bytes]:
    status, headers, body = _error(decision.status, decision.code, decision.message)
    return status, [*headers, *decision.headers], body


def _now_utc() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _drop(environ: Mapping[str, Any]) -> bool:
    """Shut the connection without an answer, where the server hands its socket over."""
    sock = environ.get("werkzeug.socket")
    if not isinstance(sock, socket.socket):
        return False
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
        return True
    return False


def _header(headers: Iterable[tuple[str, str]], name: str) -> str:
    for key, value in headers:
        if key.lower() == name:
            return value
    return ""


_NOT_PARSED: Any = object()


def _small_json(raw: bytes, content_type: str) -> Any:
    """A small JSON body parsed once, for both the facts and what is kept; ``_NOT_PARSED`` otherwise."""
    if not raw or len(raw) > MAX_BODY_CHARS or "json" not in content_type:
        return _NOT_PARSED
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _NOT_PARSED


def _facts(
    method: str,
    is_token: bool,
    status: int,
    content_type: str,
    raw: bytes,
    headers: Iterable[tuple[str, str]],
    parsed: Any = _NOT_PARSED,
) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    if _header(headers, "x-idempotent-replayed").lower() == "true":
        facts["replayed"] = True
    if not raw or "json" not in content_type.lower() or len(raw) > _PARSE_LIMIT:
        return facts
    reading = method in ("GET", "HEAD")
    if reading and 200 <= status < 300 and not is_token:
        quick = _envelope(raw)
        if quick is not None:  # a long list answer: no need to parse it whole
            return facts | quick
    if not (status >= 400 or is_token or (200 <= status < 300 and (reading or b"error" in raw or b"failed" in raw))):
        return facts
    if parsed is not _NOT_PARSED:
        body = parsed
    else:
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return facts
    if not isinstance(body, dict):
        return facts
    if status >= 400:
        code = body.get("code")
        if isinstance(code, str):
            facts["code"] = code[:80]
    elif is_token:
        if isinstance(body.get("expires_in"), int | float):
            facts["expires_in"] = body["expires_in"]
    elif reading:
        if isinstance(body.get("count"), int):
            facts["count"] = body["count"]
            for key in ("page", "limit", "per_page"):
                if isinstance(body.get(key), int):
                    facts["limit" if key == "per_page" else key] = body[key]
            for key in _LIST_KEYS:
                if isinstance(body.get(key), list):
                    facts["items"] = len(body[key])
                    break
    else:
        errors = body.get("error_count")
        if isinstance(errors, int):
            facts["item_errors"] = errors
        elif isinstance(body.get("errors"), list):
            facts["item_errors"] = len(body["errors"])
        elif isinstance(body.get("failed"), list):
            facts["item_errors"] = len(body["failed"])
    return facts


# ---------------------------------------------------------------------------------------------
# What is kept


def _kept(raw: bytes, content_type: str, credentials: RunCredentials, parsed: Any = _NOT_PARSED) -> Any:
    """A body as the ledger keeps it: redacted, at most ``MAX_BODY_CHARS``, scrubbed of credentials."""
    if not raw:
        return None
    kind = content_type.split(";")[0].strip().lower()
    probe = raw
    if parsed is not _NOT_PARSED:  # redact_body's JSON branch, on the body parsed already
        kept: Any = redact_data(parsed) if may_name_secret_fields(raw) else parsed
    elif len(raw) <= MAX_BODY_CHARS:
        kept = redact_body(raw, content_type, limit=MAX_BODY_CHARS)
    elif kind.startswith("text/") or "json" in kind or "form" in kind or not kind:
        probe = raw[:MAX_BODY_CHARS]  # only what is kept is searched: the rest is never written
        start = probe.decode("utf-8", "replace")
        kept = f"<{len(raw):,} bytes of {kind or 'unknown content'}; the first {MAX_BODY_CHARS:,}: {start}>"
    else:
        return f"<{len(raw):,} bytes of {kind}>"
    if credentials.found_in(probe):  # rare: only then is what is kept searched (it may be redacted already)
        text = kept if isinstance(kept, str) else orjson.dumps(kept).decode()
        if credentials.found_in(text.encode()):
            return credentials.secrets.scrub(text)
    return kept


def _scrubbed(headers: dict[str, str], secrets: Secrets) -> dict[str, str]:
    if not secrets or not secrets.found_in("\n".join(headers.values())):
        return headers  # the usual case, checked in one pass
    return {k: (secrets.scrub(v) if secrets.found_in(v) else v) for k, v in headers.items()}


def _query_kept(query: str, secrets: Secrets) -> str:
    """The query as recorded: secret fields redacted (re-encoded only when one may be there), scrubbed."""
    if not query:
        return ""
    lowered = query.lower()
    kept = redact_query(query) if any(name in lowered for name in SECRET_FIELDS) else query
    return secrets.scrub(kept) if secrets.found_in(kept) else kept


# Documented operation of a path, a credential's fingerprint: the same come again and again.
_operation = functools.lru_cache(maxsize=4096)(operation_of)
_fingerprint = functools.lru_cache(maxsize=1024)(fingerprint)


_ENVELOPE = re.compile(rb'"(count|page|limit|per_page)"\s*:\s*(\d+)')
_ENVELOPE_WINDOW = 512


def _envelope(raw: bytes) -> dict[str, int] | None:
    """count, page and limit of a list answer, read from its first and last bytes, where an envelope's
    keys are (whatever the order of its serializer); None when they are not there (then it is parsed)."""
    found: dict[str, int] = {}
    ends = (raw,) if len(raw) <= 2 * _ENVELOPE_WINDOW else (raw[:_ENVELOPE_WINDOW], raw[-_ENVELOPE_WINDOW:])
    for part in ends:
        for key, value in _ENVELOPE.findall(part):
            found.setdefault("limit" if key == b"per_page" else key.decode(), int(value))
    return found if "count" in found and "limit" in found and len(raw) > 2 * _ENVELOPE_WINDOW else None
