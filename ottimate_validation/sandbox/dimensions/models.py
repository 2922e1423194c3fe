"""Dimensions (§10): company-level classification entities, ids like `dim_VOH21Up3M7HV`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..accounts.models import ApiUser
from ..contract import DIMENSION_BULK_MAX, ErrorCode, OttimateType
from ..core.errors import BadRequest, NotFound
from ..core.validation import Body, Text, check, parse

if TYPE_CHECKING:
    from ..state import SandboxState


class DimensionFields(Body):
    erp_type: Text
    ottimate_type: OttimateType
    name: Text
    code: Text
    reference_id: Text
    erp_dimension_id: Text


class DimensionCreate(DimensionFields):
    ottimate_company_id: int


class DimensionBulk(Body):
    ottimate_company_id: int
    dimensions: list[Any]


@dataclass
class Dimension:
    id: str
    ottimate_company_id: int
    erp_type: str
    ottimate_type: str
    name: str
    code: str
    reference_id: str
    erp_dimension_id: str


_WRITABLE = ("erp_type", "ottimate_type", "name", "code", "reference_id", "erp_dimension_id")


class DimensionBackend:
    def __init__(self, state: SandboxState) -> None:
        self._state = state
        self._by_id: dict[str, Dimension] = {}
        self._by_reference: dict[tuple[int, str], str] = {}

    def get(self, user: ApiUser, dimension_id: str) -> Dimension:
        dimension = self._by_id.get(dimension_id)
        if dimension is None:
            raise NotFound(f"dimension {dimension_id} not found")
        self._state.org.require_company_read(user, dimension.ottimate_company_id)
        return dimension

    def matching(self, user: ApiUser, query: Mapping[str, str], company_id: int | None) -> list[Dimension]:
        if company_id is not None:
            self._state.org.require_company_read(user, company_id)
        erp_type = (query.get("erp_type") or "").casefold() or None
        if self._state.faults.on("filters_ignored"):
            company_id, erp_type = None, None
        visible = self._state.org.visible_companies(user)
        return [
            d
            for d in self._by_id.values()
            if (company_id is None or d.ottimate_company_id == company_id)
            and (visible is None or d.ottimate_company_id in visible)
            and (erp_type is None or d.erp_type.casefold() == erp_type)
        ]

    def create(self, user: ApiUser, body: dict[str, Any]) -> Dimension:
        data = parse(DimensionCreate, body, self._state.faults)
        company_id = data["ottimate_company_id"]
        if isinstance(company_id, int):
            self._state.org.require_company_write(user, company_id)
        if (company_id, data["reference_id"]) in self._by_reference and not self._state.faults.on(
            "validation_not_enforced"
        ):
            raise BadRequest(
                f"a dimension with reference_id {data['reference_id']!r} already exists in this company",
                code=ErrorCode.DUPLICATE,
            )
        dimension = self._insert(company_id, data)
        if self._state.faults.on("creates_duplicated"):
            self._insert(company_id, data)
        return dimension

    def bulk(self, user: ApiUser, body: dict[str, Any]) -> dict[str, list[Any]]:
        envelope = parse(DimensionBulk, body, self._state.faults)
        company_id = envelope["ottimate_company_id"]
        items = envelope["dimensions"] or []
        if not 1 <= len(items) <= DIMENSION_BULK_MAX:
            raise BadRequest(
                f"dimensions must hold 1 to {DIMENSION_BULK_MAX} items, got {len(items)}",
                code=ErrorCode.VALIDATION_ERROR,
            )
        self._state.org.require_company_write(user, company_id)
        created: list[Dimension] = []
        updated: list[Dimension] = []
        errors: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            data, problem = check(DimensionFields, item, prefix=f"dimensions[{index}].")
            if data is None:
                name = item.get("name") if isinstance(item, dict) else None
                errors.append(
                    {
                        "name": name if isinstance(name, str) else "",
                        "index": index,
                        "error": problem or "invalid dimension",
                    }
                )
                continue
            existing = self._by_reference.get((company_id, data["reference_id"]))
            if existing is None:
                created.append(self._insert(company_id, data))
            else:
                dimension = self._by_id[existing]
                if self._state.faults.on("bulk_updates_lost"):
                    dimension = replace(dimension)  # answered as updated, never stored
                for name in _WRITABLE:
                    setattr(dimension, name, self._state.stored_text(data[name]))
                updated.append(dimension)
        return {"created": created, "updated": updated, "errors": errors}

    def _insert(self, company_id: int, data: dict[str, Any]) -> Dimension:
        values = {name: self._state.stored_text(data.get(name)) for name in _WRITABLE}
        dimension = Dimension(id=self._state.ids.token("dim_"), ottimate_company_id=company_id, **values)
        self._by_id[dimension.id] = dimension
        if isinstance(dimension.reference_id, str):
            self._by_reference[(company_id, dimension.reference_id)] = dimension.id
        return dimension

    def seed(self, company_id: int, rows: list[tuple[str, str, str]], *, start: int = 1) -> None:
        for n, (erp_type, ottimate_type, name) in enumerate(rows, start=start):
            self._insert(
                company_id,
                {
                    "erp_type": erp_type,
                    "ottimate_type": ottimate_type,
                    "name": name,
                    "code": f"{n:04d}",
                    "reference_id": f"SEED-D{company_id}-{n}",
                    "erp_dimension_id": f"SEED-{erp_type.upper()}-{n}",
                },
            )
