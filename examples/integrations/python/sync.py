#!/usr/bin/env python3
"""A well-behaved Ottimate integration: syncs an ERP's vendors and dimensions into Ottimate.

Standard library only. It reads the five variables the README documents (OTTIMATE_API_URL,
OTTIMATE_AUTH_URL, OTTIMATE_API_KEY, OTTIMATE_CLIENT_ID, OTTIMATE_CLIENT_SECRET), so it runs unchanged
against the real sandbox or under `ottimate-validate integration -- python examples/integrations/python/sync.py`.

How it behaves, and why:
- One access token from the client-credentials grant (form-encoded), cached until 5 minutes before it
  expires; after a 401 it gets one new token and retries the call once.
- After a 429 it waits the Retry-After before sending anything else. A 5xx or a lost answer is
  retried at most 4 attempts in all, with exponential backoff and equal jitter (0.5 s, 1 s, 2 s ...).
- Every write carries an Idempotency-Key made once per write and reused by its retries, so a write
  whose answer was lost is never applied twice.
- Lists are walked page by page to the end. A run remembers (per API URL, in --state) when it last
  synced and what it pushed: the next run reads only what changed since (the date filters) and writes
  only what changed in the ERP.
- Credentials are never printed; it exits 0 when the sync completed, 1 when it did not.
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
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ERP = HERE.parent.parent / "erp"
MAX_ATTEMPTS = 4
BASE_DELAY = 0.5
MAX_DELAY = 8.0
RENEW_BEFORE = 300.0  # seconds before expiry
PAGE_SIZE = 25
BULK_MAX = 100  # CONTRACT §9, §10
VENDOR_FIELDS = (
    "erp_vendor_name",
    "email",
    "phone",
    "net_terms",
    "payment_method",
    "address_line_1",
    "address_line_2",
    "city",
    "state",
    "zipcode",
)
DIMENSION_FIELDS = ("name", "erp_type", "ottimate_type", "code", "reference_id")
TRANSIENT = (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError, socket.timeout)


class SyncFailed(Exception):
    pass


class Api:
    def __init__(self) -> None:
        try:
            self.api_url = os.environ["OTTIMATE_API_URL"].rstrip("/")
            self.auth_url = os.environ.get("OTTIMATE_AUTH_URL", self.api_url.rsplit("/v1", 1)[0]).rstrip("/")
            self.api_key = os.environ["OTTIMATE_API_KEY"]
            self.client_id = os.environ["OTTIMATE_CLIENT_ID"]
            self.client_secret = os.environ["OTTIMATE_CLIENT_SECRET"]
        except KeyError as missing:
            raise SyncFailed(f"{missing.args[0]} is not set") from None
        self._token: str | None = None
        self._expires = 0.0
        self._not_before = 0.0  # after a 429: nothing is sent before this moment
        self._jitter = random.Random()

    # -- sending --------------------------------------------------------------------------------

    def _send(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int | None, dict[str, str], bytes]:
        wait = self._not_before - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=35) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as refused:
            return refused.code, dict(refused.headers), refused.read()
        except TRANSIENT:
            return None, {}, b""

    def _backoff(self, attempt: int) -> None:
        delay = min(MAX_DELAY, BASE_DELAY * 2 ** (attempt - 1))
        time.sleep(delay / 2 + self._jitter.uniform(0, delay / 2))  # equal jitter

    def _throttled(self, headers: dict[str, str]) -> None:
        raw = next((v for k, v in headers.items() if k.lower() == "retry-after"), "1")
        seconds = float(raw) if raw.strip().isdigit() else 1.0
        self._not_before = max(self._not_before, time.monotonic() + seconds)

    def token(self) -> str:
        if self._token and time.monotonic() < self._expires - RENEW_BEFORE:
            return self._token
        form = urllib.parse.urlencode(
            {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.client_secret}
        ).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Api-Key": self.api_key,
            "Accept": "application/json",
        }
        for attempt in range(1, MAX_ATTEMPTS + 1):
            status, answer_headers, raw = self._send("POST", f"{self.auth_url}/oauth/token", headers, form)
            if status == 200:
                body = json.loads(raw)
                self._token = body["access_token"]
                self._expires = time.monotonic() + float(body.get("expires_in", 3600))
                return self._token
            if status == 429:
                self._throttled(answer_headers)
                continue
            if status is None or status >= 500:
                self._backoff(attempt)
                continue
            raise SyncFailed(f"the auth server refused the credentials (HTTP {status}); check them")
        raise SyncFailed("no access token after several attempts")

    def call(self, method: str, path: str, params: dict[str, Any] | None = None, body: Any = None) -> Any:
        url = f"{self.api_url}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = json.dumps(body).encode() if body is not None else None
        headers = {"X-Api-Key": self.api_key, "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if method == "POST":
            headers["Idempotency-Key"] = str(uuid.uuid4())  # one per write, reused by its retries
        renewed = False
        attempt = 0
        throttled = 0
        while True:
            token = self.token()
            status, answer_headers, raw = self._send(method, url, {**headers, "Authorization": f"Bearer {token}"}, data)
            if status is not None and 200 <= status < 300:
                return json.loads(raw) if raw else None
            if status == 401 and not renewed:
                renewed = True
                if self._token == token:
                    self._token = None
                continue
            if status == 429 and throttled < 5:
                throttled += 1
                self._throttled(answer_headers)
                continue
            if status is None or status >= 500:
                attempt += 1
                if attempt < MAX_ATTEMPTS:
                    self._backoff(attempt)
                    continue
            raise SyncFailed(f"{method} {path} failed: {status or 'no answer'} {raw[:200].decode('utf-8', 'replace')}")

    def walk(self, path: str, key: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every record of a list, page by page to the end."""
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self.call("GET", path, {**params, "page": page, "limit": PAGE_SIZE})
            items = body.get(key) or []
            found += items
            if not items or len(found) >= int(body.get("count", 0)):
                return found
            page += 1


# -- the ERP side --------------------------------------------------------------------------------


def read_erp(folder: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    with open(folder / "vendors.csv", encoding="utf-8-sig", newline="") as handle:
        vendors = [{k: v.strip() for k, v in row.items() if v and v.strip()} for row in csv.DictReader(handle)]
    dimensions = json.loads((folder / "dimensions.json").read_text(encoding="utf-8"))
    return vendors, dimensions


def fingerprint(record: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]


def differs(remote: dict[str, Any] | None, record: dict[str, Any], fields: tuple[str, ...]) -> bool:
    if remote is None:
        return True
    return any((remote.get(name) or None) != (record.get(name) or None) for name in fields)


def chunks(items: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def sync(api: Api, erp: Path, state_file: Path) -> str:
    state_all = json.loads(state_file.read_text()) if state_file.is_file() else {}
    state = state_all.get(api.api_url, {})
    since = state.get("watermark")
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    pushed: dict[str, str] = dict(state.get("pushed", {}))
    vendors, dimensions = read_erp(erp)

    account = api.call("GET", "/accounts")["results"][0]
    company = api.call("GET", f"/accounts/{account['id']}/companies")["results"][0]["id"]

    # Vendors: what changed in Ottimate since the last run (everything, the first time).
    filters = {"ottimate_company_id": company}
    if since:
        filters["last_modified_date_from_utc"] = since
    remote = {v.get("erp_vendor_id"): v for v in api.walk("/vendors", "vendors", filters)}
    changed = [
        v
        for v in vendors
        if pushed.get(v["erp_vendor_id"]) != fingerprint(v)
        or (v["erp_vendor_id"] in remote and differs(remote[v["erp_vendor_id"]], v, VENDOR_FIELDS))
    ]
    for batch in chunks(changed, BULK_MAX):
        result = api.call("POST", "/vendors/bulk", body={"ottimate_company_id": company, "vendors": batch})
        if result.get("error_count"):
            raise SyncFailed(f"{result['error_count']} vendor(s) refused: {result.get('errors')}")
        pushed.update({v["erp_vendor_id"]: fingerprint(v) for v in batch})

    # Dimensions: no date filter exists, so they are read only when there is something to push.
    changed_dims = [d for d in dimensions if pushed.get("dim:" + d["erp_dimension_id"]) != fingerprint(d)]
    if changed_dims:
        existing = {
            d.get("reference_id"): d for d in api.walk("/dimensions", "dimensions", {"ottimate_company_id": company})
        }
        changed_dims = [d for d in changed_dims if differs(existing.get(d["reference_id"]), d, DIMENSION_FIELDS)] or []
        for batch in chunks(changed_dims, BULK_MAX):
            result = api.call("POST", "/dimensions/bulk", body={"ottimate_company_id": company, "dimensions": batch})
            if result.get("error_count"):
                raise SyncFailed(f"{result['error_count']} dimension(s) refused: {result.get('errors')}")
        pushed.update({"dim:" + d["erp_dimension_id"]: fingerprint(d) for d in dimensions})

    state_all[api.api_url] = {"watermark": started, "pushed": pushed}
    state_file.write_text(json.dumps(state_all, indent=2))
    return f"{len(changed)} vendor(s) and {len(changed_dims)} dimension(s) pushed; {len(remote)} vendor(s) read"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--erp", type=Path, default=ERP, help="folder with vendors.csv and dimensions.json")
    parser.add_argument("--state", type=Path, default=Path(".ottimate-sync-state.json"), help="what the last run did")
    args = parser.parse_args()
    try:
        print(f"sync: {sync(Api(), args.erp, args.state)}")
    except SyncFailed as problem:
        print(f"sync failed: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
