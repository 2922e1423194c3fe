"""Filtered, ordered lists of a growing collection: one meaning, and indexes that answer it quickly.

A `Listing` holds items in a fixed order (ascending by `order_by` attributes, read newest first when
asked) and answers a `Query`: the items whose facets take one of the wanted values, whose dates lie in
the wanted windows, and that pass the query's own predicate (`where`).

**The meaning is `Listing.scan`**: every item, sorted, filtered by `Listing.keeps`. `Listing.select`
answers the same from indexes, so a page of 100,000 entities costs about what it does of 100:

- per facet and set of wanted values, a byte per item (1 = kept), ANDed at C speed;
- per date, the positions sorted by that date: one window is two binary searches;
- the combination of both per query, so a page walk sorts its window once;
- the answer is a `Selection`, a view that reads only the page asked for; `where` and any second
  window are then tested on the remaining items only.

Indexes are built on first use and kept up to date: an item appended in order extends them, a facet
attribute assigned rewrites that item's byte in each mask, a date assigned drops that date's index
(rebuilt on next use), and a change of order drops them all. A change is seen when an item is added
and when an attribute an index reads (`order_by`, a facet's or a date's attribute) is *assigned*:
items are `Tracked`, and tell the listings holding them. A facet is a function of one attribute's value, so a
change inside an attribute's own list or dict (a line item appended) never touches an index: either
the index does not read that attribute, or the value it reads is immutable. `where` reads the live
item. tests/sandbox/test_listing.py holds `select` to `scan` after random writes.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import compress, islice
from operator import attrgetter, itemgetter
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")

#: Combined candidates kept at once (a page walk needs one; pollers a few).
_CANDIDATES_KEPT = 64
#: Facet masks kept at once (each is a byte per item).
_MASKS_KEPT = 64


class Tracked:
    """Base of the items a `Listing` indexes: assigning an attribute tells the listings that hold the item."""

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        listings: list[Listing[Any]] | None = self.__dict__.get("_listings")
        if listings:
            for listing in listings:
                listing._assigned(self, name)


@dataclass(frozen=True)
class Facet:
    """A value of an item to filter on: `value` of the item's attribute `attribute` (identity if None)."""

    attribute: str
    value: Callable[[Any], Hashable] | None = None

    def of(self, item: Any) -> Hashable:
        raw = getattr(item, self.attribute)
        return raw if self.value is None else self.value(raw)


Window = tuple[datetime | None, datetime | None]  # inclusive bounds; None: open


@dataclass(frozen=True)
class Query(Generic[T]):
    """What a list asks for; an empty query keeps everything."""

    facets: Mapping[str, frozenset[Hashable]] = field(default_factory=dict)  # facet -> values kept
    windows: Mapping[str, Window] = field(default_factory=dict)  # date attribute -> window
    where: Callable[[T], bool] | None = None


class Listing(Generic[T]):
    def __init__(
        self,
        *,
        order_by: tuple[str, ...],
        facets: Mapping[str, Facet] | None = None,
        dates: Iterable[str] = (),
        newest_first: bool = False,
    ) -> None:
        self._order_attributes = frozenset(order_by)
        self._order: Callable[[T], Any] = attrgetter(*order_by)
        self._facets = dict(facets or {})
        self._dates = tuple(dates)
        self._newest_first = newest_first
        self._reads = self._order_attributes | {f.attribute for f in self._facets.values()} | set(self._dates)
        self._items: list[T] = []  # ascending by order, once sorted
        self._sorted = True
        self._positions: dict[int, int] | None = None  # id(item) -> its place in _items, built when needed
        self._masks: dict[tuple[str, frozenset[Hashable]], bytearray] = {}
        self._by_date: dict[str, tuple[list[datetime], list[int]]] = {}  # date -> (values sorted, positions)
        self._candidates: dict[tuple[Any, ...], tuple[bytes | None, list[int] | None]] = {}

    # -- the collection --------------------------------------------------------------------------

    def add(self, item: T) -> None:
        assert isinstance(item, Tracked), "a listed item must be Tracked, or its changes go unseen"
        listings: list[Listing[Any]] = item.__dict__.setdefault("_listings", [])
        listings.append(self)
        items = self._items
        if self._sorted and items and self._order(item) < self._order(items[-1]):
            self._sorted = False
        items.append(item)
        self._candidates.clear()
        if not self._sorted:
            self._drop_indexes()
            return
        position = len(items) - 1
        if self._positions is not None:
            self._positions[id(item)] = position
        for (name, wanted), mask in self._masks.items():
            mask.append(self._facets[name].of(item) in wanted)
        for name in list(self._by_date):
            values, positions = self._by_date[name]
            value = getattr(item, name)
            if values and value < values[-1]:
                del self._by_date[name]  # rebuilt on next use
            else:
                values.append(value)
                positions.append(position)

    def __len__(self) -> int:
        return len(self._items)

    def _assigned(self, item: T, attribute: str) -> None:
        if attribute not in self._reads:
            return
        if attribute in self._order_attributes:
            self._sorted = False
            self._drop_indexes()
            return
        self._candidates.clear()
        self._by_date.pop(attribute, None)
        if not self._sorted:
            return  # the masks were dropped
        position: int | None = None
        for (name, wanted), mask in self._masks.items():
            facet = self._facets[name]
            if facet.attribute == attribute:
                if position is None:
                    position = self._position_of(item)
                mask[position] = facet.of(item) in wanted

    def _position_of(self, item: T) -> int:
        if self._positions is None:
            self._positions = {id(each): n for n, each in enumerate(self._items)}
        return self._positions[id(item)]

    def _drop_indexes(self) -> None:
        self._masks.clear()
        self._by_date.clear()
        self._candidates.clear()
        self._positions = None

    # -- the meaning ------------------------------------------------------------------------------

    def keeps(self, query: Query[T], item: T) -> bool:
        """Whether `item` belongs in the answer to `query`."""
        return (
            all(self._facets[name].of(item) in wanted for name, wanted in query.facets.items())
            and all(_in_window(getattr(item, name), window) for name, window in query.windows.items())
            and (query.where is None or query.where(item))
        )

    def scan(self, query: Query[T]) -> list[T]:
        """The answer by definition: every item in order, filtered by `keeps`."""
        ordered = sorted(self._items, key=self._order, reverse=self._newest_first)
        return [item for item in ordered if self.keeps(query, item)]

    # -- the same answer from indexes --------------------------------------------------------------

    def select(self, query: Query[T]) -> Sequence[T]:
        """What `scan` answers, read from indexes."""
        if not self._sorted:
            self._items.sort(key=self._order)
            self._sorted = True
        window_name = next((name for name, w in query.windows.items() if w != (None, None)), None)
        key = (
            tuple(sorted(query.facets.items(), key=itemgetter(0))),
            window_name,
            query.windows.get(window_name or ""),
        )
        found = self._candidates.get(key)
        if found is None:
            if len(self._candidates) >= _CANDIDATES_KEPT:
                self._candidates.clear()
            found = self._candidates[key] = self._combine(query, window_name)
        mask, positions = found
        selection: Sequence[T] = Selection(self._items, mask=mask, positions=positions, reverse=self._newest_first)
        rest = {name: w for name, w in query.windows.items() if name != window_name and w != (None, None)}
        if query.where is None and not rest:
            return selection
        where = query.where
        return [
            item
            for item in selection
            if all(_in_window(getattr(item, name), w) for name, w in rest.items()) and (where is None or where(item))
        ]

    def _combine(self, query: Query[T], window_name: str | None) -> tuple[bytes | None, list[int] | None]:
        """The positions the facets and one window keep: a mask, or positions (ascending), or None for all."""
        kept: bytes | None = None
        if query.facets:
            joined = -1
            for name, wanted in query.facets.items():
                joined &= int.from_bytes(self._mask(name, wanted), "little")  # a bytewise AND of 0/1 bytes
            kept = joined.to_bytes(len(self._items), "little")
        if window_name is None:
            return kept, None
        window = self._window(window_name, query.windows[window_name])
        if kept is not None and len(window) > 1:  # the window's bytes of `kept`, picked at C speed
            window = list(compress(window, itemgetter(*window)(kept)))
        elif kept is not None:
            window = [i for i in window if kept[i]]
        return None, window

    def _mask(self, name: str, wanted: frozenset[Hashable]) -> bytearray:
        mask = self._masks.get((name, wanted))
        if mask is None:
            if len(self._masks) >= _MASKS_KEPT:
                self._masks.clear()
            facet = self._facets[name]
            mask = self._masks[(name, wanted)] = bytearray(facet.of(item) in wanted for item in self._items)
        return mask

    def _window(self, name: str, window: Window) -> list[int]:
        """Positions (ascending) of the items whose date `name` is in the window."""
        index = self._by_date.get(name)
        if index is None:
            positions = sorted(range(len(self._items)), key=lambda i: getattr(self._items[i], name))
            index = self._by_date[name] = ([getattr(self._items[i], name) for i in positions], positions)
        values, positions = index
        start, end = window
        low = bisect_left(values, start) if start is not None else 0
        high = bisect_right(values, end) if end is not None else len(values)
        return sorted(positions[low:high])


def _in_window(value: datetime, window: Window) -> bool:
    start, end = window
    return (start is None or value >= start) and (end is None or value <= end)


class Selection(Sequence[T]):
    """Some of ``items``, in their order (or reversed), without copying them: those whose byte in ``mask``
    is 1, or those at ``positions`` (ascending), or all. Length and page slices never touch the other
    items, so a list page over 100,000 entities costs about what it does over 100."""

    def __init__(
        self,
        items: Sequence[T],
        *,
        mask: bytes | None = None,
        positions: Sequence[int] | None = None,
        reverse: bool = False,
    ) -> None:
        self._items = items
        self._n = len(items)  # reversed reads count from this end, whatever is appended later
        self._reverse = reverse
        if mask is not None and reverse:
            mask = mask[::-1]
        self._mask = mask
        self._positions = positions
        self._len = len(positions) if positions is not None else mask.count(1) if mask is not None else len(items)

    def __len__(self) -> int:
        return self._len

    def _where(self, start: int, stop: int) -> Iterable[int]:
        """Positions in ``items`` of the selection's entries start..stop."""
        n = self._n
        if self._positions is not None:
            if not self._reverse:
                return self._positions[start:stop]
            return self._positions[self._len - stop : self._len - start][::-1]
        if self._mask is not None:
            picked = islice(compress(range(len(self._mask)), self._mask), start, stop)
            return (n - 1 - i for i in picked) if self._reverse else picked
        return range(n - 1 - start, n - 1 - stop, -1) if self._reverse else range(start, stop)

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
