"""A request budget: the most HTTP requests a validation run may send to the API.

One counter, kept in a small JSON file under a file lock (``filelock``), so every process of a run
(pytest's controller and each xdist worker) draws on the same budget. ``BudgetTransport`` sits
innermost in a client's transport stack, under retries and token fetching, so every attempt is
counted, and a request that would exceed the budget is never sent: ``RequestBudgetExhausted`` is
raised instead. The pytest side (``fixtures/budget.py``) turns that into a skip, with the reason
``request budget of N exhausted``, for the current test and every test after it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import httpx
from filelock import FileLock

BUDGET_ENV = "OTTIMATE_REQUEST_BUDGET"
#: Requests a run sent before pytest started (``ottimate-validate``'s own preflight), charged up front.
SPENT_ENV = "OTTIMATE_REQUESTS_ALREADY_SENT"
#: ``guard.preflight`` probes a target given by URL with two requests: GET /accounts, POST /oauth/token.
PREFLIGHT_REQUESTS = 2
#: Written into the run folder at the end of a budgeted run; the readiness summary reads it.
BUDGET_FILE = "request-budget.json"

_REASON = re.compile(r"request budget of [\d,]+ exhausted")


def skip_reason(limit: int) -> str:
    return f"request budget of {limit} exhausted"


def is_budget_skip(message: str) -> bool:
    """Whether a skip message is the budget's (``Skipped: request budget of 50 exhausted``)."""
    return bool(_REASON.search(message))


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
        super().__init__(skip_reason(limit))
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
            budget._write(BudgetState(limit=limit, used=used, refused=0))
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


class BudgetTransport(httpx.BaseTransport):
    """Counts every request against the budget before handing it on; refuses to send past it."""

    def __init__(self, transport: httpx.BaseTransport, budget: RequestBudget) -> None:
        self._transport = transport
        self._budget = budget

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._budget.take()
        return self._transport.handle_request(request)

    def close(self) -> None:
        self._transport.close()
