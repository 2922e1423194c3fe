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
the run nor keeps its criterion from Ready, and a nightly run's console lists only new failures. An
entry that matched nothing in a run whose matching checks ran and passed is reported as no longer
occurring, so the file stays clean.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

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

    def matches(self, test: str, decision: str | None) -> bool:
        if self.check is not None and (test == self.check or test.startswith(self.check + "[")):
            return True
        return self.decision is not None and decision == self.decision


@dataclass(frozen=True)
class KnownDeviations:
    entries: tuple[Deviation, ...] = ()
    source: Path | None = None

    def match(self, test: str, decision: str | None) -> Deviation | None:
        return next((d for d in self.entries if d.matches(test, decision)), None)

    def stale(self, ran: Iterable[tuple[str, str, str | None]]) -> list[Deviation]:
        """Entries no failing check matched, among those a check that ran could have matched:
        ``ran`` is (test, status, decision) of every check of the run."""
        ran = list(ran)
        return [
            d
            for d in self.entries
            if not any(d.matches(test, decision) for test, status, decision in ran if status == "failed")
            and (d.decision is not None or any(d.matches(test, None) for test, _, _ in ran))
        ]


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
