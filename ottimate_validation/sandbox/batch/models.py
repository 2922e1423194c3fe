"""The batch engine (§16): one task per submitted item, finishing one by one on the sandbox clock.

A producer (PO/receipt bulk, catalog bulk, invoice import) hands `BatchBackend.submit` its items and
a `process(index, item)` callable. Task *i* falls due `(i + 1) * batch_task_seconds` after the submit;
the scheduler runs it under the state lock on the first request at or after that time, so a test
advances the clock instead of sleeping. `process` answers `(result, None)` on success or
`(None, message)` on failure; a typed `ApiError` it raises is a failure with that message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from ..accounts.models import ApiUser
from ..core import dates
from ..core.errors import ApiError, Forbidden, NotFound
from ..core.validation import outside_enum

if TYPE_CHECKING:
    from ..state import SandboxState

log = logging.getLogger(__name__)

Process = Callable[[int, Any], tuple[dict[str, Any] | None, str | None]]
BatchStatus = Literal["processing", "completed"]
BATCH_STATUSES: tuple[BatchStatus, ...] = ("processing", "completed")


@dataclass
class Task:
    id: int
    index: int
    done: bool = False
    result: dict[str, Any] | None = None
    message: str | None = None

    @property
    def failed(self) -> bool:
        return self.done and self.message is not None


@dataclass
class Batch:
    id: str
    kind: str  # the producer, e.g. "purchase_orders"; not exposed by the API
    owner: ApiUser
    tasks: list[Task]
    created_at: datetime
    modified_at: datetime
    completed_at: datetime | None = None
    finished_order: list[int] = field(default_factory=list)  # task indexes in completion order

    @property
    def status(self) -> BatchStatus:
        return "completed" if self.completed_at is not None else "processing"

    @property
    def tasks_failed(self) -> int:
        return sum(1 for t in self.tasks if t.failed)

    @property
    def tasks_succeeded(self) -> int:
        return sum(1 for t in self.tasks if t.done and not t.failed)

    @property
    def progress(self) -> float:
        if not self.tasks:
            return 1.0
        return sum(1 for t in self.tasks if t.done) / len(self.tasks)

    @property
    def error(self) -> str | None:
        """Set only when every task failed (§16)."""
        if self.completed_at is None or not self.tasks or self.tasks_failed != len(self.tasks):
            return None
        return f"all {len(self.tasks)} tasks failed; see the batch results for each task's message"


class BatchBackend:
    def __init__(self, state: SandboxState) -> None:
        self._state = state
        self._by_id: dict[str, Batch] = {}

    def submit(self, user: ApiUser, kind: str, items: list[Any], process: Process) -> Batch:
        now = self._state.clock.now()
        batch = Batch(
            id=self._state.ids.token("bat_", 16),
            kind=kind,
            owner=user,
            tasks=[Task(id=self._state.ids.integer("batch_task"), index=i) for i in range(len(items))],
            created_at=now,
            modified_at=now,
        )
        self._by_id[batch.id] = batch
        step = self._state.config.batch_task_seconds
        start = self._state.clock.time()
        for i, item in enumerate(items):
            due_at = start + (i + 1) * step
            self._state.scheduler.at(due_at, _runner(batch, i, item, process, due_at))
        if not items:
            batch.completed_at = now
        return batch

    def get(self, user: ApiUser, batch_id: str) -> Batch:
        batch = self._by_id.get(batch_id)
        if batch is None:
            raise NotFound(f"batch {batch_id} not found")
        if not self._state.org.owns(user, batch.owner):
            if self._state.decisions.takes("unknown-or-foreign-batch-id", "404-for-foreign"):
                raise NotFound(f"batch {batch_id} not found")
            raise Forbidden(f"batch {batch_id} belongs to another API user")
        return batch

    def kind_of(self, batch_id: str) -> str | None:
        """The producer of a batch, whoever asks (what its task results are)."""
        batch = self._by_id.get(batch_id)
        return batch.kind if batch else None

    def matching(self, user: ApiUser, query: Mapping[str, str]) -> list[Batch]:
        status = query.get("status")
        if outside_enum("status", status, BATCH_STATUSES):
            return []
        start = dates.parse_filter(query, "date_from")
        end = dates.parse_filter(query, "date_to")
        found = [
            b
            for b in self._by_id.values()
            if b.owner.client_id == user.client_id
            and (not status or b.status == status)
            and dates.in_window(b.modified_at, start, end)
        ]
        return sorted(found, key=lambda b: b.modified_at, reverse=True)  # newest-modified first (§6.1)


def _runner(batch: Batch, index: int, item: Any, process: Process, due_at: float) -> Callable[[], None]:
    def run() -> None:
        task = batch.tasks[index]
        try:
            result, message = process(index, item)
        except ApiError as exc:
            result, message = None, exc.message
        except Exception:  # a sandbox bug fails this task, never the request that happened to run it
            log.exception("batch %s task %s failed unexpectedly", batch.id, index)
            result, message = None, "internal error in the embedded sandbox"
        if result is None and message is None:
            message = "the item could not be processed"
        task.done, task.result, task.message = True, result, message
        batch.finished_order.append(index)
        # Stamped with the time it fell due, not the request that happened to apply it.
        batch.modified_at = datetime.fromtimestamp(due_at, tz=UTC)
        if all(t.done for t in batch.tasks):
            batch.completed_at = batch.modified_at

    return run
