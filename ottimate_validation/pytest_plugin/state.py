"""The run as the pytest plugin holds it: one ``RunState`` per process, in ``config.stash``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ottimate_validation.run import Run
from ottimate_validation.run.budget import RequestBudget
from ottimate_validation.run.deviations import KnownDeviations
from ottimate_validation.run.ledger import Ledger
from ottimate_validation.run.plan import LoadedPlan
from ottimate_validation.run.target import Target


@dataclass
class TestTraffic:
    """What the current test of this process sent (tests run one at a time per process)."""

    __test__ = False

    nodeid: str
    phase: str = "setup"
    call_operations: set[str] = field(default_factory=set)
    last: Any = None  # (httpx.Request, httpx.Response | None) of the last exchange, for the reproducer
    count: int = 0
    decisions: list[str] = field(default_factory=list)  # the decisions it rested on, as it ran (readings.py)
    differences: list[Any] = field(default_factory=list)  # soft differences from our reading, raised at its end


@dataclass
class RunState:
    run: Run
    ledger: Ledger
    plan: LoadedPlan
    remote: Target | None  # a target given by URL; None: an embedded sandbox per process
    read_only: bool
    budget: RequestBudget | None
    worker: str | None
    temporary: Path | None = None  # a run folder this process made and removes at the end
    active: bool = True  # a validation run; False in a partner's own test suite (fixtures only)
    current: TestTraffic | None = None
    token_url: str | None = None  # the last token URL used, for reproducers
    collected: bool = False  # the controller has recorded how many tests were selected
    deviations: KnownDeviations = field(default_factory=KnownDeviations)
    #: Other choices where the docs are silent, for the embedded sandbox each process starts (its
    #: ``Overrides``; typed loosely: the plugin reaches the sandbox through ``EmbeddedSandbox`` only).
    sandbox_decisions: Any = None

    @property
    def controller(self) -> bool:
        return self.worker is None

    @property
    def has_control_plane(self) -> bool:
        return self.remote is None or self.remote.control is not None

    @property
    def entity_run_id(self) -> str:
        """The label entities created by this process carry: the run id, and the worker."""
        return f"{self.run.id}-{self.worker}" if self.worker else self.run.id


state_key = pytest.StashKey[RunState]()


def state_of(config: pytest.Config) -> RunState:
    try:
        return config.stash[state_key]
    except KeyError:
        raise RuntimeError("the ottimate plugin is not configured in this pytest run") from None
