"""A copy-pasteable ``curl`` reproducer of one request, with no credential in it.

Credentials become the shell variables the suites read (``$OTTIMATE_API_KEY``…), a bearer token comes
from a token call printed above the command, and every other header outside the allowlist reads
``[redacted]`` with a note. Pure: the caller decides where it goes.
"""

from __future__ import annotations

import json
import shlex
from urllib.parse import parse_qsl

import httpx

from ottimate_validation.report.redact import REDACTED, SAFE_HEADERS, SECRET_FIELDS, Secrets, redact_body, redact_url

MAX_CURL_BODY_CHARS = 100_000  # a reproducer needs the whole body
# Where a reproducer takes a redacted credential from: the same variables the suites read.
CREDENTIAL_VARIABLES = {
    "x-api-key": "OTTIMATE_API_KEY",
    "client_secret": "OTTIMATE_CLIENT_SECRET",
    "api_key": "OTTIMATE_API_KEY",
}
_SKIPPED_HEADERS = frozenset({"host", "content-length", "connection", "accept-encoding", "user-agent"})


def raw_headers(headers: httpx.Headers) -> list[tuple[str, str]]:
    """The headers as sent or received, names in their original case."""
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers.raw]


def request_bytes(request: httpx.Request) -> bytes:
    try:
        return request.content
    except httpx.RequestNotRead:
        return b""


def _token_command(token_url: str | None) -> list[str]:
    url = shlex.quote(token_url) if token_url else '"$OTTIMATE_AUTH_URL/oauth/token"'
    return [
        "# Credentials are never stored in this report. Set them in your shell first:",
        "#   export OTTIMATE_API_KEY=... OTTIMATE_CLIENT_ID=... OTTIMATE_CLIENT_SECRET=...",
        "# then get a token:",
        f'export OTTIMATE_ACCESS_TOKEN="$(curl -sS -X POST {url} -H "X-Api-Key: $OTTIMATE_API_KEY" \\',
        '  --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$OTTIMATE_CLIENT_ID" \\',
        '  --data-urlencode "client_secret=$OTTIMATE_CLIENT_SECRET" \\',
        "  --data-urlencode scope=accounts.can_access_dashboard \\",
        '  | python3 -c \'import json,sys; print(json.load(sys.stdin)["access_token"])\')"',
        "",
    ]


def curl_command(request: httpx.Request, *, token_url: str | None = None, secrets: Secrets | None = None) -> str:
    """A ``curl`` that sends ``request`` again, credentials replaced by shell variables."""
    notes: list[str] = []
    parts = [f"curl -sS -i -X {request.method} {shlex.quote(redact_url(str(request.url)))}"]
    needs_token = False
    for name, value in raw_headers(request.headers):
        lower = name.lower()
        if lower in _SKIPPED_HEADERS:
            continue
        if lower in SAFE_HEADERS:
            parts.append(f"-H {shlex.quote(f'{name}: {value}')}")
        elif lower == "authorization" and value.lower().startswith("bearer "):
            needs_token = True
            parts.append(f'-H "{name}: Bearer $OTTIMATE_ACCESS_TOKEN"')
        elif lower in CREDENTIAL_VARIABLES:
            parts.append(f'-H "{name}: ${CREDENTIAL_VARIABLES[lower]}"')
        else:
            notes.append(f"# The {name} header was redacted; put the value you mean to send in its place.")
            parts.append(f"-H {shlex.quote(f'{name}: {REDACTED}')}")
    if "idempotency-key" in request.headers:
        notes.append("# With the same Idempotency-Key the API replays its first answer; change it to send anew.")
    raw = request_bytes(request)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    heredoc: list[str] = []
    if raw and kind == "application/x-www-form-urlencoded":
        for key, value in parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True):
            variable = CREDENTIAL_VARIABLES.get(key.lower())
            if variable:
                parts.append(f'--data-urlencode "{key}=${variable}"')
            elif key.lower() in SECRET_FIELDS:
                parts.append(f"--data-urlencode {shlex.quote(f'{key}={REDACTED}')}")
            else:
                parts.append(f"--data-urlencode {shlex.quote(f'{key}={value}')}")
    elif raw:
        body = redact_body(raw, kind, limit=MAX_CURL_BODY_CHARS)
        if isinstance(body, str) and body.startswith("<") and body.endswith(">"):
            notes.append(f"# The body ({body[1:-1]}) is not reproduced here.")
        else:
            text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, default=str)
            parts.append("--data-binary @-")
            heredoc = ["<<'OTTIMATE_BODY'", text, "OTTIMATE_BODY"]
    command = " \\\n  ".join(parts)
    if heredoc:
        command = f"{command} {heredoc[0]}\n{heredoc[1]}\n{heredoc[2]}"
    text = "\n".join([*(_token_command(token_url) if needs_token else []), *notes, command]) + "\n"
    return secrets.scrub(text) if secrets is not None else text
