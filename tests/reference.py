"""Ottimate's API reference (`../shared/ottimate-api/openapi-reference.json`), the yardstick at test time.

It is read from beside the checkout, never copied into the project; tests that need it skip with a
clear reason where it is absent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

REFERENCE_PATH = Path(__file__).resolve().parents[1].parent / "shared" / "ottimate-api" / "openapi-reference.json"
_BASE = "urn:ottimate-reference"


@cache
def load() -> dict[str, Any]:
    if not REFERENCE_PATH.is_file():
        pytest.skip(f"the API reference is not at {REFERENCE_PATH}; the conformance checks need it beside the checkout")
    return dict(json.loads(REFERENCE_PATH.read_text(encoding="utf-8")))


@cache
def _registry() -> Registry:
    registry: Registry = Registry().with_resource(_BASE, Resource.from_contents(load(), default_specification=_spec()))
    return registry


def _spec() -> Any:
    from referencing.jsonschema import DRAFT202012

    return DRAFT202012


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, ops in load()["paths"].items()
        for method, op in ops.items()
        if method in ("get", "post", "patch", "put", "delete")
    ]


def template_for(method: str, concrete_path: str) -> str | None:
    """The reference path template ("/vendors/{id}") matching a concrete path under /v1."""
    for m, template, _ in operations():
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "/?$"
        if m == method and re.match(pattern, concrete_path):
            # a literal path (/vendors/bulk) beats a template (/vendors/{id})
            literal = [t for mm, t, _ in operations() if mm == method and t.rstrip("/") == concrete_path.rstrip("/")]
            return literal[0] if literal else template
    return None


def documented_statuses(method: str, template: str) -> set[int]:
    return {int(s) for s in load()["paths"][template][method.lower()].get("responses", {}) if s.isdigit()}


def validator(method: str, template: str, status: int) -> Draft202012Validator | None:
    responses = load()["paths"][template][method.lower()].get("responses", {})
    content = responses.get(str(status), {}).get("content", {}).get("application/json")
    if content is None:
        return None
    pointer = "/".join(
        p.replace("~", "~0").replace("/", "~1")
        for p in ["paths", template, method.lower(), "responses", str(status), "content", "application/json", "schema"]
    )
    return Draft202012Validator({"$ref": f"{_BASE}#/{pointer}"}, registry=_registry())


# Statuses every operation may give even where the reference does not list them (CONTRACT §20).
UNIVERSAL_STATUSES = frozenset({401, 403, 429})


def judge(responses: Iterable[httpx.Response], tags: set[str], skip: Callable[[str, str], bool] | None = None) -> None:
    """Every answer has a documented status and a body matching the reference's schema for it, and every
    operation of `tags` was answered with success at least once. `skip(method, path)` leaves out answers
    of operations that are not in the reference (sandbox extensions)."""
    problems: list[str] = []
    served: set[tuple[str, str]] = set()
    for r in responses:
        path = urlsplit(str(r.request.url)).path
        path = path[len("/v1") :] if path.startswith("/v1/") else path
        if skip is not None and skip(r.request.method, path):
            continue
        template = template_for(r.request.method, path)
        where = f"{r.request.method} {path} → {r.status_code}"
        if template is None:
            problems.append(f"{where}: no such operation in the reference")
            continue
        if r.status_code < 300:
            served.add((r.request.method, template))
        documented = documented_statuses(r.request.method, template)
        if r.status_code not in documented | UNIVERSAL_STATUSES:
            problems.append(f"{where}: status not documented (documented: {sorted(documented)}) {r.text[:300]}")
        check = validator(r.request.method, template, r.status_code)
        if check is not None:
            problems += [f"{where}: {e.message} at {list(e.absolute_path)}" for e in check.iter_errors(r.json())]
    expected = {(m, t) for m, t, op in operations() if set(op.get("tags", [])) & tags}
    assert not expected - served, f"operations never answered with success: {sorted(expected - served)}"
    assert not problems, "\n".join(problems)
