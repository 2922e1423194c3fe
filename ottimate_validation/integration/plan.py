"""The validation plan as the integration mode reads it: the plan file, plus an ``[integration]`` table.

The plan file is the one a validation run reads (``ottimate_validation.run.plan``: operations, areas, ERP
files), found the same way. The integration mode adds one table that only it reads::

    [integration]
    incremental = true      # the integration syncs incrementally: on the repeat pass, a list read
                            # in full where it takes a date filter does not hold (else: reported only)

(in a ``pyproject.toml``: ``[tool.ottimate-validation.integration]``). The shared loader refuses keys it
does not know, so the table is taken out before it reads the file: the rest is written to a scratch
copy with the ERP paths made absolute, loaded there, and every message names the partner's own file.
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ottimate_validation.run.plan import PYPROJECT, PYPROJECT_TABLE, LoadedPlan, PlanError, find_plan, load_plan

TABLE = "integration"
_KNOWN = {"incremental": bool}


@dataclass(frozen=True)
class IntegrationPlan:
    plan: LoadedPlan | None  # None: no plan file
    incremental: bool = False


def resolve(explicit: str | os.PathLike[str] | None, root: Path) -> IntegrationPlan:
    path = find_plan(explicit, root)
    return load(path) if path is not None else IntegrationPlan(None)


def load(path: Path) -> IntegrationPlan:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return IntegrationPlan(load_plan(path))  # the shared loader says what is wrong, in its words
    pyproject = path.name == PYPROJECT
    holder = data.get("tool", {}).get(PYPROJECT_TABLE) if pyproject else data
    if not isinstance(holder, dict) or TABLE not in holder:
        return IntegrationPlan(load_plan(path))
    prefix = f"tool.{PYPROJECT_TABLE}." if pyproject else ""
    table = holder.pop(TABLE)
    incremental = _options(table, path, prefix)
    erp = holder.get("erp")
    if isinstance(erp, dict):
        for key, value in erp.items():
            if isinstance(value, str) and value.strip() and not Path(value).expanduser().is_absolute():
                erp[key] = str((path.parent / value).resolve())
    with tempfile.TemporaryDirectory(prefix="ottimate-plan-") as scratch:
        copy = Path(scratch) / path.name
        copy.write_text(_toml(data), encoding="utf-8")
        try:
            plan = load_plan(copy)
        except PlanError as exc:
            raise PlanError(str(exc).replace(str(copy), str(path))) from None
    return IntegrationPlan(replace(plan, source=path.resolve()), incremental)


def _options(table: Any, path: Path, prefix: str) -> bool:
    if not isinstance(table, dict):
        raise PlanError(f"{path}: {prefix}{TABLE} must be a table.")
    for key, value in table.items():
        if key not in _KNOWN:
            raise PlanError(
                f"{path}: unknown key {prefix}{TABLE}.{key!r}; the keys of [{prefix}{TABLE}] are incremental"
            )
        if not isinstance(value, _KNOWN[key]):
            raise PlanError(f"{path}: {prefix}{TABLE}.{key} must be true or false.")
    return bool(table.get("incremental", False))


def _toml(data: dict[str, Any], prefix: tuple[str, ...] = ()) -> str:
    """A TOML document for ``data`` (the values a plan holds: strings, booleans, numbers, lists, tables)."""
    lines: list[str] = []
    tables: list[tuple[str, dict[str, Any]]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{json.dumps(key, ensure_ascii=False)} = {_value(value)}")
    out = "\n".join(lines) + ("\n" if lines else "")
    for key, table in tables:
        name = ".".join(json.dumps(part, ensure_ascii=False) for part in (*prefix, key))
        out += f"\n[{name}]\n" + _toml(table, (*prefix, key))
    return out


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value), ensure_ascii=False)
