"""Known deviations: differences from our reading of the docs that Ottimate confirmed.

``known-deviations.toml`` (in the project root, or the file ``--known-deviations`` names) records each
one: the check (a test's node id, every case of it) or the decision (``sandbox/contract.py``) it is
about, why, who at Ottimate confirmed it and when::

    [[deviation]]
    decision = "error-message-names-the-field"
    reason = "Validation errors say 'invalid request'; the field is in errors[].field"
    confirmed_by = "Jane Doe, Ottimate partner engineering"
    confirmed_on = 2026-11-30

A failing check that matches an entry is filed as "Known deviation" with that note: it neither fails
the run nor keeps its criterion from Ready, and a nightly run's console lists only new failures. A check
that differs from our reading on several decisions is known only when every one of them is.

An entry that matched no failure is reported as no longer occurring, so the file stays clean, but only
when the run proves it: a check entry when that check ran and passed, a decision entry when a check
that exercised that decision (``our_reading``, recorded in its ``Check``) ran and passed.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

DEVIATIONS_FILE = "known-deviations.toml"
DEVIATIONS_ENV = "OTTIMATE_KNOWN_DEVIATIONS"


class DeviationsError(ValueError):
    """The file cannot be used; the message is one sentence naming the entry."""


@dataclass(frozen=True)
class Deviation:
    reason: str
    confirmed_by: str
    confirmed_on: str
    check: str | None = None  # a test's node id
    decision: str | None = None  # a decision's name

    @property
    def key(self) -> str:
        return f"check {self.check}" if self.check else f"decision {self.decision}"

    @property
    def note(self) -> str:
        return f"{self.reason} (confirmed by {self.confirmed_by} on {self.confirmed_on})"

    def covers(self, test: str) -> bool:
        return self.check is not None and (test == self.check or test.startswith(self.check + "["))

    def matches(self, test: str, decision: str | None) -> bool:
        return self.covers(test) or (self.decision is not None and decision == self.decision)


class Ran(NamedTuple):
    """What the stale-entry logic needs of one check of a run."""

    test: str
    status: str
    differed: Sequence[str] = ()  # the decisions its failure differed on (DiffersFromOurReading)
    exercised: Sequence[str] = ()  # the decisions it rested on, as it ran (our_reading)


def _decisions(decisions: str | Sequence[str] | None) -> tuple[str, ...]:
    if decisions is None:
        return ()
    return (decisions,) if isinstance(decisions, str) else tuple(decisions)


@dataclass(frozen=True)
class KnownDeviations:
    entries: tuple[Deviation, ...] = ()
    source: Path | None = None

    def match(self, test: str, decisions: str | Sequence[str] | None) -> Deviation | None:
        """The entry a failure of ``test`` that differed on ``decisions`` is known by: one naming the check,
        else (every decision confirmed) the entry of its first decision."""
        by_check = next((d for d in self.entries if d.covers(test)), None)
        if by_check is not None:
            return by_check
        named = _decisions(decisions)
        found = [next((d for d in self.entries if d.decision == name), None) for name in named]
        return found[0] if found and all(found) else None

    def stale(self, ran: Iterable[Ran | tuple[str, str, str | Sequence[str] | None]]) -> list[Deviation]:
        """Entries no failing check matched, among those the run proves no longer occur: a check entry
        whose check ran and passed, a decision entry some check exercising that decision ran and passed."""
        checks = [Ran(r[0], r[1], _decisions(r[2]), _decisions(r[3]) if len(r) > 3 else ()) for r in ran]
        stale = []
        for d in self.entries:
            failed = [c for c in checks if c.status == "failed"]
            if any(d.covers(c.test) or (d.decision is not None and d.decision in c.differed) for c in failed):
                continue
            passed = [c for c in checks if c.status == "passed"]
            proven = any(d.covers(c.test) for c in passed) if d.check is not None else False
            if d.decision is not None:
                proven = any(d.decision in c.exercised for c in passed)
            if proven:
                stale.append(d)
        return stale


def load(path: Path | None) -> KnownDeviations:
    """The known deviations in ``path`` (none when it does not exist); DeviationsError when it is wrong."""
    if path is None or not path.is_file():
        return KnownDeviations()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DeviationsError(f"{path} cannot be read: {exc}.") from None
    unknown = sorted(set(data) - {"deviation"})
    if unknown:
        raise DeviationsError(f"{path} has {', '.join(unknown)}; only [[deviation]] entries belong there.")
    entries = data.get("deviation", [])
    if not isinstance(entries, list):
        raise DeviationsError(f"{path}: deviation must be a list of [[deviation]] tables.")
    return KnownDeviations(tuple(_entry(path, n, entry) for n, entry in enumerate(entries, 1)), path)


def _entry(path: Path, n: int, entry: object) -> Deviation:
    where = f"{path}, deviation {n}"
    if not isinstance(entry, dict):
        raise DeviationsError(f"{where} is not a table.")
    check, decision = entry.get("check"), entry.get("decision")
    if (check is None) == (decision is None):
        raise DeviationsError(f"{where} must name either a check or a decision.")
    for name in ("reason", "confirmed_by"):
        value = entry.get(name)
        if not isinstance(value, str) or not value.strip():
            raise DeviationsError(f"{where} needs {name}: who at Ottimate confirmed what, in words.")
    confirmed_on = entry.get("confirmed_on")
    if not isinstance(confirmed_on, dt.date | str) or not str(confirmed_on).strip():
        raise DeviationsError(f"{where} needs confirmed_on, the date Ottimate confirmed it (e.g. 2026-11-30).")
    extra = sorted(set(entry) - {"check", "decision", "reason", "confirmed_by", "confirmed_on"})
    if extra:
        raise DeviationsError(f"{where} has unknown key(s) {', '.join(extra)}.")
    if check is not None and (not isinstance(check, str) or "::" not in check):
        raise DeviationsError(f"{where}: check must be a test's node id (suites/…/test_x.py::test_y).")
    if decision is not None and not isinstance(decision, str):
        raise DeviationsError(f"{where}: decision must be a decision's name.")
    return Deviation(
        reason=str(entry["reason"]).strip(),
        confirmed_by=str(entry["confirmed_by"]).strip(),
        confirmed_on=str(confirmed_on),
        check=check,
        decision=decision,
    )


def find(explicit: str | None, root: Path) -> Path:
    """``--known-deviations``, else ``OTTIMATE_KNOWN_DEVIATIONS``, else the project's ``known-deviations.toml``."""
    chosen = explicit or os.environ.get(DEVIATIONS_ENV, "").strip()
    return Path(chosen) if chosen else root / DEVIATIONS_FILE
