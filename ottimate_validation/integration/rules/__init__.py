"""Every rule the judge applies, in the order of the criteria (``RULES``); one module per criterion.

Each rule is a ``model.Rule``: its id, title, criterion, passes, what it judges, its threshold and its
sources. ``docs/integration.md`` has the table, checked against this registry by a test.
"""

from __future__ import annotations

from ..model import Rule
from . import auth, core, data, errors, stability

RULES: tuple[Rule, ...] = (*auth.RULES, *core.RULES, *errors.RULES, *data.RULES, *stability.RULES)
BY_ID: dict[str, Rule] = {r.id: r for r in RULES}

__all__ = ["BY_ID", "RULES"]
