"""The validation plan as the integration mode reads it: the same file, found the same way.

The plan file (``ottimate_validation.run.plan``: operations, areas, ERP files) has one table that only
the integration mode acts on; a validation run accepts it, so one file serves both::

    [integration]
    incremental = true      # the integration syncs incrementally: on the repeat pass, a list read
                            # in full where it takes a date filter does not hold (else: reported only)

(in a ``pyproject.toml``: ``[tool.ottimate-validation.integration]``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ottimate_validation.run.plan import LoadedPlan, find_plan, load_plan


@dataclass(frozen=True)
class IntegrationPlan:
    plan: LoadedPlan | None  # None: no plan file
    incremental: bool = False


def resolve(explicit: str | os.PathLike[str] | None, root: Path) -> IntegrationPlan:
    path = find_plan(explicit, root)
    return load(path) if path is not None else IntegrationPlan(None)


def load(path: Path) -> IntegrationPlan:
    plan = load_plan(path)
    return IntegrationPlan(plan, plan.incremental)
