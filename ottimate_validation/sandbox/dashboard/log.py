"""The live request log: the sandbox's request journal (`journal.py`), filtered, with findings marked.

The page renders the newest `PAGE_ROWS` matching exchanges; its script then asks `log.json?since=SEQ`
every `POLL_SECONDS` for what came after (nothing while the tab is hidden), so an open log costs one
small request every two seconds. Bodies are fetched only when asked for. The journal never holds a
credential in clear (it redacts by field name); the log also blanks any API key or client secret of the
sandbox's users found in a body or query, wherever it was put.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from werkzeug.wrappers import Response

from ..core.context import json_response
from ..journal import REDACTED, Exchange
from .app import Refused, Req

PAGE_ROWS: Final = 200
POLL_ROWS: Final = 500
POLL_SECONDS: Final = 2
STATUS_CLASSES: Final = ("2xx", "3xx", "4xx", "5xx")
Scrub = Callable[[str], str]


@dataclass(frozen=True)
class Filter:
    method: str = ""
    status: str = ""  # "", "2xx".."5xx", "errors" (>= 400) or an exact code
    path: str = ""
    user: str = ""
    key: str = ""
    findings: bool = False
    control: bool = False  # include the control plane's exchanges

    @classmethod
    def of(cls, args: Mapping[str, str]) -> Filter:
        return cls(
            method=args.get("method", "").upper(),
            status=args.get("status", "").lower(),
            path=args.get("path", "").strip(),
            user=args.get("user", "").strip(),
            key=args.get("key", "").strip(),
            findings=bool(args.get("findings")),
            control=bool(args.get("control")),
        )

    def query(self) -> dict[str, str]:
        out = {"method": self.method, "status": self.status, "path": self.path, "user": self.user, "key": self.key}
        out = {k: v for k, v in out.items() if v}
        if self.findings:
            out["findings"] = "1"
        if self.control:
            out["control"] = "1"
        return out

    def keeps(self, x: Exchange, marked: bool) -> bool:
        if x.control and not self.control:
            return False
        if self.method and x.method != self.method:
            return False
        if self.status:
            code = str(x.status)
            if self.status == "errors":
                if x.status < 400:
                    return False
            elif self.status in STATUS_CLASSES:
                if code[0] != self.status[0]:
                    return False
            elif code != self.status:
                return False
        if self.path and self.path.casefold() not in f"{x.path}?{x.query}".casefold():
            return False
        if self.user and x.client_id != self.user:
            return False
        if self.key and self.key not in (x.idempotency_key or ""):
            return False
        return not self.findings or marked


def _matching(r: Req, f: Filter, exchanges: Iterable[Exchange]) -> list[Exchange]:
    journal = r.state.journal
    return [x for x in exchanges if f.keeps(x, bool(journal.marks_for(x.ref)))]


def row(r: Req, x: Exchange, scrub: Scrub) -> dict[str, Any]:
    return {
        "seq": x.seq,
        "at": x.at.isoformat(),
        "time": x.at.strftime("%H:%M:%S.") + f"{x.at.microsecond // 1000:03d}",
        "method": x.method,
        "path": x.path,
        "query": scrub(x.query),
        "status": x.status,
        "duration": f"{x.duration_ms:.1f}",
        "user": x.client_id or "",
        "key": x.idempotency_key or "",
        "ref": x.ref or "",
        "control": x.control,
        "marks": [{"rule": m.rule, "finding": m.finding, "holds": m.holds} for m in r.state.journal.marks_for(x.ref)],
    }


def log_page(r: Req) -> Response:
    f = Filter.of(r.request.args)
    journal = r.state.journal
    everything = journal.entries()
    shown = _matching(r, f, everything)[-PAGE_ROWS:]
    users = sorted(r.state.org.users)
    return r.render(
        "log.html",
        rows=[row(r, x, _scrubber(r)) for x in reversed(shown)],
        filter=f,
        last=everything[-1].seq if everything else 0,
        marks_version=journal.marks_version,
        users=users,
        capacity=journal.capacity,
        enabled=journal.enabled,
        poll_seconds=POLL_SECONDS,
        marked=len(journal.marks()),
    )


def log_json(r: Req) -> Response:
    """``{"rows": [...newest first], "last": seq, "marks_version": n}`` for the exchanges after ``since``."""
    raw = r.request.args.get("since", "0")
    if not raw.isdigit():
        raise Refused(400, "Not accepted", f"since must be a sequence number, got {raw!r}.")
    journal = r.state.journal
    after = journal.entries(since=int(raw))
    shown = _matching(r, Filter.of(r.request.args), after)[-POLL_ROWS:]
    last = after[-1].seq if after else int(raw)
    scrub = _scrubber(r)
    body = {"rows": [row(r, x, scrub) for x in reversed(shown)], "last": last, "marks_version": journal.marks_version}
    return json_response(body)


def exchange(r: Req, seq: int) -> Response:
    x = _exchange(r, seq)
    return r.render(
        "exchange.html",
        x=row(r, x, _scrubber(r)),
        request_id=x.request_id,
        request_body=_pretty(r, x.request_body),
        response_body=_pretty(r, x.response_body),
        bodies_kept=x.request_body is not None or x.response_body is not None,
    )


def exchange_json(r: Req, seq: int) -> Response:
    x = _exchange(r, seq)
    return json_response(
        {"seq": x.seq, "request_body": _pretty(r, x.request_body), "response_body": _pretty(r, x.response_body)}
    )


def _exchange(r: Req, seq: int) -> Exchange:
    x = r.state.journal.get(seq)
    if x is None:
        kept = f"it keeps the last {r.state.journal.capacity:,}, and a reset clears it"
        raise Refused(404, "Not found", f"Exchange #{seq} is not in the request log ({kept}).")
    return x


def _pretty(r: Req, body: bytes | None) -> str | None:
    if body is None:
        return None
    text = body.decode("utf-8", "replace")
    with contextlib.suppress(ValueError):  # JSON is shown indented; anything else as it came
        text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    return _scrubber(r)(text)


def _scrubber(r: Req) -> Scrub:
    secrets = [s for u in r.state.org.users.values() for s in (u.api_key, u.client_secret) if s]

    def scrub(text: str) -> str:
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    return scrub
