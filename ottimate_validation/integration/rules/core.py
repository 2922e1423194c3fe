"""Core functionality: the integration itself exercises the operations it is meant to use."""

from __future__ import annotations

from ..model import CLEAN, CORE, FAULT, Judgement, PassEvidence, fails, holds, listed, plural, rule

TOKEN = "POST /oauth/token"


@rule(
    id="core.operations-exercised",
    title="The integration exercises every planned operation with a success answer",
    criterion=CORE,
    judges=(
        "the documented operations the pass's requests exercised, and which answered 2xx; with a plan, against "
        "its operations (operations used but not planned are listed)"
    ),
    threshold=(
        "any planned operation without a 2xx answer; without a plan, no documented operation (the token aside) "
        "answered 2xx"
    ),
    sources="HubSpot and Xero reviews (the scopes and endpoints an app uses); CONTRACT §20; the plan file",
    passes=(CLEAN, FAULT),
)
def operations_exercised(ev: PassEvidence) -> Judgement:
    if not ev.exchanges:
        return Judgement(False, "The integration sent no request the API could read in this pass.")
    succeeded = {x.operation for x in ev.exchanges if x.operation and x.status is not None and 200 <= x.status < 300}
    used = {x.operation for x in ev.exchanges if x.operation}
    undocumented = sorted({f"{x.method} {x.path}" for x in ev.exchanges if not x.operation})
    extra = {"succeeded": sorted(succeeded), "used": sorted(used), "undocumented": undocumented[:20]}
    plan = ev.plan
    if plan is None or not plan.restricts:
        if not succeeded - {TOKEN}:
            return fails(
                "No documented operation (the token aside) answered 2xx to the integration in this pass.", **extra
            )
        return holds(
            f"{plural(len(succeeded), 'documented operation')} answered 2xx: {listed(sorted(succeeded), 8)} "
            "(no plan names the operations to expect).",
            **extra,
        )
    planned = plan.planned
    missing = sorted(planned - succeeded)
    unplanned = sorted(used - planned)
    note = f" Used but not planned: {listed(unplanned, 6)}." if unplanned else ""
    extra |= {"missing": missing, "unplanned": unplanned}
    if not missing:
        return holds(f"All {plural(len(planned), 'planned operation')} answered 2xx to the integration.{note}", **extra)
    return fails(
        f"{plural(len(missing), 'planned operation')} never answered 2xx to the integration: {listed(missing, 6)}."
        f"{note}",
        **extra,
    )


RULES = (operations_exercised,)
