"""`InvoiceBackend` (`state.invoices`): the invoice store with its workflows attached."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .approvals import ApprovalPolicy, Approvals
from .export import Exports
from .store import InvoiceStore
from .uploads import Uploads

if TYPE_CHECKING:
    from ..state import SandboxState


class InvoiceBackend(InvoiceStore):
    """Lookups, listing, creation and edits (the store itself); `uploads`, `approvals` and `exports`."""

    def __init__(self, state: SandboxState) -> None:
        policy = ApprovalPolicy(state)
        super().__init__(state, policy)
        self.uploads = Uploads(state, self)
        self.approvals = Approvals(state, self, policy)
        self.exports = Exports(state, self)
