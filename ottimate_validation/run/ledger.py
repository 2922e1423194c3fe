"""The run's ledger: one append-only record of what happened, as typed records.

Every process of a run (the command line, pytest's controller, each xdist worker, the integration
runner with its recording proxy) appends to its own JSON-lines file under ``<run folder>/ledger/``;
``read_ledger`` joins them. Nothing else carries facts about a run between its parts: the summary,
the verdicts, the budget figure, merge, the benchmark and the integration judge all read records.

Records (``type`` on disk)::

    Exchange   "exchange"  one HTTP attempt: who sent it, the operation, status, time, redacted headers
    Wait       "wait"      asynchronous work awaited (extraction, a batch): how long, how many polls
    BudgetSkip "budget_skip" a test skipped because the request budget was spent
    Leftovers  "leftovers" what a run created and could not remove, per kind
    Check      "check"     the outcome of one test, its criterion, category and the operations it used
    Finding    "finding"   the outcome of one integration rule in one pass, citing exchanges
    Collected  "collected" how many tests the run selected (for progress and "not run")

``LedgerTransport`` is the one place traffic is observed: the innermost layer of every HTTP stack the
run builds (``run.http``), under retries and the OAuth2 flow, so each attempt is one ``Exchange``.
It also draws each request from the request budget, when the run has one.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar, Protocol

import httpx
import orjson

from ottimate_validation.report.operations import operation_of
from ottimate_validation.report.redact import Secrets, fingerprint, redact_body, redact_headers, redact_query

LEDGER_DIR = "ledger"
ATTEMPT = "ottimate.attempt"  # request extension: how many times this request object was sent
SOURCE = "ottimate.source"  # request extension: overrides the transport's source for one request
MAX_BODY_CHARS = 2_000  # bodies kept in a record (integration evidence); the report has the full ones


class Source:
    """Who sent an exchange. Only ``CONTROL`` is not the API (the embedded sandbox's control plane)."""

    SUITE = "suite"  # the suites' OttimateClient
    HAND = "hand"  # hand-built requests of the suites (malformed, anonymous, raw token calls)
    PREFLIGHT = "preflight"  # probes before a run
    CONTROL = "control"  # /_sandbox calls
    CLEANUP = "cleanup"  # the end-of-run sweep and `ottimate-validate cleanup`
    INTEGRATION = "integration"  # the partner's integration under test, seen by the recording proxy
    STATE = "state"  # the integration mode reading the sandbox's state before and after a pass
    LOAD = "load"  # the stability suite's sustained load


# ---------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True, kw_only=True)
class Exchange:
    type: ClassVar[str] = "exchange"

    at: float  # epoch seconds when the request was sent
    method: str
    path: str  # percent-encoded, without the query
    source: str = Source.SUITE
    ms: float | None = None  # until the answer was read; None without one
    status: int | None = None
    error: str | None = None  # the transport error (class name) when there was no answer
    query: str = ""  # redacted
    host: str = ""  # host[:port]: tells the auth server from the API
    operation: str | None = None  # the documented operation (``GET /vendors/{id}``), None for others
    test: str | None = None  # the test that sent it (pytest node id)
    attempt: int | None = None  # 1 the first time this request was sent, 2.. its retries
    request_headers: Mapping[str, str] = field(default_factory=dict)  # redacted
    response_headers: Mapping[str, str] = field(default_factory=dict)  # redacted
    token: str | None = None  # fingerprint of the bearer token sent (never the token)
    issued_token: str | None = None  # fingerprint of the token this answer issued, if any
    api_key: str | None = None  # fingerprint of the X-Api-Key sent
    idempotency_key: str | None = None
    body_sha: str | None = None  # of the request body: tells "sent again unchanged"
    request_type: str | None = None  # the request's content type, without parameters
    request_body: Any = None  # redacted and bounded; kept by the integration proxy
    response_body: Any = None
    secrets_in_url: Sequence[str] = ()  # fingerprints of known credentials found in the URL
    id: str = ""  # unique in the run: cited by findings
    lane: str | None = None  # integration: the pass (clean, fault, repeat)
    fault: str | None = None  # integration: the fault injected instead of (or after) forwarding
    worker: int | None = None  # integration: the connection the request came on
    #: The answer's shape (field names and types, never values), recorded when the ledger keeps shapes
    #: (a run against a real sandbox, or a drift reference): what ``ottimate-validate drift`` compares.
    shape: Any = None
    response_header_names: Sequence[str] = ()  # recorded with the shape
    #: Recorded with the shape: the vocabulary words of the answer (an error's ``code``, every ``status``
    #: value: words of the API's vocabulary, never data) and the order of its list (``ascending`` or
    #: ``descending`` by id, else creation time; ``unordered``), for the drift report.
    words: Mapping[str, Sequence[str]] = field(default_factory=dict)
    order: str | None = None
    # integration: what the judge reads from the answer without its body (list envelope figures
    # ``count``/``page``/``limit``/``items``, a token's ``expires_in``, an error's ``code``, a bulk
    # answer's ``item_errors``, ``replayed``); empty elsewhere
    facts: Mapping[str, Any] = field(default_factory=dict)

    @property
    def answered(self) -> bool:
        return self.status is not None

    @property
    def is_api(self) -> bool:
        """Sent to the API or its auth server (the control plane is neither)."""
        return self.source != Source.CONTROL


@dataclass(frozen=True, kw_only=True)
class Wait:
    type: ClassVar[str] = "wait"

    at: float
    what: str
    kind: str  # extraction | batch | work
    seconds: float  # waited (sandbox seconds when the clock was moved)
    polls: int
    moved_clock: bool = False
    done: bool | None = True  # False: the deadline passed; None: the wait has just begun
    test: str | None = None


@dataclass(frozen=True, kw_only=True)
class BudgetSkip:
    type: ClassVar[str] = "budget_skip"

    at: float
    test: str
    limit: int


@dataclass(frozen=True, kw_only=True)
class Leftovers:
    type: ClassVar[str] = "leftovers"

    at: float
    remaining: Mapping[str, int]  # kind ("vendors") -> count left on the target
    created: int = 0  # entities of the run found on the target
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class Check:
    """One test's outcome, written by the controlling process from the reports of every worker."""

    type: ClassVar[str] = "check"

    at: float
    test: str  # node id
    title: str
    status: str  # passed | failed | broken | skipped
    criterion: str | None = None
    area: str | None = None
    category: str | None = None  # why it did not pass (report.categories); None when passed or skipped
    message: str = ""  # first lines of the failure or skip reason, scrubbed
    failed_operation: str | None = None  # the operation a failed check named (ContractViolation)
    seconds: float = 0.0
    budget_skipped: bool = False
    history_key: str = ""  # Allure's historyId, to match the report's result
    report_id: str = ""  # the test's result in the single-file report (``#/<id>``)
    decision: str | None = None  # the decision a failed check disagreed with (DiffersFromOurReading)
    differed: Sequence[str] = ()  # every decision it disagreed with (``decision`` is the first)
    decisions: Sequence[str] = ()  # the decisions it rested on, as it ran (``our_reading``), failed or not
    rests_on: Sequence[str] = ()  # the documented facts it rests on (CONTRACT sections, ``contract`` marker)


@dataclass(frozen=True, kw_only=True)
class Finding:
    """The outcome of one integration rule in one pass."""

    type: ClassVar[str] = "finding"

    at: float
    rule: str  # e.g. "auth.token-reused"
    title: str  # the rule in a sentence
    criterion: str
    lane: str  # clean | fault | repeat
    holds: bool | None  # None: could not be judged (nothing to judge it on)
    finding: str  # plain-language result
    exchanges: Sequence[str] = ()  # ids of the exchanges that prove it
    details: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None  # the judge itself failed (a harness problem): holds is None, nothing was decided


@dataclass(frozen=True, kw_only=True)
class Collected:
    """The tests the run selected, written once by the controlling process after collection."""

    type: ClassVar[str] = "collected"

    at: float
    tests: int
    deselected: int = 0


Record = Exchange | Wait | BudgetSkip | Leftovers | Check | Finding | Collected
RECORD_TYPES: dict[str, type[Any]] = {
    cls.type: cls for cls in (Exchange, Wait, BudgetSkip, Leftovers, Check, Finding, Collected)
}


def to_line(record: Record) -> bytes:
    """One JSON line, the record's ``type`` first. orjson encodes the dataclass natively: a
    ``dataclasses.asdict`` deep copy first was most of the recording layer's cost per request."""
    return b'{"type":"' + record.type.encode() + b'",' + orjson.dumps(record, default=_jsonable)[1:] + b"\n"


def _jsonable(value: Any) -> Any:
    """What orjson does not encode itself: other mappings (``httpx.Headers``, read-only views), sets."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
    return str(value)


def from_line(line: bytes) -> Record | None:
    """A record from one line of a ledger file; None for a line that is not one (a torn last write)."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    cls = RECORD_TYPES.get(str(data.pop("type", "")))
    if cls is None:
        return None
    known = {f.name for f in fields(cls)}
    try:
        return cls(**{k: v for k, v in data.items() if k in known})  # type: ignore[no-any-return]
    except TypeError:
        return None


# ---------------------------------------------------------------------------------------------
# Writing


class Observer(Protocol):
    """Sees each exchange as it is recorded, with the full request and response (the evidence plugin
    attaches them to the report)."""

    def __call__(self, record: Exchange, request: httpx.Request, response: httpx.Response | None) -> None: ...


class Ledger:
    """One process's ledger: records appended to ``<folder>/<process>.jsonl``, thread-safe.

    Without a folder yet (a command-line preflight, before the run folder exists) records are kept in
    memory and written when ``attach`` gives one; with ``folder=None`` for good (a plain pytest run
    with no run folder) they are only kept in memory, and ``records`` answers them.
    """

    def __init__(
        self, folder: Path | None = None, *, process: str = "main", secrets: Secrets | None = None, keep: bool = True
    ) -> None:
        """``keep=False``: without a folder, records are seen by listeners and then dropped."""
        self.process = process
        self.secrets = secrets if secrets is not None else Secrets()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._pending: list[Record] = []
        self._kept: list[Record] | None = [] if keep else None  # in memory while there is no file
        self._file: Any = None
        self._test: str | None = None
        self._lane: str | None = None
        self.observers: list[Observer] = []
        self.listeners: list[Callable[[Record], None]] = []
        self.keep_shapes = False  # record each answer's shape (for ``ottimate-validate drift``)
        if folder is not None:
            self.attach(folder)

    # The test (or integration pass) current in this process; requests sent meanwhile belong to it.
    @property
    def test(self) -> str | None:
        return self._test

    @test.setter
    def test(self, value: str | None) -> None:
        self._test = value

    @property
    def lane(self) -> str | None:
        return self._lane

    @lane.setter
    def lane(self, value: str | None) -> None:
        self._lane = value

    @property
    def path(self) -> Path | None:
        return Path(self._file.name) if self._file is not None else None

    def attach(self, folder: Path) -> None:
        """Start writing into ``folder`` (created if needed), beginning with what was kept so far."""
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            if self._file is not None:
                return
            self._file = open(folder / f"{self.process}.jsonl", "ab")  # noqa: SIM115 (closed by close())
            for record in self._kept or ():
                self._file.write(to_line(record))
            self._file.flush()
            self._kept = None

    def next_id(self) -> str:
        return f"{self.process}-{next(self._ids)}"

    def record(self, record: Record) -> None:
        with self._lock:
            if self._file is not None:
                self._file.write(to_line(record))
                self._file.flush()  # one write per record: a killed process loses at most its last line
            elif self._kept is not None:
                self._kept.append(record)
        for listener in self.listeners:
            with contextlib.suppress(Exception):  # a listener never changes what was recorded
                listener(record)

    def records(self) -> list[Record]:
        """What this process recorded and still holds in memory (only without a file)."""
        with self._lock:
            return list(self._kept or ())

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def exchange(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        *,
        at: float,
        ms: float | None,
        source: str,
        error: BaseException | None = None,
        keep_bodies: bool = False,
        **extra: Any,
    ) -> Exchange:
        """Record one exchange seen by an httpx transport; answers the record."""
        record = describe(
            request,
            response,
            at=at,
            ms=ms,
            source=request.extensions.get(SOURCE, source),
            error=error,
            secrets=self.secrets,
            test=self._test,
            lane=self._lane,
            keep_bodies=keep_bodies,
            keep_shapes=self.keep_shapes,
            id=self.next_id(),
            **extra,
        )
        self.record(record)
        for observer in self.observers:
            with contextlib.suppress(Exception):  # evidence never changes a test's outcome
                observer(record, request, response)
        return record


def describe(
    request: httpx.Request,
    response: httpx.Response | None,
    *,
    at: float,
    ms: float | None,
    source: str,
    secrets: Secrets,
    error: BaseException | None = None,
    keep_bodies: bool = False,
    keep_shapes: bool = False,
    **extra: Any,
) -> Exchange:
    """The redacted record of one httpx exchange (bodies only when ``keep_bodies``, shapes when
    ``keep_shapes``)."""
    raw_path = request.url.raw_path.decode("ascii", "replace")
    path, _, query = raw_path.partition("?")
    content = _request_bytes(request)
    answer = _response_bytes(response) if response is not None else b""
    if answer:
        secrets.learn_from_body(answer)
    authorization = request.headers.get("authorization", "")
    token = authorization[7:].strip() if authorization[:7].lower() == "bearer " else None
    api_key = request.headers.get("x-api-key")
    issued = issued_token(answer) if response is not None and response.status_code == 200 else None
    request_type = request.headers.get("content-type", "").split(";")[0].strip().lower() or None
    url_text = str(request.url)
    return Exchange(
        at=at,
        ms=ms,
        source=source,
        method=request.method,
        path=path or "/",
        query=redact_query(query),
        host=request.url.netloc.decode("ascii", "replace"),
        status=response.status_code if response is not None else None,
        error=type(error).__name__ if error is not None else None,
        operation=operation_of(request.method, path),
        attempt=int(request.extensions.get(ATTEMPT, 1)),
        request_headers=redact_headers(_raw_headers(request.headers)),
        response_headers=redact_headers(_raw_headers(response.headers)) if response is not None else {},
        token=fingerprint(token) if token else None,
        issued_token=fingerprint(issued) if issued else None,
        api_key=fingerprint(api_key) if api_key else None,
        idempotency_key=request.headers.get("idempotency-key"),
        body_sha=hashlib.sha256(content).hexdigest()[:16] if content else None,
        request_type=request_type,
        request_body=_bounded(content, request_type or "") if keep_bodies else None,
        response_body=(
            _bounded(answer, response.headers.get("content-type", "")) if keep_bodies and response is not None else None
        ),
        secrets_in_url=tuple(secrets.found_in(url_text)),
        shape=answer_shape(answer, response.headers.get("content-type", "")) if keep_shapes and response else None,
        **(answer_facets(answer, response) if keep_shapes and response is not None else {}),
        response_header_names=(
            tuple(sorted({name.lower() for name in response.headers})) if keep_shapes and response else ()
        ),
        **extra,
    )


SHAPE_DEPTH = 5


def shape_of(value: Any, depth: int = 0) -> Any:
    """The shape of a JSON value: objects keep their keys with the shapes of their values, lists the shape
    of their first item, everything else its type's name. No value survives: it is safe to keep."""
    if isinstance(value, dict):
        if depth >= SHAPE_DEPTH:
            return "object"
        return {str(key): shape_of(item, depth + 1) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [shape_of(value[0], depth + 1)] if value and depth < SHAPE_DEPTH else []
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"


#: A vocabulary word: short, letters, digits and a few separators (anything else is data, never kept).
_WORD = re.compile(r"^[A-Za-z][A-Za-z0-9 _.-]{0,39}$")
_CREATED = ("created_at_utc", "created_date_utc", "created_at", "created_date")


def answer_facets(raw: bytes, response: httpx.Response) -> dict[str, Any]:
    """``words`` and ``order`` of a JSON answer (see ``Exchange``); nothing for any other answer."""
    if "json" not in response.headers.get("content-type", "").lower() or not raw:
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    words: dict[str, set[str]] = {}
    code = body.get("code") if response.status_code >= 400 and isinstance(body, dict) else None
    if isinstance(code, str) and _WORD.match(code):
        words.setdefault("code", set()).add(code)
    for status in _statuses(body, 0):
        words.setdefault("status", set()).add(status)
    return {"words": {k: sorted(v) for k, v in words.items()}, "order": _order(body)}


def _statuses(value: Any, depth: int) -> Iterator[str]:
    if depth > 3:
        return
    if isinstance(value, dict):
        status = value.get("status")
        if isinstance(status, str) and _WORD.match(status):
            yield status
        for item in value.values():
            if isinstance(item, dict | list):
                yield from _statuses(item, depth + 1)
    elif isinstance(value, list):
        for item in value[:50]:
            yield from _statuses(item, depth + 1)


def _order(body: Any) -> str | None:
    """The order of the answer's list of objects (the first with two or more), by id, else creation time."""
    if not isinstance(body, dict):
        return None
    items = next((v for v in body.values() if isinstance(v, list) and len(v) >= 2 and isinstance(v[0], dict)), None)
    if items is None:
        return None
    keys: list[Any] = [item.get("id") if isinstance(item, dict) else None for item in items]
    if not all(isinstance(k, int) and not isinstance(k, bool) for k in keys):
        field_name = next((f for f in _CREATED if isinstance(items[0].get(f), str)), None)
        keys = [item.get(field_name) if field_name and isinstance(item, dict) else None for item in items]
        if not all(isinstance(k, str) for k in keys):
            return None
    pairs = list(itertools.pairwise(keys))
    if all(a <= b for a, b in pairs):
        return "ascending"
    if all(a >= b for a, b in pairs):
        return "descending"
    return "unordered"


def answer_shape(raw: bytes, content_type: str) -> Any:
    if "json" not in content_type.lower() or not raw:
        return f"<{content_type.split(';')[0].strip() or 'no content type'}>" if raw else None
    try:
        return shape_of(orjson.loads(raw))
    except orjson.JSONDecodeError:
        return "<not JSON>"


def issued_token(raw: bytes) -> str | None:
    """The access token a token answer issued (to fingerprint and to scrub it), else None."""
    if b"access_token" not in raw:
        return None
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    token = body.get("access_token") if isinstance(body, dict) else None
    return token if isinstance(token, str) and token else None


def _bounded(raw: bytes, content_type: str) -> Any:
    body = redact_body(raw, content_type, limit=MAX_BODY_CHARS)
    if isinstance(body, dict | list) and len(raw) > MAX_BODY_CHARS:
        start = raw[:MAX_BODY_CHARS].decode("utf-8", "replace")
        return f"<{len(raw):,} bytes of JSON; the first {MAX_BODY_CHARS:,}: {start}>"
    return body


def _raw_headers(headers: httpx.Headers) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers.raw]


def _request_bytes(request: httpx.Request) -> bytes:
    try:
        return request.content
    except httpx.RequestNotRead:
        return b""


def _response_bytes(response: httpx.Response) -> bytes:
    try:
        return response.content
    except httpx.ResponseNotRead:
        return b""


class Budget(Protocol):
    def take(self) -> None: ...


class LedgerTransport(httpx.BaseTransport):
    """Innermost layer of every stack: draws on the budget, sends, reads the answer, records it.

    Reading the answer here closes its stream before httpx can time it, so ``elapsed`` is set as httpx
    would have. Each attempt of a request object (a retry, a replay after a 401) is one record.
    """

    def __init__(
        self,
        transport: httpx.BaseTransport,
        ledger: Ledger,
        *,
        source: str,
        budget: Budget | None = None,
        keep_bodies: bool = False,
    ) -> None:
        self._transport = transport
        self._ledger = ledger
        self._source = source
        self._budget = budget
        self._keep_bodies = keep_bodies

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.extensions[ATTEMPT] = int(request.extensions.get(ATTEMPT, 0)) + 1
        source = request.extensions.get(SOURCE, self._source)
        if self._budget is not None and source != Source.CONTROL:
            self._budget.take()  # raises before anything is sent when the budget is spent
        at = time.time()
        start = time.perf_counter()
        try:
            response = self._transport.handle_request(request)
            try:
                response.read()
            except BaseException:
                response.close()
                raise
        except Exception as exc:
            self._ledger.exchange(
                request, None, at=at, ms=None, source=self._source, error=exc, keep_bodies=self._keep_bodies
            )
            raise
        elapsed = time.perf_counter() - start
        response.elapsed = timedelta(seconds=elapsed)
        response.request = request
        self._ledger.exchange(
            request, response, at=at, ms=elapsed * 1000.0, source=self._source, keep_bodies=self._keep_bodies
        )
        return response

    def close(self) -> None:
        self._transport.close()


# ---------------------------------------------------------------------------------------------
# Reading


@dataclass(frozen=True)
class Records:
    """Every record of a run, each kind in time order."""

    exchanges: tuple[Exchange, ...] = ()
    waits: tuple[Wait, ...] = ()
    budget_skips: tuple[BudgetSkip, ...] = ()
    leftovers: tuple[Leftovers, ...] = ()
    checks: tuple[Check, ...] = ()
    findings: tuple[Finding, ...] = ()
    collected: tuple[Collected, ...] = ()

    @property
    def api_exchanges(self) -> tuple[Exchange, ...]:
        return tuple(x for x in self.exchanges if x.is_api)

    @property
    def requests(self) -> int:
        """Requests sent to the API and its auth server: every attempt, the control plane aside."""
        return len(self.api_exchanges)

    def by_test(self) -> dict[str, list[Exchange]]:
        found: dict[str, list[Exchange]] = {}
        for exchange in self.exchanges:
            if exchange.test:
                found.setdefault(exchange.test, []).append(exchange)
        return found

    @classmethod
    def of(cls, records: Iterable[Record]) -> Records:
        kinds: dict[str, list[Any]] = {name: [] for name in RECORD_TYPES}
        for record in records:
            kinds[record.type].append(record)
        for items in kinds.values():
            items.sort(key=lambda r: r.at)
        return cls(
            exchanges=tuple(kinds["exchange"]),
            waits=tuple(kinds["wait"]),
            budget_skips=tuple(kinds["budget_skip"]),
            leftovers=tuple(kinds["leftovers"]),
            checks=tuple(kinds["check"]),
            findings=tuple(kinds["finding"]),
            collected=tuple(kinds["collected"]),
        )


def ledger_files(run_folder: Path) -> list[Path]:
    folder = run_folder / LEDGER_DIR
    return sorted(folder.glob("*.jsonl")) if folder.is_dir() else []


def iter_records(paths: Iterable[Path]) -> Iterator[Record]:
    for path in paths:
        try:
            with open(path, "rb") as handle:
                for line in handle:
                    record = from_line(line)
                    if record is not None:
                        yield record
        except OSError:
            continue


class LedgerTail:
    """Follows a run's ledger while its processes write it: ``new()`` answers the records appended
    since the last call (whole lines only; a line being written is read next time)."""

    def __init__(self, run_folder: Path) -> None:
        self._folder = run_folder / LEDGER_DIR
        self._offsets: dict[Path, int] = {}

    def new(self) -> list[Record]:
        found: list[Record] = []
        for path in sorted(self._folder.glob("*.jsonl")) if self._folder.is_dir() else ():
            offset = self._offsets.get(path, 0)
            try:
                with open(path, "rb") as handle:
                    handle.seek(offset)
                    chunk = handle.read()
            except OSError:
                continue
            complete = chunk.rfind(b"\n") + 1
            for line in chunk[:complete].splitlines():
                record = from_line(line)
                if record is not None:
                    found.append(record)
            self._offsets[path] = offset + complete
        return found


def read_ledger(run_folder: Path) -> Records:
    """Every record the processes of a run wrote into ``<run_folder>/ledger/``."""
    return Records.of(iter_records(ledger_files(run_folder)))


def process_name(worker: str | None = None) -> str:
    """This process's file name in the ledger: the xdist worker id, else ``main-<pid>``."""
    return worker or f"main-{os.getpid()}"
