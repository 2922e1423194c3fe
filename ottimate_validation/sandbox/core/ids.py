"""Seedable identifiers, so a sandbox started with `--seed` hands out the same ids every time."""

from __future__ import annotations

import random
import string
import threading

_ALPHABET = string.ascii_letters + string.digits


class IdFactory:
    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._counters: dict[str, int] = {}

    def integer(self, kind: str, start_low: int = 1000, start_high: int = 90000) -> int:
        """Increasing integers per kind, starting at a random point (ids differ per environment)."""
        with self._lock:
            if kind not in self._counters:
                self._counters[kind] = self._random.randint(start_low, start_high)
            self._counters[kind] += 1
            return self._counters[kind]

    def token(self, prefix: str, length: int = 12) -> str:
        with self._lock:
            return prefix + "".join(self._random.choices(_ALPHABET, k=length))

    def digits(self, prefix: str, length: int) -> str:
        with self._lock:
            return prefix + "".join(self._random.choices(string.digits, k=length))
