"""Run the partner's command for one pass: its own process group, a time limit, bounded output.

The command gets the caller's environment plus the target's variables. Its stdout and stderr are read
as they come, never held whole: the first and last ``KEEP_BYTES`` of each are kept (for the report,
scrubbed of credentials), and every byte is searched for the run's credentials as it passes (the
access tokens issued so far, the API key, the client secret), so a command printing megabytes or
binary costs no memory and hides nothing. When the time limit passes, the whole process group is
stopped (SIGTERM, then SIGKILL); what the command left running after it exited is stopped too, so
nothing of one pass runs into the next.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO

from .credentials import RunCredentials

KEEP_BYTES = 16 * 1024  # of each stream's start and end
CHUNK = 64 * 1024
STOP_GRACE_SECONDS = 2.0  # between SIGTERM and SIGKILL
READER_JOIN_SECONDS = 5.0  # a grandchild that escaped the group may hold the pipe open
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class SecretSeen:
    stream: str  # stdout | stderr
    kind: str  # credentials.API_KEY, ...
    offset: int  # byte offset in the stream
    line: int  # 1-based line number, when known (0: in the middle of a long output)


@dataclass(frozen=True)
class Output:
    """One stream of the command, as kept: bounded, scrubbed, printable."""

    stream: str
    total_bytes: int = 0
    head: str = ""
    tail: str = ""  # empty when the head holds everything
    binary: bool = False  # NUL bytes or invalid UTF-8 were seen
    lines: int = 0

    @property
    def truncated(self) -> bool:
        return self.total_bytes > 2 * KEEP_BYTES

    def text(self) -> str:
        if not self.tail:
            return self.head
        skipped = self.total_bytes - 2 * KEEP_BYTES
        if skipped <= 0:
            return self.head + self.tail
        return f"{self.head}\n[… {skipped:,} bytes not kept …]\n{self.tail}"


@dataclass(frozen=True)
class CommandOutcome:
    argv: tuple[str, ...]
    started: bool
    exit_code: int | None = None
    start_error: str | None = None  # why it could not be started
    timed_out: bool = False
    seconds: float = 0.0
    time_limit: float = 0.0
    stdout: Output = field(default_factory=lambda: Output("stdout"))
    stderr: Output = field(default_factory=lambda: Output("stderr"))
    secrets_seen: tuple[SecretSeen, ...] = ()
    started_at: float = 0.0

    @property
    def succeeded(self) -> bool:
        return self.started and not self.timed_out and self.exit_code == 0

    def describe(self) -> str:
        if not self.started:
            return f"the command could not be started: {self.start_error}"
        if self.timed_out:
            return f"the command did not finish within its time limit of {self.time_limit:g} s and was stopped"
        if self.exit_code is not None and self.exit_code < 0:
            name = _signal_name(-self.exit_code)
            return f"the command was killed by {name} after {self.seconds:.1f} s"
        return f"the command exited with code {self.exit_code} after {self.seconds:.1f} s"


class _Reader(threading.Thread):
    """Reads one stream to its end: keeps its head and tail, searches every byte for credentials."""

    def __init__(self, name: str, pipe: IO[bytes], credentials: RunCredentials) -> None:
        super().__init__(name=f"integration-{name}", daemon=True)
        self.stream = name
        self._pipe = pipe
        self._credentials = credentials
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self.lines = 0
        self.binary = False
        self.seen: dict[tuple[str, int], SecretSeen] = {}
        self._carry = b""

    def run(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            while True:
                chunk = self._pipe.read1(CHUNK) if hasattr(self._pipe, "read1") else self._pipe.read(CHUNK)
                if not chunk:
                    break
                self._take(chunk)

    def _take(self, chunk: bytes) -> None:
        start = self.total
        if len(self.head) < KEEP_BYTES:
            self.head += chunk[: KEEP_BYTES - len(self.head)]
        self.tail += chunk
        if len(self.tail) > KEEP_BYTES:
            del self.tail[: len(self.tail) - KEEP_BYTES]
        if not self.binary and b"\x00" in chunk:
            self.binary = True
        # A credential may straddle two chunks: search the end of the previous one too.
        window = self._carry + chunk
        base = start - len(self._carry)
        for kind, value in self._credentials.by_kind():
            index = window.find(value)
            while index >= 0:
                offset = base + index
                line = self.lines + window.count(b"\n", len(self._carry), max(len(self._carry), index)) + 1
                self.seen.setdefault((kind, offset), SecretSeen(self.stream, kind, offset, line))
                index = window.find(value, index + 1)
        self.lines += chunk.count(b"\n")
        self._carry = window[-256:]
        self.total += len(chunk)

    def output(self) -> Output:
        tail_needed = self.total > KEEP_BYTES
        tail = bytes(self.tail[-min(KEEP_BYTES, max(0, self.total - KEEP_BYTES)) :]) if tail_needed else b""
        return Output(
            stream=self.stream,
            total_bytes=self.total,
            head=self._printable(bytes(self.head)),
            tail=self._printable(tail),
            binary=self.binary,
            lines=self.lines,
        )

    def _printable(self, raw: bytes) -> str:
        text = raw.decode("utf-8", errors="replace")
        if "\ufffd" in text:
            self.binary = True
        text = _CONTROL.sub("\ufffd", text)
        return self._credentials.secrets.scrub(text)


def run_command(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: str | None,
    time_limit: float,
    credentials: RunCredentials,
) -> CommandOutcome:
    """Run ``argv`` to its end or its time limit; never raises for anything the command does."""
    started_at = time.time()
    start = time.monotonic()
    try:
        process = subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: stopped whole, children included
        )
    except FileNotFoundError:
        return CommandOutcome(
            tuple(argv), started=False, start_error=f"no such command: {argv[0]}", time_limit=time_limit
        )
    except PermissionError:
        return CommandOutcome(
            tuple(argv), started=False, start_error=f"{argv[0]} is not executable", time_limit=time_limit
        )
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return CommandOutcome(tuple(argv), started=False, start_error=f"{argv[0]}: {reason}", time_limit=time_limit)
    assert process.stdout is not None and process.stderr is not None
    readers = [_Reader("stdout", process.stdout, credentials), _Reader("stderr", process.stderr, credentials)]
    for reader in readers:
        reader.start()
    timed_out = False
    try:
        process.wait(timeout=time_limit)
    except subprocess.TimeoutExpired:
        timed_out = True
        _stop_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            _stop_group(process, signal.SIGKILL)
            process.wait()
    except BaseException:  # interrupted: never leave the command running
        _stop_group(process, signal.SIGKILL)
        process.wait()
        raise
    seconds = time.monotonic() - start
    _stop_group(process, signal.SIGKILL)  # what it left running in the background
    for reader in readers:
        reader.join(READER_JOIN_SECONDS)
    for pipe in (process.stdout, process.stderr):
        with contextlib.suppress(OSError):
            pipe.close()
    outputs = {r.stream: r.output() for r in readers}
    seen = sorted((s for r in readers for s in r.seen.values()), key=lambda s: (s.stream, s.offset))
    return CommandOutcome(
        argv=tuple(argv),
        started=True,
        exit_code=process.returncode,
        timed_out=timed_out,
        seconds=seconds,
        time_limit=time_limit,
        stdout=outputs["stdout"],
        stderr=outputs["stderr"],
        secrets_seen=tuple(seen),
        started_at=started_at,
    )


def _stop_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.killpg(process.pid, sig)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
