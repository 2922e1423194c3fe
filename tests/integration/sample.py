#!/usr/bin/env python3
"""A configurable integration for the harness's own tests: correct by default, one switch per misbehaviour.

    sample.py [--break NAME ...] [--backoff equal|full-jitter|fixed] [--workers N] [--writes bulk|single]
              [--erp DIR] [--state FILE] [--seed N]

Correct, it does what the well-behaved examples do (one cached token, Retry-After honoured, bounded
backoff, Idempotency-Keys, lists walked to the end, incremental on later runs) and also: looks up one
vendor id that no longer exists (a 404 it accepts), and upserts one purchase order by external_id.
Each ``--break`` switch breaks exactly one rule (see ``BREAKS``); the other options are right but
different ways of doing it (threads, jitter kinds, single writes), which must all pass.
Standard library only, so a pass starts fast.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import http.client
import json
import os
import random
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ERP = Path(__file__).resolve().parents[2] / "examples" / "erp"
BREAKS = {
    "json-token": "auth.client-credentials",
    "token-per-call": "auth.token-reused",
    "renew-loop": "auth.renew-once-after-401",
    "probe-without-key": "auth.credentials-on-every-call",
    "token-in-query": "auth.no-credential-in-url",
    "print-token": "auth.no-secret-in-output",
    "skip-dimensions": "core.operations-exercised",
    "ignore-retry-after": "errors.retry-after-honoured",
    "immediate-retry": "errors.retries-back-off",
    "resend-404": "errors.4xx-not-resent",
    "new-key-on-retry": "errors.post-retried-with-same-key",
    "exit-1": "errors.completes",
    "po-every-run": "data.no-duplicates",
    "skip-failed-write": "data.fault-state-matches-clean",
    "invalid-vendor": "data.writes-accepted",
    "ascii-names": "data.erp-records-match",
    "extra-reads": "stability.within-rate-limits / stability.quota-share (with lowered limits)",
    "first-page-only": "stability.pages-walked",
    "full-reads": "stability.incremental-sync",
}
TRANSIENT = (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError, socket.timeout)
MAX_ATTEMPTS = 4
PAGE_SIZE = 20


class Failed(Exception):
    pass


class Api:
    def __init__(self, options: argparse.Namespace) -> None:
        self.o = options
        self.breaks: set[str] = set(options.breaks or ())
        self.api = os.environ["OTTIMATE_API_URL"].rstrip("/")
        self.auth = os.environ["OTTIMATE_AUTH_URL"].rstrip("/")
        self.key = os.environ["OTTIMATE_API_KEY"]
        self.client = (os.environ["OTTIMATE_CLIENT_ID"], os.environ["OTTIMATE_CLIENT_SECRET"])
        self.lock = threading.Lock()
        self.token_lock = threading.Lock()
        self.token: str | None = None
        self.not_before = 0.0
        self.rng = random.Random(options.seed)

    def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int | None, dict[str, str], bytes]:
        while True:
            with self.lock:
                wait = self.not_before - time.monotonic()
            if wait <= 0:
                break
            time.sleep(wait)
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as refused:
            return refused.code, dict(refused.headers), refused.read()
        except TRANSIENT:
            return None, {}, b""

    def throttled(self, headers: dict[str, str]) -> None:
        if "ignore-retry-after" in self.breaks:
            time.sleep(0.05)
            return
        raw = next((v for k, v in headers.items() if k.lower() == "retry-after"), "1")
        with self.lock:
            self.not_before = max(self.not_before, time.monotonic() + float(raw))

    def backoff(self, attempt: int) -> None:
        if "immediate-retry" in self.breaks:
            return
        cap = min(4.0, 0.2 * 2 ** (attempt - 1))
        with self.lock:
            jitter = self.rng.random()
        if self.o.backoff == "full-jitter":
            time.sleep(jitter * cap)
        elif self.o.backoff == "fixed":
            time.sleep(cap)
        else:
            time.sleep(cap / 2 + jitter * cap / 2)

    def get_token(self, *, renew_from: str | None = None) -> str:
        with self.token_lock:  # one request for a token at a time, shared by every worker
            if "token-per-call" not in self.breaks and self.token and self.token != renew_from:
                return self.token
            fields = {"grant_type": "client_credentials", "client_id": self.client[0], "client_secret": self.client[1]}
            if "json-token" in self.breaks:
                body, kind = json.dumps(fields).encode(), "application/json"
            else:
                body, kind = urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
            for attempt in range(1, MAX_ATTEMPTS + 2):
                status, headers, raw = self.send(
                    "POST", f"{self.auth}/oauth/token", {"Content-Type": kind, "X-Api-Key": self.key}, body
                )
                if status == 200:
                    self.token = str(json.loads(raw)["access_token"])
                    if "print-token" in self.breaks:
                        print(f"token: {self.token}", flush=True)
                    return self.token
                if status == 429:
                    self.throttled(headers)
                elif status is None or status >= 500:
                    self.backoff(attempt)
                else:
                    raise Failed(f"token refused: {status}")
            raise Failed("no token")

    def call(
        self, method: str, path: str, params: dict[str, Any] | None = None, body: Any = None, *, key: bool = True
    ) -> tuple[int, Any]:
        url = f"{self.api}{path}" + ("?" + urllib.parse.urlencode(params) if params else "")
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        headers = {"Accept": "application/json"}
        if key:
            headers["X-Api-Key"] = self.key
        if data is not None:
            headers["Content-Type"] = "application/json"
        if method == "POST":
            headers["Idempotency-Key"] = str(uuid.uuid4())
        renewed, throttled, attempt, stale = False, 0, 0, 0
        token = self.get_token()
        if not key:  # a probe: whatever it answers is accepted as it is
            status, _, raw = self.send(method, url, {**headers, "Authorization": f"Bearer {token}"}, data)
            return status or 0, None
        while True:
            status, answer_headers, raw = self.send(method, url, {**headers, "Authorization": f"Bearer {token}"}, data)
            if status is not None and status < 300:
                return status, json.loads(raw) if raw else None
            if status == 401 and "renew-loop" in self.breaks and stale < 2:
                stale += 1  # the same refused token, again
                continue
            if status == 401 and not renewed:
                renewed = True
                token = self.get_token(renew_from=token)
                continue
            if status == 429 and throttled < 20:
                throttled += 1
                self.throttled(answer_headers)
                continue
            if status is None or status >= 500:
                if method != "GET" and "skip-failed-write" in self.breaks:
                    return status or 0, None
                attempt += 1
                if attempt < (20 if "immediate-retry" in self.breaks else MAX_ATTEMPTS):
                    self.backoff(attempt)
                    if method == "POST" and "new-key-on-retry" in self.breaks:
                        headers["Idempotency-Key"] = str(uuid.uuid4())
                    if "token-per-call" in self.breaks:
                        token = self.get_token()
                    continue
            return status or 0, json.loads(raw) if raw.startswith(b"{") else None

    def ok(self, method: str, path: str, params: dict[str, Any] | None = None, body: Any = None) -> Any:
        status, answer = self.call(method, path, params, body)
        if not 200 <= status < 300:
            raise Failed(f"{method} {path}: {status} {answer}")
        return answer

    def walk(self, path: str, key: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        first = self.ok("GET", path, {**params, "page": 1, "limit": PAGE_SIZE})
        pages = max(1, -(-int(first["count"]) // PAGE_SIZE))
        if "first-page-only" in self.breaks:
            pages = 1
        rest = list(range(2, pages + 1))
        with ThreadPoolExecutor(max_workers=self.o.workers) as pool:
            answers = list(pool.map(lambda p: self.ok("GET", path, {**params, "page": p, "limit": PAGE_SIZE}), rest))
        return [item for answer in [first, *answers] for item in answer[key]]


def fingerprint(record: Any) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]


def sync(api: Api, options: argparse.Namespace) -> str:
    breaks = api.breaks
    state_file = Path(options.state)
    state_all = json.loads(state_file.read_text()) if state_file.is_file() else {}
    state = state_all.get(api.api, {})
    pushed: dict[str, str] = dict(state.get("pushed", {}))
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(Path(options.erp) / "vendors.csv", encoding="utf-8-sig", newline="") as handle:
        vendors = [{k: v.strip() for k, v in row.items() if v and v.strip()} for row in csv.DictReader(handle)]
    dimensions = json.loads((Path(options.erp) / "dimensions.json").read_text(encoding="utf-8"))
    if "ascii-names" in breaks:
        for v in vendors:
            v["erp_vendor_name"] = v["erp_vendor_name"].encode("ascii", "replace").decode()
    if "invalid-vendor" in breaks:
        vendors[0] = {**vendors[0], "payment_method": "cash"}

    if "probe-without-key" in breaks:
        api.call("GET", "/accounts", key=False)
    params = {"access_token": api.get_token()} if "token-in-query" in breaks else None
    account = api.ok("GET", "/accounts", params)["results"][0]["id"]
    company = api.ok("GET", f"/accounts/{account}/companies")["results"][0]["id"]
    location = next(loc["id"] for loc in api.ok("GET", f"/accounts/{account}/locations")["results"])
    if "extra-reads" in breaks:
        for _ in range(140):
            api.ok("GET", "/accounts")

    # A vendor remembered from an old run no longer exists: a 404 is an answer, not a reason to ask again.
    for _ in range(3 if "resend-404" in breaks else 1):
        api.call("GET", "/vendors/999999999")

    filters: dict[str, Any] = {"ottimate_company_id": company}
    if state.get("watermark") and "full-reads" not in breaks:
        filters["last_modified_date_from_utc"] = state["watermark"]
    remote = {v.get("erp_vendor_id"): v for v in api.walk("/vendors", "vendors", filters)}
    changed = [v for v in vendors if pushed.get(v["erp_vendor_id"]) != fingerprint(v)]
    written = 0
    if options.writes == "single":
        fresh = [v for v in changed if v["erp_vendor_id"] not in pushed and v["erp_vendor_id"] not in remote]
        with ThreadPoolExecutor(max_workers=options.workers) as pool:
            results = list(
                pool.map(lambda v: api.call("POST", "/vendors", body={"ottimate_company_id": company, **v}), fresh)
            )
        written += sum(1 for status, _ in results if status == 201)
        known = [v for v in changed if v not in fresh]
    else:
        known = changed
    for start in range(0, len(known), 3):  # bulk, three at a time
        batch = known[start : start + 3]
        status, result = api.call("POST", "/vendors/bulk", body={"ottimate_company_id": company, "vendors": batch})
        if status != 201 and "skip-failed-write" not in breaks:
            raise Failed(f"vendors: {status}")
        if result and result.get("error_count") and "invalid-vendor" not in breaks:
            raise Failed(f"vendors refused: {result.get('errors')}")
        written += len(batch)
    pushed.update({v["erp_vendor_id"]: fingerprint(v) for v in changed})

    if "skip-dimensions" not in breaks and pushed.get("dimensions") != fingerprint(dimensions):
        api.walk("/dimensions", "dimensions", {"ottimate_company_id": company})
        status, _ = api.call(
            "POST", "/dimensions/bulk", body={"ottimate_company_id": company, "dimensions": dimensions}
        )
        if status != 201 and "skip-failed-write" not in breaks:
            raise Failed(f"dimensions: {status}")
        pushed["dimensions"] = fingerprint(dimensions)

    order: dict[str, Any] = {
        "ottimate_location_id": location,
        "po_number": "PO-7001",
        "erp_vendor_id": vendors[0]["erp_vendor_id"],
        "date": date(2026, 11, 2).isoformat(),
        "total_amount": 120.5,
        "items": [{"name": "Tomatoes", "quantity": 10, "price": 12.05, "external_id": "L1"}],
    }
    if "po-every-run" in breaks:
        api.ok("POST", "/purchase-orders", body=order)
    elif pushed.get("po") != fingerprint(order):
        status, _ = api.call("POST", "/purchase-orders", body={**order, "external_id": "ERP-PO-7001"})
        if status != 201 and "skip-failed-write" not in breaks:
            raise Failed(f"purchase order: {status}")
        pushed["po"] = fingerprint(order)

    state_all[api.api] = {"watermark": started, "pushed": pushed}
    state_file.write_text(json.dumps(state_all))
    return f"{written} vendor(s) written, {len(remote)} read"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--break", dest="breaks", action="append", choices=sorted(BREAKS))
    parser.add_argument("--backoff", choices=("equal", "full-jitter", "fixed"), default="equal")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--writes", choices=("bulk", "single"), default="bulk")
    parser.add_argument("--erp", default=str(ERP))
    parser.add_argument("--state", default=".sample-state.json")
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    try:
        print(f"sample: {sync(Api(options), options)}", flush=True)
    except Failed as problem:
        print(f"sample failed: {problem}", file=sys.stderr)
        return 1
    return 1 if "exit-1" in (options.breaks or ()) else 0


if __name__ == "__main__":
    sys.exit(main())
