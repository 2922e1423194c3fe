"""The seeded organisation (§8, §2.2): accounts, companies, locations and the API users that see them.

Structure is read-only through the API, so it is created here at start-up. One linked account with
two companies and four locations, API users at every scope level, and a second account that no user
of ours is linked to (for 403 checks).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from ..core.errors import Forbidden, NotFound
from ..core.ids import IdFactory
from ..faults import FaultSwitches

ScopeLevel = Literal["account", "company", "location"]


@dataclass
class Account:
    id: str
    name: str
    created_at: datetime
    company_ids: list[int] = field(default_factory=list)


@dataclass
class Company:
    id: int
    name: str
    account_id: str
    plan: str
    location_ids: list[int] = field(default_factory=list)


@dataclass
class Location:
    id: int
    name: str
    company_id: int
    group: str
    active: bool = True


@dataclass(frozen=True)
class ApiUser:
    """An OAuth application acting as an API user; its scope limits what it sees (§2.2)."""

    client_id: str
    client_secret: str
    api_key: str
    account_id: str
    scope_level: ScopeLevel
    company_ids: frozenset[int]
    location_ids: frozenset[int]

    def can_read_company(self, company_id: int) -> bool:
        return company_id in self.company_ids

    def can_write_company(self, company_id: int) -> bool:
        # Vendors and dimensions are company-level; a location-level user may read them, not change them.
        return self.scope_level != "location" and company_id in self.company_ids

    def can_read_location(self, location_id: int) -> bool:
        return location_id in self.location_ids

    def __repr__(self) -> str:
        return f"ApiUser(client_id={self.client_id!r}, scope_level={self.scope_level!r})"


@dataclass(frozen=True)
class UserSecrets:
    api_key: str
    client_id: str
    client_secret: str


def generated_secrets(label: str) -> UserSecrets:
    return UserSecrets(
        api_key=f"sbx_key_{secrets.token_urlsafe(24)}",
        client_id=f"sbx_{label}_{secrets.token_hex(8)}",
        client_secret=f"sbx_secret_{secrets.token_urlsafe(32)}",
    )


@dataclass
class Organisation:
    accounts: dict[str, Account]
    companies: dict[int, Company]
    locations: dict[int, Location]
    users: dict[str, ApiUser]  # by client_id
    api_keys: dict[str, str]  # api key -> account id
    named_users: dict[str, ApiUser]  # "account", "company", "location", "other_account"
    faults: FaultSwitches = field(default_factory=FaultSwitches)

    @classmethod
    def seed(
        cls, ids: IdFactory, user_secrets: dict[str, UserSecrets], created_at: datetime, *, single_site: bool = False
    ) -> Organisation:
        """The seeded organisation; ``single_site`` ("organisation-shape": one-company): one company, one location."""
        accounts: dict[str, Account] = {}
        companies: dict[int, Company] = {}
        locations: dict[int, Location] = {}

        def account(name: str) -> Account:
            acc = Account(id=ids.digits("racc_", 20), name=name, created_at=created_at)
            accounts[acc.id] = acc
            return acc

        def company(acc: Account, name: str, plan: str) -> Company:
            comp = Company(id=ids.integer("company"), name=name, account_id=acc.id, plan=plan)
            companies[comp.id] = comp
            acc.company_ids.append(comp.id)
            return comp

        def location(comp: Company, name: str, group: str) -> Location:
            loc = Location(id=ids.integer("location"), name=name, company_id=comp.id, group=group)
            locations[loc.id] = loc
            comp.location_ids.append(loc.id)
            return loc

        main = account("Test Account - Harbor Restaurant Group")
        kitchens = company(main, "Test Company - Harbor Kitchens", "Basic")
        downtown = location(kitchens, "Test Location - Downtown", "Test Group - City")
        main_companies = [kitchens]
        if not single_site:
            bakeries = company(main, "Test Company - Harbor Bakeries", "Premium")
            location(kitchens, "Test Location - Airport", "Test Group - Travel")
            location(bakeries, "Test Location - Riverside", "Test Group - City")
            location(bakeries, "Test Location - Old Town", "Test Group - City")
            main_companies.append(bakeries)

        other = account("Test Account - Unlinked Partner")
        unlinked = company(other, "Test Company - Unlinked Foods", "Basic")
        location(unlinked, "Test Location - Elsewhere", "Test Group - Other")

        def locs_of(*comps: Company) -> frozenset[int]:
            return frozenset(lid for c in comps for lid in c.location_ids)

        named = {
            "account": ApiUser(
                **_secrets(user_secrets["account"]),
                account_id=main.id,
                scope_level="account",
                company_ids=frozenset(main.company_ids),
                location_ids=locs_of(*main_companies),
            ),
            "company": ApiUser(
                **_secrets(user_secrets["company"]),
                account_id=main.id,
                scope_level="company",
                company_ids=frozenset({kitchens.id}),
                location_ids=locs_of(kitchens),
            ),
            "location": ApiUser(
                **_secrets(user_secrets["location"]),
                account_id=main.id,
                scope_level="location",
                company_ids=frozenset({kitchens.id}),
                location_ids=frozenset({downtown.id}),
            ),
            "other_account": ApiUser(
                **_secrets(user_secrets["other_account"]),
                account_id=other.id,
                scope_level="account",
                company_ids=frozenset(other.company_ids),
                location_ids=locs_of(unlinked),
            ),
        }
        api_keys = {u.api_key: u.account_id for u in named.values()}
        return cls(accounts, companies, locations, {u.client_id: u for u in named.values()}, api_keys, named)

    # -- the access policy (§2.2) ----------------------------------------------------------------
    # What an API user may see and change, asked by every backend. `ApiUser` holds the grants; the fault
    # `scope_not_enforced` (every API user reaches everything) is applied here, in `_enforced`, only.

    def _enforced(self) -> bool:
        return not self.faults.on("scope_not_enforced")

    def visible_companies(self, user: ApiUser) -> frozenset[int] | None:
        """The companies the user may read; None: every company."""
        return user.company_ids if self._enforced() else None

    def visible_locations(self, user: ApiUser) -> frozenset[int] | None:
        """The locations the user may read; None: every location."""
        return user.location_ids if self._enforced() else None

    def can_read_company(self, user: ApiUser, company_id: int) -> bool:
        return user.can_read_company(company_id) or not self._enforced()

    def can_read_location(self, user: ApiUser, location_id: int) -> bool:
        return user.can_read_location(location_id) or not self._enforced()

    def owns(self, user: ApiUser, owner: ApiUser) -> bool:
        """Whether the user may read what `owner` created for itself (a batch)."""
        return owner.client_id == user.client_id or not self._enforced()

    def account_for(self, user: ApiUser, account_id: str) -> Account:
        acc = self.accounts.get(account_id)
        if acc is None:
            raise NotFound(f"account {account_id} not found")
        if acc.id != user.account_id and self._enforced():
            raise Forbidden(f"account {account_id} is not linked to this API user")
        return acc

    def require_company_read(self, user: ApiUser, company_id: int) -> Company:
        comp = self.companies.get(company_id)
        if comp is None or not self.can_read_company(user, company_id):
            raise Forbidden(f"ottimate_company_id {company_id} is outside this API user's scope")
        return comp

    def require_company_write(self, user: ApiUser, company_id: int) -> Company:
        comp = self.require_company_read(user, company_id)
        if not (user.can_write_company(company_id) or not self._enforced()):
            raise Forbidden(f"this API user may not change company {company_id}'s vendors or dimensions")
        return comp

    def require_location_read(self, user: ApiUser, location_id: int) -> Location:
        """A location the user's scope covers (403 otherwise, whether or not it exists, §2.2)."""
        loc = self.locations.get(location_id)
        if loc is None or not self.can_read_location(user, location_id):
            raise Forbidden(f"ottimate_location_id {location_id} is outside this API user's scope")
        return loc


def _secrets(s: UserSecrets) -> dict[str, str]:
    return {"api_key": s.api_key, "client_id": s.client_id, "client_secret": s.client_secret}


def default_created_at() -> datetime:
    return datetime(2025, 11, 24, 9, 0, tzinfo=UTC)
