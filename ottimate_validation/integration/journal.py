"""The recording layer's writer: Exchange records into the run's ledger folder, cheaply.

Records go to ``<run folder>/ledger/<process>-journal.jsonl``, one JSON line each in the ledger's own
format (``ledger.to_line``; ``read_ledger`` reads them with every other ledger file). Lines are
buffered and flushed every ``FLUSH_SECONDS`` and at the end of each pass (``flush``), rather than one
write per record: the judge reads the journal only once the passes are over, and a run killed midway
has no report anyway.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import IO

from ottimate_validation.run.ledger import Exchange, Ledger, to_line

BUFFER_BYTES = 1 << 20
FLUSH_SECONDS = 0.5


class Journal:
    """Appends the integration's exchanges beside ``ledger``'s own file; ids come from ``ledger``."""

    def __init__(self, ledger: Ledger, folder: Path) -> None:
        self.ledger = ledger
        self.secrets = ledger.secrets
        folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        path = folder / f"{ledger.process}-journal.jsonl"
        self._file: IO[bytes] | None = open(path, "ab", buffering=BUFFER_BYTES)  # noqa: SIM115 (closed by close())
        self._flushed = time.monotonic()
        self.recorded = 0

    def next_id(self) -> str:
        return self.ledger.next_id()

    def record(self, record: Exchange) -> None:
        data = to_line(record)
        with self._lock:
            if self._file is None:
                return
            self._file.write(data)
            self.recorded += 1
            now = time.monotonic()
            if now - self._flushed > FLUSH_SECONDS:
                self._file.flush()
                self._flushed = now

    def flush(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.flush()
                self._flushed = time.monotonic()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
