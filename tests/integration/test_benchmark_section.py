"""The integration section of scripts/benchmark.py at tiny sizes, so it cannot rot; its figures go into
docs/benchmark.{json,md} without touching the rest of either."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from .conftest import ROOT


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ottimate_benchmark_integration", ROOT / "scripts" / "benchmark.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_judge_and_the_recording_layer_are_measured(bench: ModuleType, tmp_path: Path) -> None:
    judged = bench.bench_judge(3_000, tmp_path)
    assert judged["exchanges"] == 3_000 and judged["findings"] >= 15 and not judged["errors"]
    recording = bench.bench_recording(30, 1, tmp_path)
    assert recording["bare_us"] > 0 and recording["recorded_us"] > 0 and recording["added_us"] is not None


def test_the_figures_replace_only_their_own_section(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    figures = {
        "generated_at": "2026-12-05 00:00 UTC",
        "judge": {"exchanges": 100_000, "read_s": 2.0, "judge_s": 1.5, "total_s": 3.5, "findings": 19,
                  "errors": [], "slowest_rules": {"stability.pages-walked": 0.4}},
        "recording": {"requests_per_round": 1000, "rounds": 9, "bare_us": 95.0, "recorded_us": 130.0,
                      "added_us": 35.0, "overhead": 1.368},
        "served": {"clients": 8, "seconds": 4, "rounds": 3, "bare_rps": 1000, "recorded_rps": 930, "overhead": 1.075},
    }  # fmt: skip
    monkeypatch.setattr(bench, "bench_integration", lambda quick, folder: figures)
    output = tmp_path / "benchmark.json"
    output.write_text(json.dumps({"full_runs": {"kept": True}}))
    page = tmp_path / "benchmark.md"
    page.write_text("# Benchmark\n\nEarlier figures.\n")
    for _ in range(2):  # appended once, then replaced in place
        assert bench.run_integration_benchmark(True, output) == 0
    data = json.loads(output.read_text())
    assert data["full_runs"] == {"kept": True} and data["integration"]["judge"]["total_s"] == 3.5
    text = page.read_text()
    assert text.startswith("# Benchmark\n\nEarlier figures.\n") and text.count(bench.INTEGRATION_BEGIN) == 1
    assert "| judging 100,000 exchanges (ledger read back + every rule) | 3.5 s | <= 10 s | met |" in text
