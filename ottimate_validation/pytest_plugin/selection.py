"""Which tests run, and in which order: the plugin's one collection hook.

In order, on the collected items:

1. suite tests get their evidence labels (criterion, area, story: ``evidence.label_item``);
2. a test using the ``sandbox`` fixture is ``sandbox_only`` (skipped where there is no control plane);
3. the validation plan keeps the tests of the planned operations' areas (a test whose area the
   catalogue does not know is kept, with a warning, never dropped silently; tests of cross-cutting
   areas always run);
4. a read-only run (production allowed) keeps only the tests marked ``readonly``;
5. tests that wait in wall-clock time (``waits``) start first, one per worker (``polling``).
"""

from __future__ import annotations

import warnings

import pytest

from ottimate_validation.pytest_plugin.evidence import area_of, criterion_of, label_item
from ottimate_validation.pytest_plugin.polling import spread_waiting_tests
from ottimate_validation.pytest_plugin.state import state_key
from ottimate_validation.report.operations import area_selected, known_area
from ottimate_validation.run.plan import LoadedPlan


def _planned(config: pytest.Config, items: list[pytest.Item], plan: LoadedPlan) -> list[pytest.Item]:
    if not plan.restricts:
        return []
    dropped: list[pytest.Item] = []
    unknown: set[str] = set()
    for item in items:
        if criterion_of(item.path, config.rootpath) is None:  # not a suite test: the plan does not apply
            continue
        area = area_of(item)
        if not known_area(area):
            unknown.add(area)
        if not area_selected(area, plan.planned):
            dropped.append(item)
    if unknown:
        warnings.warn(
            pytest.PytestWarning(
                f"API area(s) {', '.join(sorted(unknown))} are not in report/operations.py, so the plan cannot "
                "place their tests; they run whatever the plan says."
            ),
            stacklevel=1,
        )
    return dropped


def _worker_count(config: pytest.Config) -> int:
    workerinput = getattr(config, "workerinput", None)  # set in xdist workers, which do the collecting
    return int(workerinput.get("workercount", 1)) if workerinput else 1


@pytest.hookimpl(trylast=True)  # after pytest-split has chosen a shard's tests
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = config.stash.get(state_key, None)
    if state is None or not state.active:
        return
    for item in items:
        label_item(item, config.rootpath)
        if "sandbox" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("sandbox_only"):
            item.add_marker(pytest.mark.sandbox_only)
    dropped = _planned(config, items, state.plan)
    if state.read_only:
        dropped += [item for item in items if item.get_closest_marker("readonly") is None and item not in dropped]
    if dropped:
        gone = set(map(id, dropped))
        items[:] = [item for item in items if id(item) not in gone]
        config.hook.pytest_deselected(items=dropped)
    items[:] = spread_waiting_tests(items, _worker_count(config))
