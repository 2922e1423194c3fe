"""What the report names things by: criteria, API areas, documented operations, documentation pages.

- ``OPERATIONS``: every documented operation of the v1 API (CONTRACT §20), as method + path
  template, with its API area. ``operation_of(method, path)`` maps a request to one of them, so the
  summary can say which operations the run evidenced.
- ``doc_page(area, criterion)``: the Ottimate documentation page a test evidences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

DOCS = "https://docs.ottimate.com"
API_REFERENCE = f"{DOCS}/api-reference"

# API area (Allure feature) -> the guide page that documents it.
AREA_DOCS: dict[str, str] = {
    "OAuth token": f"{DOCS}/auth",
    "Request authentication": f"{DOCS}/auth",
    "Access scoping": f"{DOCS}/account-structure/scoping",
    "Accounts": f"{DOCS}/account-structure/overview",
    "Vendors": f"{DOCS}/vendors",
    "Dimensions": f"{DOCS}/dimensions",
    "Idempotency": f"{DOCS}/idempotency",
    "Load and rate limits": f"{DOCS}/api-limits",
    "Rate limits": f"{DOCS}/api-limits",
    "Invoices": f"{DOCS}/invoices",
    "Approvals": f"{DOCS}/invoice-approvals",
    "Uploads": f"{DOCS}/extraction/overview",
    "Purchase orders": f"{DOCS}/purchase-orders",
    "Receipts": f"{DOCS}/purchase-receipts",
    "Catalog": f"{DOCS}/v-1/catalog/catalog-entries",
    "Batch": f"{DOCS}/api-limits",
}
CRITERION_DOCS: dict[str, str] = {
    "Authentication": f"{DOCS}/auth",
    "Integration Stability": f"{DOCS}/api-limits",
}


def doc_page(area: str | None, criterion: str | None = None) -> str:
    """The documentation page for an API area, else for the criterion, else the API Reference."""
    if area and area in AREA_DOCS:
        return AREA_DOCS[area]
    if criterion and criterion in CRITERION_DOCS:
        return CRITERION_DOCS[criterion]
    return API_REFERENCE


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    area: str

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"


def _ops(area: str, *entries: str) -> list[Operation]:
    return [Operation(method, template, area) for method, template in (e.split(" ", 1) for e in entries)]


# CONTRACT §20 (53 operations), in its order.
OPERATIONS: tuple[Operation, ...] = (
    *_ops("OAuth token", "POST /oauth/token"),
    *_ops("Accounts", "GET /accounts", "GET /accounts/{id}/companies", "GET /accounts/{id}/locations"),
    *_ops("Vendors", "GET /vendors", "POST /vendors", "GET /vendors/{id}", "POST /vendors/bulk"),
    *_ops("Dimensions", "GET /dimensions", "POST /dimensions", "GET /dimensions/{id}", "POST /dimensions/bulk"),
    *_ops(
        "Purchase orders",
        "GET /purchase-orders",
        "POST /purchase-orders",
        "GET /purchase-orders/{id}",
        "PATCH /purchase-orders/{id}",
        "POST /purchase-orders/bulk",
    ),
    *_ops(
        "Receipts",
        "GET /receipts",
        "POST /receipts",
        "GET /receipts/{id}",
        "PATCH /receipts/{id}",
        "POST /receipts/bulk",
    ),
    *_ops(
        "Invoices",
        "GET /invoices",
        "GET /invoices/{id}",
        "PATCH /invoices/{id}",
        "POST /invoices/mark-exported",
        "POST /invoices/mark-unexported",
        "GET /invoices/{id}/approvers",
        "POST /invoices/{id}/flag",
        "POST /invoices/import",
        "PATCH /invoices/{id}/images",
        "GET /invoices/receiver-export",
    ),
    *_ops("Uploads", "POST /invoices/upload", "GET /invoices/uploads"),
    # Outside the reference (CONTRACT §12, §12.8): the seed page's structured create and the approvals
    # guide's actions, at the paths the embedded sandbox chose (contract.py DECISIONS).
    *_ops("Invoices", "POST /invoices"),
    *_ops(
        "Approvals",
        "POST /invoices/{id}/approvers",
        "DELETE /invoices/{id}/approvers/{approval_id}",
        "POST /invoices/{id}/approve",
        "POST /invoices/{id}/force-approve",
    ),
    *_ops(
        "Catalog",
        "GET /catalog/entries",
        "POST /catalog/entries",
        "GET /catalog/entries/{id}",
        "PATCH /catalog/entries/{id}",
        "POST /catalog/entries/bulk",
        "GET /catalog/allowances",
        "POST /catalog/allowances",
        "PATCH /catalog/allowances/{id}",
        "POST /catalog/allowances/bulk",
        "GET /catalog/prices",
        "POST /catalog/prices",
        "POST /catalog/prices/bulk",
        "GET /catalog/variances",
        "GET /catalog/variances/{id}/invoice-items",
        "GET /catalog/variance-batches",
        "POST /catalog/variance-batches/{id}/export",
    ),
    *_ops("Batch", "GET /batch/{id}/progress", "GET /batch/{id}/results", "GET /batch"),
)

#: Operations only the guides describe, at paths the embedded sandbox chose: not in the API Reference, so
#: a default plan (no plan file) never counts them, and the suites probe them before relying on them.
GUIDE_ONLY: frozenset[str] = frozenset(
    {
        "POST /invoices",
        "POST /invoices/{id}/approvers",
        "DELETE /invoices/{id}/approvers/{approval_id}",
        "POST /invoices/{id}/approve",
        "POST /invoices/{id}/force-approve",
    }
)

# Documented aliases (CONTRACT §19 #3, #4): the same operation under an older path.
ALIASES: dict[str, str] = {
    "POST /vendors/bulk-create": "POST /vendors/bulk",
    "POST /dimensions/bulk-create": "POST /dimensions/bulk",
}

_VERSION_SEGMENT = re.compile(r"v\d+(?:\.\d+)*")


@cache
def _by_method() -> dict[str, list[tuple[tuple[str, ...], str]]]:
    table: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    templates = [(op.method, op.template, op.key) for op in OPERATIONS]
    templates += [(alias.split(" ", 1)[0], alias.split(" ", 1)[1], key) for alias, key in ALIASES.items()]
    for method, template, key in templates:
        table.setdefault(method, []).append((tuple(s for s in template.split("/") if s), key))
    for entries in table.values():
        # Literal segments win over placeholders: POST /vendors/bulk before a POST /vendors/{id}.
        entries.sort(key=lambda entry: sum(s.startswith("{") for s in entry[0]))
    return table


def _matches(template: tuple[str, ...], segments: list[str]) -> bool:
    return len(template) == len(segments) and all(
        t.startswith("{") or t == s for t, s in zip(template, segments, strict=True)
    )


def operation_of(method: str, path: str) -> str | None:
    """The documented operation a request exercises (``"GET /vendors/{id}"``), or None.

    ``path`` is the URL path as sent: under the API base (``/v1/vendors/12``) or on the auth host
    (``/oauth/token``); the version segment and anything before it are ignored.
    """
    segments = [s for s in path.split("?", 1)[0].split("/") if s]
    candidates = [segments[i + 1 :] for i, s in enumerate(segments) if _VERSION_SEGMENT.fullmatch(s)][:1]
    for candidate in [*candidates, segments]:
        for template, key in _by_method().get(method.upper(), []):
            if _matches(template, candidate):
                return key
    return None


def area_of_operation(key: str) -> str | None:
    for op in OPERATIONS:
        if op.key == key:
            return op.area
    return None


# ---------------------------------------------------------------------------------------------
# Areas and the validation plan: which tests a plan selects (``fixtures/plan.py``).
#
# Every API area a test may carry (``@pytest.mark.api_area``, else derived from its module name) is
# one of three kinds, and an area in none of them is unknown (the harness's own tests refuse it):
#
# - an *operation area*: the tests run when the plan has one of its operations;
# - a *generic area*: tests of one aspect across many operations (pagination of the lists, refusals
#   of bad writes); they run when the plan has one of the operations of that kind;
# - a *cross-cutting area*: every integration needs it (authentication, scoping, idempotency, rate
#   limits, malformed requests), so its tests always run.

# Invoice operations that suites may file under a narrower area of their own (CONTRACT §12.6, §12.8);
# added to that area's operations (an operation may so be in two areas).
_SUB_AREAS: dict[str, tuple[str, ...]] = {
    "Approvals": ("GET /invoices/{id}/approvers",),
    "Export": ("POST /invoices/mark-exported", "POST /invoices/mark-unexported", "GET /invoices/receiver-export"),
}


def _area_operations() -> dict[str, tuple[str, ...]]:
    areas: dict[str, list[str]] = {}
    for op in OPERATIONS:
        areas.setdefault(op.area, []).append(op.key)
    for area, keys in _SUB_AREAS.items():
        areas.setdefault(area, []).extend(key for key in keys if key not in areas.get(area, []))
    return {area: tuple(keys) for area, keys in areas.items()}


#: Operation area -> its documented operations; the areas a plan file may name.
AREA_OPERATIONS: dict[str, tuple[str, ...]] = _area_operations()

#: Generic area -> the operations whose aspect it checks: every list (GET of a collection) for
#: pagination, every write (POST, PATCH) for the refusal of invalid bodies.
GENERIC_AREAS: dict[str, tuple[str, ...]] = {
    "Pagination": tuple(op.key for op in OPERATIONS if op.method == "GET" and not op.template.endswith("}")),
    "Validation": tuple(op.key for op in OPERATIONS if op.method in ("POST", "PATCH") and op.area != "OAuth token"),
}

#: Areas every integration relies on whatever it plans: their tests always run.
CROSS_CUTTING_AREAS: frozenset[str] = frozenset(
    {
        "OAuth token",
        "Request authentication",
        "Access scoping",
        "Idempotency",
        "Load and rate limits",
        "Rate limits",
        "Requests",
    }
)

#: Operations implied in every plan: every integration authenticates (CONTRACT §2.1).
IMPLIED_OPERATIONS: tuple[str, ...] = ("POST /oauth/token",)


def known_area(area: str) -> bool:
    return area in AREA_OPERATIONS or area in GENERIC_AREAS or area in CROSS_CUTTING_AREAS


def area_selected(area: str, planned: frozenset[str] | set[str]) -> bool:
    """Whether the tests of ``area`` run under a plan of ``planned`` operations.

    An unknown area is selected: a test the catalogue cannot place is never dropped silently.
    """
    if area in CROSS_CUTTING_AREAS or not known_area(area):
        return True
    covered = AREA_OPERATIONS.get(area) or GENERIC_AREAS.get(area, ())
    return any(key in planned for key in covered)
