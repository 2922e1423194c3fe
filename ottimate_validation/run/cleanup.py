"""Find what validation runs left on a target.

Everything a run creates is tagged (``fixtures/data.py``): its name starts with ``Test `` and carries
the run id, ``Test Vendor - <category> - <run id> - <n>``, and its ERP id is ``TV-<run id>-<n>`` (vendors)
or ``TD-<run id>-<n>`` (dimensions). The run id is the run's label, followed by ``-gw<N>`` for the
pytest-xdist worker that made it. Only entities whose name starts with ``Test `` *and* whose name or
ERP id carries such a run id are ever listed; anything else is never touched.

The API has no delete or archive for vendors or dimensions (CONTRACT §18), so what a run created
stays: the end of a run against a URL reports it (a ``Leftovers`` record), and ``ottimate-validate
cleanup [--run-id ID]`` lists what every run left.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

PAGE_SIZE = 100
LIST_THREADS = 4  # lists read side by side; few enough to stay far below any rate limit
MAX_PAGES = 1000  # 100,000 entities per company and kind: far beyond any sandbox, a guard against loops

#: A run id as the fixtures write it: letters, digits, dots, underscores and dashes (``abc123-gw0``).
_RUN = r"(?P<run>[A-Za-z0-9][A-Za-z0-9._-]*)"
_NAME = re.compile(rf"^Test (?:Vendor|Dimension) - .* - {_RUN} - (?P<n>\d+)(?:\s.*)?$", re.DOTALL)
_ERP_ID = {
    "vendor": re.compile(rf"^TV-{_RUN}-(?P<n>\d+)$"),
    "dimension": re.compile(rf"^TD-{_RUN}-(?P<n>\d+)$"),
}
_WORKER_SUFFIX = re.compile(r"-gw\d+$")

#: Why an entity of a kind stays: the API offers no way to archive or delete it.
WHY_THEY_STAY = "the API has no delete or archive for vendors or dimensions (CONTRACT §18)"


class Getter(Protocol):
    def get(self, path: str, *, params: Mapping[str, Any] | None = ...) -> httpx.Response: ...


@dataclass(frozen=True)
class Leftover:
    """One entity a validation run created and left on the target."""

    kind: str  # "vendor" | "dimension"
    id: str
    company_id: int | None
    name: str
    erp_id: str | None
    run_id: str  # as tagged, worker suffix included

    @property
    def run(self) -> str:
        """The run it belongs to, without the worker suffix."""
        return base_run_id(self.run_id)

    def describe(self) -> str:
        company = f" in company {self.company_id}" if self.company_id is not None else ""
        return f"{self.kind} {self.id}{company}: {self.name!r} (run {self.run_id})"


# ---------------------------------------------------------------------------------------------
# Recognising tagged entities


def entities(count: int) -> str:
    return f"{count} {'entity' if count == 1 else 'entities'}"


def base_run_id(run_id: str) -> str:
    return _WORKER_SUFFIX.sub("", run_id)


def run_id_of(kind: str, name: str | None, erp_id: str | None) -> str | None:
    """The run id a validation run tagged this entity with, or None when it is not tagged."""
    if not isinstance(name, str) or not name.startswith("Test "):
        return None
    named = _NAME.match(name)
    if named:
        return named.group("run")
    coded = _ERP_ID[kind].match(erp_id) if isinstance(erp_id, str) else None
    return coded.group("run") if coded else None


def belongs_to(leftover: Leftover, run_id: str | None) -> bool:
    """Whether a leftover was made by ``run_id`` (a run, any of its workers; or one worker exactly)."""
    if run_id is None:
        return True
    return leftover.run_id == run_id or (leftover.run == run_id and _WORKER_SUFFIX.search(run_id) is None)


# ---------------------------------------------------------------------------------------------
# Finding them


#: An account or company these credentials may list but not read (another client's, or out of scope):
#: nothing of ours can be in it.
NOT_OURS = frozenset({403, 404})


def _pages(api: Getter, path: str, items_key: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for page in range(1, MAX_PAGES + 1):
        response = api.get(path, params={**params, "page": page, "limit": PAGE_SIZE})
        if response.status_code in NOT_OURS and path != "/accounts":
            return
        if response.status_code != 200:
            raise CleanupError(f"GET {path} answered {response.status_code}; the leftovers cannot be listed.")
        body = response.json()
        items = body.get(items_key) if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise CleanupError(f"GET {path} answered no '{items_key}' list; the leftovers cannot be listed.")
        yield from (item for item in items if isinstance(item, dict))
        count = body.get("count")
        if not items or (isinstance(count, int) and page * PAGE_SIZE >= count):
            return


def company_ids(api: Getter) -> list[int]:
    """Every company of every account the credentials reach."""
    found: list[int] = []
    for account in _pages(api, "/accounts", "results", {}):
        for company in _pages(api, f"/accounts/{account['id']}/companies", "results", {}):
            if isinstance(company.get("id"), int) and company["id"] not in found:
                found.append(company["id"])
    return found


def find_leftovers(api: Getter, run_id: str | None = None, *, since: datetime | None = None) -> list[Leftover]:
    """The tagged vendors and dimensions of every reachable company, of ``run_id`` when given.

    ``since`` narrows the vendors to those changed from then on (the API filters vendors by date, not
    dimensions), which keeps an end-of-run sweep short on a sandbox many runs have written to. The
    lists of each company and kind are independent, so they are read side by side (``LIST_THREADS``):
    at a real sandbox's latency the end-of-run sweep then costs about one list's time, not one per list.
    """
    vendor_query: dict[str, Any] = {}
    if since is not None:
        vendor_query["last_modified_date_from_utc"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    lists = [
        (kind, path, key, name_key, erp_key, company_id, {**query, "ottimate_company_id": company_id})
        for company_id in company_ids(api)
        for kind, path, key, name_key, erp_key, query in (
            ("vendor", "/vendors", "vendors", "erp_vendor_name", "erp_vendor_id", vendor_query),
            ("dimension", "/dimensions", "dimensions", "name", "erp_dimension_id", {}),
        )
    ]

    def read(entry: tuple[str, str, str, str, str, int, dict[str, Any]]) -> list[Leftover]:
        kind, path, key, name_key, erp_key, company_id, query = entry
        found: list[Leftover] = []
        for entity in _pages(api, path, key, query):
            _collect(found, kind, entity, name_key, erp_key, company_id)
        return found

    with ThreadPoolExecutor(max_workers=LIST_THREADS) as pool:
        found = [leftover for listed in pool.map(read, lists) for leftover in listed]  # in order
    return [leftover for leftover in found if belongs_to(leftover, run_id)]


def _collect(
    found: list[Leftover], kind: str, entity: dict[str, Any], name_key: str, erp_key: str, company_id: int
) -> None:
    name, erp_id = entity.get(name_key), entity.get(erp_key)
    tagged = run_id_of(kind, name, erp_id)
    if tagged is None or entity.get("id") is None:
        return
    found.append(
        Leftover(
            kind=kind,
            id=str(entity["id"]),
            company_id=entity.get("ottimate_company_id", company_id),
            name=str(name),
            erp_id=erp_id if isinstance(erp_id, str) else None,
            run_id=tagged,
        )
    )


class CleanupError(Exception):
    """The leftovers could not be listed; one sentence for the user."""
