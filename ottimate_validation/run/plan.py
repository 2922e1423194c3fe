"""The validation plan file, and the ERP vendors and dimensions a partner supplies.

A plan file (``validation.toml``, or the ``[tool.ottimate-validation]`` table of a ``pyproject.toml``)
names the operations an integration uses; the run selects the suites for them and the report says
which are evidenced (``validation.example.toml`` documents the format)::

    [plan]
    name = "Acme AP sync"
    operations = ["GET /vendors", "POST /vendors/bulk"]
    areas = ["Dimensions"]                # every operation of an area
    notify_users = true                   # allow actions that notify people (flagging, §12.7)
    extraction_wait_minutes = 240         # how long extraction may take (human in the loop)
    [erp]
    vendors = "erp/vendors.csv"           # CSV or JSON, relative to the plan file
    dimensions = "erp/dimensions.json"

Where it is found (``find_plan``): an explicit path (``--plan``), else ``OTTIMATE_PLAN``, else
``validation.toml`` in the project root, else a ``pyproject.toml`` there with the table; without
any, the default plan (every operation). ``load_plan`` reads and checks everything, ERP files
included, so a mistake is one ``PlanError`` sentence (exit code 2) before a run writes anything.
"""

from __future__ import annotations

import csv
import difflib
import json
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError, field_validator

from ottimate_validation.report.operations import (
    ALIASES,
    AREA_OPERATIONS,
    GUIDE_ONLY,
    IMPLIED_OPERATIONS,
    OPERATIONS,
)

DEFAULT_PLAN_NAME = "Default (every documented operation the suites exercise)"
PLAN_ENV = "OTTIMATE_PLAN"
PLAN_FILE = "validation.toml"
PYPROJECT = "pyproject.toml"
PYPROJECT_TABLE = "ottimate-validation"  # [tool.ottimate-validation]
#: Records per ERP file: each is read back one request at a time, inside the daily quota (CONTRACT §4).
MAX_ERP_RECORDS = 200
SYNC_VENDORS = "POST /vendors/bulk"
SYNC_DIMENSIONS = "POST /dimensions/bulk"

PaymentMethod = Literal["credit_card", "ach", "check", "wire_transfer", "unknown"]
OttimateType = Literal[
    "account",
    "location",
    "department",
    "class",
    "project",
    "customer",
    "entity",
    "item",
    "warehouse",
    "task",
    "costtype",
    "employee",
    "taxcode",
    "property",
    "company",
    "subsidiary",
]


class PlanError(Exception):
    """The plan file or an ERP file is wrong; the message is one sentence for the user (exit code 2)."""


# ---------------------------------------------------------------------------------------------
# File structure


class _PlanTable(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: StrictStr | None = None
    operations: list[StrictStr] | None = None
    areas: list[StrictStr] | None = None
    notify_users: StrictBool | None = None
    extraction_wait_minutes: Annotated[float, Field(gt=0, le=24 * 60)] | None = None


class _ErpTable(BaseModel):
    model_config = ConfigDict(extra="forbid")
    vendors: StrictStr | None = None
    dimensions: StrictStr | None = None


class _IntegrationTable(BaseModel):
    """Read by the integration mode only; a validation run accepts it so one file serves both."""

    model_config = ConfigDict(extra="forbid")
    incremental: StrictBool = False


class _PlanFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan: _PlanTable | None = None
    erp: _ErpTable | None = None
    integration: _IntegrationTable | None = None


class _ErpRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        # An empty CSV cell means "no value", as an absent JSON key does.
        return None if isinstance(value, str) and not value.strip() else value


class ErpVendor(_ErpRecord):
    """A vendor as ``POST /vendors/bulk`` takes it (CONTRACT §9)."""

    erp_vendor_id: StrictStr
    erp_vendor_name: StrictStr
    email: StrictStr | None = None
    phone: StrictStr | None = None
    net_terms: StrictStr | None = None
    payment_method: PaymentMethod | None = None
    address_line_1: StrictStr | None = None
    address_line_2: StrictStr | None = None
    city: StrictStr | None = None
    state: StrictStr | None = None
    zipcode: StrictStr | None = None

    @property
    def key(self) -> str:
        return self.erp_vendor_id


class ErpDimension(_ErpRecord):
    """A dimension as ``POST /dimensions/bulk`` takes it: all six fields are required (CONTRACT §10)."""

    erp_dimension_id: StrictStr
    name: StrictStr
    erp_type: StrictStr
    ottimate_type: OttimateType
    code: StrictStr
    reference_id: StrictStr

    @property
    def key(self) -> str:
        return self.erp_dimension_id


Record = TypeVar("Record", ErpVendor, ErpDimension)


@dataclass(frozen=True)
class LoadedPlan:
    """A checked plan. ``operations`` None: the default plan, every operation."""

    name: str = DEFAULT_PLAN_NAME
    operations: tuple[str, ...] | None = None
    source: Path | None = None
    erp_vendors: tuple[ErpVendor, ...] | None = None
    erp_vendors_file: Path | None = None
    erp_dimensions: tuple[ErpDimension, ...] | None = None
    erp_dimensions_file: Path | None = None
    # [integration] incremental: the integration syncs incrementally (its repeat pass reads by date)
    incremental: bool = False
    #: The partner allows actions that notify people of their organisation (flagging an invoice, §12.7).
    notify_users: bool = False
    #: How long an extraction may take before its checks are not evidenced (None: the run's default).
    extraction_wait_minutes: float | None = None

    @property
    def restricts(self) -> bool:
        return self.operations is not None

    @property
    def planned(self) -> frozenset[str]:
        return frozenset(self.operations or ())

    @property
    def label(self) -> str:
        """The plan as the report names it: its name, and the file it came from."""
        return f"{self.name} ({self.source})" if self.source else self.name

    def ordered(self, exercised: Iterable[str]) -> list[str]:
        """The planned operations (without a plan file: those the run exercised, the guide-only ones
        aside), in the order of the documented catalogue, others last."""
        wanted = set(self.operations) if self.operations is not None else set(exercised) - GUIDE_ONLY
        order = {op.key: index for index, op in enumerate(OPERATIONS)}
        return sorted(wanted, key=lambda key: (order.get(key, len(order)), key))


DEFAULT = LoadedPlan()


# ---------------------------------------------------------------------------------------------
# Finding and reading the plan


def find_plan(explicit: str | os.PathLike[str] | None, root: Path) -> Path | None:
    """The plan file to use: ``--plan``, else ``OTTIMATE_PLAN``, else one in the project root."""
    chosen = explicit or os.environ.get(PLAN_ENV) or None
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_file():
            where = "" if explicit else f" (from {PLAN_ENV})"
            raise PlanError(f"The plan file {path}{where} does not exist.")
        return path.resolve()
    if (root / PLAN_FILE).is_file():
        return (root / PLAN_FILE).resolve()
    pyproject = root / PYPROJECT
    if pyproject.is_file():
        try:
            has_table = _tool_table(tomllib.loads(pyproject.read_text(encoding="utf-8"))) is not None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            has_table = False  # a broken pyproject.toml is pip's and pytest's to report, not a plan
        if has_table:
            return pyproject.resolve()
    return None


def _tool_table(pyproject: dict[str, Any]) -> dict[str, Any] | None:
    tool = pyproject.get("tool")
    table = tool.get(PYPROJECT_TABLE) if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else None


def resolve_plan(explicit: str | os.PathLike[str] | None, root: Path) -> LoadedPlan:
    """Find and load the plan (the default plan when there is no file)."""
    path = find_plan(explicit, root)
    return load_plan(path) if path is not None else DEFAULT


def load_plan(path: Path) -> LoadedPlan:
    """Read a plan file and every ERP file it names; raise ``PlanError`` at the first mistake."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"The plan file {path} cannot be read ({_reason(exc)}).") from None
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"{path} is not valid TOML: {exc}.") from None
    prefix = ""
    if path.name == PYPROJECT:
        tool_table = _tool_table(data)
        if tool_table is None:
            raise PlanError(f"{path} has no [tool.{PYPROJECT_TABLE}] table to read the plan from.")
        data, prefix = tool_table, f"tool.{PYPROJECT_TABLE}."
    try:
        parsed = _PlanFile.model_validate(data)
    except ValidationError as exc:
        raise PlanError(f"{path}: {_structure_error(exc, prefix)}.") from None
    table = parsed.plan or _PlanTable()
    operations = _planned_operations(table, path, prefix)
    erp = parsed.erp or _ErpTable()
    for key, given, operation in (
        ("vendors", erp.vendors, SYNC_VENDORS),
        ("dimensions", erp.dimensions, SYNC_DIMENSIONS),
    ):
        # The ERP records are synced by the tests of that operation; unplanned, they would never run.
        if given is not None and operations is not None and operation not in operations:
            raise PlanError(
                f"{path}: {prefix}erp.{key} is synced through {operation!r}, which the plan does not name; "
                f"add it to {prefix}plan.operations or leave the file out."
            )
    vendors_file = _erp_path(erp.vendors, path, f"{prefix}erp.vendors")
    dimensions_file = _erp_path(erp.dimensions, path, f"{prefix}erp.dimensions")
    return LoadedPlan(
        name=_plan_name(table.name, operations, path),
        operations=operations,
        source=path,
        erp_vendors=load_erp_file(vendors_file, ErpVendor) if vendors_file else None,
        erp_vendors_file=vendors_file,
        erp_dimensions=load_erp_file(dimensions_file, ErpDimension) if dimensions_file else None,
        erp_dimensions_file=dimensions_file,
        incremental=(parsed.integration or _IntegrationTable()).incremental,
        notify_users=bool(table.notify_users),
        extraction_wait_minutes=table.extraction_wait_minutes,
    )


def _plan_name(given: str | None, operations: tuple[str, ...] | None, path: Path) -> str:
    if given and given.strip():
        return given.strip()
    return DEFAULT_PLAN_NAME if operations is None else f"Plan of {path.name}"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return "it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else str(exc)


def _dotted(loc: Iterable[int | str], prefix: str = "") -> str:
    return prefix + ".".join(str(part) for part in loc)


_KNOWN_KEYS = {
    "": tuple(_PlanFile.model_fields),
    "plan": tuple(_PlanTable.model_fields),
    "erp": tuple(_ErpTable.model_fields),
    "integration": tuple(_IntegrationTable.model_fields),
}


def _structure_error(exc: ValidationError, prefix: str) -> str:
    error = exc.errors()[0]
    loc = tuple(error["loc"])
    key = _dotted(loc, prefix)
    if error["type"] == "extra_forbidden":
        known = _KNOWN_KEYS.get(".".join(str(p) for p in loc[:-1]), ())
        table = f"[{_dotted(loc[:-1], prefix)}]" if loc[:-1] else "the file"
        return f"unknown key {key!r}; the keys of {table} are {', '.join(known)}"
    if error["type"] == "bool_type":
        return f"{key!r} must be true or false"
    if error["type"] in ("list_type", "string_type", "model_type", "dict_type"):
        expected = {"list_type": "a list", "string_type": "a string"}.get(error["type"], "a table")
        if len(loc) == 3:  # an item of a list
            return f"{_dotted(loc[:2], prefix)} item {int(loc[2]) + 1} must be a string"
        return f"{key!r} must be {expected}"
    return f"{key!r}: {error['msg']}"


_PLACEHOLDER = re.compile(r"\{[^/{}]*\}")


def _normalise(operation: str) -> str:
    """``get /v1/vendors/{vendor_id}/`` -> ``GET /vendors/{id}``; aliases to their operation."""
    parts = operation.split(None, 1)
    if len(parts) != 2:
        return " ".join(parts).upper()
    method, path = parts[0].upper(), parts[1].strip()
    path = "/" + path.strip("/")
    path = re.sub(r"^/v\d+(?=/)", "", path)
    key = f"{method} {_PLACEHOLDER.sub('{id}', path)}"
    key = ALIASES.get(key, key)
    return _BY_SHAPE.get(key, key)


_OPERATION_KEYS = tuple(op.key for op in OPERATIONS)
# Placeholder names do not matter: "{approval_id}" and "{id}" are the same path parameter.
_BY_SHAPE = {_PLACEHOLDER.sub("{id}", key): key for key in _OPERATION_KEYS}


def _suggest(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


def _planned_operations(table: _PlanTable, path: Path, prefix: str) -> tuple[str, ...] | None:
    if table.operations is None and table.areas is None:
        return None  # a [plan] without a list (or none at all): every operation
    wanted: set[str] = set(IMPLIED_OPERATIONS)
    for key, given in (("operations", table.operations), ("areas", table.areas)):
        if given is not None and not [entry for entry in given if entry.strip()]:
            what = "operation" if key == "operations" else "area"
            raise PlanError(
                f"{path}: {prefix}plan.{key} is empty; list at least one documented {what}, "
                "or leave the list out to validate every operation."
            )
    for raw in table.operations or ():
        if not raw.strip():
            continue
        key = _normalise(raw)
        if key not in _OPERATION_KEYS:
            raise PlanError(
                f"{path}: {raw!r} in {prefix}plan.operations is not a documented operation"
                f"{_suggest(key, _OPERATION_KEYS) or '; the documented ones are listed in CONTRACT §20'}"
            )
        wanted.add(key)
    areas = {area.lower(): area for area in AREA_OPERATIONS}
    for raw in table.areas or ():
        if not raw.strip():
            continue
        area = areas.get(" ".join(raw.split()).lower())
        if area is None:
            raise PlanError(
                f"{path}: {raw!r} in {prefix}plan.areas is not an API area"
                f"{_suggest(raw, list(AREA_OPERATIONS)) or ''}; the areas are {', '.join(AREA_OPERATIONS)}."
            )
        wanted.update(AREA_OPERATIONS[area])
    order = {key: index for index, key in enumerate(_OPERATION_KEYS)}
    return tuple(sorted(wanted, key=lambda key: order[key]))


def _erp_path(given: str | None, plan_path: Path, key: str) -> Path | None:
    if given is None:
        return None
    if not given.strip():
        raise PlanError(f"{plan_path}: {key} is empty; name a CSV or JSON file, or leave it out.")
    path = Path(given).expanduser()
    path = path if path.is_absolute() else plan_path.parent / path
    if not path.is_file():
        raise PlanError(f"{plan_path}: the {key} file {path} does not exist.")
    if path.suffix.lower() not in (".csv", ".json"):
        raise PlanError(f"{plan_path}: the {key} file {path} must be a .csv or .json file.")
    return path


# ---------------------------------------------------------------------------------------------
# ERP files


def load_erp_file(path: Path, model: type[Record]) -> tuple[Record, ...]:
    """Every record of a CSV (header row first) or JSON (a list of objects) file, checked."""
    kind = "vendors" if model is ErpVendor else "dimensions"
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: spreadsheets write a byte-order mark
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"The ERP file {path} cannot be read ({_reason(exc)}).") from None
    rows = _csv_rows(text, path, model) if path.suffix.lower() == ".csv" else _json_rows(text, path, kind)
    if not rows:
        raise PlanError(f"The ERP file {path} has no {kind}.")
    if len(rows) > MAX_ERP_RECORDS:
        raise PlanError(
            f"The ERP file {path} has {len(rows)} {kind}; a run syncs at most {MAX_ERP_RECORDS}, so supply a sample."
        )
    records: list[Record] = []
    seen: dict[str, str] = {}
    for where, row in rows:
        try:
            record = model.model_validate(row)
        except ValidationError as exc:
            raise PlanError(f"{path} {where}: {_field_error(exc)}.") from None
        if record.key in seen:
            id_field = next(iter(model.model_fields))
            raise PlanError(f"{path} {where}: {id_field} {record.key!r} repeats {seen[record.key]}.")
        seen[record.key] = where
        records.append(record)
    return tuple(records)


def _csv_rows(text: str, path: Path, model: type[BaseModel]) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.DictReader(text.splitlines(keepends=True))
    header = [name.strip() for name in reader.fieldnames or ()]
    if not header:
        return []
    unknown = [name for name in header if name not in model.model_fields]
    if unknown:
        raise PlanError(
            f"{path} row 1: unknown column {unknown[0]!r}{_suggest(unknown[0], list(model.model_fields))} "
            f"(the columns are {', '.join(model.model_fields)})."
        )
    reader.fieldnames = header
    rows: list[tuple[str, dict[str, Any]]] = []
    try:
        for number, row in enumerate(reader, start=2):  # row 1 is the header, as a spreadsheet counts
            if None in row:
                raise PlanError(f"{path} row {number}: it has more cells than the header has columns.")
            if all(value is None or not value.strip() for value in row.values()):
                continue  # a blank line
            rows.append((f"row {number}", {k: v for k, v in row.items() if v is not None}))
    except csv.Error as exc:
        raise PlanError(f"{path} is not valid CSV near line {reader.line_num}: {exc}.") from None
    return rows


def _json_rows(text: str, path: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanError(f"{path} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).") from None
    if isinstance(data, Mapping) and set(data) == {kind}:
        data = data[kind]  # {"vendors": [...]}, as the bulk endpoints take them
    if not isinstance(data, list):
        raise PlanError(f"{path} must hold a JSON list of {kind} (or {{{kind!r}: [...]}}).")
    rows: list[tuple[str, dict[str, Any]]] = []
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise PlanError(f"{path} item {index}: must be a JSON object, not {type(item).__name__}.")
        rows.append((f"item {index}", item))
    return rows


def _field_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    name = ".".join(str(part) for part in error["loc"]) or "the record"
    kind = error["type"]
    if kind == "missing":
        return f"{name!r} is required"
    if kind == "extra_forbidden":
        return f"{name!r} is not a field of this record"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        choices = ", ".join(re.findall(r"'([^']*)'", str(expected)))
        return f"{name!r} must be one of {choices} (not {error['input']!r})"
    if kind == "string_type" and error["input"] is None:
        return f"{name!r} is required and must not be empty"
    if kind == "string_type":
        return f"{name!r} must be text (not {error['input']!r})"
    return f"{name!r}: {error['msg']}"
