"""The validation plan: which documented operations the partner's integration uses.

The default plan is every documented operation the suites exercise. A plan file
(``ottimate_validation.plan``) names the operations a partner integrates with and becomes
``ValidationPlan(name=..., operations=(...), source=path)``; the summary then reports those
operations as planned, whether or not the run exercised them, and a planned operation no passing
test evidenced keeps the run from being Ready (``summary.PLAN_CRITERION``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ottimate_validation.report.operations import OPERATIONS

DEFAULT_PLAN_NAME = "Default (every documented operation the suites exercise)"


@dataclass(frozen=True)
class ValidationPlan:
    name: str = DEFAULT_PLAN_NAME
    operations: tuple[str, ...] | None = None  # None: whatever the run exercised
    source: Path | None = None

    def planned(self, exercised: Iterable[str]) -> list[str]:
        """The planned operations, in the order of the documented catalogue (others last)."""
        wanted = set(self.operations) if self.operations is not None else set(exercised)
        order = {op.key: index for index, op in enumerate(OPERATIONS)}
        return sorted(wanted, key=lambda key: (order.get(key, len(order)), key))


def default_plan() -> ValidationPlan:
    return ValidationPlan()
