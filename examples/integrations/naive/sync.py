#!/usr/bin/env python3
"""A naive Ottimate integration, as first drafts are written: it works on a good day. Do not copy it.

It syncs the same ERP vendors as the well-behaved examples, plus a purchase order per run, and makes
the mistakes `ottimate-validate integration` exists to catch (each is a finding in the report):

- it asks for a new token before every call, with a JSON body, and prints the token to debug;
- it retries anything that fails at once, up to ten times, whatever the answer said (429s included),
  and POSTs without an Idempotency-Key, so a write whose answer was lost is sent again;
- it reads only the first page of a list to see what exists;
- it creates its purchase order again every run (no external_id to upsert on).
"""

from __future__ import annotations

import csv
import json
import os
import sys
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

ERP = Path(__file__).resolve().parent.parent.parent / "erp"
API = os.environ["OTTIMATE_API_URL"].rstrip("/")
AUTH = os.environ.get("OTTIMATE_AUTH_URL", API.rsplit("/v1", 1)[0]).rstrip("/")
KEY = os.environ["OTTIMATE_API_KEY"]


def send(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    for _ in range(10):  # try again until it works
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as refused:
            status, raw = refused.code, refused.read()
            if status < 500 and status != 429:
                return status, json.loads(raw or b"null")
        except Exception:  # naive on purpose: any error, try again
            continue
    return 0, None


def token() -> str:
    body = {
        "grant_type": "client_credentials",
        "client_id": os.environ["OTTIMATE_CLIENT_ID"],
        "client_secret": os.environ["OTTIMATE_CLIENT_SECRET"],
    }
    status, answer = send("POST", f"{AUTH}/oauth/token", body, {"X-Api-Key": KEY})
    if status != 200:
        raise SystemExit(f"no token: {status}")
    print(f"debug: got token {answer['access_token']}")
    return str(answer["access_token"])


def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
    return send(method, f"{API}{path}", body, {"X-Api-Key": KEY, "Authorization": f"Bearer {token()}"})


def main() -> int:
    _, accounts = call("GET", "/accounts")
    account = accounts["results"][0]["id"]
    _, companies = call("GET", f"/accounts/{account}/companies")
    company = companies["results"][0]["id"]
    _, locations = call("GET", f"/accounts/{account}/locations")
    location = next(loc["id"] for loc in locations["results"])
    _, first_page = call("GET", f"/vendors?ottimate_company_id={company}")  # the first page is all there is
    known = {v["erp_vendor_id"] for v in first_page["vendors"]}
    errors = 0
    with open(ERP / "vendors.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["erp_vendor_id"] in known:
                continue
            vendor = {k: v for k, v in row.items() if v}
            status, _ = call("POST", "/vendors", {"ottimate_company_id": company, **vendor})
            if status != 201:
                print(f"vendor {row['erp_vendor_id']}: {status}")
                errors += 1
    order = {
        "ottimate_location_id": location,
        "po_number": "PO-1001",
        "erp_vendor_id": "V-1001",
        "date": date.today().isoformat(),
        "total_amount": 120.5,
        "items": [{"name": "Tomatoes", "quantity": 10, "price": 12.05}],
    }
    status, _ = call("POST", "/purchase-orders", order)
    if status != 201:
        errors += 1
    print(f"done, {errors} error(s)")
    return 0  # errors are printed; the job itself "succeeded"


if __name__ == "__main__":
    sys.exit(main())
