"""The access policy (`Organisation`): what an API user may read and change, with the fault
`scope_not_enforced` applied there and nowhere else."""

from __future__ import annotations

from pathlib import Path

import pytest

from ottimate_validation.sandbox import accounts
from ottimate_validation.sandbox.core.errors import Forbidden
from ottimate_validation.sandbox.state import SandboxState

SANDBOX = Path(accounts.__file__).resolve().parents[1]


def test_the_scope_fault_is_read_in_the_policy_only() -> None:
    readers = sorted(
        str(path.relative_to(SANDBOX))
        for path in SANDBOX.rglob("*.py")
        if '"scope_not_enforced"' in path.read_text(encoding="utf-8")
    )
    assert readers == ["accounts/models.py", "faults.py"]


def test_a_location_user_reads_its_location_only_until_the_scope_fault_widens_it() -> None:
    state = SandboxState(seed=3)
    org, user = state.org, state.org.named_users["location"]
    (own,) = user.location_ids
    other = next(loc for loc in org.locations if loc != own)
    other_company = next(c for c in org.companies if c not in user.company_ids)
    assert org.require_location_read(user, own).id == own
    assert (org.visible_locations(user), org.visible_companies(user)) == (user.location_ids, user.company_ids)
    with pytest.raises(Forbidden):
        org.require_location_read(user, other)
    with pytest.raises(Forbidden):
        org.require_company_read(user, other_company)
    with pytest.raises(Forbidden):
        org.require_company_write(user, min(user.company_ids))  # a location user never writes company data
    assert not org.owns(user, org.named_users["account"])

    state.faults.set(["scope_not_enforced"])
    assert org.require_location_read(user, other).id == other
    assert org.require_company_write(user, other_company).id == other_company
    assert (org.visible_locations(user), org.visible_companies(user)) == (None, None)
    assert org.can_read_location(user, other) and org.owns(user, org.named_users["account"])
    with pytest.raises(Forbidden):
        org.require_location_read(user, -1)  # an unknown location stays out of reach
