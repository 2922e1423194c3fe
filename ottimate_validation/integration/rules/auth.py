"""Authentication: how the integration gets, keeps, renews and guards its credentials."""

from __future__ import annotations

from bisect import bisect_right

from ottimate_validation.run.ledger import Exchange

from .. import credentials
from ..model import (
    AUTHENTICATION,
    Judgement,
    PassEvidence,
    answered_at,
    fails,
    holds,
    listed,
    not_judged,
    operation_key,
    plural,
    rule,
)

TOKEN_PATHS = ("/oauth/token", "/v1/oauth/token")  # CONTRACT §1, §19 #1: both are documented
FORM = "application/x-www-form-urlencoded"
RENEW_MARGIN_SECONDS = 60.0
RENEW_MARGIN_SHARE = 0.10
DEFAULT_LIFETIME = 3600.0  # when a token answer gave none (CONTRACT §2.1 example)
STALE_TOKEN_GRACE = 0.25  # a request another worker had built with the old token before the renewal
MAX_REFUSED_TOKEN_REQUESTS = 3
KEY_CODES = frozenset({"missing_api_key", "invalid_api_key"})  # a 401 about the key, not the token


@rule(
    id="auth.client-credentials",
    title="Tokens come from the client-credentials grant, form-encoded, at the token URL",
    criterion=AUTHENTICATION,
    judges="every token request: method, path, content type, grant_type and client fields",
    threshold="any token request otherwise made; the grant and its form encoding are the documented ones",
    sources="AUTH-6; RFC 6749 §4.4 and §2.3.1; CONTRACT §2.1 (every example is form-encoded)",
)
def client_credentials(ev: PassEvidence) -> Judgement:
    requests = ev.token_requests
    if not requests:
        return not_judged("The integration requested no token in this pass.")
    wrong: list[tuple[Exchange, list[str]]] = []
    for x in requests:
        problems = []
        if x.method != "POST":
            problems.append(f"sent with {x.method}")
        if x.path.rstrip("/") not in TOKEN_PATHS:
            problems.append(f"sent to {x.path} instead of /oauth/token")
        if x.request_type != FORM:
            problems.append(f"{x.request_type or 'no content type'} instead of {FORM}")
        body = x.request_body if isinstance(x.request_body, dict) else {}
        grant = body.get("grant_type")
        if grant != "client_credentials":
            problems.append(f"grant_type {grant!r}" if grant else "no grant_type")
        missing = [name for name in ("client_id", "client_secret") if name not in body]
        if missing and x.request_type == FORM:
            problems.append(f"no {' or '.join(missing)} in the form")
        if problems:
            wrong.append((x, problems))
    if not wrong:
        return holds(
            f"All {plural(len(requests), 'token request')} used the client-credentials grant, form-encoded, "
            "at /oauth/token.",
            token_requests=len(requests),
        )
    first, problems = wrong[0]
    return fails(
        f"{len(wrong)} of {plural(len(requests), 'token request')} did not use the documented grant: "
        f"{'; '.join(problems)} ({first.id}).",
        (x for x, _ in wrong),
        token_requests=len(requests),
        wrong=len(wrong),
    )


@rule(
    id="auth.token-reused",
    title="One token is reused until it nears expiry, and shared by concurrent workers",
    criterion=AUTHENTICATION,
    judges="every token issued: whether a usable token was at hand (or already being fetched) when it was asked for",
    threshold=(
        "any token asked for while another was usable: not refused, and more than "
        f"max({RENEW_MARGIN_SECONDS:g} s, {RENEW_MARGIN_SHARE:.0%} of its lifetime) from expiry, or while another "
        "request for one was on its way"
    ),
    sources="AUTH-1, AUTH-2; RFC 6749 §5.1 (expires_in); Intuit 'not for every API call'; Auth0 'store and reuse'",
)
def token_reused(ev: PassEvidence) -> Judgement:
    issued = [x for x in ev.token_requests if x.issued_token]
    if not issued:
        return not_judged("No token was issued in this pass.")
    refused = _first_refusals(ev)
    by_answer = sorted(issued, key=answered_at)
    unjustified: list[Exchange] = []
    latest_answered: Exchange | None = None
    answered_index = 0
    latest_answer_seen = 0.0
    for request in issued:  # in the order they were sent
        sent = request.at
        while answered_index < len(by_answer) and answered_at(by_answer[answered_index]) <= sent:
            latest_answered = by_answer[answered_index]
            answered_index += 1
        usable = (
            latest_answered is not None
            and latest_answered is not request
            and not _refused_before(refused, latest_answered.issued_token, sent)
            and not _near_expiry(latest_answered, sent)
        )
        in_flight = latest_answer_seen > sent  # an earlier request for a token had not been answered yet
        if usable or in_flight:
            unjustified.append(request)
        latest_answer_seen = max(latest_answer_seen, answered_at(request))
    if not unjustified:
        return holds(
            f"{plural(len(issued), 'token')} issued; each one was needed (the first, or after the previous one "
            "was refused or neared its expiry).",
            tokens=len(issued),
        )
    return fails(
        f"The integration got {plural(len(issued), 'token')} where {len(issued) - len(unjustified)} would have done: "
        f"{len(unjustified)} were asked for while a usable token was at hand or already being fetched "
        f"(first: {unjustified[0].id}). Cache the token, share it between workers, renew it near expiry or "
        "after a 401.",
        unjustified,
        tokens=len(issued),
        unneeded=len(unjustified),
    )


def _first_refusals(ev: PassEvidence) -> dict[str, float]:
    """Token fingerprint -> when the first answer refusing it (401) left."""
    refused: dict[str, float] = {}
    for x in ev.api:
        if x.status == 401 and x.token and x.facts.get("code") not in KEY_CODES:
            refused.setdefault(x.token, answered_at(x))
    return refused


def _refused_before(refused: dict[str, float], token: str | None, moment: float) -> bool:
    return token is not None and token in refused and refused[token] <= moment


def _near_expiry(issuing: Exchange, moment: float) -> bool:
    lifetime = float(issuing.facts.get("expires_in") or DEFAULT_LIFETIME)
    margin = max(RENEW_MARGIN_SECONDS, RENEW_MARGIN_SHARE * lifetime)
    return moment >= answered_at(issuing) + lifetime - margin


@rule(
    id="auth.renew-once-after-401",
    title="After a 401 the integration gets one new token and retries once; it stops when refused for good",
    criterion=AUTHENTICATION,
    judges=(
        "requests after each 401 on a token: the refused token sent again for the same call or after renewal, "
        "calls refused more than twice, token requests refused in a row"
    ),
    threshold=(
        "a refused token re-sent (the same call, or any call once a new token was issued), a call refused 3 "
        f"times, or more than {MAX_REFUSED_TOKEN_REQUESTS} refused token requests"
    ),
    sources=(
        "AUTH-4, AUTH-5; RFC 6750 §3.1 (MAY request a new token and retry); MongoDB OIDC 'retry once'; "
        "HubSpot 'stop making requests'"
    ),
)
def renew_once_after_401(ev: PassEvidence) -> Judgement:
    refusals = [x for x in ev.api if x.status == 401 and x.token and x.facts.get("code") not in KEY_CODES]
    refused_tokens = [x for x in ev.token_requests if x.status in (400, 401)]
    if not refusals and not refused_tokens:
        return not_judged("No call and no token request was refused with a 401 in this pass.")
    problems: list[str] = []
    cited: list[Exchange] = []
    # When each token was first refused, the calls refused with it, and when the next token arrived.
    first_refusal: dict[str, float] = {}
    for x in refusals:
        if x.token is not None:
            first_refusal.setdefault(x.token, answered_at(x))
    issued_at = sorted(answered_at(t) for t in ev.token_requests if t.issued_token)
    renewed: dict[str, float] = {}
    for token, moment in first_refusal.items():
        index = bisect_right(issued_at, moment)
        if index < len(issued_at):
            renewed[token] = issued_at[index]
    refusal_ids = {x.id for x in refusals}
    refused_calls: dict[str, set[str]] = {}
    stale: list[Exchange] = []
    for x in ev.api:  # in the order sent
        if x.token is None or x.token not in first_refusal:
            continue
        token = x.token
        key = operation_key(x)
        if x.at > first_refusal[token]:  # sent once the token was known to be refused
            same_call = key in refused_calls.get(token, ())
            after_renewal = token in renewed and x.at > renewed[token] + STALE_TOKEN_GRACE
            if same_call or after_renewal:
                stale.append(x)
        if x.id in refusal_ids:
            refused_calls.setdefault(token, set()).add(key)
    if stale:
        problems.append(
            f"{plural(len(stale), 'request')} sent again with a token already refused "
            f"(first: {stale[0].id}, {stale[0].method} {stale[0].path})"
        )
        cited += stale
    per_call: dict[str, list[Exchange]] = {}
    for x in refusals:
        per_call.setdefault(operation_key(x), []).append(x)
    looping = [xs for xs in per_call.values() if len(xs) > 2]
    if looping:
        worst = max(looping, key=len)
        problems.append(
            f"{plural(len(looping), 'call')} refused more than twice (a renewal and one retry are enough; "
            f"{worst[0].method} {worst[0].path} was refused {len(worst)} times)"
        )
        cited += worst
    if len(refused_tokens) > MAX_REFUSED_TOKEN_REQUESTS:
        problems.append(
            f"{len(refused_tokens)} token requests refused: after {MAX_REFUSED_TOKEN_REQUESTS} refusals the "
            "credentials are revoked for good and the integration should stop and say so"
        )
        cited += refused_tokens[MAX_REFUSED_TOKEN_REQUESTS:]
    summary = f"{plural(len(refusals), 'call')} refused with 401 on {plural(len(first_refusal), 'token')}" + (
        f", {plural(len(refused_tokens), 'token request')} refused" if refused_tokens else ""
    )
    if not problems:
        return holds(
            f"{summary}; each time the integration renewed its token and retried once.",
            refusals,
            refusals=len(refusals),
        )
    return fails(f"{summary}: {'; '.join(problems)}.", cited, refusals=len(refusals))


@rule(
    id="auth.credentials-on-every-call",
    title="The API key and the bearer token go with every call",
    criterion=AUTHENTICATION,
    judges="every request: X-Api-Key (the one given) on all, a bearer token on all but the token request",
    threshold="any request without them; both are required on every call (CONTRACT §2)",
    sources="CONTRACT §2, §2.1; RFC 6750 §2.1",
)
def credentials_on_every_call(ev: PassEvidence) -> Judgement:
    if not ev.exchanges:
        return not_judged("The integration sent no request in this pass.")
    missing_key = [x for x in ev.exchanges if not x.api_key]
    wrong_key = [x for x in ev.exchanges if x.api_key and ev.api_key and x.api_key != ev.api_key]
    no_token = [x for x in ev.api if not x.token]
    if not (missing_key or wrong_key or no_token):
        return holds(
            f"All {plural(len(ev.exchanges), 'request')} carried the API key, and every call a bearer token.",
            requests=len(ev.exchanges),
        )
    parts = []
    if missing_key:
        parts.append(f"{plural(len(missing_key), 'request')} without X-Api-Key (first: {missing_key[0].id})")
    if wrong_key:
        parts.append(f"{plural(len(wrong_key), 'request')} with another API key than the one given")
    if no_token:
        parts.append(f"{plural(len(no_token), 'call')} without a bearer token (first: {no_token[0].id})")
    return fails("; ".join(parts) + ".", [*missing_key, *wrong_key, *no_token], requests=len(ev.exchanges))


@rule(
    id="auth.no-credential-in-url",
    title="No credential travels in a URL or query string",
    criterion=AUTHENTICATION,
    judges="every request's path and query, against the API key, the client secret and every token issued",
    threshold="any occurrence; URLs end up in logs, proxies and browser history",
    sources="RFC 6750 §2.3 and §5.3 (SHOULD NOT pass bearer tokens in page URLs); OWASP API security",
)
def no_credential_in_url(ev: PassEvidence) -> Judgement:
    if not ev.exchanges:
        return not_judged("The integration sent no request in this pass.")
    leaking = [x for x in ev.exchanges if x.secrets_in_url or "%5Bredacted%5D" in x.query or "[redacted]" in x.query]
    if not leaking:
        return holds(f"None of the {plural(len(ev.exchanges), 'request')} carried a credential in its URL.")
    first = leaking[0]
    return fails(
        f"{plural(len(leaking), 'request')} carried a credential in the URL (first: {first.id}, "
        f"{first.method} {first.path}); send it in the X-Api-Key and Authorization headers only.",
        leaking,
    )


@rule(
    id="auth.no-secret-in-output",
    title="The command never prints an access token, the API key or the client secret",
    criterion=AUTHENTICATION,
    judges="every byte of the command's stdout and stderr, as it is written",
    threshold="any occurrence; CI logs are kept and shared",
    sources="OWASP Logging Cheat Sheet (never log secrets); the project's own rule for its report",
)
def no_secret_in_output(ev: PassEvidence) -> Judgement:
    command = ev.command
    if not command.started:
        return not_judged("The command did not start, so it printed nothing.")
    seen = command.secrets_seen
    written = command.stdout.total_bytes + command.stderr.total_bytes
    if not seen:
        return holds(f"No credential in the command's output ({written:,} bytes searched).")
    kinds = sorted({s.kind for s in seen})
    where = [f"{s.stream} line {s.line}" if s.line else f"{s.stream} byte {s.offset:,}" for s in seen]
    token_note = (
        " (tokens are secrets too: log a fingerprint, never the value)" if credentials.ACCESS_TOKEN in kinds else ""
    )
    return fails(
        f"The command printed {listed(kinds)}{token_note}: at {listed(where)}.",
        (),
        occurrences=len(seen),
    )


RULES = (
    client_credentials,
    token_reused,
    renew_once_after_401,
    credentials_on_every_call,
    no_credential_in_url,
    no_secret_in_output,
)
