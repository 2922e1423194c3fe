"""What the judge reads (``PassEvidence``), what a rule is (``Rule``), and what it answers (``Judgement``).

A rule is a named, documented object: its id, the criterion it evidences, the passes it applies to,
what it judges and with which threshold, why (with its source in the research note,
``docs/integration.md`` lists them), and a ``check`` that reads one pass's evidence and answers a
``Judgement``: holds (True), does not hold (False), or nothing to judge it on (None, with the reason).
Rules judge conduct seen in the traffic and the state, never one way of coding it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl

from ottimate_validation.run.ledger import Exchange
from ottimate_validation.run.plan import LoadedPlan

from .command import CommandOutcome
from .state import Snapshot

CLEAN, FAULT, REPEAT = "clean", "fault", "repeat"
PASSES: tuple[str, ...] = (CLEAN, FAULT, REPEAT)
ALL_PASSES = frozenset(PASSES)

AUTHENTICATION = "Authentication"
CORE = "Core Functionality"
ERRORS = "Error Handling"
INTEGRITY = "Data Integrity"
STABILITY = "Integration Stability"

MAX_CITED = 10  # exchanges a finding cites (the first ones); the finding says how many there were


@dataclass(frozen=True)
class Limits:
    """The documented limits the target enforces and the rules judge against (CONTRACT §4)."""

    rate_per_second: float = 1000.0
    burst: int = 2000
    daily_quota: int = 10_000
    quota_share: float = 0.25  # of the daily quota one pass may use


@dataclass(frozen=True)
class Judgement:
    holds: bool | None
    finding: str
    exchanges: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None  # the judge could not decide for a reason of its own (a harness problem)


def holds(finding: str, exchanges: Iterable[Exchange] = (), /, **details: Any) -> Judgement:
    return Judgement(True, finding, cite(exchanges), details)


def fails(finding: str, exchanges: Iterable[Exchange] = (), /, **details: Any) -> Judgement:
    return Judgement(False, finding, cite(exchanges), details)


def not_judged(reason: str, **details: Any) -> Judgement:
    return Judgement(None, reason, (), details)


def cite(exchanges: Iterable[Exchange]) -> tuple[str, ...]:
    ids: list[str] = []
    for exchange in exchanges:
        if exchange.id and exchange.id not in ids:
            ids.append(exchange.id)
            if len(ids) >= MAX_CITED:
                break
    return tuple(ids)


@dataclass
class PassEvidence:
    """Everything known about one pass: its exchanges, the command's outcome, the state around it."""

    name: str
    exchanges: Sequence[Exchange]  # the integration's, this pass, in the order they were sent
    command: CommandOutcome
    limits: Limits = field(default_factory=Limits)
    plan: LoadedPlan | None = None
    incremental: bool = False
    api_key: str | None = None  # fingerprint of the API key the integration was given
    before: Snapshot | None = None
    after: Snapshot | None = None
    reference: Snapshot | None = None  # the clean pass's resulting state (judging the fault pass)
    state_error: str | None = None
    faults: tuple[str, ...] = ()

    @cached_property
    def token_requests(self) -> list[Exchange]:
        return [x for x in self.exchanges if is_token_request(x)]

    @cached_property
    def api(self) -> list[Exchange]:
        """Exchanges with the API proper (not the token endpoint)."""
        return [x for x in self.exchanges if not is_token_request(x)]


CheckFn = Callable[[PassEvidence], Judgement]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str  # the rule as a sentence that is true when it holds
    criterion: str
    passes: frozenset[str]
    judges: str  # what it reads, in a phrase
    threshold: str  # when it does not hold, and why that figure
    sources: str  # research note rule ids and their sources
    check: CheckFn

    def applies_to(self, lane: str) -> bool:
        return lane in self.passes


def rule(
    *,
    id: str,
    title: str,
    criterion: str,
    judges: str,
    threshold: str,
    sources: str,
    passes: Iterable[str] = PASSES,
) -> Callable[[CheckFn], Rule]:
    def make(check: CheckFn) -> Rule:
        return Rule(id, title, criterion, frozenset(passes), judges, threshold, sources, check)

    return make


# ---------------------------------------------------------------------------------------------
# What rules share about exchanges


def is_token_request(x: Exchange) -> bool:
    return x.path.rstrip("/").endswith("/oauth/token")


def answered_at(x: Exchange) -> float:
    """When the answer left the proxy (or the attempt ended without one)."""
    return x.at + (x.ms or 0.0) / 1000.0


def failed_transiently(x: Exchange) -> bool:
    """A 5xx, or no answer at all: the request may or may not have been processed."""
    return x.status is None or 500 <= x.status <= 599


def operation_key(x: Exchange) -> str:
    """One logical request: its attempts (retries) share this key."""
    if is_token_request(x):
        return "token"
    if x.idempotency_key:
        return f"{x.method} {x.path} key={x.idempotency_key}"
    return f"{x.method} {x.path}?{x.query} body={x.body_sha}"


def query_pairs(x: Exchange) -> list[tuple[str, str]]:
    return parse_qsl(x.query, keep_blank_values=True) if x.query else []


def header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.0f} s"


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def listed(items: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


@dataclass
class PassRecord:
    """What the runner knows about one pass once it is over (the judge's input besides the ledger)."""

    name: str
    target: str  # which sandbox, said for a reader
    api_url: str  # what the integration was given
    command: CommandOutcome
    faults: tuple[str, ...] = ()  # scheduled
    fired: tuple[str, ...] = ()
    not_fired: tuple[str, ...] = ()
    seed: int | None = None
    started_at: float = 0.0
    ended_at: float = 0.0
    before: Snapshot | None = None
    after: Snapshot | None = None
    state_error: str | None = None
    requests: int = 0  # the integration's, recorded in this pass
