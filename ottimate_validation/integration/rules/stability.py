"""Integration stability: the load the integration puts on the API, and how it reads lists."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from ottimate_validation.run.ledger import Exchange

from ..model import (
    REPEAT,
    STABILITY,
    Judgement,
    PassEvidence,
    fails,
    holds,
    listed,
    not_judged,
    plural,
    query_pairs,
    rule,
)

# Faults forwarded to the API (they reached it); the others were answered by the proxy alone.
_FORWARDED_FAULTS = frozenset({"answer-lost", "connection-dropped", "latency"})
# CONTRACT §6.2, §9, §12.2, §14, §15, §16: the lists that take a date filter, and its parameters.
DATE_FILTERS: dict[str, tuple[str, ...]] = {
    "GET /vendors": ("last_modified_date_from", "last_modified_date_to"),
    "GET /invoices": ("date_from", "date_to", "last_modified_date_from", "last_modified_date_to"),
    "GET /purchase-orders": ("date_from", "date_to"),
    "GET /receipts": ("date_from", "date_to"),
    "GET /batch": ("date_from", "date_to"),
    "GET /catalog/variance-batches": ("exported_after", "exported_before"),
}


@rule(
    id="stability.within-rate-limits",
    title="The integration stays within the documented rate and burst",
    criterion=STABILITY,
    judges=(
        "the start of every request against the documented token bucket (rate per second, burst), and any 429 "
        "the target itself sent"
    ),
    threshold="any request the bucket would refuse, or any 429 of the target's own (CONTRACT §4: 1,000/s, burst 2,000)",
    sources="RATE-1, RATE-3; CONTRACT §4; HubSpot certification ('100 calls per 10 seconds'; <= 5% limit errors)",
)
def within_rate_limits(ev: PassEvidence) -> Judgement:
    if not ev.exchanges:
        return not_judged("The integration sent no request in this pass.")
    rate, burst = ev.limits.rate_per_second, float(ev.limits.burst)
    tokens, last = burst, ev.exchanges[0].at
    over: list[Exchange] = []
    for x in ev.exchanges:
        tokens = min(burst, tokens + (x.at - last) * rate)
        last = x.at
        if tokens < 1.0:
            over.append(x)
        else:
            tokens -= 1.0
    refused = [x for x in ev.exchanges if x.status == 429 and x.fault is None]
    peak = _peak_per_second(ev.exchanges)
    limits = f"{ev.limits.rate_per_second:,.0f} requests/s, burst {ev.limits.burst:,}"
    if not over and not refused:
        return holds(
            f"{plural(len(ev.exchanges), 'request')}, at most {peak:,} in any second: within {limits}.", peak=peak
        )
    parts = []
    if over:
        parts.append(f"{plural(len(over), 'request')} beyond {limits} (first: {over[0].id})")
    if refused:
        parts.append(f"{plural(len(refused), 'request')} refused by the target's own rate limit (429)")
    return fails("; ".join(parts) + f"; at most {peak:,} requests in one second.", [*refused, *over], peak=peak)


def _peak_per_second(exchanges: Sequence[Exchange]) -> int:
    window: deque[float] = deque()
    peak = 0
    for x in exchanges:
        window.append(x.at)
        while window[0] <= x.at - 1.0:
            window.popleft()
        peak = max(peak, len(window))
    return peak


@rule(
    id="stability.quota-share",
    title="One run uses a modest share of the daily quota",
    criterion=STABILITY,
    judges="the requests that reached the API in the pass, against the API key's daily quota",
    threshold=(
        "more than a quarter of the daily quota (2,500 of 10,000): the same job must fit four times a day, "
        "with the day's other work and a re-run after a failure"
    ),
    sources="RATE-5; CONTRACT §4 (10,000 a day per API key); Xero 5,000/day; the project's own runs stay under 1,000",
)
def quota_share(ev: PassEvidence) -> Judgement:
    reached = [x for x in ev.exchanges if x.fault is None or x.fault in _FORWARDED_FAULTS]
    if not ev.exchanges:
        return not_judged("The integration sent no request in this pass.")
    quota = ev.limits.daily_quota
    share = len(reached) / quota
    text = (
        f"{plural(len(reached), 'request')} reached the API in this pass: {share:.1%} of the daily quota of "
        f"{quota:,} (at most {ev.limits.quota_share:.0%})"
    )
    figures = {"requests": len(reached), "sent": len(ev.exchanges), "share": round(share, 4)}
    if share <= ev.limits.quota_share:
        return holds(text + ".", **figures)
    return fails(text + "; read incrementally, write in bulk and cache what does not change.", **figures)


@dataclass
class _Traversal:
    key: str
    reads: list[Exchange] = field(default_factory=list)
    pages: dict[int, int] = field(default_factory=dict)  # page -> times read
    count: int = 0
    limit: int | None = None


@rule(
    id="stability.pages-walked",
    title="Paginated lists are read to the end, no page skipped or read twice",
    criterion=STABILITY,
    judges=(
        "every list read (same path and filters, any page): the pages read against the last page the answers' "
        "count and page size give"
    ),
    threshold="any page skipped, or read twice in one walk; a list silently cut at its first page loses records",
    sources="SYNC-1; Xero certification checkpoint 10 (paging); CONTRACT §6.1 (count = total matches)",
)
def pages_walked(ev: PassEvidence) -> Judgement:
    traversals = _traversals(ev.exchanges)
    if not traversals:
        return not_judged("The integration read no paginated list in this pass.")
    problems: list[str] = []
    cited: list[Exchange] = []
    multi = 0
    for walk in traversals:
        limit = walk.limit or 0
        last = max(1, math.ceil(walk.count / limit)) if limit else 1
        if last > 1:
            multi += 1
        skipped = [p for p in range(1, last + 1) if p not in walk.pages]
        twice = sorted(p for p, n in walk.pages.items() if n > 1)
        name = walk.key
        if skipped:
            problems.append(f"{name}: page {listed([str(p) for p in skipped], 3)} of {last} never read")
            cited += walk.reads
        if twice:
            problems.append(f"{name}: page {listed([str(p) for p in twice], 3)} read twice")
            cited += walk.reads
    if not problems:
        return holds(
            f"{plural(len(traversals), 'list')} read to the end ({multi} of them over several pages), no page "
            "skipped or read twice.",
            lists=len(traversals),
        )
    return fails(f"{'; '.join(problems[:4])}.", cited, lists=len(traversals), problems=len(problems))


def _traversals(exchanges: Sequence[Exchange]) -> list[_Traversal]:
    current: dict[str, _Traversal] = {}
    done: list[_Traversal] = []
    for x in exchanges:
        if x.method != "GET" or x.status is None or not 200 <= x.status < 300 or "count" not in x.facts:
            continue
        pairs = query_pairs(x)
        page = next((int(v) for k, v in pairs if k == "page" and v.isdigit()), None) or int(x.facts.get("page") or 1)
        page = max(page, 1)
        rest = sorted((k, v) for k, v in pairs if k != "page")
        key = f"GET {x.path}" + ("?" + "&".join(f"{k}={v}" for k, v in rest) if rest else "")
        walk = current.get(key)
        if walk is None or (page == 1 and 1 in walk.pages):
            walk = current[key] = _Traversal(key)
            done.append(walk)
        walk.reads.append(x)
        walk.pages[page] = walk.pages.get(page, 0) + 1
        walk.count = int(x.facts["count"])
        asked = next((int(v) for k, v in pairs if k == "limit" and v.isdigit()), None)
        limit = x.facts.get("limit") or asked
        items = int(x.facts.get("items") or 0)
        if not limit and page == 1 and items:
            limit = items  # an envelope without its page size: page 1 shows it
        if limit:
            walk.limit = int(limit)
    return done


@rule(
    id="stability.incremental-sync",
    title="Running again, lists are read with their date filters, not in full",
    criterion=STABILITY,
    judges="on the repeat pass, every read of a list that takes a date filter (vendors, invoices, POs, receipts, ...)",
    threshold=(
        "any such list read without one, where the plan says the integration syncs incrementally; otherwise "
        "reported only"
    ),
    sources="SYNC-2; Xero certification checkpoint 9 ('modified after'); Intuit CDC; CONTRACT §6.2",
    passes=(REPEAT,),
)
def incremental_sync(ev: PassEvidence) -> Judgement:
    reads = [x for x in ev.api if x.method == "GET" and x.operation in DATE_FILTERS and x.status is not None]
    if not reads:
        return not_judged("The integration read no list that takes a date filter on the repeat pass.")
    unfiltered = [
        x
        for x in reads
        if not any(k.removesuffix("_utc") in DATE_FILTERS[x.operation or ""] for k, _ in query_pairs(x))
    ]
    filtered = len(reads) - len(unfiltered)
    text = f"{filtered} of {plural(len(reads), 'list read')} on the repeat pass used a date filter"
    if not ev.incremental:
        return not_judged(
            f"Reported only: {text} (the plan does not say the integration syncs incrementally).",
            filtered=filtered,
            reads=len(reads),
        )
    if not unfiltered:
        return holds(text + ".", filtered=filtered, reads=len(reads))
    names = sorted({x.operation or x.path for x in unfiltered})
    return fails(
        f"{text}: {listed(names)} read in full ({unfiltered[0].id}); read what changed since the last run.",
        unfiltered,
        filtered=filtered,
        reads=len(reads),
    )


RULES = (within_rate_limits, quota_share, pages_walked, incremental_sync)
