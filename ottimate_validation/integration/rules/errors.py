"""Error handling: what the integration does after a 429, a 5xx, a lost answer, a 4xx; whether it ends well."""

from __future__ import annotations

import email.utils
import itertools
from bisect import bisect_left, bisect_right

from ottimate_validation.run.ledger import Exchange

from ..model import (
    ERRORS,
    Judgement,
    PassEvidence,
    answered_at,
    failed_transiently,
    fails,
    header,
    holds,
    is_token_request,
    not_judged,
    operation_key,
    plural,
    rule,
    seconds,
)

RETRY_AFTER_TOLERANCE = 0.1  # RETRY-2: clocks and scheduling; a retry 100 ms early still honoured it
# A request another worker had already decided to send when the 429 reached the client: it arrives
# at the proxy after the 429 left it. On a loaded 2-core machine that lag reaches 0.2 s; the call that
# was throttled gets no grace at all.
CONCURRENT_GRACE = 0.25
MAX_ATTEMPTS = 5
IMMEDIATE = 0.05  # two retries within this, together: at once (full jitter from 0.2 s does it 1.6 % of the time)
NOT_RESENT_EXEMPT = frozenset({401, 409, 429})
MAX_SCANNED = 1000  # requests looked at after one 429 (a flood sends thousands; a thousand prove it)


@rule(
    id="errors.retry-after-honoured",
    title="After a 429 the next request waits at least Retry-After",
    criterion=ERRORS,
    judges=(
        "every 429 with Retry-After: requests of the same scope (the API, or the token endpoint) sent after the "
        "answer arrived and before the wait was over"
    ),
    threshold=(
        f"any such request, {RETRY_AFTER_TOLERANCE * 1000:.0f} ms tolerance (requests another worker had already "
        f"started within {CONCURRENT_GRACE * 1000:.0f} ms excepted); the limit is per API key, so every worker "
        "must wait"
    ),
    sources="RETRY-2; RFC 6585 §4, RFC 9110 §10.2.3; Xero and Microsoft Graph throttling guidance",
)
def retry_after_honoured(ev: PassEvidence) -> Judgement:
    throttled = [x for x in ev.exchanges if x.status == 429]
    if not throttled:
        return not_judged("No request was answered 429 in this pass.")
    scopes: dict[bool, list[Exchange]] = {True: [], False: []}
    for x in ev.exchanges:
        scopes[is_token_request(x)].append(x)
    starts = {scope: [x.at for x in xs] for scope, xs in scopes.items()}
    early: dict[str, Exchange] = {}
    judged = 0
    for answer in throttled:
        wait = _retry_after(answer)
        if wait is None:
            continue
        judged += 1
        scope = is_token_request(answer)
        arrived = answered_at(answer)
        until = arrived + wait - RETRY_AFTER_TOLERANCE
        xs, times = scopes[scope], starts[scope]
        key = operation_key(answer)
        low = bisect_right(times, arrived)
        for index in range(low, min(bisect_left(times, until), low + MAX_SCANNED)):
            x = xs[index]
            if x.at > arrived + CONCURRENT_GRACE or operation_key(x) == key:
                early.setdefault(x.id, x)
    if not judged:
        return not_judged(f"{plural(len(throttled), '429 answer')} without a Retry-After to honour.")
    if not early:
        return holds(
            f"After each of {plural(judged, '429 answer')} the integration waited the Retry-After before its next "
            "request.",
            throttled,
        )
    first = next(iter(early.values()))
    return fails(
        f"{plural(len(early), 'request')} went out before the Retry-After of a 429 had passed (first: {first.id}, "
        f"{first.method} {first.path}); every worker must wait, since the limit is per API key.",
        [*throttled[:3], *early.values()],
        throttled=len(throttled),
        early=len(early),
    )


def _retry_after(x: Exchange) -> float | None:
    raw = header(x.response_headers, "Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    if raw.isdigit():
        return float(raw)
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    date = header(x.response_headers, "Date")
    try:
        now = email.utils.parsedate_to_datetime(date).timestamp() if date else answered_at(x)
    except (TypeError, ValueError):
        now = answered_at(x)
    return max(0.0, when.timestamp() - now)


@rule(
    id="errors.retries-back-off",
    title="5xx answers and lost answers are retried a bounded number of times, with growing delays",
    criterion=ERRORS,
    judges="each call that failed with a 5xx or no answer: its attempts in a row and the delays between them",
    threshold=(
        f"more than {MAX_ATTEMPTS} attempts in a row, two retries in a row within {IMMEDIATE * 1000:.0f} ms in all, "
        "or, over three retries or more, no later delay longer than the first (full jitter and fixed "
        "exponential delays both grow; a constant delay does not)"
    ),
    sources="RETRY-3, RETRY-4; AWS SDK (3 attempts, full jitter), gRPC A6 (at most 5), Google SRE (3)",
)
def retries_back_off(ev: PassEvidence) -> Judgement:
    calls: dict[str, list[Exchange]] = {}
    for x in ev.exchanges:
        calls.setdefault(operation_key(x), []).append(x)
    failing = {key: xs for key, xs in calls.items() if any(failed_transiently(x) for x in xs)}
    if not failing:
        return not_judged("No request failed with a 5xx or without an answer in this pass.")
    problems: list[tuple[str, list[Exchange]]] = []
    retried = 0
    for attempts in failing.values():
        for run in _failure_runs(attempts):
            # The delays chosen after a failure (after a 401 or 429 other rules judge the wait).
            gaps = [b.at - answered_at(a) for a, b in itertools.pairwise(run) if failed_transiently(a)]
            retried += len(gaps)
            name = f"{run[0].method} {run[0].path}"
            if len(run) > MAX_ATTEMPTS:
                problems.append((f"{name} was sent {len(run)} times in a row while it failed", run))
            elif any(g1 + g2 < IMMEDIATE for g1, g2 in itertools.pairwise(gaps)):
                problems.append((f"{name} was retried at once twice in a row ({_gaps(gaps)})", run))
            elif len(gaps) >= 3 and max(gaps[1:]) <= gaps[0]:
                problems.append((f"the delays between the retries of {name} did not grow ({_gaps(gaps)})", run))
    failures = sum(1 for xs in failing.values() for x in xs if failed_transiently(x))
    if not problems:
        return holds(
            f"{plural(failures, 'failed attempt')} on {plural(len(failing), 'call')}; "
            f"{plural(retried, 'retry', 'retries')}, each bounded and backing off.",
            (x for xs in failing.values() for x in xs),
            failures=failures,
        )
    return fails(
        "; ".join(text for text, _ in problems[:3]) + ".",
        (x for _, run in problems for x in run),
        failures=failures,
        calls=len(problems),
    )


def _failure_runs(attempts: list[Exchange]) -> list[list[Exchange]]:
    """Attempts in a row that followed a failure: [failed, failed, ..., last]."""
    runs: list[list[Exchange]] = []
    current: list[Exchange] = []
    for x in attempts:
        if current:
            current.append(x)
            if not failed_transiently(x) and x.status not in (401, 429):
                runs.append(current)
                current = []
        elif failed_transiently(x):
            current = [x]
    if current:
        runs.append(current)
    return runs


def _gaps(gaps: list[float]) -> str:
    return ", ".join(f"{g * 1000:.0f} ms" if g < 1 else f"{g:.1f} s" for g in gaps)


@rule(
    id="errors.4xx-not-resent",
    title="A request refused with a 4xx (other than 401, 409, 429) is not sent again unchanged",
    criterion=ERRORS,
    judges="requests identical (method, path, query, body) to one answered 400, 403, 404, 405, 412, 413 or 422",
    threshold="any; the answer will not change until the request does",
    sources="RETRY-1; AWS ('4xx indicate you need to revise the request'); Stripe error handling",
)
def not_resent_after_4xx(ev: PassEvidence) -> Judgement:
    refused: dict[tuple[str, str, str, str | None], Exchange] = {}
    resent: list[tuple[Exchange, Exchange]] = []
    refusals = 0
    for x in ev.exchanges:
        key = (x.method, x.path, x.query, x.body_sha)
        if key in refused:
            resent.append((refused[key], x))
        if x.status is not None and 400 <= x.status < 500 and x.status not in NOT_RESENT_EXEMPT and x.fault is None:
            refusals += 1
            refused.setdefault(key, x)
    if not refusals:
        return not_judged("No request was refused with a 4xx other than 401, 409 or 429 in this pass.")
    if not resent:
        return holds(f"None of the {plural(refusals, 'request')} refused with a 4xx was sent again unchanged.")
    first, again = resent[0]
    return fails(
        f"{plural(len(resent), 'request')} sent again unchanged after a {first.status} "
        f"(first: {first.method} {first.path}, {first.id} then {again.id}); change the request or give up.",
        (x for pair in resent for x in pair),
        resent=len(resent),
    )


@rule(
    id="errors.post-retried-with-same-key",
    title="A POST is retried only with the Idempotency-Key of its first attempt",
    criterion=ERRORS,
    judges=(
        "each POST sent again with the same body after a 5xx or no answer (it may have been processed), and "
        "each Idempotency-Key used with two bodies"
    ),
    threshold=(
        "any retry without a key or with another key, and any key reused for another body; after a 401 or 429 "
        "(refused before processing) a fresh key is allowed"
    ),
    sources="RETRY-9, IDEM-1, IDEM-2; RFC 9110 §9.2.2; CONTRACT §5; Stripe idempotency",
)
def post_retried_with_same_key(ev: PassEvidence) -> Judgement:
    posts = [x for x in ev.api if x.method == "POST"]
    groups: dict[tuple[str, str | None], list[Exchange]] = {}
    bodies: dict[tuple[str, str], set[str | None]] = {}
    for x in posts:
        groups.setdefault((x.path, x.body_sha), []).append(x)
        if x.idempotency_key:
            bodies.setdefault((x.path, x.idempotency_key), set()).add(x.body_sha)
    bad: list[tuple[str, list[Exchange]]] = []
    retries = 0
    for attempts in groups.values():
        for earlier, later in itertools.pairwise(attempts):
            if not failed_transiently(earlier):
                continue
            retries += 1
            first_key = earlier.idempotency_key
            if not later.idempotency_key:
                bad.append(
                    (f"{later.method} {later.path} retried without an Idempotency-Key ({later.id})", [earlier, later])
                )
            elif later.idempotency_key != first_key:
                what = "a new key" if first_key else "a key its first attempt did not have"
                bad.append((f"{later.method} {later.path} retried with {what} ({later.id})", [earlier, later]))
    mixed = [(path, key) for (path, key), shas in bodies.items() if len(shas) > 1]
    for path, key in mixed:
        users = [x for x in posts if x.path == path and x.idempotency_key == key]
        bad.append((f"the Idempotency-Key of {users[0].id} was used again with another body ({users[-1].id})", users))
    if not retries and not mixed:
        return not_judged("No POST was sent again after a 5xx or a lost answer in this pass.")
    if not bad:
        return holds(
            f"{plural(retries, 'POST retry', 'POST retries')} after a failure that may have been processed; each "
            "reused the Idempotency-Key of its first attempt.",
            retries=retries,
        )
    return fails(
        "; ".join(text for text, _ in bad[:3])
        + ". A write that may have been processed must be retried with the same key, or it may be applied twice.",
        (x for _, xs in bad for x in xs),
        retries=retries,
        wrong=len(bad),
    )


@rule(
    id="errors.completes",
    title="The command completes (exit 0) despite the faults",
    criterion=ERRORS,
    judges="the command's exit code and whether it finished within the pass's time limit",
    threshold="any other exit code, a signal, or the time limit passing (a hung command is stopped)",
    sources="RETRY-7 (bounded total time); Filibuster (the job's own outcome under each fault)",
)
def completes(ev: PassEvidence) -> Judgement:
    command = ev.command
    last = _last_line(command.stderr.text()) or _last_line(command.stdout.text())
    said = f' Its last words: "{last}"' if last and not command.succeeded else ""
    if command.succeeded:
        return holds(f"The command exited 0 after {seconds(command.seconds)}.")
    return fails(f"{command.describe()[0].upper()}{command.describe()[1:]}.{said}", ev.exchanges[-3:])


def _last_line(text: str) -> str:
    for line in reversed(text.splitlines()):
        if line.strip():
            line = line.strip()
            return line if len(line) <= 200 else line[:199] + "…"
    return ""


RULES = (
    retry_after_honoured,
    retries_back_off,
    not_resent_after_4xx,
    post_retried_with_same_key,
    completes,
)
