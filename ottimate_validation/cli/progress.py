"""What a long run is doing, said on the console while pytest's own output goes to a log file.

On a terminal one line is rewritten in place every second; elsewhere (CI logs) a line is said every
``EVERY`` seconds and at the end: tests done of those selected, failures so far, and what is being
awaited (``waiting for extraction, 35 s so far``). Everything is read from the run's ledger.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

from ottimate_validation.run import Run
from ottimate_validation.run.ledger import Check, Collected, LedgerTail, Wait

EVERY = 15.0  # seconds between progress lines when nothing changes (not on a terminal)
POLL = 1.0


class Progress:
    def __init__(self, run: Run, say: Callable[[str], None], *, tty: bool | None = None) -> None:
        self._tail = LedgerTail(run.folder)
        self._say = say
        self._tty = sys.stdout.isatty() if tty is None else tty
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="ottimate-progress", daemon=True)
        self._started = time.monotonic()
        self.total: int | None = None
        self.done = 0
        self.failed = 0
        self.waits: dict[tuple[str, str | None], Wait] = {}  # (what, test) -> begun, not yet over
        self._last_line = ""
        self._last_said = time.monotonic()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(POLL):
            self.update()

    def update(self) -> None:
        changed = False
        for record in self._tail.new():
            changed = True
            if isinstance(record, Collected):
                self.total = record.tests
            elif isinstance(record, Check):
                self.done += 1
                self.failed += record.status in ("failed", "broken")
            elif isinstance(record, Wait):
                key = (record.what, record.test)
                if record.done is None:
                    self.waits[key] = record
                else:
                    self.waits.pop(key, None)
        now = time.monotonic()
        if (self._tty and changed) or now - self._last_said >= EVERY:
            self._show(self.line(), now)

    def line(self) -> str:
        total = f" of {self.total}" if self.total is not None else ""
        parts = [f"Tests: {self.done}{total} done"]
        if self.failed:
            parts.append(f"{self.failed} did not pass")
        if self.waits:
            oldest = min(self.waits.values(), key=lambda w: w.at)
            waited = max(0.0, time.time() - oldest.at)
            more = f" and {len(self.waits) - 1} more" if len(self.waits) > 1 else ""
            parts.append(f"waiting for {oldest.kind}{more}, {waited:.0f} s so far")
        parts.append(f"{time.monotonic() - self._started:.0f} s")
        return " · ".join(parts)

    def _show(self, line: str, now: float) -> None:
        if self._tty:
            sys.stdout.write("\r" + line.ljust(len(self._last_line)))
            sys.stdout.flush()
        else:
            self._say(line)
        self._last_line, self._last_said = line, now

    def final(self) -> None:
        """The last word on the tests, once pytest has ended."""
        self.update()
        if self._tty:
            sys.stdout.write("\n")
            sys.stdout.flush()
        else:
            self._say(self.line())
