"""The faults a pass injects, and the seeded schedule that places them.

A fault is data (``FAULTS``): its name, the requests it may hit (its *category*), and what the proxy
does instead of (or after) forwarding. The schedule (``FaultSchedule``) decides, request by request,
which fault fires where. It is reproducible: the same seed and the same traffic give the same faults,
and it never needs to know the integration's code:

- Faults fire on the *n*-th eligible attempt of their category (``token``: token requests; ``read``:
  GETs; ``page``: GETs of page 2 or later; ``write``: other API requests), the skips drawn from the seed.
- An *operation* (one logical request: its Idempotency-Key, else method, path, query and body) takes at
  most ``MAX_FAULTS_PER_OPERATION`` faults, so an integration that tries three times (AWS's default)
  always gets through; faults are spread over operations rather than stacked on one.
- ``token-revoked`` revokes every token issued so far once the pass has sent a seeded number of API
  requests; requests carrying a revoked token are refused (401 ``invalid_token``) until a new one is used.
- ``latency`` delays a few consecutive requests and forwards them.

Faults answered by the proxy are never forwarded. ``answer-lost`` and ``connection-dropped`` forward
the write (it is processed) and then lose its answer. The documented limits stay enforced by the
target throughout: faults only add refusals, they never lift one.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Literal

Category = Literal["token", "read", "page", "write", "api"]
Action = Literal["answer", "lose", "drop", "delay"]

RETRY_AFTER_SECONDS = 1  # the smallest whole Retry-After (delta-seconds are integers, RFC 9110 §10.2.3)
LATENCY_SECONDS = 0.4  # added to each delayed request: noticeable, far below any sane client timeout
LATENCY_REQUESTS = 2
MAX_FAULTS_PER_OPERATION = 2
READ_REPEATS = 2  # "503-read" refuses the same read this many times in a row


@dataclass(frozen=True)
class Fault:
    name: str
    category: Category
    description: str
    default: bool = True  # in the default schedule


FAULTS: dict[str, Fault] = {
    f.name: f
    for f in (
        Fault("429-token", "token", "429 Too Many Requests with Retry-After on a token request"),
        Fault("429-read", "read", "429 Too Many Requests with Retry-After on a read"),
        Fault("429-write", "write", "429 Too Many Requests with Retry-After on a write (not processed)"),
        Fault("503-read", "read", f"503 Service Unavailable on a read, {READ_REPEATS} times in a row"),
        Fault("503-write", "write", "503 Service Unavailable on a write (not processed)"),
        Fault("answer-lost", "write", "a write processed, then its answer lost (502 or 504 from the gateway)"),
        Fault("token-revoked", "api", "the access token revoked mid-run: 401 invalid_token until a new one is used"),
        Fault("503-page", "page", "503 Service Unavailable in the middle of a paginated read (page 2 or later)"),
        Fault("latency", "api", f"{LATENCY_SECONDS:g} s added to {LATENCY_REQUESTS} consecutive requests"),
        # Not in the default schedule: each makes a correct integration stop, on purpose.
        Fault(
            "connection-dropped",
            "write",
            "a write processed, then the connection dropped without an answer (502 where the server cannot drop it)",
            default=False,
        ),
        Fault(
            "token-refused",
            "token",
            "every token request after the first refused (401 invalid_client): credentials revoked for good",
            default=False,
        ),
        Fault(
            "outage", "read", "every read of one list answered 503 for the rest of the pass (an outage)", default=False
        ),
    )
}
DEFAULT_FAULTS: tuple[str, ...] = tuple(name for name, f in FAULTS.items() if f.default)


class UnknownFault(ValueError):
    pass


def parse_faults(text: str) -> tuple[str, ...]:
    """``"default"``, ``"none"`` or a comma-separated list of fault names (``default`` may be one item)."""
    names: list[str] = []
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        if item == "default":
            names.extend(DEFAULT_FAULTS)
        elif item == "none":
            continue
        elif item in FAULTS:
            names.append(item)
        else:
            raise UnknownFault(f"unknown fault {item!r}; the faults are: {', '.join(FAULTS)} (or default, none)")
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class Request:
    """What the schedule needs to know about one request."""

    method: str
    path: str
    operation_key: str
    page: int | None = None
    token: str | None = None  # fingerprint of the bearer token sent

    @property
    def is_token(self) -> bool:
        return self.path.rstrip("/").endswith("/oauth/token")

    @property
    def category(self) -> Category:
        if self.is_token:
            return "token"
        if self.method in ("GET", "HEAD"):
            return "page" if self.page is not None and self.page >= 2 else "read"
        return "write"


@dataclass(frozen=True)
class Decision:
    """What the proxy does with one request."""

    fault: str
    action: Action
    status: int = 0  # the answer's status (answer, lose); 0 for drop and delay
    code: str = ""  # the ErrorResponse code
    message: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0


@dataclass
class _Slot:
    fault: str
    skip: int  # eligible attempts to let through before this fault fires


@dataclass
class FaultSchedule:
    """The faults of one pass, placed by ``seed``. Thread-safe: requests arrive on many connections."""

    faults: tuple[str, ...]
    seed: int
    retry_after: int = RETRY_AFTER_SECONDS
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _queues: dict[str, list[_Slot]] = field(default_factory=dict, repr=False)
    _per_operation: dict[str, int] = field(default_factory=dict, repr=False)
    _repeats: dict[str, tuple[str, int]] = field(default_factory=dict, repr=False)
    _issued: list[str] = field(default_factory=list, repr=False)
    _revoked: set[str] = field(default_factory=set, repr=False)
    _api_requests: int = 0
    _revoke_after: int | None = None
    _latency_from: int | None = None
    _latency_left: int = 0
    _tokens_issued: int = 0
    _outage_path: str | None = None
    _outage_skip: int = 0
    _lost_statuses: list[int] = field(default_factory=list, repr=False)
    fired: list[tuple[str, str]] = field(default_factory=list)  # (fault, operation key), in order

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        by_category: dict[str, list[str]] = {}
        for name in self.faults:
            fault = FAULTS[name]
            if fault.category in ("token", "read", "page", "write") and name not in ("token-refused", "outage"):
                by_category.setdefault(fault.category, []).append(name)
        for category, names in sorted(by_category.items()):
            rng.shuffle(names)
            slots = []
            for index, name in enumerate(names):
                # Reads are plentiful: start a little way in and leave gaps; tokens and writes are few.
                skip = rng.randint(0, 2) if category == "read" and index == 0 else 0
                if category == "read" and index > 0:
                    skip = rng.randint(0, 1)
                slots.append(_Slot(name, skip))
            self._queues[category] = slots
        if "token-revoked" in self.faults:
            self._revoke_after = rng.randint(4, 8)
        if "latency" in self.faults:
            self._latency_from = rng.randint(2, 6)
        if "outage" in self.faults:
            self._outage_skip = rng.randint(1, 2)  # the second or third list path read
        self._lost_statuses = [rng.choice((502, 504)) for _ in range(8)]

    # ------------------------------------------------------------------------------------------

    def token_issued(self, token: str) -> None:
        """A token answer issued ``token`` (a fingerprint); a revocation refuses it from then on."""
        with self._lock:
            self._issued.append(token)
            self._tokens_issued += 1

    def decide(self, request: Request) -> Decision | None:
        with self._lock:
            return self._decide(request)

    def _decide(self, request: Request) -> Decision | None:
        key = request.operation_key
        category = request.category
        if category == "token":
            return self._token(request)
        self._api_requests += 1
        # The access token revoked mid-run: every token issued so far is refused from now on.
        if (
            self._revoke_after is not None
            and self._api_requests >= self._revoke_after
            and request.token is not None
            and self._per_operation.get(key, 0) < MAX_FAULTS_PER_OPERATION
        ):
            self._revoked.update(self._issued)
            self._revoke_after = None
        if request.token is not None and request.token in self._revoked:
            return self._fire(
                "token-revoked",
                key,
                Decision(
                    "token-revoked",
                    "answer",
                    401,
                    "invalid_token",
                    "the access token is not valid",
                    (("WWW-Authenticate", 'Bearer error="invalid_token"'),),
                ),
                count=False,
            )
        if key in self._repeats:
            name, left = self._repeats[key]
            if left <= 1:
                del self._repeats[key]
            else:
                self._repeats[key] = (name, left - 1)
            return self._fire(name, key, self._answer_for(name))
        if "outage" in self.faults and category in ("read", "page"):
            decision = self._outage(request)
            if decision is not None:
                return decision
        if self._per_operation.get(key, 0) < MAX_FAULTS_PER_OPERATION:
            for queue_name in (category, "read") if category == "page" else (category,):
                slots = self._queues.get(queue_name)
                if not slots:
                    continue
                slot = slots[0]
                if slot.skip > 0:
                    slot.skip -= 1
                    break
                slots.pop(0)
                if slot.fault == "503-read":
                    self._repeats[key] = (slot.fault, READ_REPEATS - 1)
                return self._fire(slot.fault, key, self._answer_for(slot.fault))
        if self._latency_from is not None and self._api_requests >= self._latency_from:
            self._latency_from = None
            self._latency_left = LATENCY_REQUESTS
        if self._latency_left > 0:
            self._latency_left -= 1
            self.fired.append(("latency", key))
            return Decision("latency", "delay", delay=LATENCY_SECONDS)
        return None

    def _token(self, request: Request) -> Decision | None:
        key = request.operation_key
        if "token-refused" in self.faults and self._tokens_issued >= 1:
            return self._fire(
                "token-refused",
                key,
                Decision("token-refused", "answer", 401, "invalid_client", "client authentication failed"),
                count=False,
            )
        slots = self._queues.get("token")
        if slots and self._per_operation.get(key, 0) < MAX_FAULTS_PER_OPERATION:
            slot = slots.pop(0)
            return self._fire(slot.fault, key, self._answer_for(slot.fault))
        return None

    def _outage(self, request: Request) -> Decision | None:
        if self._outage_path is None:
            if self._outage_skip > 0:
                self._outage_skip -= 1
                return None
            self._outage_path = request.path
        if request.path != self._outage_path:
            return None
        decision = Decision("outage", "answer", 503, "service_unavailable", "the service is unavailable; try again")
        return self._fire("outage", request.operation_key, decision, count=False)

    def _answer_for(self, name: str) -> Decision:
        retry_after = (("Retry-After", str(self.retry_after)),)
        if name.startswith("429-"):
            return Decision(name, "answer", 429, "rate_limited", "too many requests; try again shortly", retry_after)
        if name.startswith("503-"):
            return Decision(name, "answer", 503, "service_unavailable", "the service is briefly unavailable; try again")
        if name == "answer-lost":
            status = self._lost_statuses.pop(0) if self._lost_statuses else 502
            code = "bad_gateway" if status == 502 else "gateway_timeout"
            return Decision(name, "lose", status, code, "the gateway lost the answer")
        if name == "connection-dropped":
            return Decision(name, "drop", 502, "bad_gateway", "the gateway lost the answer")
        raise AssertionError(f"no answer for fault {name}")  # pragma: no cover - every fault is listed above

    def _fire(self, name: str, key: str, decision: Decision, *, count: bool = True) -> Decision:
        if count:
            self._per_operation[key] = self._per_operation.get(key, 0) + 1
        self.fired.append((name, key))
        return decision

    # ------------------------------------------------------------------------------------------

    def fired_names(self) -> list[str]:
        with self._lock:
            return list(dict.fromkeys(name for name, _ in self.fired))

    def not_fired(self) -> list[str]:
        fired = set(self.fired_names())
        return [name for name in self.faults if name not in fired]
