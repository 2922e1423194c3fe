"""Other readings of the docs: which choice the embedded sandbox takes for each configurable decision.

Where the documentation is silent the sandbox decides (`contract.DECISIONS`); a configurable decision also
names other plausible choices. `Overrides` says which choice differs from ours, and comes from:

- a named **reading** (`READINGS`): a set of other plausible choices that belong together, such as what a
  Django REST framework stack does where the docs are silent (`ottimate-sandbox readings` lists them);
- an **overrides file**, so a partner can make the embedded sandbox answer as they saw the real one do
  (`ottimate-sandbox serve --decisions FILE`, `EmbeddedSandbox(decisions=...)`, a validation run's
  `--sandbox-decisions FILE` or `OTTIMATE_SANDBOX_DECISIONS`)::

      # observed.toml: what Ottimate's sandbox was seen to do
      reading = "framework-defaults"      # optional: start from a named reading
      [decisions]                         # then each decision by name (docs/sandbox.md), one of its choices
      page-size-limits = "clamp"
      error-code-strings = "snake-case-words"   # ours again, over the reading's

- the control plane: `GET`/`PUT /_sandbox/decisions`.

A mistake in a file is one `OverridesError` sentence naming what to fix. During a request, the code that
has no handle on the sandbox's state (pagination, the error envelope) reads the overrides in force with
`current()`; the app sets them for each request.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from .contract import DECISIONS, Decision, decision_named


@dataclass(frozen=True)
class Reading:
    name: str
    description: str
    overrides: Mapping[str, str]


READINGS: Final[tuple[Reading, ...]] = (
    Reading(
        "framework-defaults",
        "What a Django REST framework stack does where the docs are silent (the list envelopes look like one): "
        "page sizes clamped, 404 for a page that does not exist, newest first, 415 for another content type, "
        "framework bodies for unknown routes, null for empty fields, read-only fields ignored, another user's "
        "batch not found, a duplicate vendor 409, an unknown API version ignored, filter values not validated.",
        {
            "page-size-limits": "clamp",
            "page-numbers": "not-found",
            "list-order": "newest-first",
            "wrong-content-type-on-a-json-endpoint": "415",
            "unknown-route-wrong-method": "framework-detail",
            "invoice-fields-without-a-value": "null",
            "immutable-fields-on-patch": "ignore-changes",
            "unknown-or-foreign-batch-id": "404-for-foreign",
            "duplicate-erp-vendor-id-on-single-create": "409",
            "x-api-version-values": "ignore-unknown",
            "undocumented-filter-values": "match-nothing",
        },
    ),
    Reading(
        "other-vocabulary",
        "Other words for the same answers: error codes that are HTTP reason phrases, messages that name no "
        "field, underscored invoice statuses, a lenient token endpoint, a malformed id refused with 400, vendor text "
        "of at most 100 characters.",
        {
            "error-code-strings": "reason-phrases",
            "error-message-names-the-field": "generic",
            "invoice-status-spellings": "underscored",
            "token-endpoint-errors": "lenient",
            "unknown-or-malformed-entity-id": "malformed-is-400",
            "text-field-lengths": "100",
        },
    ),
    Reading(
        "no-approval-policy",
        "An organisation without an approval policy: a complete invoice goes straight to ready-for-export.",
        {"approval-policy": "none"},
    ),
    Reading(
        "one-approver",
        "One approver per location, and an unexported invoice goes back for approval.",
        {"approval-policy": "one-approver", "export-rules": "back-to-approval"},
    ),
    Reading(
        "reference-only",
        "The API exactly as the Reference describes it: no POST /invoices, no approval actions, import results "
        "naming only the invoice, line items only in the list, UUID invoice ids only, no ETag.",
        {
            "create-invoice-extension": "absent",
            "approval-actions-extension": "absent",
            "invoice-import": "ids-only",
            "invoice-line-items": "list-only",
            "invoice-ids": "uuid-only",
            "concurrent-invoice-edits-412": "no-etag",
        },
    ),
    Reading(
        "single-site",
        "A single-site client: one company, one location, no vendor with item validation (no receiver export, "
        "no price variance from the run's invoices), inconsistent invoices held as incomplete, due dates "
        "computed from the vendor's net terms.",
        {
            "organisation-shape": "one-company",
            "receiver-export": "no-vendor-validated",
            "variances": "item-validation-only",
            "invoice-lifecycle": "incomplete",
            "extraction": "due-from-net-terms",
        },
    ),
    Reading(
        "busy-and-slow",
        "A sandbox other people use, slowly: other data in every list, invoice details cached for 5 minutes, "
        "human-in-the-loop extraction that takes hours, scoped users listing the whole account.",
        {
            "other-data": "busy",
            "invoice-detail-cache": "cached-5-minutes",
            "extraction-turnaround": "hours",
            "companies-and-locations-seen-by-a-scoped-user": "whole-account",
        },
    ),
)

READINGS_BY_NAME: Final = {reading.name: reading for reading in READINGS}

#: Decisions whose choice shapes the seeded organisation: a change reseeds the store.
SEEDING: Final = frozenset({"organisation-shape", "other-data"})


class OverridesError(ValueError):
    """An overrides file or request the sandbox cannot use; the message is one sentence naming what to fix."""


@dataclass(frozen=True)
class Overrides:
    """The choices that differ from ours (every other configurable decision takes its default)."""

    chosen: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    reading: str | None = None
    source: str | None = None  # where they came from (a file's path), for messages

    def choice(self, decision: str) -> str:
        """The choice in force for ``decision`` (its default unless overridden)."""
        found = self.chosen.get(decision)
        if found is not None:
            return found
        known = decision_named(decision)
        if known is None or not known.configurable:
            raise KeyError(f"{decision!r} is not a configurable decision")
        return known.default

    def takes(self, decision: str, choice: str) -> bool:
        return self.chosen.get(decision) == choice

    def effective(self) -> dict[str, str]:
        """Every configurable decision and the choice in force."""
        return {d.id: self.chosen.get(d.id, d.default) for d in DECISIONS if d.configurable}

    def describe(self) -> str:
        if not self.chosen:
            return "our reading"
        named = f"reading {self.reading}" if self.reading else "overrides"
        listed = ", ".join(f"{k}={v}" for k, v in sorted(self.chosen.items()))
        return f"{named} ({listed})"


DEFAULT: Final = Overrides()


def configurable() -> list[Decision]:
    return [d for d in DECISIONS if d.configurable]


def _closest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def overrides(
    reading: str | None = None, decisions: Mapping[str, Any] | None = None, *, where: str = "the overrides"
) -> Overrides:
    """Overrides from a reading's name and decisions by name; ``OverridesError`` names the first mistake."""
    chosen: dict[str, str] = {}
    if reading is not None:
        if not isinstance(reading, str) or reading not in READINGS_BY_NAME:
            known = list(READINGS_BY_NAME)
            raise OverridesError(
                f"{where}: no reading named {reading!r}{_closest(str(reading), known)}; readings: {', '.join(known)}."
            )
        chosen.update(READINGS_BY_NAME[reading].overrides)
    for name, value in (decisions or {}).items():
        decision = decision_named(name)
        if decision is None:
            names = [d.id for d in DECISIONS]
            raise OverridesError(f"{where}: no decision named {name!r}{_closest(name, names)} (docs/sandbox.md).")
        if not decision.configurable:
            raise OverridesError(
                f"{where}: decision {name!r} has one choice in the embedded sandbox; configurable ones: "
                f"{', '.join(d.id for d in configurable())}."
            )
        if not isinstance(value, str) or value not in decision.choice_names:
            raise OverridesError(
                f"{where}: decision {name!r} takes one of {', '.join(repr(c) for c in decision.choice_names)}, "
                f"got {value!r}."
            )
        if value == decision.default:
            chosen.pop(name, None)
        else:
            chosen[name] = value
    return Overrides(MappingProxyType(dict(sorted(chosen.items()))), reading)


def load(path: str | Path) -> Overrides:
    """The overrides an overrides file gives (format in the module docstring)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OverridesError(f"The decisions file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise OverridesError(f"The decisions file {path} cannot be read ({exc}).") from None
    except tomllib.TOMLDecodeError as exc:
        raise OverridesError(f"The decisions file {path} is not valid TOML: {exc}.") from None
    extra = sorted(set(data) - {"reading", "decisions"})
    if extra:
        raise OverridesError(
            f'{path} has {", ".join(extra)}; only `reading = "NAME"` and a [decisions] table belong there.'
        )
    decisions = data.get("decisions", {})
    if not isinstance(decisions, dict):
        raise OverridesError(f'{path}: decisions must be a table ([decisions]) of decision = "choice" lines.')
    found = overrides(data.get("reading"), decisions, where=str(path))
    return Overrides(found.chosen, found.reading, str(path))


def as_toml(found: Overrides) -> str:
    """An overrides file that gives ``found`` (every override spelt out, for a partner to edit)."""
    lines = ["# What the embedded sandbox should do where the docs are silent (docs/sandbox.md)."]
    chosen = dict(found.chosen)
    if found.reading:
        lines.append(f'reading = "{found.reading}"')
        for name in READINGS_BY_NAME[found.reading].overrides:  # the reading's, taken back to ours
            decision = decision_named(name)
            if name not in chosen and decision is not None:
                chosen[name] = decision.default
    lines += ["", "[decisions]"]
    lines += [f'{name} = "{choice}"' for name, choice in sorted(chosen.items())]
    return "\n".join(lines) + "\n"


_current: ContextVar[Overrides] = ContextVar("ottimate_sandbox_overrides", default=DEFAULT)


def current() -> Overrides:
    """The overrides in force for the request being answered (ours outside a request)."""
    return _current.get()


@contextmanager
def in_force(found: Overrides) -> Iterator[None]:
    """``found`` is what `current()` answers inside (the app wraps each request in it)."""
    token = _current.set(found)
    try:
        yield
    finally:
        _current.reset(token)
