"""Page-number pagination (§6.1): 1-based `page`, `limit` 1..max, `count` = total matches."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress, islice
from typing import TypeVar, overload

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


class Selection(Sequence[T]):
    """Some of ``items``, in their order, without copying them: those whose byte in ``mask`` is 1, or
    those at ``positions`` (ascending), or all. Length and page slices never touch the other items, so
    a list page over 100,000 entities costs about what it does over 100. ``items`` must only grow."""

    def __init__(
        self, items: Sequence[T], *, mask: bytes | None = None, positions: Sequence[int] | None = None
    ) -> None:
        self._items = items
        self._mask = mask
        self._positions = positions
        self._len = len(positions) if positions is not None else mask.count(1) if mask is not None else len(items)

    def __len__(self) -> int:
        return self._len

    def _where(self, start: int, stop: int) -> Iterable[int]:
        if self._positions is not None:
            return self._positions[start:stop]
        if self._mask is not None:
            return islice(compress(range(len(self._mask)), self._mask), start, stop)
        return range(start, stop)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._len)
            picked = [self._items[i] for i in self._where(start, max(start, stop))]
            return picked[::step] if step != 1 else picked
        position = index + self._len if index < 0 else index
        if not 0 <= position < self._len:
            raise IndexError("selection index out of range")
        return self._items[next(iter(self._where(position, position + 1)))]

    def __iter__(self) -> Iterator[T]:
        items = self._items
        return (items[i] for i in self._where(0, self._len))
