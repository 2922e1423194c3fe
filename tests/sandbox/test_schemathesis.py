"""Bad input to the sandbox: schemathesis, driven by Ottimate's API reference, finds no server error and
no answer outside the documented schemas, status codes and content types.

The reference (``../shared/ottimate-api/openapi-reference.json``, read at test time, never copied) is
run against a fresh embedded sandbox for the operations the sandbox serves (tags oauth, accounts,
vendors, dimensions), authenticated as the account-level API user. Before the run, the reference is
completed in memory with what the contract documents for every operation but the reference leaves out
of each one (``CONTRACT_STATUSES``), and the generation is pointed at values the contract allows
(``X-API-Version`` 1.0.0 or 1.1.0, the API user's companies); schemathesis still sends invalid data
(its coverage and negative phases), which is the point. Bounded: a fixed seed and a few examples per
operation, well under a minute.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from ottimate_validation.sandbox import EmbeddedSandbox

from .. import reference

TAGS = ("oauth", "accounts", "vendors", "dimensions")
CHECKS = ("not_a_server_error", "response_schema_conformance", "status_code_conformance", "content_type_conformance")
MAX_EXAMPLES = 15
SEED = 20261124
ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
#: Statuses the contract gives every operation, though the reference lists them on few of them.
CONTRACT_STATUSES = {
    "400": "bad parameters or format (CONTRACT §7)",
    "401": "missing or invalid credentials, on every request (CONTRACT §2, §2.1)",
    "403": "outside the API user's scope (CONTRACT §2.2)",
    "429": "rate limit or daily quota (CONTRACT §4)",
}
#: ... those for an operation addressing a resource by id in its path ...
BY_ID_STATUSES = {"404": "no such resource (CONTRACT §7)"}
#: ... and those for an operation taking an Idempotency-Key.
IDEMPOTENCY_STATUSES = {
    "409": "a request with this Idempotency-Key is still being processed (CONTRACT §5)",
    "422": "this Idempotency-Key was used with another body (CONTRACT §5)",
}


def prepared_reference(raw: dict[str, Any], company_ids: list[int]) -> dict[str, Any]:
    """The reference, completed with the contract's statuses and pointed at values the contract allows."""
    prepared = copy.deepcopy(raw)
    for path, operations in prepared["paths"].items():
        for operation in operations.values():
            if not isinstance(operation, dict) or not set(operation.get("tags", ())) & set(TAGS):
                continue
            responses = operation.setdefault("responses", {})
            parameters = {parameter.get("name") for parameter in operation.get("parameters", [])}
            extra = {
                **CONTRACT_STATUSES,
                **(BY_ID_STATUSES if "{" in path else {}),
                **(IDEMPOTENCY_STATUSES if "Idempotency-Key" in parameters else {}),
            }
            for status, why in extra.items():
                responses.setdefault(status, {"description": why, "content": ERROR})
            for parameter in operation.get("parameters", []):
                if parameter.get("name") == "X-API-Version":
                    parameter["schema"] = {"type": "string", "enum": ["1.0.0", "1.1.0"]}  # CONTRACT §3
                elif parameter.get("name") == "ottimate_company_id":
                    parameter["schema"] = {"type": "integer", "enum": company_ids}
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if isinstance(body, dict) and "ottimate_company_id" in body.get("properties", {}):
                body["properties"]["ottimate_company_id"] = {"type": "integer", "enum": company_ids}
    return prepared


@pytest.fixture(scope="module")
def schemathesis_cli() -> str:
    found = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("schemathesis is not installed (pip install -e '.[dev]')")
    return found


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(schemathesis_cli: str, tmp_path: Path) -> None:
    raw = reference.load()  # skips, with the reason, where the reference is absent
    with EmbeddedSandbox(seed=SEED) as sb:
        user = sb.users["account"]
        token = httpx.post(
            f"{sb.auth_url}/oauth/token",
            data={"grant_type": "client_credentials", "client_id": user.client_id, "client_secret": user.client_secret},
            headers={"X-Api-Key": user.api_key},
        ).json()["access_token"]
        schema = tmp_path / "reference-for-the-sandbox.json"
        companies = [c.id for c in sb.state.org.companies.values() if c.id in user.company_ids]
        schema.write_text(json.dumps(prepared_reference(raw, sorted(companies))), encoding="utf-8")
        run = subprocess.run(
            [schemathesis_cli, "run", str(schema), "--url", sb.api_url,
             *(arg for tag in TAGS for arg in ("--include-tag", tag)),
             "--header", f"X-Api-Key: {user.api_key}", "--header", f"Authorization: Bearer {token}",
             "--checks", ",".join(CHECKS), "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED),
             "--workers", "1", "--no-color", "--suppress-health-check", "all", "--warnings", "off"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    found = f"{run.stdout[-15000:]}\n{run.stderr[-2000:]}"
    assert run.returncode == 0, f"schemathesis found problems in the sandbox:\n{found}"
    assert "Selected: 12/" in run.stdout, run.stdout[-3000:]
