"""Tests that wait in wall-clock time start first, spread over the workers' first shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ottimate_validation.pytest_plugin.polling import spread_waiting_tests


@dataclass
class _Marker:
    kwargs: dict[str, Any]


@dataclass
class _Item:
    nodeid: str
    waits: dict[str, Any] | None = None
    module: str | None = None  # the test's file; its own unless given
    seen: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.module or f"test_{self.nodeid}.py"

    def get_closest_marker(self, name: str) -> _Marker | None:
        return None if self.waits is None or name != "waits" else _Marker(self.waits)

    def __repr__(self) -> str:
        return self.nodeid


def _items() -> list[_Item]:
    plain = [_Item(f"t{i}") for i in range(10)]
    return [
        *plain[:3],
        _Item("a", {}),
        *plain[3:6],
        _Item("x1", {}),
        *plain[6:],
        _Item("x2", {}),
        _Item("b", {}),
    ]


def _ids(items: list[Any]) -> list[str]:
    return [item.nodeid for item in items]


def test_one_process_runs_the_waiting_tests_first_and_keeps_the_rest_in_order() -> None:
    ordered = _ids(spread_waiting_tests(_items(), 1))  # type: ignore[arg-type]
    assert ordered == ["a", "x1", "x2", "b", *(f"t{i}" for i in range(10))]


def test_each_worker_share_starts_with_a_wait_of_its_own() -> None:
    items = _items()
    ordered = _ids(spread_waiting_tests(items, 3))  # type: ignore[arg-type]
    assert sorted(ordered) == sorted(_ids(items)), "no test lost or repeated"
    # xdist's work stealing hands out 14 // 3, then 10 // 2, then 5 tests, in order.
    shares = [ordered[:4], ordered[4:9], ordered[9:]]
    assert [share[0] for share in shares] == ["a", "x1", "x2"]
    assert shares[0][:2] == ["a", "b"], "a fourth wait goes to the first share again, before its other tests"
    rest = [i for i in ordered if i.startswith("t")]
    assert rest == [f"t{i}" for i in range(10)]


def test_two_waiting_tests_of_one_module_start_one_after_the_other_on_one_worker() -> None:
    items = [_Item(i.nodeid, i.waits, "test_x.py") if i.nodeid.startswith("x") else i for i in _items()]
    ordered = _ids(spread_waiting_tests(items, 3))  # type: ignore[arg-type]
    assert sorted(ordered) == sorted(_ids(items)), "no test lost or repeated"
    shares = [ordered[:4], ordered[4:9], ordered[9:]]
    assert [share[:2] for share in shares] == [["a", "t0"], ["x1", "x2"], ["b", "t6"]]


def test_a_third_waiting_test_of_the_module_goes_to_another_worker() -> None:
    # xdist may steal a worker's third queued test, so a module's waits are kept together in twos.
    waits = [_Item(f"x{i}", {}, "test_x.py") for i in range(3)]
    items = [*waits, *(_Item(f"t{i}") for i in range(7))]
    ordered = _ids(spread_waiting_tests(items, 2))  # type: ignore[arg-type]
    assert [ordered[:5], ordered[5:]] == [["x0", "x1", "t0", "t1", "t2"], ["x2", "t3", "t4", "t5", "t6"]]


def test_without_waiting_tests_the_order_is_untouched() -> None:
    items = [_Item(f"t{i}") for i in range(5)]
    assert spread_waiting_tests(items, 2) == items  # type: ignore[arg-type]
