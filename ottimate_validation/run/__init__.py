"""A run from start to finish: one object, one folder, one ledger, one end.

A ``Run`` is what every process of a run agrees on: its id (carried by every entity it creates), its
folder, the target's facts (never credentials), the plan, the request budget, the shard. The command
line writes it as ``run.json`` in the run folder and hands pytest ``--run-dir``; the pytest plugin, its
xdist workers, the integration runner and the end of the run read it from there. Nothing else carries
facts between the processes: what happened is in the ledger (``run.ledger``), one file per process.

    run/
      __init__.py  Run: id, folder, target facts, plan, budget, shard; run.json
      target.py    settings, the one Target, preflight (production refused, probes)
      http.py      the one place an HTTP stack is assembled (LedgerTransport innermost)
      ledger.py    typed records of what happened, and the transport that writes exchanges
      budget.py    the request budget's shared counter
      plan.py      the validation plan and the partner's ERP files
      judge.py     verdicts and the readiness summary, from the ledger
      folder.py    run folders, ``latest``, history, pruning
      finish.py    the end of a run: summary, report, console, exit code (used by a run and by merge)
      cleanup.py   what runs left on a target
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ottimate_validation.run.ledger import LEDGER_DIR

RUN_FILE = "run.json"
RESULTS_DIR = "allure-results"
SCHEMA = 1

#: The validation suites (folders under suites/), in the order of Ottimate's validation checklist.
SUITE_NAMES = ("auth", "core", "errors", "integrity", "stability")
# pytest options that choose which tests run (or stop a run early): a run given one is partial.
_SELECTING = ("-k", "-m", "--deselect", "--lf", "--last-failed", "--sw", "--stepwise", "-x", "--exitfirst", "--maxfail")


class RunFileError(ValueError):
    """``run.json`` is missing or unreadable; the message is one sentence."""


def new_run_id() -> str:
    return uuid.uuid4().hex[:8]


@dataclass(frozen=True)
class Run:
    id: str
    folder: Path
    kind: str = "validation"  # validation | integration | merged
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    #: ``Target.facts()`` of a target given by URL; None: embedded sandboxes, one per test worker.
    target: Mapping[str, Any] | None = None
    read_only: bool = False
    plan: str | None = None  # the plan file, if any
    budget: int | None = None  # --request-budget
    shard: tuple[int, int] | None = None  # (index, count), 1-based
    selection: tuple[str, ...] = ()  # suites and pytest arguments asked for: shards must agree on it
    workers: str = "auto"
    #: For a merged run: the runs it joins ({"folder", "id", "shard"}); for an integration run: its passes.
    sources: Sequence[Mapping[str, Any]] = ()
    command: Sequence[str] = ()  # integration: the partner's command
    #: The embedded sandbox answered by other choices where the docs are silent (an overrides file or a
    #: named reading): how, in words. None: our reading, or a target given by URL.
    sandbox_decisions: str | None = None
    #: Written at the end: pytest's exit code, interruption, duration, a run error.
    finished: Mapping[str, Any] | None = None

    @property
    def whole(self) -> bool:
        """Every suite and every test was asked for: not a shard, no suite left out, no pytest argument that
        picks tests. Only a whole run's verdicts stand for the partner's readiness (and set its exit code)."""
        if self.kind == "integration" or self.shard is not None:
            return False
        count = next((i for i, item in enumerate(self.selection) if item not in SUITE_NAMES), len(self.selection))
        suites, args = set(self.selection[:count]), self.selection[count:]
        picks = any(
            arg.split("=", 1)[0] in _SELECTING
            or (arg[:2] in ("-k", "-m") and len(arg) > 2)  # -kname, -mslow
            or (not arg.startswith("-") and ("::" in arg or arg.endswith(".py") or arg.startswith("suites")))
            for arg in args
        )
        return suites == set(SUITE_NAMES) and not picks

    @property
    def ledger_dir(self) -> Path:
        return self.folder / LEDGER_DIR

    @property
    def results_dir(self) -> Path:
        return self.folder / RESULTS_DIR

    @property
    def file(self) -> Path:
        return self.folder / RUN_FILE

    @property
    def embedded(self) -> bool:
        return self.target is None

    @property
    def shard_label(self) -> str | None:
        return f"{self.shard[0]}/{self.shard[1]}" if self.shard else None

    def but(self, **changes: Any) -> Run:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["folder"] = str(self.folder)
        data["schema"] = SCHEMA
        return data

    def save(self) -> Path:
        """Write ``run.json`` (whole, then renamed into place: a reader never sees half of it)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        temp = self.folder / f".{RUN_FILE}.{uuid.uuid4().hex[:6]}"
        temp.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        temp.replace(self.file)
        return self.file

    @classmethod
    def load(cls, folder: Path) -> Run:
        path = folder / RUN_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or not isinstance(data.get("id"), str):
                raise ValueError("no run id")
            shard = data.get("shard")
            return cls(
                id=data["id"],
                folder=folder,
                kind=str(data.get("kind", "validation")),
                started_at=str(data.get("started_at", "")),
                target=data.get("target"),
                read_only=bool(data.get("read_only", False)),
                plan=data.get("plan"),
                budget=data.get("budget"),
                shard=(int(shard[0]), int(shard[1])) if isinstance(shard, list) and len(shard) == 2 else None,
                selection=tuple(str(s) for s in data.get("selection", ())),
                workers=str(data.get("workers", "auto")),
                sources=tuple(data.get("sources", ())),
                command=tuple(str(s) for s in data.get("command", ())),
                sandbox_decisions=data.get("sandbox_decisions"),
                finished=data.get("finished"),
            )
        except FileNotFoundError:
            raise RunFileError(f"{folder} is not a run folder: it has no {RUN_FILE}.") from None
        except (OSError, ValueError, TypeError, KeyError, IndexError):
            raise RunFileError(f"{path} is not a run description written by ottimate-validate.") from None


__all__ = ["RESULTS_DIR", "RUN_FILE", "Run", "RunFileError", "new_run_id"]
