"""Allure results written by a background thread, off the request path.

allure-pytest writes every attachment (one per HTTP exchange) and every result the moment it is made,
as a temporary file renamed into place. Creating a file costs 0.05 ms on one file system and over
1 ms on another (measured on the CI image: /dev/shm, /tmp and the work disk); at about a thousand
exchanges a run, on a slow disk that was most of the cost of the suites' client path. Here the bytes
are made at once (so later changes to the objects cannot alter them) and one writer thread creates
the files, directly (nothing reads the folder before the run ends), while the test goes on waiting
for its next answer. Containers left empty are not written. ``flush()`` waits until everything
queued is on disk; the evidence plugin calls it after each test and at the end of the run, so a
crash loses at most the test that was running.
"""

from __future__ import annotations

import json
import queue
import threading
import uuid
from pathlib import Path
from typing import Any, ClassVar

import orjson
from allure_commons import hookimpl
from allure_commons.logger import AllureFileLogger
from attr import asdict


def _json_bytes(item: Any) -> bytes:
    data = asdict(item, filter=lambda _, value: value or value is False)  # as allure-pytest filters
    try:
        return orjson.dumps(data)
    except TypeError:  # what orjson refuses (integers beyond 64 bits): the stdlib, as allure does
        return json.dumps(data, ensure_ascii=False).encode("utf-8")


class BackgroundFileLogger(AllureFileLogger):
    """allure-commons' file logger with the writing done by one background thread."""

    open_loggers: ClassVar[list[BackgroundFileLogger]] = []  # one per process in practice

    def __init__(self, report_dir: str | Path, clean: bool = False) -> None:
        super().__init__(report_dir, clean)  # type: ignore[no-untyped-call]
        BackgroundFileLogger.open_loggers.append(self)
        self._queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue()
        self._failures: list[str] = []
        self._thread = threading.Thread(target=self._write_all, name="allure-writer", daemon=True)
        self._thread.start()

    def _write_all(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                name, body = job
                try:
                    (self._report_dir / name).write_bytes(body)
                except OSError as exc:  # said at flush, never lost silently
                    self._failures.append(f"{name}: {exc.strerror or exc}")
            finally:
                self._queue.task_done()

    def _put(self, name: str, body: bytes) -> None:
        if self._thread.is_alive():
            self._queue.put((name, body))
        else:  # closed already (a late teardown): write in this thread
            (self._report_dir / name).write_bytes(body)

    def _report_item(self, item: Any) -> None:
        self._put(item.file_pattern.format(prefix=uuid.uuid4()), _json_bytes(item))

    @hookimpl
    def report_container(self, container: Any) -> None:
        # A container only ties fixtures' set-up and tear-down to their tests. Once the evidence plugin
        # has dropped the fixtures that show nothing, nine in ten are empty: no file for those.
        if container.befores or container.afters:
            self._report_item(container)

    @hookimpl
    def report_attached_data(self, body: str | bytes, file_name: str) -> None:
        self._put(file_name, body.encode("utf-8") if isinstance(body, str) else bytes(body))

    def flush(self) -> list[str]:
        """Wait until every queued file is written; answer the files that could not be (and forget them)."""
        if self._thread.is_alive():
            self._queue.join()
        failures, self._failures = self._failures, []
        return failures

    def close(self) -> list[str]:
        failures = self.flush()
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=30)
        if self in BackgroundFileLogger.open_loggers:
            BackgroundFileLogger.open_loggers.remove(self)
        return failures


def install() -> bool:
    """Make allure-pytest build its file logger from this class (call before its ``pytest_configure``).

    allure-pytest offers no setting for this; it names the class in its plugin module, so that name is
    replaced. If a future version lays that out differently, results are written as before.
    """
    import allure_pytest.plugin  # type: ignore[import-untyped]

    if getattr(allure_pytest.plugin, "AllureFileLogger", None) not in (AllureFileLogger, BackgroundFileLogger):
        return False
    allure_pytest.plugin.AllureFileLogger = BackgroundFileLogger
    return True


def flush_all() -> list[str]:
    """Flush every open background logger; answer what could not be written."""
    return [failure for logger in list(BackgroundFileLogger.open_loggers) for failure in logger.flush()]


def close_all() -> list[str]:
    return [failure for logger in list(BackgroundFileLogger.open_loggers) for failure in logger.close()]
