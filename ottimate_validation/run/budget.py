"""A request budget: the most HTTP requests a run may send to the API (``--request-budget N``).

One counter in the run folder, under a file lock (``filelock``), so every process of a run (the command
line's preflight, pytest's controller, each xdist worker) draws on the same budget. ``LedgerTransport``
takes one unit before every attempt it sends to the API (token requests and retries included; the
embedded sandbox's control plane is not the API), and a request that would exceed the budget is never
sent: ``RequestBudgetExhausted`` is raised instead, which the pytest plugin turns into a skip of that
test and of every test after it. What was spent is read from the ledger, not from this counter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

BUDGET_ENV = "OTTIMATE_REQUEST_BUDGET"
COUNTER_FILE = "budget.json"


def parse_budget(value: str, source: str) -> int:
    """A budget given as text; ValueError with one sentence naming ``source`` when it is not one."""
    text = value.strip().replace("_", "")
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{source} must be a whole number of requests, 1 or more (got {value!r}).")
    return int(text)


class RequestBudgetExhausted(BaseException):
    """The next request would exceed the budget, so it was not sent.

    A BaseException, like KeyboardInterrupt, so that no ``except Exception`` on the way (a suite's own
    handling, Hypothesis shrinking, a retry loop) swallows it: the test must stop at once.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(f"request budget of {limit} exhausted")
        self.limit = limit


@dataclass(frozen=True)
class BudgetState:
    limit: int
    used: int  # requests sent (or charged up front)
    refused: int  # requests not sent because the budget was spent

    @property
    def exhausted(self) -> bool:
        return self.refused > 0


class RequestBudget:
    """A request counter shared by processes through a file; ``take()`` before every request."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = FileLock(f"{path}.lock")
        self._exhausted = False  # once refused, this process never needs the lock again

    @classmethod
    def create(cls, path: Path, limit: int, used: int = 0) -> RequestBudget:
        budget = cls(path)
        with budget._lock:
            budget._write(BudgetState(limit=limit, used=min(used, limit), refused=0))
        return budget

    def _read(self) -> BudgetState:
        data = json.loads(self.path.read_text(encoding="utf-8"))
        return BudgetState(limit=int(data["limit"]), used=int(data["used"]), refused=int(data["refused"]))

    def _write(self, state: BudgetState) -> None:
        text = json.dumps({"limit": state.limit, "used": state.used, "refused": state.refused})
        self.path.write_text(text, encoding="utf-8")

    def state(self) -> BudgetState:
        with self._lock:
            return self._read()

    @property
    def limit(self) -> int:
        return self.state().limit

    def exhausted(self) -> bool:
        if not self._exhausted:
            self._exhausted = self.state().exhausted
        return self._exhausted

    def take(self) -> None:
        """Count one request, or raise RequestBudgetExhausted when it would exceed the budget."""
        with self._lock:
            state = self._read()
            if state.refused or state.used >= state.limit:
                # Once refused, always refused: a smaller request later must not slip in and make
                # the skipped tests' order depend on timing.
                self._write(BudgetState(state.limit, state.used, state.refused + 1))
                self._exhausted = True
                raise RequestBudgetExhausted(state.limit)
            self._write(BudgetState(state.limit, state.used + 1, state.refused))

    def remove(self) -> None:
        """Delete the counter once the run is over (its figure lives in the ledger)."""
        self.path.unlink(missing_ok=True)
        Path(f"{self.path}.lock").unlink(missing_ok=True)
