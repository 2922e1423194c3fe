"""Catalog (§11): company-level entries tied to a vendor, with prices, allowances and price variances.

Entries upsert on `catalog_unique_key` (generated when omitted); allowances upsert on `reference_id`;
prices are created. Variances come from invoice lines matched to an entry (same company and vendor,
same `sku`, or the same item name when the entry has no sku), compared with the catalog price in
effect for the invoice's location on the invoice date (§11 "item validation"); a few seeded variance
records make the endpoints exercisable before any invoice exists, and `invoice_items_hook` lets the
harness add more.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from ..accounts.models import ApiUser
from ..contract import ALLOWANCE_TYPES, CATALOG_BULK_MAX, CATALOG_TARGETS, ErrorCode
from ..core import dates
from ..core.errors import BadRequest, NotFound, ValidationFailed
from ..core.pagination import optional_int_param
from ..core.validation import Body, Text, check, outside_enum, parse

if TYPE_CHECKING:
    from ..state import SandboxState

Target = Literal["company", "location_group", "location"]
AllowanceType = Literal["allowance", "discount", "rebate"]
assert set(ALLOWANCE_TYPES) == {"allowance", "discount", "rebate"}

# -- request bodies --------------------------------------------------------------------------------


class NestedPrice(Body):
    price: float
    unit_price: float | None = None
    price_type: Target = "company"
    ottimate_location_id: int | None = None
    ottimate_group_id: int | None = None
    start_date: Text | None = None
    end_date: Text | None = None
    reference_id: Text | None = None
    data: dict[str, Any] | None = None


class NestedAllowance(Body):
    allowance_type: AllowanceType = "allowance"
    allowance: float  # named `allowance` here, `amount` on POST /catalog/allowances (§11)
    unit_allowance: float = 0.0
    target: Target = "company"
    ottimate_location_id: int | None = None
    ottimate_group_id: int | None = None
    start_date: Text
    end_date: Text | None = None
    reference_id: Text | None = None
    data: dict[str, Any] | None = None


class EntryFields(Body):
    erp_vendor_id: Text
    item_name: Text
    original_description: Text | None = None
    sku: Text | None = None
    upc: Text | None = None
    buying_format: Text | None = None
    size: Text | None = None
    uom: Text | None = None
    price: float | None = None
    unit_price: float | None = None
    is_split_case: bool | None = None
    authorized_vendor: bool | None = None
    catalog_unique_key: Text | None = None
    last_purchased_price: float | None = None
    reference_id: Text | None = None
    dimensions: list[dict[str, Any]] | None = None
    properties: dict[str, Any] | None = None
    prices: list[dict[str, Any]] | None = None
    allowances: list[dict[str, Any]] | None = None


class EntryCreate(EntryFields):
    ottimate_company_id: int


class EntryPatch(Body):
    erp_vendor_id: Text | None = None
    item_name: Text | None = None
    original_description: Text | None = None
    sku: Text | None = None
    upc: Text | None = None
    buying_format: Text | None = None
    size: Text | None = None
    uom: Text | None = None
    price: float | None = None
    unit_price: float | None = None
    is_split_case: bool | None = None
    authorized_vendor: bool | None = None
    erp_vendor_name: str | None = None  # "" clears it (§11)
    dimensions: list[dict[str, Any]] | None = None
    properties: dict[str, Any] | None = None


class PriceCreate(Body):
    catalog_entry_id: str | int
    price: float
    unit_price: float | None = None
    price_type: Target = "company"
    ottimate_location_id: int | None = None
    ottimate_group_id: int | None = None
    start_date: Text
    end_date: Text | None = None
    reference_id: Text | None = None


class AllowanceCreate(Body):
    catalog_entry_id: str | int  # an integer in [S], a `cte_` string elsewhere: both accepted (§19 #17)
    allowance_type: AllowanceType = "allowance"
    amount: float
    unit_allowance: float = 0.0
    target: Target = "company"
    ottimate_location_id: int | None = None
    ottimate_group_id: int | None = None
    start_date: Text
    end_date: Text | None = None
    reference_id: Text | None = None


class AllowancePatch(Body):
    allowance_type: AllowanceType | None = None
    amount: float | None = None
    unit_allowance: float | None = None
    target: Target | None = None
    ottimate_location_id: int | None = None
    ottimate_group_id: int | None = None
    start_date: Text | None = None
    end_date: Text | None = None


class Company(Body):
    ottimate_company_id: int


# -- stored objects --------------------------------------------------------------------------------


@dataclass
class Price:
    id: str
    catalog_entry_id: str
    ottimate_company_id: int
    price: Decimal
    unit_price: Decimal | None
    price_type: str
    ottimate_location_id: int | None
    ottimate_group_id: int | None
    start_date: datetime
    end_date: datetime | None
    reference_id: str | None
    created_at: datetime
    last_modified: datetime


@dataclass
class Allowance:
    id: str
    catalog_entry_id: str
    ottimate_company_id: int
    allowance_type: str
    amount: Decimal
    unit_allowance: Decimal
    target: str
    ottimate_location_id: int | None
    ottimate_group_id: int | None
    start_date: datetime
    end_date: datetime | None
    reference_id: str | None
    created_at: datetime
    last_modified: datetime


_Dated = TypeVar("_Dated", Price, Allowance)


@dataclass
class CatalogEntry:
    id: str
    ottimate_company_id: int
    catalog_unique_key: str
    erp_vendor_id: str
    item_name: str
    original_description: str | None
    sku: str | None
    upc: str | None
    buying_format: str | None
    size: str | None
    uom: str | None
    price: Decimal | None
    unit_price: Decimal | None
    last_purchased_price: Decimal | None
    is_split_case: bool
    authorized_vendor: bool
    reference_id: str | None
    erp_vendor_name: str | None  # an override; otherwise the vendor's name
    dimensions: dict[str, str]  # upper-case POS type → name
    properties: dict[str, Any]
    created_at: datetime
    last_modified: datetime
    last_purchased_at: datetime | None = None
    warnings: list[str] = field(default_factory=list)  # of the last write only


@dataclass(frozen=True)
class VarianceItem:
    """One invoice line matched to a catalog entry: what variances are computed from."""

    id: int
    invoice_id: int
    ottimate_location_id: int
    item_name: str
    price: float
    quantity: float
    invoice_date: date
    price_variance: float
    effective_price: float


@dataclass
class VarianceBatch:
    id: str
    ottimate_company_id: int
    batch_number: int
    export_status: str  # "pending" until exported
    exported_at: datetime | None
    payload: dict[str, Any]


InvoiceItemsHook = Callable[["CatalogEntry"], list[VarianceItem]]

_KEY_SPACES = re.compile(r"\s+")


def unique_key(erp_vendor_id: str, sku: str | None, size: str | None, name: str) -> str:
    """Generated from erp_vendor_id, sku, size and name, normalised (§11; see DECISIONS)."""
    return "|".join(normalise_key(part or "") for part in (erp_vendor_id, sku, size, name))


def normalise_key(value: str) -> str:
    return _KEY_SPACES.sub(" ", value.strip()).casefold()


def money(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def parse_when(raw: str | None, name: str) -> datetime | None:
    """A date-time (ISO 8601) or a plain date, read as UTC."""
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(
            f"{name} must be an ISO 8601 date-time, got {raw!r}", errors=[{"field": name, "message": "not a date-time"}]
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_day(query: Mapping[str, str], name: str) -> date | None:
    raw = query.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{name} must be YYYY-MM-DD, got {raw!r}", code=ErrorCode.INVALID_PARAMETER) from None


def _effective(start: datetime, end: datetime | None, day: date | None) -> bool:
    if day is None:
        return True
    return start.date() <= day and (end is None or end.date() >= day)


def _no_invoice_items(entry: CatalogEntry) -> list[VarianceItem]:
    return []


class CatalogBackend:
    def __init__(self, state: SandboxState) -> None:
        self._state = state
        self.entries: dict[str, CatalogEntry] = {}
        self._by_key: dict[tuple[int, str], str] = {}
        self.prices: dict[str, Price] = {}
        self.allowances: dict[str, Allowance] = {}
        self._allowance_by_ref: dict[tuple[int, str], str] = {}
        self.variance_batches: dict[str, VarianceBatch] = {}
        self._seeded_items: dict[str, list[VarianceItem]] = {}
        # The seam for the invoices area: invoice items matched to an entry (none until invoices exist).
        self.invoice_items_hook: InvoiceItemsHook = _no_invoice_items

    # -- entries ---------------------------------------------------------------------------------

    def get_entry(self, user: ApiUser, entry_id: str | int) -> CatalogEntry:
        entry = self.entries.get(f"cte_{entry_id}" if isinstance(entry_id, int) else entry_id)
        if entry is None:
            raise NotFound(f"catalog entry {entry_id} not found")
        self._state.org.require_company_read(user, entry.ottimate_company_id)
        return entry

    def _entry_for_write(self, user: ApiUser, company_id: int, entry_id: str | int) -> CatalogEntry:
        entry = self.entries.get(f"cte_{entry_id}" if isinstance(entry_id, int) else entry_id)
        if entry is None or entry.ottimate_company_id != company_id:
            raise ValidationFailed(
                f"catalog_entry_id {entry_id} is not a catalog entry of company {company_id}",
                errors=[{"field": "catalog_entry_id", "message": "unknown catalog entry"}],
            )
        return entry

    def matching_entries(self, user: ApiUser, query: Mapping[str, str]) -> list[CatalogEntry]:
        company_id = self._required_company(user, query)
        exact = {name: query.get(name) or None for name in ("erp_vendor_id", "sku", "upc", "size", "uom")}
        search = (query.get("search") or "").casefold() or None
        buying_format = query.get("buying_format")
        price, unit_price = _decimal_param(query, "price"), _decimal_param(query, "unit_price")
        if self._state.faults.on("filters_ignored"):
            exact, search, buying_format, price, unit_price = {}, None, None, None, None
        found = []
        for e in self.entries.values():
            if e.ottimate_company_id != company_id:
                continue
            if any(value is not None and getattr(e, name) != value for name, value in exact.items()):
                continue
            if (
                search
                and search not in e.item_name.casefold()
                and search not in (e.original_description or "").casefold()
            ):
                continue
            if buying_format not in (None, ""):
                wanted = None if buying_format == "null" else buying_format  # literal `null` matches empty (§11)
                if (e.buying_format or None) != wanted:
                    continue
            if price is not None and e.price != price:
                continue
            if unit_price is not None and e.unit_price != unit_price:
                continue
            found.append(e)
        return found

    def upsert_entry(self, user: ApiUser, body: dict[str, Any], company_id: int | None = None) -> CatalogEntry:
        """POST /catalog/entries: create, or update the entry with the same `catalog_unique_key`."""
        body = dict(body)
        warnings = _deprecated_fields(body)
        if company_id is None:
            data = parse(EntryCreate, body, self._state.faults)
            company_id = data["ottimate_company_id"]
        else:
            data = _bulk_item(EntryFields, body, "")
        assert company_id is not None
        self._state.org.require_company_write(user, company_id)
        for name in ("prices", "allowances"):
            if name not in body:
                warnings.append(f"`{name}` was omitted, which is deprecated; send `{name}: null` to say there are none")
        dims = _entry_dimensions(data["dimensions"])
        nested_prices = [
            parse(NestedPrice, p, self._state.faults, prefix=f"prices[{n}].")
            for n, p in enumerate(data["prices"] or [])
        ]
        nested_allowances = [
            parse(NestedAllowance, a, self._state.faults, prefix=f"allowances[{n}].")
            for n, a in enumerate(data["allowances"] or [])
        ]
        key = (
            normalise_key(data["catalog_unique_key"])
            if data["catalog_unique_key"]
            else unique_key(data["erp_vendor_id"], data["sku"], data["size"], data["item_name"])
        )
        now = self._state.clock.now()
        entry = self.entries.get(self._by_key.get((company_id, key), ""))
        values = {
            "erp_vendor_id": data["erp_vendor_id"],
            "item_name": self._state.stored_text(data["item_name"]),
            "original_description": self._state.stored_text(data["original_description"]),
            "sku": data["sku"],
            "upc": data["upc"],
            "buying_format": data["buying_format"],
            "size": data["size"],
            "uom": data["uom"],
            "price": money(data["price"]),
            "unit_price": money(data["unit_price"]),
            "last_purchased_price": money(data["last_purchased_price"]),
            "is_split_case": bool(data["is_split_case"]),
            "authorized_vendor": bool(data["authorized_vendor"]),
            "reference_id": data["reference_id"],
            "properties": data["properties"] or {},
        }
        if entry is None:
            entry = CatalogEntry(
                id=f"cte_{self._state.ids.integer('catalog_entry')}",
                ottimate_company_id=company_id,
                catalog_unique_key=key,
                erp_vendor_name=None,
                dimensions=dims or {},
                created_at=now,
                last_modified=now,
                **values,
            )
            self.entries[entry.id] = entry
            self._by_key[(company_id, key)] = entry.id
        else:
            for name, value in values.items():
                if name in body:
                    setattr(entry, name, value)
            if dims is not None:
                entry.dimensions = dims
            entry.last_modified = now
        for n, p in enumerate(nested_prices):
            self._add_price(entry, p, f"prices[{n}].")
        for n, a in enumerate(nested_allowances):
            self._upsert_allowance(entry, {**a, "amount": a["allowance"]}, f"allowances[{n}].")
        entry.warnings = warnings
        return entry

    def patch_entry(self, user: ApiUser, entry_id: str, body: dict[str, Any]) -> CatalogEntry:
        entry = self.get_entry(user, entry_id)
        self._state.org.require_company_write(user, entry.ottimate_company_id)
        body = dict(body)
        warnings = _deprecated_fields(body)
        data = parse(EntryPatch, body, self._state.faults)
        dims = _entry_dimensions(data.pop("dimensions"))
        for name, value in data.items():
            if name not in body:
                continue
            if name in ("price", "unit_price"):
                value = money(value)
            elif name == "erp_vendor_name":
                value = value or None  # "" clears the override
            elif name == "properties":
                value = value or {}
            elif name in ("is_split_case", "authorized_vendor"):
                value = bool(value)
            elif value is None and name in ("erp_vendor_id", "item_name"):
                continue
            setattr(entry, name, self._state.stored_text(value))
        if dims is not None:
            entry.dimensions = dims
        entry.last_modified = self._state.clock.now()
        entry.warnings = warnings
        return entry

    def vendor_name(self, entry: CatalogEntry) -> str | None:
        if entry.erp_vendor_name:
            return entry.erp_vendor_name
        by_erp = self._state.vendors._by_erp_id  # read-only look into the vendors store
        vendor_id = by_erp.get((entry.ottimate_company_id, entry.erp_vendor_id))
        vendor = self._state.vendors._by_id.get(vendor_id) if vendor_id is not None else None
        return vendor.erp_vendor_name if vendor else None

    # -- prices ----------------------------------------------------------------------------------

    def _in_effect(self, user: ApiUser, query: Mapping[str, str], records: Iterable[_Dated]) -> list[_Dated]:
        """The company's prices or allowances for an entry and location, in effect on `effective_date`."""
        company_id = self._required_company(user, query)
        entry_id = query.get("catalog_entry_id") or None
        location_id = optional_int_param(query, "ottimate_location_id")
        day = parse_day(query, "effective_date")
        return [
            r
            for r in records
            if r.ottimate_company_id == company_id
            and (entry_id is None or r.catalog_entry_id == entry_id)
            and (location_id is None or r.ottimate_location_id in (None, location_id))
            and _effective(r.start_date, r.end_date, day)
        ]

    def _write_target(
        self, user: ApiUser, body: dict[str, Any], model: type[Body], company_id: int | None
    ) -> tuple[dict[str, Any], CatalogEntry]:
        """A price or allowance body parsed, with the entry it belongs to (write access checked)."""
        if company_id is None:
            company_id = parse(Company, body, self._state.faults)["ottimate_company_id"]
        self._state.org.require_company_write(user, company_id)
        data = parse(model, body, self._state.faults)
        return data, self._entry_for_write(user, company_id, data["catalog_entry_id"])

    def matching_prices(self, user: ApiUser, query: Mapping[str, str]) -> list[Price]:
        price_type = query.get("price_type") or None
        if outside_enum("price_type", price_type, CATALOG_TARGETS):
            return []
        prices = self._in_effect(user, query, self.prices.values())
        return [p for p in prices if price_type is None or p.price_type == price_type]

    def create_price(self, user: ApiUser, body: dict[str, Any], company_id: int | None = None) -> Price:
        data, entry = self._write_target(user, body, PriceCreate, company_id)
        return self._add_price(entry, data, "")

    def bulk_price(self, user: ApiUser, company_id: int, index: int, body: Any) -> Price:
        """Create-only: a price that duplicates an existing one is skipped (a failed task; see DECISIONS)."""
        data = _bulk_item(PriceCreate, body, f"prices[{index}].")
        entry = self._entry_for_write(user, company_id, data["catalog_entry_id"])
        start = parse_when(data["start_date"], "start_date")
        for p in self.prices.values():
            same_ref = data["reference_id"] is not None and p.reference_id == data["reference_id"]
            same_slot = (p.price_type, p.ottimate_location_id, p.ottimate_group_id, p.start_date) == (
                data["price_type"],
                data["ottimate_location_id"],
                data["ottimate_group_id"],
                start,
            )
            if p.catalog_entry_id == entry.id and (same_ref or same_slot):
                raise BadRequest(f"skipped: duplicates price {p.id}", code=ErrorCode.DUPLICATE)
        return self._add_price(entry, data, f"prices[{index}].")

    def _add_price(self, entry: CatalogEntry, data: dict[str, Any], where: str) -> Price:
        self._check_target(entry.ottimate_company_id, data["price_type"], data, where)
        now = self._state.clock.now()
        start = parse_when(data.get("start_date"), f"{where}start_date") or now
        price = Price(
            id=self._state.ids.token("ctp_", 12),
            catalog_entry_id=entry.id,
            ottimate_company_id=entry.ottimate_company_id,
            price=Decimal(str(data["price"])),
            unit_price=money(data.get("unit_price")),
            price_type=data["price_type"],
            ottimate_location_id=data.get("ottimate_location_id"),
            ottimate_group_id=data.get("ottimate_group_id"),
            start_date=start,
            end_date=parse_when(data.get("end_date"), f"{where}end_date"),
            reference_id=data.get("reference_id"),
            created_at=now,
            last_modified=now,
        )
        self.prices[price.id] = price
        return price

    # -- allowances ------------------------------------------------------------------------------

    def matching_allowances(self, user: ApiUser, query: Mapping[str, str]) -> list[Allowance]:
        return self._in_effect(user, query, self.allowances.values())

    def get_allowance(self, user: ApiUser, allowance_id: str) -> Allowance:
        allowance = self.allowances.get(allowance_id)
        if allowance is None:
            raise NotFound(f"allowance {allowance_id} not found")
        self._state.org.require_company_write(user, allowance.ottimate_company_id)
        return allowance

    def upsert_allowance(self, user: ApiUser, body: dict[str, Any], company_id: int | None = None) -> Allowance:
        data, entry = self._write_target(user, body, AllowanceCreate, company_id)
        return self._upsert_allowance(entry, data, "")

    def bulk_allowance(self, user: ApiUser, company_id: int, index: int, body: Any) -> Allowance:
        data = _bulk_item(AllowanceCreate, body, f"allowances[{index}].")
        entry = self._entry_for_write(user, company_id, data["catalog_entry_id"])
        return self._upsert_allowance(entry, data, f"allowances[{index}].")

    def patch_allowance(self, user: ApiUser, allowance_id: str, body: dict[str, Any]) -> Allowance:
        allowance = self.get_allowance(user, allowance_id)
        data = parse(AllowancePatch, body, self._state.faults)
        sent = {k: v for k, v in data.items() if k in body}
        merged = {
            "target": allowance.target,
            "ottimate_location_id": allowance.ottimate_location_id,
            "ottimate_group_id": allowance.ottimate_group_id,
            **sent,
        }
        self._check_target(allowance.ottimate_company_id, merged["target"], merged, "")
        for name, value in sent.items():
            if name in ("amount", "unit_allowance"):
                value = Decimal(str(value if value is not None else 0))
            elif name in ("start_date", "end_date"):
                value = parse_when(value, name)
                if name == "start_date" and value is None:
                    continue
            setattr(allowance, name, value)
        allowance.last_modified = self._state.clock.now()
        return allowance

    def _upsert_allowance(self, entry: CatalogEntry, data: dict[str, Any], where: str) -> Allowance:
        self._check_target(entry.ottimate_company_id, data["target"], data, where)
        now = self._state.clock.now()
        values = {
            "catalog_entry_id": entry.id,
            "allowance_type": data.get("allowance_type") or "allowance",
            "amount": Decimal(str(data["amount"])),
            "unit_allowance": Decimal(str(data.get("unit_allowance") or 0)),
            "target": data["target"],
            "ottimate_location_id": data.get("ottimate_location_id"),
            "ottimate_group_id": data.get("ottimate_group_id"),
            "start_date": parse_when(data["start_date"], f"{where}start_date") or now,
            "end_date": parse_when(data.get("end_date"), f"{where}end_date"),
        }
        ref = data.get("reference_id")
        existing = (
            self.allowances.get(self._allowance_by_ref.get((entry.ottimate_company_id, ref), "")) if ref else None
        )
        if existing is not None:
            for name, value in values.items():
                setattr(existing, name, value)
            existing.last_modified = now
            return existing
        allowance = Allowance(
            id=self._state.ids.token("cta_", 12),
            ottimate_company_id=entry.ottimate_company_id,
            reference_id=ref,
            created_at=now,
            last_modified=now,
            **values,
        )
        self.allowances[allowance.id] = allowance
        if ref:
            self._allowance_by_ref[(entry.ottimate_company_id, ref)] = allowance.id
        return allowance

    def prices_of(self, entry: CatalogEntry) -> list[Price]:
        return [p for p in self.prices.values() if p.catalog_entry_id == entry.id]

    def allowances_of(self, entry: CatalogEntry) -> list[Allowance]:
        return [a for a in self.allowances.values() if a.catalog_entry_id == entry.id]

    # -- bulk ------------------------------------------------------------------------------------

    def bulk_envelope(self, user: ApiUser, body: dict[str, Any], list_name: str) -> tuple[int, list[Any]]:
        """`{ottimate_company_id, <list_name>: [...]}` (the schema is UNKNOWN; see DECISIONS), 1..1000 items."""
        company_id = parse(Company, body, self._state.faults)["ottimate_company_id"]
        items = body.get(list_name)
        if not isinstance(items, list) or not 1 <= len(items) <= CATALOG_BULK_MAX:
            size = len(items) if isinstance(items, list) else "no list"
            raise ValidationFailed(
                f"{list_name} must be a list of 1 to {CATALOG_BULK_MAX} items, got {size}",
                errors=[{"field": list_name, "message": f"1 to {CATALOG_BULK_MAX} items"}],
            )
        self._state.org.require_company_write(user, company_id)
        return company_id, items

    # -- variances -------------------------------------------------------------------------------

    def invoice_items(self, entry: CatalogEntry) -> list[VarianceItem]:
        items = [*self._seeded_items.get(entry.id, []), *self._matched_lines(entry), *self.invoice_items_hook(entry)]
        return sorted(items, key=lambda i: (i.invoice_date, i.id), reverse=True)  # newest invoice first

    def _matched_lines(self, entry: CatalogEntry) -> list[VarianceItem]:
        """Invoice lines of the entry's vendor in its company that name the entry (by sku, else by item name);
        none under "variances": item-validation-only (matching is an Ottimate-side setting no vendor has here)."""
        out: list[VarianceItem] = []
        if self._state.decisions.takes("variances", "item-validation-only"):
            return out
        invoices = self._state.invoices._by_uuid.values()  # read-only look into the invoices store
        for invoice in invoices:
            if invoice.location.company_id != entry.ottimate_company_id or invoice.erp_vendor_id != entry.erp_vendor_id:
                continue
            day = invoice.invoice_date or invoice.created_at.date()
            for line in invoice.items:
                if entry.sku:
                    if line.sku != entry.sku:
                        continue
                elif normalise_key(line.name) != normalise_key(entry.item_name):
                    continue
                expected = self.catalog_price(entry, invoice.location.id, day)
                variance = 0.0 if expected is None else round(line.price - float(expected), 4)
                out.append(
                    VarianceItem(
                        id=line.id,
                        invoice_id=invoice.id,
                        ottimate_location_id=invoice.location.id,
                        item_name=line.name,
                        price=line.price,
                        quantity=line.quantity,
                        invoice_date=day,
                        price_variance=variance,
                        effective_price=line.price,
                    )
                )
        return out

    def catalog_price(self, entry: CatalogEntry, location_id: int, day: date) -> Decimal | None:
        """The price the catalog expects at a location on a day: that location's price in effect, else the
        company's, else the entry's own `price` (the latest start wins among prices in effect)."""
        in_effect = [p for p in self.prices_of(entry) if _effective(p.start_date, p.end_date, day)]
        for wanted in ("location", "company"):
            candidates = [
                p
                for p in in_effect
                if p.price_type == wanted and (wanted == "company" or p.ottimate_location_id == location_id)
            ]
            if candidates:
                return max(candidates, key=lambda p: (p.start_date, p.created_at)).price
        return entry.price

    def variances(
        self, user: ApiUser, query: Mapping[str, str]
    ) -> list[tuple[CatalogEntry, VarianceItem, list[VarianceItem]]]:
        """Entries with matched invoice items: (entry, latest item, items in the window), filtered (§11)."""
        company_id = self._required_company(user, query)
        variance_only = _bool_param(query, "variance_only")
        start, end = parse_day(query, "invoice_start_date"), parse_day(query, "invoice_end_date")
        vendors = _csv(query.get("erp_vendor_ids"))
        locations = {_int_item(v, "ottimate_location_ids") for v in _csv(query.get("ottimate_location_ids"))}
        exception = query.get("exception_type") or None
        if outside_enum("exception_type", exception, ("underbilling", "overbilling")):
            return []
        expand = query.get("expand") or ""
        if expand not in ("", "invoice_items"):
            raise BadRequest(f"expand must be 'invoice_items', got {expand!r}", code=ErrorCode.INVALID_PARAMETER)
        out = []
        for entry in self.entries.values():
            if entry.ottimate_company_id != company_id or (vendors and entry.erp_vendor_id not in vendors):
                continue
            items = [
                i
                for i in self.invoice_items(entry)
                if (start is None or i.invoice_date >= start)
                and (end is None or i.invoice_date <= end)
                and (not locations or i.ottimate_location_id in locations)
                and self._state.org.can_read_location(user, i.ottimate_location_id)
            ]
            if not items:
                continue
            last = items[0]
            if variance_only and last.price_variance == 0:
                continue
            if exception == "overbilling" and last.price_variance <= 0:
                continue
            if exception == "underbilling" and last.price_variance >= 0:
                continue
            out.append((entry, last, items))
        return out

    # -- variance batches ------------------------------------------------------------------------

    def matching_variance_batches(self, user: ApiUser, query: Mapping[str, str]) -> list[VarianceBatch]:
        company_id = self._required_company(user, query)
        number = optional_int_param(query, "batch_number")
        after = dates.parse_filter(query, "exported_after")
        before = dates.parse_filter(query, "exported_before")
        return sorted(
            (
                b
                for b in self.variance_batches.values()
                if b.ottimate_company_id == company_id
                and b.export_status == "exported"  # only exported batches are listed (§11)
                and b.exported_at is not None
                and (number is None or b.batch_number == number)
                and dates.in_window(b.exported_at, after, before)
            ),
            key=lambda b: b.batch_number,
        )

    def export_variance_batch(self, user: ApiUser, batch_id: str) -> VarianceBatch:
        batch = self.variance_batches.get(batch_id)
        if batch is None:
            raise NotFound(f"variance batch {batch_id} not found")
        self._state.org.require_company_write(user, batch.ottimate_company_id)
        if batch.export_status == "exported":
            raise BadRequest(f"variance batch {batch_id} is already exported", code=ErrorCode.ALREADY_EXPORTED)
        batch.export_status, batch.exported_at = "exported", self._state.clock.now()
        return batch

    # -- helpers ---------------------------------------------------------------------------------

    def _required_company(self, user: ApiUser, query: Mapping[str, str]) -> int:
        company_id = optional_int_param(query, "ottimate_company_id")
        if company_id is None:
            raise BadRequest("ottimate_company_id is required", code=ErrorCode.INVALID_PARAMETER)
        self._state.org.require_company_read(user, company_id)
        return company_id

    def _check_target(self, company_id: int, target: str, data: Mapping[str, Any], where: str) -> None:
        location_id, group_id = data.get("ottimate_location_id"), data.get("ottimate_group_id")
        problem = None
        if target == "location" and location_id is None:
            problem = ("ottimate_location_id", "required when the target is location")
        elif target == "location_group" and group_id is None:
            problem = ("ottimate_group_id", "required when the target is location_group")
        elif location_id is not None:
            loc = self._state.org.locations.get(location_id)
            if loc is None or loc.company_id != company_id:
                problem = ("ottimate_location_id", f"location {location_id} is not in company {company_id}")
        if problem:
            raise ValidationFailed(
                f"{where}{problem[0]}: {problem[1]}", errors=[{"field": f"{where}{problem[0]}", "message": problem[1]}]
            )

    # -- seed ------------------------------------------------------------------------------------

    def seed(self, company_id: int) -> None:
        """Two entries with matched invoice lines (one over-, one under-billed) and three cost batches."""
        state = self._state
        company = state.org.companies[company_id]
        location_id = company.location_ids[0]
        today = state.clock.now().date()
        rows = [
            ("Test Item - Roma Tomatoes 25 lb", "SKU-TOM-25", "25 lb", 31.5, 33.0),
            ("Test Item - Whole Milk 1 gal", "SKU-MLK-1", "1 gal", 4.25, 4.0),
        ]
        for n, (name, sku, size, price, invoiced) in enumerate(rows, start=1):
            entry = self.upsert_entry(
                _system(state, company_id),
                {
                    "ottimate_company_id": company_id,
                    "erp_vendor_id": f"SEED-V{company_id}-{n}",
                    "item_name": name,
                    "sku": sku,
                    "size": size,
                    "uom": "case",
                    "price": price,
                    "prices": None,
                    "allowances": None,
                },
            )
            self._seeded_items[entry.id] = [
                VarianceItem(
                    id=state.ids.integer("invoice_item"),
                    invoice_id=state.ids.integer("seed_invoice"),
                    ottimate_location_id=location_id,
                    item_name=name,
                    price=p,
                    quantity=2.0,
                    invoice_date=today - timedelta(days=days),
                    price_variance=round(p - price, 4),
                    effective_price=p,
                )
                for days, p in ((10, price), (3, invoiced))
            ]
        exported_at = state.clock.now() - timedelta(days=2)
        for number, status in ((1, "exported"), (2, "pending"), (3, "pending")):
            batch = VarianceBatch(
                id=state.ids.token("ctb_", 12),
                ottimate_company_id=company_id,
                batch_number=number,
                export_status=status,
                exported_at=exported_at if status == "exported" else None,
                payload={
                    "description": f"Test Cost Batch {number}",
                    "zone": "Test Zone - Main",
                    "import_def_id": 0,  # 0: no Pyxis token configured (§11)
                    "external_batch_number": f"CB-{company_id}-{number}",
                    "start_datetime": dates.stamp_utc(exported_at),
                    "catalog_items": [{"catalog_entry_id": e} for e in self._seeded_items],
                },
            )
            self.variance_batches[batch.id] = batch


def _bulk_item(model: type[Body], body: Any, prefix: str) -> dict[str, Any]:
    """One item of a bulk batch, validated whatever faults are on (its problem becomes the task's message)."""
    data, problem = check(model, body, prefix=prefix)
    if data is None:
        raise ValidationFailed(problem or f"invalid {model.__name__}")
    return data


def _system(state: SandboxState, company_id: int) -> ApiUser:
    return (
        state.org.named_users["account"]
        if company_id in state.org.named_users["account"].company_ids
        else state.org.named_users["other_account"]
    )


def _deprecated_fields(body: dict[str, Any]) -> list[str]:
    """§19 #10: `description` → `item_name`, `pack_size` → `size`; accepted with a warning."""
    warnings = []
    for old, new in (("description", "item_name"), ("pack_size", "size")):
        if old in body:
            value = body.pop(old)
            if new not in body:
                body[new] = value
            warnings.append(f"`{old}` is deprecated; use `{new}`")
    return warnings


def _entry_dimensions(raw: list[dict[str, Any]] | None) -> dict[str, str] | None:
    """POS dimensions: a list of `{TYPE: name, "code"?: code}` objects (§19 #12: the [S] format)."""
    if raw is None:
        return None
    out: dict[str, str] = {}
    for n, item in enumerate(raw):
        keys = [k for k in item if k != "code"]
        if len(keys) != 1 or not isinstance(item[keys[0]], str) or not item[keys[0]]:
            raise ValidationFailed(
                f"dimensions[{n}] must be one {{TYPE: name}} pair, optionally with code",
                errors=[{"field": f"dimensions[{n}]", "message": "one type key with a name"}],
            )
        out[keys[0].upper()] = item[keys[0]]
    return out


def _decimal_param(query: Mapping[str, str], name: str) -> Decimal | None:
    raw = query.get(name)
    if not raw:
        return None
    try:
        return Decimal(str(float(raw)))
    except ValueError:
        raise BadRequest(f"{name} must be a number, got {raw!r}", code=ErrorCode.INVALID_PARAMETER) from None


def _bool_param(query: Mapping[str, str], name: str) -> bool:
    raw = (query.get(name) or "false").lower()
    if raw not in ("true", "false", "1", "0"):
        raise BadRequest(f"{name} must be true or false, got {raw!r}", code=ErrorCode.INVALID_PARAMETER)
    return raw in ("true", "1")


def _csv(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def _int_item(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(
            f"{name} must be a comma list of integers, got {raw!r}", code=ErrorCode.INVALID_PARAMETER
        ) from None
