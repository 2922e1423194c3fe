"""Approvals (§12.6–12.8): the seeded approval policy and the operations on an invoice's approvers.

The policy gives each location two "Test Approver - …" users, assigned when an invoice enters
`pending-approval`; the last approval (or a force-approve) makes it ready for export.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..accounts.models import ApiUser
from ..contract import ErrorCode
from ..core.errors import BadRequest, NotFound, ValidationFailed
from ..core.validation import parse
from . import lifecycle
from .models import AddApprover, Approval, Approve, Approver, Invoice, seeded_uuid

if TYPE_CHECKING:
    from ..state import SandboxState
    from .store import InvoiceStore


class ApprovalPolicy:
    """Who approves: every approver known (the policy's and those added to an invoice) and the
    policy's two per location."""

    def __init__(self, state: SandboxState) -> None:
        self._state = state
        self.policy = {"id": "apol_" + state.ids.token("", 16), "name": "Test Policy - Two approvers per location"}
        self.approvers: dict[str, Approver] = {}
        self._by_location: dict[int, list[Approver]] = {}
        for loc in state.org.locations.values():
            label = loc.name.removeprefix("Test Location - ")
            slug = label.lower().replace(" ", "-")
            self._by_location[loc.id] = [
                self.new_approver(f"approver{n}.{slug}@example.test", f"Test Approver - {label} {n}") for n in (1, 2)
            ]

    def assign(self, invoice: Invoice) -> None:
        """The policy's approvers become the invoice's (it enters `pending-approval`)."""
        now = self._state.clock.now()
        approvers = self._by_location.get(invoice.location.id, [])
        if self._state.decisions.takes("approval-policy", "one-approver"):
            approvers = approvers[:1]
        invoice.approvals = [Approval(self.approval_id(), approver, dict(self.policy), now) for approver in approvers]

    def new_approver(self, email: str, display_name: str) -> Approver:
        approver = Approver(self._state.ids.token("usr_", 16), email.lower(), display_name)
        self.approvers[approver.id] = approver
        return approver

    def approval_id(self) -> str:
        return "pbjappr_" + seeded_uuid(self._state.ids).hex


class Approvals:
    def __init__(self, state: SandboxState, store: InvoiceStore, policy: ApprovalPolicy) -> None:
        self._state = state
        self._store = store
        self._policy = policy

    def of(self, user: ApiUser, invoice_id: str) -> list[Approval]:
        return self._store.get(user, invoice_id).approvals

    def add_approver(self, user: ApiUser, invoice_id: str, body: dict[str, Any]) -> Approval:
        invoice = self._store.get(user, invoice_id)
        data = parse(AddApprover, body, self._state.faults)
        lifecycle.target("change_approvers", invoice.status, self._state.faults)
        email = data["email"].lower()
        if any(a.approver.email == email for a in invoice.approvals):
            raise BadRequest(f"{email} is already an approver of this invoice", code=ErrorCode.DUPLICATE)
        approver = next((a for a in self._policy.approvers.values() if a.email == email), None)
        if approver is None:
            approver = self._policy.new_approver(email, data.get("display_name") or email.split("@")[0])
        approval = Approval(self._policy.approval_id(), approver, None, self._state.clock.now())
        invoice.approvals.append(approval)
        self._store.touch(invoice, user, "approver_added", f"{approver.email} added as an approver")
        return approval

    def remove_approver(self, user: ApiUser, invoice_id: str, approval_id: str) -> None:
        invoice = self._store.get(user, invoice_id)
        approval = next((a for a in invoice.approvals if a.id == approval_id), None)
        if approval is None:
            raise NotFound(f"invoice {invoice_id} has no approval {approval_id}")
        lifecycle.target("change_approvers", invoice.status, self._state.faults)
        if approval.approved_at is not None:
            raise lifecycle.InvalidTransition(f"approval {approval_id} is already given and cannot be removed")
        invoice.approvals.remove(approval)
        self._store.touch(invoice, user, "approver_removed", f"{approval.approver.email} removed as an approver")
        if all(a.approved_at is not None for a in invoice.approvals):
            self._complete_approval(invoice, user, "every remaining approver has approved")

    def approve(self, user: ApiUser, invoice_id: str, body: dict[str, Any]) -> Invoice:
        invoice = self._store.get(user, invoice_id)
        data = parse(Approve, body, self._state.faults)
        lifecycle.target("approve", invoice.status, self._state.faults)
        if not data.get("approval_id") and not data.get("approver_id"):
            raise ValidationFailed(
                "send approval_id (from GET /invoices/{id}/approvers) or approver_id",
                errors=[{"field": "approval_id", "message": "required"}],
            )
        approval = next(
            (
                a
                for a in invoice.approvals
                if a.id == data.get("approval_id") or a.approver.id == data.get("approver_id")
            ),
            None,
        )
        if approval is None:
            raise NotFound("no such approver on this invoice")
        if approval.approved_at is not None:
            raise lifecycle.InvalidTransition(f"{approval.approver.email} has already approved this invoice")
        now = self._state.clock.now()
        approval.approved_at = now
        self._store.touch(invoice, user, "approved", f"approved by {approval.approver.email}")
        if all(a.approved_at is not None for a in invoice.approvals) or self._state.faults.on(
            "approval_skips_approver"
        ):
            self._complete_approval(invoice, user, "every assigned approver has approved")
        return invoice

    def force_approve(self, user: ApiUser, invoice_id: str) -> Invoice:
        invoice = self._store.get(user, invoice_id)
        invoice.status = lifecycle.target("force_approve", invoice.status, self._state.faults)
        self._release(invoice, user, "force-approved: the approval chain was bypassed")
        return invoice

    def _complete_approval(self, invoice: Invoice, user: ApiUser, message: str) -> None:
        invoice.status = lifecycle.target("complete_approval", invoice.status, self._state.faults)
        self._release(invoice, user, message)

    def _release(self, invoice: Invoice, user: ApiUser, message: str) -> None:
        invoice.approved_at = self._state.clock.now()
        self._store.log(invoice, "approved", message, user)
        invoice.status = lifecycle.target("release", invoice.status, self._state.faults)
        self._store.touch(invoice, user, "status", "ready for export")
