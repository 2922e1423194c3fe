"""What the report names things by (operations, docs pages) and how it sorts what did not pass."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from ottimate_validation.report.categories import (
    CATEGORIES,
    CONTRACT_VIOLATION,
    DIFFERS_FROM_OUR_READING,
    HARNESS_ERROR,
    KNOWN_DEVIATION,
    RATE_LIMITED,
    SANDBOX_UNREACHABLE,
    STILL_PENDING,
    allure_categories,
    categories_json,
    categorize,
)
from ottimate_validation.report.operations import OPERATIONS, doc_page, operation_of

# --- operations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [
        ("GET", "/v1/vendors", "GET /vendors"),
        ("GET", "/v1/vendors/12345", "GET /vendors/{id}"),
        ("POST", "/v1/vendors/bulk", "POST /vendors/bulk"),
        ("POST", "/v1/vendors/bulk-create/", "POST /vendors/bulk"),
        ("GET", "/v1/accounts/racc_abc/companies", "GET /accounts/{id}/companies"),
        ("POST", "/oauth/token", "POST /oauth/token"),
        ("POST", "/v1/oauth/token", "POST /oauth/token"),
        ("GET", "/api/v1/dimensions/dim_x", "GET /dimensions/{id}"),
        ("post", "/v1/dimensions", "POST /dimensions"),
        ("GET", "/vendors/v2", "GET /vendors/{id}"),
    ],
)
def test_a_request_maps_to_the_documented_operation_it_exercises(method: str, path: str, operation: str) -> None:
    assert operation_of(method, path) == operation


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/no-such-resource"), ("DELETE", "/v1/vendors/12"), ("GET", "/_sandbox/health"), ("GET", "/")],
)
def test_a_request_to_no_documented_operation_maps_to_none(method: str, path: str) -> None:
    assert operation_of(method, path) is None


def test_the_catalogue_holds_the_53_reference_operations_and_the_5_guide_operations_once_each() -> None:
    keys = [op.key for op in OPERATIONS]

    assert len(keys) == 53 + 5  # + POST /invoices and the four approval actions (guide-only)
    assert len(set(keys)) == len(keys)
    assert operation_of("DELETE", "/v1/invoices/abc/approvers/pbjappr_1") == (
        "DELETE /invoices/{id}/approvers/{approval_id}"
    )
    assert operation_of("POST", "/v1/invoices") == "POST /invoices"


def test_a_test_links_to_its_area_page_else_its_criterion_page_else_the_api_reference() -> None:
    assert doc_page("Vendors", "Core Functionality") == "https://docs.ottimate.com/vendors"
    assert doc_page("Something new", "Integration Stability") == "https://docs.ottimate.com/api-limits"
    assert doc_page(None, None) == "https://docs.ottimate.com/api-reference"


# --- categories -----------------------------------------------------------------------------

SAMPLES = [
    ("broken", "ottimate_validation.client.errors.TargetUnreachable: Cannot reach x: refused.", SANDBOX_UNREACHABLE),
    ("broken", "httpx.ConnectError: [Errno 111] Connection refused", SANDBOX_UNREACHABLE),
    ("broken", "httpx.ReadTimeout: timed out", SANDBOX_UNREACHABLE),
    ("broken", "fixtures.checks.SandboxUnavailable: GET /v1/vendors answered 503: …", SANDBOX_UNREACHABLE),
    ("broken", "fixtures.checks.RateLimited: GET /v1/vendors was still rate limited (429)", RATE_LIMITED),
    ("failed", "AssertionError: POST /v1/vendors answered 200, expected 201", CONTRACT_VIOLATION),
    ("failed", "AssertionError: the 429 answer has no Retry-After", CONTRACT_VIOLATION),
    ("broken", "KeyError: 'vendor'", HARNESS_ERROR),
    ("broken", "httpx.InvalidURL: bad", HARNESS_ERROR),
    ("unknown", "", HARNESS_ERROR),
    ("passed", "", None),
    ("skipped", "Skipped: needs the control plane", None),
]


@pytest.mark.parametrize(("status", "message", "category"), SAMPLES)
def test_a_test_that_did_not_pass_is_sorted_into_one_category(status: str, message: str, category: str | None) -> None:
    assert categorize(status, message, "") == category


def test_an_outage_raised_deep_in_a_traceback_is_still_an_outage() -> None:
    trace = "def test():\n>       api.get('/vendors')\nE       ottimate_validation.client.errors.TargetUnreachable: x"

    assert categorize("broken", "RuntimeError: wrapped", trace) == SANDBOX_UNREACHABLE


def test_the_categories_come_in_the_order_allure_matches_them() -> None:
    names = [c.name for c in CATEGORIES]

    assert names == [
        SANDBOX_UNREACHABLE,
        RATE_LIMITED,
        STILL_PENDING,
        KNOWN_DEVIATION,
        DIFFERS_FROM_OUR_READING,
        CONTRACT_VIOLATION,
        HARNESS_ERROR,
    ]
    assert [rule["name"] for rule in allure_categories()] == names


def test_the_allure_configuration_is_plain_json_with_regexes_python_compiles() -> None:
    rules = json.loads(json.dumps(allure_categories()))

    for rule in rules:
        assert rule["groupBy"] == [{"label": "epic"}], "inside a category, tests are listed by criterion"
        for matcher in rule["matchers"]:
            assert set(matcher) <= {"statuses", "message", "trace"}
            for key in ("message", "trace"):
                if key in matcher:
                    re.compile(matcher[key])


def test_the_allure_2_categories_file_matches_whole_messages() -> None:
    entries = categories_json()

    outage = next(e for e in entries if e["name"] == SANDBOX_UNREACHABLE and "messageRegex" in e)
    assert re.fullmatch(outage["messageRegex"], "httpx.ConnectError: refused\nmore")
    assert {e["name"] for e in entries} == {c.name for c in CATEGORIES}


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed (npm ci needs it anyway)")
def test_allure_reads_the_same_categories_in_javascript() -> None:
    # Allure 3 compiles the rules with `new RegExp(...)`: the same samples must sort the same way.
    script = """
    const rules = JSON.parse(process.argv[1]);
    const samples = JSON.parse(process.argv[2]);
    const out = samples.map(([status, message]) => {
      const rule = rules.find((r) => r.matchers.some((m) =>
        (!m.statuses || m.statuses.includes(status)) &&
        (m.message === undefined || new RegExp(m.message).test(message)) &&
        (m.trace === undefined || new RegExp(m.trace).test(""))));
      return rule ? rule.name : null;
    });
    console.log(JSON.stringify(out));
    """
    samples = [[status, message] for status, message, _ in SAMPLES]
    done = subprocess.run(
        ["node", "-e", script, json.dumps(allure_categories()), json.dumps(samples)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert json.loads(done.stdout) == [category for _, _, category in SAMPLES]
