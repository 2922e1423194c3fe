"""Seedable identifiers, so a sandbox started with `--seed` hands out the same ids every time."""

from __future__ import annotations

import random
import re
import string
import threading
from collections.abc import Mapping
from typing import Any

from .. import readings
from ..contract import ErrorCode
from .errors import BadRequest

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


_UUID = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
#: What an id can look like, by the path segment before it (the forms the sandbox hands out, §8-§16).
ID_FORMS: dict[str, re.Pattern[str]] = {
    "vendors": re.compile(r"\d+"),
    "dimensions": re.compile(r"dim_\w+"),
    "purchase-orders": re.compile(_UUID),
    "receipts": re.compile(_UUID),
    "invoices": re.compile(rf"{_UUID}|\d+"),
    "entries": re.compile(r"cte_\w+|\d+"),
    "variances": re.compile(r"cte_\w+|\d+"),
    "allowances": re.compile(r"cta_\w+"),
    "variance-batches": re.compile(r"ctb_\w+"),
    "batch": re.compile(r"bat_\w+"),
}


def well_formed_ids(rule: str, args: Mapping[str, Any]) -> None:
    """Under "unknown-or-malformed-entity-id": malformed-is-400, an id in the path that cannot be one is
    400 `invalid_parameter` (a well-formed unknown id stays 404)."""
    value = args.get("id")
    if value is None or not readings.current().takes("unknown-or-malformed-entity-id", "malformed-is-400"):
        return
    segments = rule.split("/")
    resource = segments[segments.index("<id>") - 1] if "<id>" in segments else ""
    form = ID_FORMS.get(resource)
    if form is not None and not form.fullmatch(str(value)):
        raise BadRequest(f"{value!r} is not a valid id for {resource}", code=ErrorCode.INVALID_PARAMETER)
