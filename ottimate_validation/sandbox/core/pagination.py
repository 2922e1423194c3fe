"""Page-number pagination (§6.1): 1-based `page`, `limit` 1..max, `count` = total matches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ..contract import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, ErrorCode
from ..faults import FaultSwitches
from .errors import BadRequest

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    page: int
    limit: int

    @classmethod
    def from_query(
        cls, query: Mapping[str, str], *, default_limit: int = DEFAULT_PAGE_SIZE, max_limit: int = MAX_PAGE_SIZE
    ) -> PageRequest:
        page = int_param(query, "page", 1)
        limit = int_param(query, "limit", default_limit)
        if not 1 <= limit <= max_limit:
            raise BadRequest(f"limit must be between 1 and {max_limit}", code=ErrorCode.INVALID_PARAMETER)
        # The Reference shows page=0 answered as page 1, so anything below 1 means the first page.
        return cls(page=max(page, 1), limit=limit)

    def slice(self, items: Sequence[T], faults: FaultSwitches) -> list[T]:
        start = (self.page - 1) * self.limit
        if self.page > 1 and faults.on("pagination_loses_item"):
            start += 1
        if self.page > 1 and faults.on("pagination_duplicates_item"):
            start -= 1
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
