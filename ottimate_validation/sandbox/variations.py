"""Named variations: ways the embedded sandbox can differ from itself while staying within the contract.

Where a fault makes the sandbox wrong (and a suite must fail), a variation makes it *right but
different*: what a real deployment may do that the contract allows, such as adding a field in a later
version, compressing answers, being slow, or shedding load now and then. The harness's own tests
(`tests/robustness`) turn each one on and require every suite to still pass; docs/sandbox.md's table of
variations is generated from this list.

The sporadic variations are deterministic (every Nth request), never random, so a run is
reproducible and a retry after a hit is always served.
"""

from __future__ import annotations

import gzip
import itertools
import json
import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from .faults import Switches

#: The field `extra_fields` adds to every JSON object the API answers with.
EXTRA_FIELD = "x_added_in_a_later_version"
EXTRA_VALUE = "ignore me"
#: Added to every API call by `latency` (on top of the `latency_ms` setting).
LATENCY_MS: Final = 20
#: `sporadic_429` answers every Nth call that presents a known API key; `sporadic_503_get` every Nth GET.
EVERY_NTH_429: Final = 53
EVERY_NTH_503_GET: Final = 17
RETRY_AFTER_SECONDS: Final = 1


@dataclass(frozen=True)
class Variation:
    name: str
    description: str


VARIATIONS: Final[tuple[Variation, ...]] = (
    Variation(
        "extra_fields",
        f"Every JSON object in every answer carries an undocumented field `{EXTRA_FIELD}` "
        "(a forward-compatible API change).",
    ),
    Variation("shuffled_keys", "The keys of every JSON object in every answer come in a different order."),
    Variation("gzip", "Answers are gzip-compressed (`Content-Encoding: gzip`) whenever the request accepts it."),
    Variation("latency", f"Every API and token call takes {LATENCY_MS} ms longer."),
    Variation(
        "sporadic_429",
        f"Every {EVERY_NTH_429}th call presenting a known API key is answered 429 `rate_limited` with "
        f"`Retry-After: {RETRY_AFTER_SECONDS}`, unserved and uncounted.",
    ),
    Variation(
        "sporadic_503_get",
        f"Every {EVERY_NTH_503_GET}th GET is answered 503 `service_unavailable` before anything else, as by a gateway.",
    ),
)

VARIATIONS_BY_NAME: Final = {variation.name: variation for variation in VARIATIONS}


class VariationSwitches(Switches):
    """The variations switched on, plus the counters that make the sporadic ones deterministic."""

    kind = "variation"

    def __init__(self, enabled: Iterable[str] = ()) -> None:
        self._counters: dict[str, itertools.count[int]] = {}
        self._count_lock = threading.Lock()
        super().__init__(VARIATIONS_BY_NAME, enabled)

    def set(self, names: Iterable[str]) -> None:
        super().set(names)
        with self._count_lock:
            self._counters = {}  # a fresh start: the first hit is N calls away again

    def due(self, name: str, every: int) -> bool:
        """Whether this call is the Nth (2Nth, ...) one seen while `name` is on."""
        if not self.on(name):
            return False
        with self._count_lock:
            counter = self._counters.setdefault(name, itertools.count(1))
            return next(counter) % every == 0

    def ticket(self) -> int:
        """A number that changes with every answer (seeds `shuffled_keys`)."""
        with self._count_lock:
            counter = self._counters.setdefault("_ticket", itertools.count(1))
            return next(counter)


# ---------------------------------------------------------------------------------------------
# Body transformations, applied to a finished answer


def add_extra_fields(value: Any) -> Any:
    if isinstance(value, dict):
        return {**{key: add_extra_fields(item) for key, item in value.items()}, EXTRA_FIELD: EXTRA_VALUE}
    if isinstance(value, list):
        return [add_extra_fields(item) for item in value]
    return value


def shuffle_keys(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {key: shuffle_keys(value[key], rng) for key in keys}
    if isinstance(value, list):
        return [shuffle_keys(item, rng) for item in value]
    return value


def rewrite_json(body: bytes, switches: VariationSwitches) -> bytes | None:
    """The JSON body with `extra_fields` / `shuffled_keys` applied; None when neither is on or it is not JSON."""
    extra, shuffled = switches.on("extra_fields"), switches.on("shuffled_keys")
    if not (extra or shuffled) or not body:
        return None
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if extra:
        payload = add_extra_fields(payload)
    if shuffled:
        payload = shuffle_keys(payload, random.Random(switches.ticket()))
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an `Accept-Encoding` value allows gzip (listed, or `*`, with a non-zero q)."""
    for part in accept_encoding.split(","):
        coding, _, params = part.partition(";")
        if coding.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        name, _, weight = params.strip().partition("=")
        try:
            return name.strip().lower() != "q" or float(weight) > 0
        except ValueError:
            return False
    return False


def compress(body: bytes) -> bytes:
    # mtime=0: the same answer compresses to the same bytes (replays stay byte-identical).
    return gzip.compress(body, mtime=0)
