"""The invoice lifecycle (§12.1): every allowed status change, in one table.

`TRANSITIONS[action][from_status]` is the status the action leads to. An action from a status not in
its row is refused with 409 `invalid_transition` — never a silent change — unless the fault
`invalid_transition_allowed` is on. Statuses are the hyphenated spellings of the `status` filter,
in responses too.

Entry points, not transitions: extraction and import create an invoice directly in
`pending-approval` (complete and consistent) or `needs-attention` (anything missing or not adding
up). `processing` is the state of an upload before it is an invoice, so no invoice is observed in
it; `archived` has no operation leading to it in the v1 API. `approved` is passed through: the final
approval sets `approved_date` and the invoice lands in `ready-for-export` in the same step.
"""

from __future__ import annotations

from typing import Final, Literal

from ..contract import ErrorCode
from ..core.errors import ApiError
from ..faults import FaultSwitches

Status = Literal[
    "processing",
    "incomplete",
    "needs-attention",
    "pending-approval",
    "approved",
    "ready-for-export",
    "exported",
    "archived",
]
STATUSES: Final[tuple[Status, ...]] = (
    "processing",
    "incomplete",
    "needs-attention",
    "pending-approval",
    "approved",
    "ready-for-export",
    "exported",
    "archived",
)

_EDITABLE: Final[tuple[Status, ...]] = ("incomplete", "needs-attention", "pending-approval", "ready-for-export")

TRANSITIONS: Final[dict[str, dict[Status, Status]]] = {
    # PATCH /invoices/{id} and PATCH /invoices/{id}/images: data changes, status kept.
    "edit": {s: s for s in _EDITABLE},
    # After an edit, a complete and consistent invoice that was held enters the approval workflow.
    "submit": {"incomplete": "pending-approval", "needs-attention": "pending-approval"},
    # POST /invoices/{id}/flag
    "flag": {
        "incomplete": "incomplete",
        "needs-attention": "incomplete",
        "pending-approval": "incomplete",
        "ready-for-export": "incomplete",
    },
    # Approvers can be added or removed only while the invoice waits for them.
    "change_approvers": {"pending-approval": "pending-approval"},
    # One approval among several.
    "approve": {"pending-approval": "pending-approval"},
    # The last approval, or POST /invoices/{id}/force-approve.
    "complete_approval": {"pending-approval": "approved"},
    "force_approve": {"pending-approval": "approved"},
    # Automatic, in the same step as the approval.
    "release": {"approved": "ready-for-export"},
    # POST /invoices/mark-exported and mark-unexported (with or without flag_invoice).
    "mark_exported": {"ready-for-export": "exported"},
    "mark_unexported": {"exported": "ready-for-export"},
    "unexport_and_flag": {"exported": "incomplete"},
}

INVALID_TRANSITION = ErrorCode.INVALID_TRANSITION


class InvalidTransition(ApiError):
    status = 409
    code = INVALID_TRANSITION


def allowed(action: str, status: Status) -> bool:
    return status in TRANSITIONS[action]


def target(action: str, status: Status, faults: FaultSwitches) -> Status:
    """The status `action` leads to from `status`, or InvalidTransition."""
    row = TRANSITIONS[action]
    if status in row:
        return row[status]
    if faults.on("invalid_transition_allowed"):
        return next(iter(row.values()))
    froms = ", ".join(row)
    raise InvalidTransition(f"cannot {action.replace('_', ' ')} an invoice in status {status!r}; allowed from: {froms}")
