"""All of one embedded sandbox's state, resettable in one call (moto's `reset`)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from typing import Any

from . import contract, journal, readings
from .accounts.models import Organisation, UserSecrets, default_created_at, generated_secrets
from .batch.models import BatchBackend
from .catalog.models import CatalogBackend
from .core.clock import Clock
from .core.idempotency import IdempotencyStore
from .core.ids import IdFactory
from .core.ratelimit import RateLimiter
from .core.scheduler import Scheduler
from .dimensions.models import DimensionBackend
from .faults import FaultSwitches
from .invoices.backend import InvoiceBackend
from .oauth.models import TokenService
from .purchase_orders.models import PurchaseOrderBackend
from .receipts.models import ReceiptBackend
from .variations import VariationSwitches
from .vendors.models import VendorBackend


@dataclass
class SandboxConfig:
    token_ttl_seconds: int = contract.DEFAULT_TOKEN_TTL_SECONDS
    rate_per_second: float = contract.RATE_PER_SECOND
    burst: int = contract.BURST
    daily_quota: int = contract.DAILY_QUOTA
    latency_ms: int = 0  # added inside the idempotency window, so in-flight keys can be observed
    batch_task_seconds: float = 1.0  # sandbox-clock time each async bulk task takes (§16; see DECISIONS)
    extraction_seconds: float = 30.0  # sandbox-clock time from upload to invoice (§13; see DECISIONS)


class SandboxState:
    def __init__(
        self,
        *,
        seed: int | None = None,
        config: SandboxConfig | None = None,
        account_secrets: UserSecrets | None = None,
        variations: Iterable[str] = (),
        journal_size: int = journal.DEFAULT_CAPACITY,
        decisions: readings.Overrides = readings.DEFAULT,
    ) -> None:
        self._seed = seed
        self._initial_variations = tuple(variations)
        self._initial_decisions = decisions
        self.decisions = decisions  # the choices that differ from ours (readings.py); replaced, never changed
        self._initial_config = config or SandboxConfig()
        account = account_secrets or generated_secrets("account")
        self.user_secrets = {
            "account": account,
            # Scoped API users of the same client account share its API key (§2: one key per account).
            "company": _with_key(generated_secrets("company"), account.api_key),
            "location": _with_key(generated_secrets("location"), account.api_key),
            "other_account": generated_secrets("other"),
        }
        self.lock = threading.RLock()  # one writer at a time; handlers run under it
        self.clock = Clock()
        self.faults = FaultSwitches()
        self.variations = VariationSwitches(self._initial_variations)
        self.config = SandboxConfig(**asdict(self._initial_config))
        self.rate_limiter = RateLimiter(
            self.clock, self.config.rate_per_second, self.config.burst, self.config.daily_quota
        )
        self.idempotency = IdempotencyStore(self.clock)
        self.scheduler = Scheduler(self.clock)
        self.journal = journal.Journal(journal_size)  # every exchange served; cleared by reset()
        self._build()

    def _build(self) -> None:
        self.ids = IdFactory(self._seed)
        single_site = self.decisions.takes("organisation-shape", "one-company")
        self.org = Organisation.seed(self.ids, self.user_secrets, default_created_at(), single_site=single_site)
        self.org.faults = self.faults
        self.tokens = TokenService(self.org, self.clock, self.faults, lambda: self.config.token_ttl_seconds)
        self.vendors = VendorBackend(self)
        self.dimensions = DimensionBackend(self)
        self.batches = BatchBackend(self)
        self.purchase_orders = PurchaseOrderBackend(self)
        self.receipts = ReceiptBackend(self)
        self.catalog = CatalogBackend(self)
        self.invoices = InvoiceBackend(self)
        for company in self.org.companies.values():
            self.vendors.seed(company.id, ["Test Vendor - Produce Supplier", "Test Vendor - Dairy Supplier"])
            self.dimensions.seed(
                company.id,
                [
                    ("GLACCOUNT", "account", "Test Dimension - Food Cost"),
                    ("Department", "department", "Test Dimension - Kitchen"),
                ],
            )
            self.catalog.seed(company.id)  # after vendors: entries take their vendor names
        if self.decisions.takes("other-data", "busy"):
            self._seed_other_data()

    #: "other-data": busy: what other people have put in each company of the account.
    OTHER_VENDORS, OTHER_DIMENSIONS, OTHER_INVOICES = 150, 60, 40

    def _seed_other_data(self) -> None:
        user = self.org.named_users["account"]
        for company in self.org.companies.values():
            if company.account_id != user.account_id:
                continue
            names = [f"Other Vendor - {company.id} - {n}" for n in range(self.OTHER_VENDORS)]
            self.vendors.seed(company.id, names, start=1000)
            rows = [("OtherType", "department", f"Other Dimension - {n}") for n in range(self.OTHER_DIMENSIONS)]
            self.dimensions.seed(company.id, rows, start=1000)
            vendor = self.vendors.matching(user, {}, company.id)[0]
            for n in range(self.OTHER_INVOICES):
                location = company.location_ids[n % len(company.location_ids)]
                price = 10.0 + n
                self.invoices.create(
                    user,
                    {
                        "ottimate_location_id": location,
                        "erp_vendor_id": vendor.erp_vendor_id,
                        "invoice_number": f"OTHER-{company.id}-{n}",
                        "invoice_date": "2026-01-15",
                        "total_amount": price,
                        "items": [{"name": f"Other Item - {n}", "quantity": 1, "price": price}],
                    },
                )

    def set_decisions(self, decisions: readings.Overrides) -> None:
        """Take other choices from now on; a change of those that shape the seeded organisation reseeds
        the store (the credentials stay)."""
        with self.lock:
            reseed = any(self.decisions.chosen.get(n) != decisions.chosen.get(n) for n in readings.SEEDING)
            self.decisions = decisions
            if reseed:
                self.scheduler.clear()
                self._build()

    def reset(self) -> None:
        with self.lock:
            self.clock.reset()
            self.faults.set(())
            self.variations.set(self._initial_variations)
            self.decisions = self._initial_decisions
            self.config = SandboxConfig(**asdict(self._initial_config))
            self.rate_limiter.configure(self.config.rate_per_second, self.config.burst, self.config.daily_quota)
            self.rate_limiter.reset()
            self.idempotency.clear()
            self.scheduler.clear()
            self.journal.clear()
            self._build()

    def config_dict(self) -> dict[str, Any]:
        return asdict(self.config)

    def configure(self, **changes: Any) -> None:
        known = {f.name: f.type for f in fields(SandboxConfig)}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown setting {name!r}; known: {', '.join(known)}")
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} must be a number >= 0")
        with self.lock:
            merged = {**asdict(self.config), **changes}
            self.rate_limiter.configure(
                float(merged["rate_per_second"]), int(merged["burst"]), int(merged["daily_quota"])
            )
            self.config = SandboxConfig(
                token_ttl_seconds=int(merged["token_ttl_seconds"]),
                rate_per_second=float(merged["rate_per_second"]),
                burst=int(merged["burst"]),
                daily_quota=int(merged["daily_quota"]),
                latency_ms=int(merged["latency_ms"]),
                batch_task_seconds=float(merged["batch_task_seconds"]),
                extraction_seconds=float(merged["extraction_seconds"]),
            )

    def stored_text(self, value: Any) -> Any:
        """Text as the store keeps it; `field_corrupted` mimics a lossy encoding on the way in."""
        if isinstance(value, str) and self.faults.on("field_corrupted"):
            return value.encode("ascii", "replace").decode("ascii")
        return value


def _with_key(s: UserSecrets, api_key: str) -> UserSecrets:
    return UserSecrets(api_key=api_key, client_id=s.client_id, client_secret=s.client_secret)
