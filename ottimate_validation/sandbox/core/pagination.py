"""Page-number pagination (§6.1): 1-based `page`, `limit` 1..max, `count` = total matches.

Where the contract is silent it follows the decisions in force (`readings.current()`): "page-size-limits"
(a bad `limit` refused, or clamped), "page-numbers" (page 0 and pages past the end lenient, or 404) and
"list-order" (lists whose order is open: oldest first, or newest first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from .. import readings
from ..contract import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, ErrorCode
from ..faults import FaultSwitches
from .errors import BadRequest, NotFound

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    page: int
    limit: int

    @classmethod
    def from_query(
        cls, query: Mapping[str, str], *, default_limit: int = DEFAULT_PAGE_SIZE, max_limit: int = MAX_PAGE_SIZE
    ) -> PageRequest:
        chosen = readings.current()
        if chosen.takes("page-size-limits", "clamp"):
            try:
                limit = int(query.get("limit") or default_limit)
            except ValueError:
                limit = default_limit
            limit = default_limit if limit < 1 else min(limit, max_limit)
        else:
            limit = int_param(query, "limit", default_limit)
            if not 1 <= limit <= max_limit:
                raise BadRequest(f"limit must be between 1 and {max_limit}", code=ErrorCode.INVALID_PARAMETER)
        if chosen.takes("page-numbers", "not-found"):
            try:
                page = int(query.get("page") or 1)
            except ValueError:
                raise NotFound("Invalid page.") from None
            if page < 1:
                raise NotFound("Invalid page.")
            return cls(page=page, limit=limit)
        page = int_param(query, "page", 1)
        # The Reference shows page=0 answered as page 1, so anything below 1 means the first page.
        return cls(page=max(page, 1), limit=limit)

    def slice(self, items: Sequence[T], faults: FaultSwitches, *, order_open: bool = False) -> list[T]:
        """This page of ``items``. ``order_open``: the contract leaves the list's order open (§6.1), so
        "list-order" decides it; the others keep the order given."""
        chosen = readings.current()
        start = (self.page - 1) * self.limit
        if self.page > 1 and start >= len(items) and chosen.takes("page-numbers", "not-found"):
            raise NotFound("Invalid page.")
        if self.page > 1 and faults.on("pagination_loses_item"):
            start += 1
        if self.page > 1 and faults.on("pagination_duplicates_item"):
            start -= 1
        if order_open and chosen.takes("list-order", "newest-first"):
            n = len(items)
            return [items[n - 1 - i] for i in range(max(start, 0), min(start + self.limit, n))]
        return list(items[start : start + self.limit])


def int_param(query: Mapping[str, str], name: str, default: int | None = None) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        if default is None:
            raise BadRequest(f"{name} is required", code=ErrorCode.INVALID_PARAMETER)
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer, got {raw!r}", code=ErrorCode.INVALID_PARAMETER) from None


def optional_int_param(query: Mapping[str, str], name: str) -> int | None:
    if query.get(name) in (None, ""):
        return None
    return int_param(query, name)
