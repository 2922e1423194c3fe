"""What the integration left behind: the target's entities, read over the API, before and after a pass.

The same reader serves both targets. For the embedded sandbox it talks to the sandbox's WSGI app in
process (``httpx.WSGITransport``: nothing on the network, nothing recorded as the integration's); for
the partner's real sandbox it reads over HTTPS with the partner's credentials (a few list requests per
snapshot, counted on the summary as the harness's own).

A snapshot is ``{kind: [entity, ...]}`` as the API lists them. ``normalise`` drops what differs between
two sandboxes holding the same data (ids, timestamps, links), so a clean pass and a fault pass can be
compared; ``NATURAL_KEYS`` says when two entities are the same one created twice.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

Snapshot = dict[str, list[dict[str, Any]]]
PAGE_SIZE = 100  # the sandbox's documented maximum for these lists (contract.MAX_PAGE_SIZE)
MAX_PAGES = 200  # 20,000 entities of one kind per company: a snapshot is bounded whatever the target holds
_TRIES = 4


@dataclass(frozen=True)
class Kind:
    name: str
    path: str
    list_key: str
    per_company: bool
    natural_key: tuple[str, ...] | None  # None: the whole entity (ids and timestamps aside)
    label: str
    labels: str = ""  # the plural, when not label + "s"

    def named(self, count: int) -> str:
        return f"{count} {self.label if count == 1 else (self.labels or self.label + 's')}"


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("vendors", "/vendors", "vendors", True, ("ottimate_company_id", "erp_vendor_id"), "vendor"),
        Kind("dimensions", "/dimensions", "dimensions", True, ("ottimate_company_id", "reference_id"), "dimension"),
        Kind(
            "purchase_orders",
            "/purchase-orders",
            "purchase_orders",
            True,
            ("ottimate_company_id", "erp_vendor_id", "po_number"),
            "purchase order",
        ),
        Kind("receipts", "/receipts", "receipts", True, ("ottimate_po_id", "receipt_number"), "receipt"),
        Kind("invoices", "/invoices", "results", False, None, "invoice"),
        Kind("catalog_entries", "/catalog/entries", "results", True, None, "catalog entry", "catalog entries"),
    )
}
_DROPPED = frozenset(
    {"id", "version", "url", "preview_url", "batch_url", "results_url", "ottimate_po_id", "ottimate_po_item_id"}
)
_DROPPED_PREFIXES = ("created", "last_modified", "modified", "exported_", "approved_date")
_DROPPED_SUFFIXES = ("_at", "_utc")


class StateError(Exception):
    """The target's state could not be read (a harness problem, not the integration's)."""


class StateReader:
    def __init__(
        self,
        http: httpx.Client,
        *,
        api_url: str,
        auth_url: str,
        api_key: str,
        client_id: str,
        client_secret: str,
    ) -> None:
        self._http = http
        self._api_url = api_url.rstrip("/")
        self._auth_url = auth_url.rstrip("/")
        self._api_key = api_key
        self._client_id = client_id
        self._client_secret = client_secret
        self._token: str | None = None
        self.requests = 0

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------------------------------------

    def companies(self) -> list[int]:
        found: list[int] = []
        for account in self._walk("/accounts", "results", {}):
            account_id = account.get("id")
            if not isinstance(account_id, str):
                continue
            try:
                companies = self._walk(f"/accounts/{account_id}/companies", "results", {})
            except StateError:
                continue  # an account this user may list but not open
            found += [c["id"] for c in companies if isinstance(c.get("id"), int)]
        return found

    def snapshot(self, kinds: Sequence[str]) -> Snapshot:
        companies = self.companies()
        snapshot: Snapshot = {}
        for name in kinds:
            kind = KINDS[name]
            if kind.per_company:
                entities: list[dict[str, Any]] = []
                for company in companies:
                    entities += self._walk(kind.path, kind.list_key, {"ottimate_company_id": str(company)})
                snapshot[name] = entities
            else:
                snapshot[name] = self._walk(kind.path, kind.list_key, {})
        return snapshot

    def add_existing(self, vendors: int, dimensions: int) -> None:
        """Give every company ``vendors`` and ``dimensions`` more records, as a sandbox in use has, so
        the integration's lists span several pages."""
        for company in self.companies():
            if vendors:
                rows = [
                    {
                        "erp_vendor_id": f"EXISTING-V{company}-{n:03d}",
                        "erp_vendor_name": f"Test Vendor - Existing {n:03d}",
                        "payment_method": "check",
                        "net_terms": "Net 30",
                    }
                    for n in range(1, vendors + 1)
                ]
                self._post("/vendors/bulk", {"ottimate_company_id": company, "vendors": rows})
            if dimensions:
                dims = [
                    {
                        "erp_type": "GLACCOUNT",
                        "ottimate_type": "account",
                        "name": f"Test Dimension - Existing {n:03d}",
                        "code": f"E{n:03d}",
                        "reference_id": f"EXISTING-D{company}-{n:03d}",
                        "erp_dimension_id": f"EXISTING-GL-{company}-{n:03d}",
                    }
                    for n in range(1, dimensions + 1)
                ]
                self._post("/dimensions/bulk", {"ottimate_company_id": company, "dimensions": dims})

    # ------------------------------------------------------------------------------------------

    def _walk(self, path: str, key: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            body = self._get(path, {**params, "page": str(page), "limit": str(PAGE_SIZE)})
            items = body.get(key)
            if not isinstance(items, list):
                raise StateError(f"GET {path} answered without a {key!r} list")
            found += [item for item in items if isinstance(item, dict)]
            count = body.get("count")
            if not items or (isinstance(count, int) and len(found) >= count) or len(items) < PAGE_SIZE:
                break
        return found

    def _get(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        return self._send("GET", path, params=params)

    def _post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._send("POST", path, json=body)

    def _send(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        for attempt in range(1, _TRIES + 1):
            answer = self._request(method, f"{self._api_url}{path}", headers=self._headers(), **kwargs)
            if answer.status_code == 401 and attempt == 1:
                self._token = None
                continue
            if answer.status_code in (429, 502, 503, 504) and attempt < _TRIES:
                time.sleep(_retry_after(answer, attempt))
                continue
            if answer.status_code >= 400:
                raise StateError(f"{method} {path} answered {answer.status_code}")
            try:
                body = orjson.loads(answer.content)
            except orjson.JSONDecodeError:
                raise StateError(f"{method} {path} answered something other than JSON") from None
            if not isinstance(body, dict):
                raise StateError(f"{method} {path} answered something other than a JSON object")
            return body
        raise StateError(f"{method} {path} kept failing")

    def _headers(self) -> dict[str, str]:
        if self._token is None:
            self._token = self._fetch_token()
        return {"X-Api-Key": self._api_key, "Authorization": f"Bearer {self._token}", "Accept": "application/json"}

    def _fetch_token(self) -> str:
        form = {"grant_type": "client_credentials", "client_id": self._client_id, "client_secret": self._client_secret}
        for attempt in range(1, _TRIES + 1):
            answer = self._request(
                "POST", f"{self._auth_url}/oauth/token", data=form, headers={"X-Api-Key": self._api_key}
            )
            if answer.status_code in (429, 502, 503, 504) and attempt < _TRIES:
                time.sleep(_retry_after(answer, attempt))
                continue
            try:
                token = orjson.loads(answer.content).get("access_token")
            except (orjson.JSONDecodeError, AttributeError):
                token = None
            if answer.status_code != 200 or not isinstance(token, str):
                raise StateError(f"the token request answered {answer.status_code}")
            return token
        raise StateError("the token request kept failing")

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        self.requests += 1
        try:
            return self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise StateError(f"{method} {url.split('?')[0]} failed ({type(exc).__name__})") from None


def _retry_after(answer: httpx.Response, attempt: int) -> float:
    raw = answer.headers.get("Retry-After", "")
    return min(5.0, float(raw)) if raw.isdigit() else 0.2 * attempt


# ---------------------------------------------------------------------------------------------
# Comparing


def _dropped(key: str) -> bool:
    return key in _DROPPED or key.startswith(_DROPPED_PREFIXES) or key.endswith(_DROPPED_SUFFIXES)


def normalise(value: Any) -> Any:
    """``value`` without ids, timestamps and links, at every depth."""
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items() if not _dropped(k)}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def canonical(entity: Mapping[str, Any]) -> str:
    return orjson.dumps(normalise(dict(entity)), option=orjson.OPT_SORT_KEYS).decode()


@dataclass(frozen=True)
class Difference:
    kind: str
    missing: tuple[str, ...]  # in the reference (clean pass), not here: canonical forms
    extra: tuple[str, ...]  # here, not in the reference

    @property
    def empty(self) -> bool:
        return not self.missing and not self.extra


def differences(reference: Snapshot, other: Snapshot) -> list[Difference]:
    found = []
    for kind in sorted(set(reference) | set(other)):
        want = Counter(canonical(e) for e in reference.get(kind, []))
        have = Counter(canonical(e) for e in other.get(kind, []))
        diff = Difference(kind, tuple(sorted((want - have).elements())), tuple(sorted((have - want).elements())))
        if not diff.empty:
            found.append(diff)
    return found


def natural_key(kind: str, entity: Mapping[str, Any]) -> str:
    spec = KINDS[kind].natural_key if kind in KINDS else None
    if spec is None:
        return canonical(entity)
    return orjson.dumps([entity.get(name) for name in spec]).decode()


@dataclass(frozen=True)
class Duplicate:
    kind: str
    key: str
    before: int
    after: int
    entities: tuple[Mapping[str, Any], ...]


def duplicates(before: Snapshot, after: Snapshot) -> list[Duplicate]:
    """Entities the pass created again: a natural key held more often than once, and more often than
    before the pass."""
    found: list[Duplicate] = []
    for kind, entities in sorted(after.items()):
        groups: dict[str, list[Mapping[str, Any]]] = {}
        for entity in entities:
            groups.setdefault(natural_key(kind, entity), []).append(entity)
        earlier = Counter(natural_key(kind, e) for e in before.get(kind, []))
        for key, members in groups.items():
            if len(members) > 1 and len(members) > earlier.get(key, 0):
                found.append(Duplicate(kind, key, earlier.get(key, 0), len(members), tuple(members)))
    return found
