"""Work that finishes later on the sandbox clock: invoice extraction, batch tasks.

Nothing runs in the background. Every request first applies the work that has fallen due (in due
order), so a test advances the clock instead of sleeping, and a real-time run simply sees work finish
as time passes — like moto's ManagedState, but driven by the sandbox's controllable clock.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from .clock import Clock


@dataclass(order=True)
class _Due:
    due_at: float
    seq: int
    action: Callable[[], None] = field(compare=False)


class Scheduler:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._queue: list[_Due] = []
        self._seq = itertools.count()

    def at(self, due_at: float, action: Callable[[], None]) -> None:
        """Run `action` on the first request at or after `due_at` (sandbox time, epoch seconds)."""
        with self._lock:
            heapq.heappush(self._queue, _Due(due_at, next(self._seq), action))

    def after(self, seconds: float, action: Callable[[], None]) -> float:
        due_at = self._clock.time() + seconds
        self.at(due_at, action)
        return due_at

    def run_due(self) -> int:
        """Apply everything due by now; the caller holds the state lock. Returns how many ran."""
        now = self._clock.time()
        ran = 0
        while True:
            with self._lock:
                if not self._queue or self._queue[0].due_at > now:
                    return ran
                item = heapq.heappop(self._queue)
            item.action()
            ran += 1

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
