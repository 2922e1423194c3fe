"""Data integrity: what the integration leaves in the sandbox, compared with what it should."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from ottimate_validation.run.ledger import Exchange
from ottimate_validation.run.plan import ErpDimension, ErpVendor

from ..model import (
    FAULT,
    INTEGRITY,
    Judgement,
    PassEvidence,
    fails,
    holds,
    listed,
    not_judged,
    plural,
    rule,
)
from ..state import KINDS, Duplicate, differences, duplicates

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REFUSED_WRITE = frozenset({400, 422})
_EXAMPLES = 3


def _state_problem(ev: PassEvidence) -> Judgement | None:
    if ev.state_error:
        text = f"The sandbox's state could not be read: {ev.state_error}."
        return Judgement(None, text, error=text)
    if ev.after is None:
        return not_judged("The sandbox's state was not read after this pass.")
    return None


@rule(
    id="data.no-duplicates",
    title="No entity is created twice, by retries or by running again",
    criterion=INTEGRITY,
    judges=(
        "the sandbox's entities after the pass against before it: two entities with one natural key (a vendor's "
        "erp_vendor_id, a dimension's reference_id, a purchase order's number; else the whole entity, ids and "
        "timestamps aside) where there was at most one"
    ),
    threshold="any; a duplicated vendor or purchase order is paid or matched twice",
    sources="IDEM-6; Aué et al. ICSE-SEIP 2018 ('double processing'); RFC 9110 §9.2.2",
)
def no_duplicates(ev: PassEvidence) -> Judgement:
    problem = _state_problem(ev)
    if problem is not None:
        return problem
    assert ev.after is not None
    found = duplicates(ev.before or {}, ev.after)
    entities = sum(len(v) for v in ev.after.values())
    if not found:
        return holds(f"No entity was created twice ({plural(entities, 'entity', 'entities')} after the pass).")
    described = [_describe_duplicate(d) for d in found]
    writes = [x for x in ev.api if x.method in WRITE_METHODS]
    return fails(
        f"{plural(len(found), 'entity', 'entities')} created more than once: {listed(described, _EXAMPLES)}.",
        [x for d in found for x in _writes_naming(writes, d)],
        duplicated=len(found),
    )


def _describe_duplicate(d: Duplicate) -> str:
    label = KINDS[d.kind].label if d.kind in KINDS else d.kind
    try:
        values = orjson.loads(d.key)
    except orjson.JSONDecodeError:
        values = None
    key = " / ".join(str(v) for v in values if v is not None) if isinstance(values, list) else "same content"
    return f"{label} {key} ({d.after} after the pass, {d.before} before)"


def _writes_naming(writes: Sequence[Exchange], d: Duplicate) -> list[Exchange]:
    """The writes whose body names the duplicated entity (by its natural key's distinctive values)."""
    try:
        values = orjson.loads(d.key)
    except orjson.JSONDecodeError:
        return []
    if not isinstance(values, list):
        return []
    wanted = [str(v) for v in values if isinstance(v, str) and v]
    if not wanted:
        return []
    return [x for x in writes if all(w in _text(x.request_body) for w in wanted)]


def _text(body: Any) -> str:
    if body is None:
        return ""
    return body if isinstance(body, str) else orjson.dumps(body).decode()


@rule(
    id="data.fault-state-matches-clean",
    title="The faults change nothing: the state after the fault pass equals the state after the clean pass",
    criterion=INTEGRITY,
    judges="every entity after the fault pass against every entity after the clean pass, ids and timestamps aside",
    threshold="any entity missing, added or different; the faults only delayed or refused requests",
    sources="Filibuster (SoCC'21: the same outcome under each fault); IDEM-6; SYNC-1",
    passes=(FAULT,),
)
def fault_state_matches_clean(ev: PassEvidence) -> Judgement:
    problem = _state_problem(ev)
    if problem is not None:
        return problem
    assert ev.after is not None
    if ev.reference is None:
        return not_judged("There is no clean pass to compare with (run the clean pass too).")
    found = differences(ev.reference, ev.after)
    if not found:
        entities = sum(len(v) for v in ev.after.values())
        return holds(f"The fault pass left the same {plural(entities, 'entity', 'entities')} as the clean pass.")
    parts = []
    examples: dict[str, Any] = {}
    for diff in found:
        kind = KINDS.get(diff.kind)
        if diff.missing:
            parts.append(f"{kind.named(len(diff.missing)) if kind else diff.kind} missing")
        if diff.extra:
            named = kind.named(len(diff.extra)) if kind else diff.kind
            parts.append(f"{named} not in the clean pass's state (or different there)")
        examples[diff.kind] = {
            "missing": [orjson.loads(m) for m in diff.missing[:_EXAMPLES]],
            "extra": [orjson.loads(e) for e in diff.extra[:_EXAMPLES]],
        }
    return fails(
        f"The state after the fault pass differs from the clean pass's: {'; '.join(parts)}.",
        differences=examples,
    )


@rule(
    id="data.writes-accepted",
    title="Every write is accepted: the integration sends valid data",
    criterion=INTEGRITY,
    judges="every write's answer: 400 or 422, and bulk answers reporting items in error",
    threshold="any; the sandbox validates as the API documents, so a refusal means invalid data was sent",
    sources="DATA-1; Aué et al. ICSE-SEIP 2018 (invalid or missing request data: most client faults); CONTRACT §7",
)
def writes_accepted(ev: PassEvidence) -> Judgement:
    writes = [x for x in ev.api if x.method in WRITE_METHODS]
    if not writes:
        return not_judged("The integration wrote nothing in this pass.")
    refused = [x for x in writes if x.status in REFUSED_WRITE and x.fault is None]
    partial = [x for x in writes if x.status is not None and x.status < 300 and x.facts.get("item_errors")]
    if not refused and not partial:
        return holds(f"All {plural(len(writes), 'write')} were accepted.")
    parts = []
    if refused:
        first = refused[0]
        reason = _reason(first)
        parts.append(
            f"{plural(len(refused), 'write')} refused (first: {first.method} {first.path} answered {first.status}"
            f"{': ' + reason if reason else ''})"
        )
    if partial:
        items = sum(int(x.facts.get("item_errors", 0)) for x in partial)
        parts.append(
            f"{plural(items, 'item')} in error in {plural(len(partial), 'bulk write')} (first: {partial[0].id})"
        )
    return fails("; ".join(parts) + ".", [*refused, *partial], refused=len(refused), partial=len(partial))


def _reason(x: Exchange) -> str:
    body = x.response_body
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, str):
            return message[:200]
        code = body.get("code")
        if isinstance(code, str):
            return code
    return str(x.facts.get("code", ""))


_VENDOR_FIELDS = tuple(ErpVendor.model_fields)
_DIMENSION_FIELDS = tuple(ErpDimension.model_fields)


@rule(
    id="data.erp-records-match",
    title="Every record of the plan's ERP files is in the sandbox, exactly once, field for field",
    criterion=INTEGRITY,
    judges="each vendor (by erp_vendor_id) and dimension (by erp_dimension_id) of the plan's [erp] files",
    threshold="any record missing, held twice, or with one documented field different (Unicode compared exactly)",
    sources="DATA-2 (round-trip fidelity); Xero certification checkpoints 13-15; CONTRACT §9, §10",
)
def erp_records_match(ev: PassEvidence) -> Judgement:
    plan = ev.plan
    if plan is None or (plan.erp_vendors is None and plan.erp_dimensions is None):
        return not_judged("The plan names no ERP files ([erp] vendors or dimensions).")
    problem = _state_problem(ev)
    if problem is not None:
        return problem
    assert ev.after is not None
    problems: list[str] = []
    checked = 0
    for records, kind, id_field, names in (
        (plan.erp_vendors, "vendors", "erp_vendor_id", _VENDOR_FIELDS),
        (plan.erp_dimensions, "dimensions", "erp_dimension_id", _DIMENSION_FIELDS),
    ):
        if records is None:
            continue
        held: dict[str, list[Mapping[str, Any]]] = {}
        for entity in ev.after.get(kind, []):
            key = entity.get(id_field)
            if isinstance(key, str):
                held.setdefault(key, []).append(entity)
        label = KINDS[kind].label
        for record in records:
            checked += 1
            key = getattr(record, id_field)
            found = held.get(key, [])
            if not found:
                problems.append(f"{label} {key} is missing")
            elif len(found) > 1:
                problems.append(f"{label} {key} is held {len(found)} times")
            else:
                problems += [f"{label} {key}: {text}" for text in _field_differences(record, found[0], names)]
    if not problems:
        return holds(f"All {plural(checked, 'ERP record')} are in the sandbox once, every field as the file gives it.")
    return fails(
        f"{plural(len(problems), 'problem')} with the plan's ERP records: {listed(problems, 4)}.",
        problems=problems[:50],
    )


def _field_differences(record: ErpVendor | ErpDimension, entity: Mapping[str, Any], names: Sequence[str]) -> list[str]:
    out = []
    for name in names:
        want = getattr(record, name)
        have = entity.get(name)
        if want == have or (want is None and have in (None, "")):
            continue
        out.append(f"{name} is {have!r}, the file gives {want!r}")
    return out


RULES = (no_duplicates, fault_state_matches_clean, writes_accepted, erp_records_match)
