"""The control plane: exists only on the embedded sandbox, for the harness's own tests.

Reset, a controllable clock, fault switches, variations, configuration, the decisions taken where the
docs are silent (other readings, `readings.py`), and the findings a recording harness marks on the
exchanges it cited (shown in the dashboard's request log). No auth: it listens on loopback.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from .. import readings
from ..core import dates
from ..core.context import Ctx
from ..core.errors import BadRequest
from ..faults import FAULTS_BY_NAME, UnknownSwitch
from ..journal import MAX_MARKS, Mark
from ..routing import Route
from ..variations import VARIATIONS


def health(ctx: Ctx) -> Response:
    return ctx.respond({"status": "ok"})


def reset(ctx: Ctx) -> Response:
    ctx.state.reset()
    return Response(status=204)


def get_clock(ctx: Ctx) -> Response:
    return ctx.respond({"now": dates.stamp_utc(ctx.state.clock.now())})


def advance_clock(ctx: Ctx) -> Response:
    body = ctx.json_object()
    seconds = body.get("advance_seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise BadRequest("advance_seconds must be a number >= 0")
    ctx.state.clock.advance(float(seconds))
    return get_clock(ctx)


def get_faults(ctx: Ctx) -> Response:
    return ctx.respond(
        {"available": {f.name: f.description for f in FAULTS_BY_NAME.values()}, "enabled": ctx.state.faults.enabled}
    )


def set_faults(ctx: Ctx) -> Response:
    enabled = ctx.json_object().get("enabled")
    if not isinstance(enabled, list) or not all(isinstance(n, str) for n in enabled):
        raise BadRequest("enabled must be a list of fault names")
    try:
        ctx.state.faults.set(enabled)
    except UnknownSwitch as exc:
        raise BadRequest(str(exc)) from None
    return get_faults(ctx)


def get_variations(ctx: Ctx) -> Response:
    return ctx.respond(
        {"available": {v.name: v.description for v in VARIATIONS}, "enabled": ctx.state.variations.enabled}
    )


def set_variations(ctx: Ctx) -> Response:
    enabled = ctx.json_object().get("enabled")
    if not isinstance(enabled, list) or not all(isinstance(n, str) for n in enabled):
        raise BadRequest("enabled must be a list of variation names")
    try:
        ctx.state.variations.set(enabled)
    except UnknownSwitch as exc:
        raise BadRequest(str(exc)) from None
    return get_variations(ctx)


def get_decisions(ctx: Ctx) -> Response:
    found = ctx.state.decisions
    return ctx.respond(
        {
            "reading": found.reading,
            "overridden": dict(found.chosen),
            "chosen": found.effective(),
            "available": {
                d.id: {"default": d.default, "choices": {c.name: c.does for c in d.choices}}
                for d in readings.configurable()
            },
            "readings": {r.name: r.description for r in readings.READINGS},
        }
    )


def set_decisions(ctx: Ctx) -> Response:
    """``{"reading": NAME?, "decisions": {name: choice}}`` replaces the overrides in force (every other
    decision back to ours); a change of the organisation's shape or its other data reseeds the store."""
    body = ctx.json_object()
    unknown = sorted(set(body) - {"reading", "decisions"})
    if unknown:
        raise BadRequest(f"unknown key(s) {', '.join(unknown)}; send reading and/or decisions")
    decisions = body.get("decisions") or {}
    if not isinstance(decisions, dict):
        raise BadRequest("decisions must be an object of decision name -> choice")
    try:
        found = readings.overrides(body.get("reading"), decisions, where="PUT /_sandbox/decisions")
    except readings.OverridesError as exc:
        raise BadRequest(str(exc)) from None
    ctx.state.set_decisions(found)
    return get_decisions(ctx)


def get_config(ctx: Ctx) -> Response:
    return ctx.respond(ctx.state.config_dict())


def patch_config(ctx: Ctx) -> Response:
    body: dict[str, Any] = ctx.json_object()
    try:
        ctx.state.configure(**body)
    except (TypeError, ValueError) as exc:
        raise BadRequest(str(exc)) from None
    return get_config(ctx)


def get_findings(ctx: Ctx) -> Response:
    return ctx.respond({"findings": [m.to_dict() for m in ctx.state.journal.marks()]})


def put_findings(ctx: Ctx) -> Response:
    """``{"findings": [{"exchange": id, "rule": str, "finding": str, "holds": bool | null}, ...]}`` replaces
    the marks; ``exchange`` is the id the harness sent in the X-Ottimate-Exchange header."""
    found = ctx.json_object().get("findings")
    if not isinstance(found, list) or len(found) > MAX_MARKS:
        raise BadRequest(f"findings must be a list of at most {MAX_MARKS} objects")
    marks = []
    for n, item in enumerate(found):
        if not isinstance(item, dict):
            raise BadRequest(f"findings[{n}] must be an object")
        texts = [item.get(k) for k in ("exchange", "rule", "finding")]
        if not all(isinstance(t, str) and t for t in texts):
            raise BadRequest(f"findings[{n}] needs exchange, rule and finding as non-empty strings")
        holds = item.get("holds")
        if holds is not None and not isinstance(holds, bool):
            raise BadRequest(f"findings[{n}].holds must be true, false or null")
        marks.append(Mark(str(texts[0]), str(texts[1]), str(texts[2]), holds))
    ctx.state.journal.mark(marks)
    return get_findings(ctx)


ROUTES = [
    Route("/_sandbox/health", "GET", health, kind="control"),
    Route("/_sandbox/reset", "POST", reset, kind="control"),
    Route("/_sandbox/clock", "GET", get_clock, kind="control"),
    Route("/_sandbox/clock", "POST", advance_clock, kind="control"),
    Route("/_sandbox/faults", "GET", get_faults, kind="control"),
    Route("/_sandbox/faults", "PUT", set_faults, kind="control"),
    Route("/_sandbox/variations", "GET", get_variations, kind="control"),
    Route("/_sandbox/variations", "PUT", set_variations, kind="control"),
    Route("/_sandbox/decisions", "GET", get_decisions, kind="control"),
    Route("/_sandbox/decisions", "PUT", set_decisions, kind="control"),
    Route("/_sandbox/config", "GET", get_config, kind="control"),
    Route("/_sandbox/config", "PATCH", patch_config, kind="control"),
    Route("/_sandbox/findings", "GET", get_findings, kind="control"),
    Route("/_sandbox/findings", "PUT", put_findings, kind="control"),
]
