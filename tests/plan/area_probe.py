"""A pytest plugin for the plan tests: writes the API area of every collected and deselected suite test.

Loaded into a child pytest with ``-p tests.plan.area_probe``; ``AREA_PROBE_OUT`` names the JSON file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

OUT_ENV = "AREA_PROBE_OUT"
_deselected: dict[str, str] = {}


def _suite_areas(items: list[pytest.Item], config: pytest.Config) -> dict[str, str]:
    # Imported late: importing a project plugin before the root conftest would stop its assert rewriting.
    from ottimate_validation.pytest_plugin.evidence import area_of, criterion_of

    return {item.nodeid: area_of(item) for item in items if criterion_of(item.path, config.rootpath)}


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        _deselected.update(_suite_areas(items, items[0].config))


def pytest_collection_finish(session: pytest.Session) -> None:
    kept = _suite_areas(session.items, session.config)
    Path(os.environ[OUT_ENV]).write_text(json.dumps({"kept": kept, "deselected": _deselected}), encoding="utf-8")
