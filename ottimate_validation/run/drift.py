"""Drift: where the API a run met answers differently, in shape, from the embedded sandbox.

A run against a real sandbox records the shape of every answer (``ledger.shape_of``: statuses, field
names and types, header names; never values), the words of the API's vocabulary it used (an error's
``code``, ``status`` values) and the order of its lists (by id or creation time). Compared with a
reference run against the embedded sandbox (the same suites, so the same requests), every difference is
listed per documented operation, with the decisions (``sandbox/contract.py``) it touches, so a partner can
correct our reading: record a known deviation, or feed the embedded sandbox an overrides file
(``--decisions``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ottimate_validation.run.ledger import Exchange, Records

#: Headers every server sets its own way; their presence says nothing about the contract. (``ETag`` is not
#: one: it is how the embedded sandbox reads the 412 of §12.4.)
ORDINARY_HEADERS = frozenset(
    {"date", "server", "content-length", "connection", "keep-alive", "transfer-encoding", "vary", "via"}
)

#: (operation, aspect, name, detail) -> the decisions it touches; detail: what each side answered.
DecisionIndex = Callable[[str, str, str, str], Sequence[str]]


@dataclass(frozen=True)
class Difference:
    operation: str
    aspect: str  # status | field | type | header | word | order
    name: str  # the status code, the field's path (``vendor.net_terms``), or the header
    observed: str  # what the API met answered
    reference: str  # what the embedded sandbox answered
    decisions: tuple[str, ...] = ()

    def sentence(self) -> str:
        touched = f" (decision: {', '.join(self.decisions)})" if self.decisions else ""
        return f"{self.operation}: {self.aspect} {self.name}: the API {self.observed}; ours {self.reference}{touched}"


@dataclass
class _Seen:
    statuses: set[int] = field(default_factory=set)
    fields: dict[int, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))
    headers: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    words: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # field -> words
    orders: set[str] = field(default_factory=set)


def flatten(shape: Any, prefix: str = "") -> dict[str, str]:
    """``{"vendor": {"id": "integer"}}`` -> ``{"vendor": "object", "vendor.id": "integer"}``."""
    flat: dict[str, str] = {}
    if isinstance(shape, dict):
        for key, value in shape.items():
            path = f"{prefix}.{key}" if prefix else key
            flat[path] = "object" if isinstance(value, dict) else ("list" if isinstance(value, list) else str(value))
            flat.update(flatten(value, path))
    elif isinstance(shape, list) and shape:
        flat.update(flatten(shape[0], f"{prefix}[]"))
    return flat


def _seen(exchanges: Iterable[Exchange]) -> dict[str, _Seen]:
    found: dict[str, _Seen] = defaultdict(_Seen)
    for x in exchanges:
        if not x.is_api or x.operation is None or x.status is None:
            continue
        seen = found[x.operation]
        seen.statuses.add(x.status)
        for path, kind in flatten(x.shape).items():
            seen.fields[x.status][path].add(kind)
        seen.headers[x.status].update(h for h in x.response_header_names if h not in ORDINARY_HEADERS)
        for name, words in (x.words or {}).items():
            seen.words[name].update(words)
        if x.order in ("ascending", "descending"):
            seen.orders.add(x.order)
    return found


def _ran(records: Records) -> set[str]:
    return {c.test for c in records.checks if c.status != "skipped"}


def compare(observed: Records, reference: Records, decisions: DecisionIndex | None = None) -> list[Difference]:
    """Every difference in shape between two runs, for the operations both exercised.

    The reference's answers count from the tests that ran in the observed run too, and for the operations
    the observed run sent outside them: a check the real sandbox's run skipped without a request (one
    needing our control plane, flagging without ``notify_users``) would otherwise show our answers to it (a
    429, a 200 to a flag) as answers the API never gave, while one skipped on what the API answered (a
    guide-only route's probe met a 404) must still be compared."""
    index = decisions or (lambda operation, aspect, name, detail: ())
    ran = _ran(observed) if observed.checks else None
    probed = {x.operation for x in observed.exchanges if ran is not None and x.test is not None and x.test not in ran}
    kept = [x for x in reference.exchanges if ran is None or x.test is None or x.test in ran or x.operation in probed]
    theirs, ours = _seen(observed.exchanges), _seen(kept)
    found: list[Difference] = []

    def add(
        operation: str, aspect: str, name: str, observed_text: str, reference_text: str, status: int | None = None
    ) -> None:
        detail = (
            f"status={status}; {observed_text} | {reference_text}" if status else f"{observed_text} | {reference_text}"
        )
        found.append(
            Difference(
                operation, aspect, name, observed_text, reference_text, tuple(index(operation, aspect, name, detail))
            )
        )

    for operation in sorted(set(theirs) & set(ours)):
        t, o = theirs[operation], ours[operation]
        for status in sorted(t.statuses - o.statuses):
            add(operation, "status", str(status), f"answered {status}", f"never did ({_codes(o.statuses)})")
        for status in sorted(o.statuses - t.statuses):
            add(operation, "status", str(status), f"never answered {status} ({_codes(t.statuses)})", "did")
        for status in sorted(t.statuses & o.statuses):
            tf, of = t.fields[status], o.fields[status]
            for path in sorted(set(of) - set(tf)):
                add(
                    operation, "field", path, f"leaves it out of its {status}", f"sends it ({_kinds(of[path])})", status
                )
            for path in sorted(set(tf) - set(of)):
                add(operation, "field", path, f"sends it in its {status} ({_kinds(tf[path])})", "does not", status)
            for path in sorted(set(tf) & set(of)):
                if tf[path] - {"null"} and of[path] - {"null"} and not (tf[path] & of[path]):
                    add(operation, "type", path, f"sends {_kinds(tf[path])}", f"sends {_kinds(of[path])}", status)
            for header in sorted(o.headers[status] - t.headers[status]):
                add(operation, "header", header, f"leaves it out of its {status}", "sends it", status)
            for header in sorted(t.headers[status] - o.headers[status]):
                add(operation, "header", header, f"sends it in its {status}", "does not", status)
        for name in sorted(set(t.words) & set(o.words)):
            new, gone = t.words[name] - o.words[name], o.words[name] - t.words[name]
            if new:
                add(operation, "word", name, f"says {_kinds(new)}", f"never does ({_kinds(o.words[name])})")
            if gone:
                add(operation, "word", name, f"never says {_kinds(gone)} ({_kinds(t.words[name])})", "does")
        if t.orders and o.orders and not (t.orders & o.orders):
            add(operation, "order", "list", f"lists {_kinds(t.orders)}", f"lists {_kinds(o.orders)}")
    return found


def _codes(statuses: set[int]) -> str:
    return ", ".join(map(str, sorted(statuses))) or "no answer"


def _kinds(kinds: set[str]) -> str:
    return " or ".join(sorted(kinds))


def recorded_shapes(records: Records) -> int:
    return sum(1 for x in records.exchanges if x.shape is not None)


def as_markdown(differences: Sequence[Difference], *, observed: str, reference: str) -> str:
    lines = [
        "# Drift: the API met, in shape, against the embedded sandbox",
        "",
        f"- Observed: {observed}",
        f"- Reference: {reference}",
        f"- Differences: {len(differences)}",
        "",
    ]
    by_operation: Mapping[str, list[Difference]] = _group(differences)
    for operation, items in by_operation.items():
        lines += [
            f"## `{operation}`",
            "",
            "| Aspect | Name | The API | Ours | Decision |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {d.aspect} | `{d.name}` | {d.observed} | {d.reference} | {', '.join(d.decisions) or '–'} |"
            for d in items
        ]
        lines.append("")
    if not differences:
        lines.append("No difference: every answer had the shape the embedded sandbox gives.")
    return "\n".join(lines) + "\n"


def as_dicts(differences: Sequence[Difference]) -> list[dict[str, Any]]:
    return [asdict(d) for d in differences]


def _group(differences: Sequence[Difference]) -> dict[str, list[Difference]]:
    grouped: dict[str, list[Difference]] = {}
    for difference in differences:
        grouped.setdefault(difference.operation, []).append(difference)
    return grouped
