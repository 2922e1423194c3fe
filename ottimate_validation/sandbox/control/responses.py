"""The control plane: exists only on the embedded sandbox, for the harness's own tests.

Reset, a controllable clock, fault switches, variations, configuration and the decisions taken where the
docs are silent (other readings, `readings.py`). No auth: it listens on loopback.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from .. import readings
from ..core import dates
from ..core.context import Ctx
from ..core.errors import BadRequest
from ..faults import FAULTS_BY_NAME, UnknownSwitch
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
]
