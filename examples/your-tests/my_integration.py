"""A stand-in for a partner's own integration code: syncs ERP vendors into Ottimate.

It reads the variables a partner sets for the real sandbox (OTTIMATE_API_URL, OTTIMATE_AUTH_URL,
OTTIMATE_API_KEY, OTTIMATE_CLIENT_ID, OTTIMATE_CLIENT_SECRET); ``ottimate_sandbox`` sets them for a test.
"""

from __future__ import annotations

import os
from typing import Any

import httpx


def _token(http: httpx.Client) -> str:
    answer = http.post(
        f"{os.environ['OTTIMATE_AUTH_URL']}/oauth/token",
        headers={"X-Api-Key": os.environ["OTTIMATE_API_KEY"]},
        data={
            "grant_type": "client_credentials",
            "client_id": os.environ["OTTIMATE_CLIENT_ID"],
            "client_secret": os.environ["OTTIMATE_CLIENT_SECRET"],
            "scope": "accounts.can_access_dashboard",
        },
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def sync_vendors(company_id: int, vendors: list[dict[str, Any]]) -> None:
    """Create or update each vendor by its ERP id (POST /vendors/bulk is an upsert)."""
    with httpx.Client(timeout=29.0) as http:
        headers = {"X-Api-Key": os.environ["OTTIMATE_API_KEY"], "Authorization": f"Bearer {_token(http)}"}
        body = {"ottimate_company_id": company_id, "vendors": vendors}
        http.post(f"{os.environ['OTTIMATE_API_URL']}/vendors/bulk", json=body, headers=headers).raise_for_status()
