"""The benchmark script's pieces at tiny sizes (so it cannot rot), and the sandbox's list indexes
answering exactly what a scan of every entity answers (so the speed-up changed nothing)."""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ottimate_validation.sandbox import EmbeddedSandbox
from ottimate_validation.sandbox.accounts.models import ApiUser
from ottimate_validation.sandbox.core import dates

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ottimate_benchmark", ROOT / "scripts" / "benchmark.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_quick_run_writes_both_figure_files(bench: ModuleType, tmp_path: Path) -> None:
    output = tmp_path / "bench.json"
    argv = ["--quick", "--skip-full-runs", "--skip-realistic", "--vendors", "300", "--output", str(output)]
    assert bench.main(argv) == 0
    figures = json.loads(output.read_text(encoding="utf-8"))
    overhead = figures["client_overhead"]
    assert overhead["ratio"] > 0 and overhead["attachments_written"] > 0
    scale = figures["scale"]
    assert set(scale["p95_ratio"]) == set(scale["sizes"]["large"]["queries"])
    assert scale["sizes"]["large"]["queries"]["invoices, page 1 (limit 100)"]["count"] == 1000
    assert [t["key"] for t in figures["targets"]] == [t.key for t in bench.TARGETS]
    text = output.with_suffix(".md").read_text(encoding="utf-8")
    assert "| client path / bare httpx loop |" in text and "## Scale of the embedded sandbox" in text


def _write(folder: Path, name: str, data: dict[str, Any]) -> None:
    (folder / name).write_text(json.dumps(data), encoding="utf-8")


def _exchange(path: str) -> dict[str, str]:
    return {"name": f"GET {path} → 200 OK (150 ms)", "source": f"{path.strip('/')}-attachment.txt"}


def test_results_digest_counts_per_suite_and_the_longest_chain(bench: ModuleType, tmp_path: Path) -> None:
    a = {"uuid": "a", "fullName": "suites.core.test_x#test_a", "start": 0, "stop": 1000}
    a["steps"] = [{"name": "s", "attachments": [_exchange("/v1/vendors"), _exchange("/v1/vendors/1")]}]
    b = {"uuid": "b", "fullName": "suites.auth.test_y#test_b", "start": 0, "stop": 200}
    b["attachments"] = [_exchange("/v1/accounts")] * 3  # three sent at once: 200 ms is one chain link
    _write(tmp_path, "a-result.json", a)
    _write(tmp_path, "b-result.json", b)
    session = {"children": ["a", "b"], "befores": [{"start": 0, "stop": 150, "attachments": [_exchange("/o")]}]}
    _write(tmp_path, "s-container.json", session)
    digest = bench.digest_results(tmp_path)
    assert digest.per_suite == {"auth": 3, "core": 2, "shared fixtures": 1}
    assert (digest.chain, digest.chain_test) == (4, "suites.auth.test_y#test_b")
    capped = bench.digest_results(tmp_path, latency_ms=150)
    assert (capped.chain, capped.chain_test) == (3, "suites.core.test_x#test_a")  # 1150 ms / 150 ms = 7 > 3


# ---------------------------------------------------------------------------------------------
# The indexes against a scan of everything (the code before the indexes, written out again)


def _scan_invoices(sb: EmbeddedSandbox, user: ApiUser, query: dict[str, str]) -> list[Any]:
    raw_locations = query.get("ottimate_location_ids")
    locations = [int(x) for x in raw_locations.split(",")] if raw_locations else None
    company = int(query["ottimate_company_id"]) if "ottimate_company_id" in query else None
    start = dates.parse_filter(query, "last_modified_date_from")
    created_from = dates.parse_filter(query, "date_from")
    found = [
        inv
        for inv in sb.state.invoices._by_uuid.values()
        if user.can_read_location(inv.location.id)
        and (not query.get("status") or inv.status == query["status"])
        and (locations is None or inv.location.id in locations)
        and (company is None or inv.location.company_id == company)
        and dates.in_window(inv.last_modified, start, None)
        and dates.in_window(inv.created_at, created_from, None)
    ]
    return sorted(found, key=lambda inv: (inv.created_at, inv.id), reverse=True)


def _scan_vendors(sb: EmbeddedSandbox, user: ApiUser, query: dict[str, str], company: int | None) -> list[Any]:
    start = dates.parse_filter(query, "last_modified_date_from")
    return [
        v
        for v in sb.state.vendors._by_id.values()
        if (company is None or v.ottimate_company_id == company)
        and v.ottimate_company_id in user.company_ids
        and dates.in_window(v.last_modified, start, None)
    ]


def test_list_indexes_answer_what_a_scan_of_every_entity_answers(bench: ModuleType) -> None:
    rng = random.Random(7)
    with EmbeddedSandbox(seed=7, config=bench.unlimited()) as sb:
        state, account = sb.state, sb.users["account"]
        bench.load_invoices(sb, 120)
        bench.load_vendors(sb, 150)
        middle = dates.stamp_utc(state.clock.now())
        state.clock.advance(5)
        bench.load_invoices(sb, 30)  # created after the middle
        invoices = list(state.invoices._by_uuid.values())
        vendors = list(state.vendors._by_id.values())
        for inv in rng.sample(invoices, 25):  # changes after the indexes were first read
            state.invoices.matching(account, {})
            state.invoices.flag(account, inv.uuid, "benchmark check")
        for inv in rng.sample(invoices, 5):  # created earlier than its neighbours, as extraction stamps
            inv.created_at -= timedelta(seconds=rng.randint(1, 3600))
            state.invoices._created_sorted = False
        for company_id in sorted(account.company_ids):
            picked = [v for v in vendors if v.ottimate_company_id == company_id][:20]
            items = [{"erp_vendor_id": v.erp_vendor_id, "city": "Shelbyville"} for v in picked]
            state.vendors.bulk(account, {"ottimate_company_id": company_id, "vendors": items})
        for name in ("account", "company", "location"):
            user = sb.users[name]
            queries: list[dict[str, str]] = [
                {},
                {"status": "needs-attention"},
                {"status": "pending-approval", "last_modified_date_from_utc": str(middle)},
                {"date_from_utc": str(middle)},
                {"ottimate_location_ids": ",".join(str(x) for x in sorted(user.location_ids)[:1])},
                {"ottimate_company_id": str(min(user.company_ids)), "last_modified_date_from_utc": str(middle)},
            ]
            for query in queries:
                got = state.invoices.matching(user, query)
                want = _scan_invoices(sb, user, query)
                assert [i.id for i in got] == [i.id for i in want], (name, query)
                assert [i.id for i in got[3:9]] == [i.id for i in want[3:9]]
            companies: list[int | None] = [None, *sorted(user.company_ids)]
            for company in companies:
                for query in ({}, {"last_modified_date_from_utc": str(middle)}) if company else ({},):
                    got_v = state.vendors.matching(user, query, company)
                    want_v = _scan_vendors(sb, user, query, company)
                    assert [v.id for v in got_v] == [v.id for v in want_v], (name, company, query)
                    assert len(got_v) == len(want_v) and list(got_v[5:25]) == want_v[5:25]


def _poll(folder: Path, name: str, body: str) -> dict[str, str]:
    (folder / f"{name}-attachment.txt").write_text(f"GET /v1/x\n\nHTTP 200 OK\n\n{body}\n", encoding="utf-8")
    return {"name": "GET /v1/batch/bat_1/progress → 200 OK (151 ms)", "source": f"{name}-attachment.txt"}


def test_the_lower_bound_adds_the_processing_each_wait_covered(bench: ModuleType, tmp_path: Path) -> None:
    from fixtures.polling import BATCH_CADENCE, EXTRACTION_CADENCE, wait_step_title
    from ottimate_validation.sandbox import SandboxConfig

    # Test a: 3 requests, then a batch of 4 tasks (3 polls over 6 s), with a fixture that sends 2
    # requests and waits 47.5 s for an extraction (4 polls).
    batch_wait = {
        "name": wait_step_title("batch bat_1 has completed", BATCH_CADENCE),
        "start": 1_000,
        "stop": 7_000,
        "attachments": [
            _poll(tmp_path, "p1", '{"tasks_count": 4, "status": "processing"}'),
            _poll(tmp_path, "p2", '{"tasks_count": 4, "status": "processing"}'),
            _poll(tmp_path, "p3", '{"tasks_count": 4, "status": "completed"}'),
        ],
    }
    a = {"uuid": "a", "fullName": "suites.core.test_x#test_a", "start": 0, "stop": 10_000}
    a["steps"] = [
        {"name": "Send", "start": 0, "stop": 1_000, "attachments": [_exchange("/v1/batch")] * 2},
        batch_wait,
        {"name": "Read", "start": 7_000, "stop": 7_200, "attachments": [_exchange("/v1/batch/bat_1/results")]},
    ]
    extraction_wait = {
        "name": wait_step_title("Ottimate has finished extracting 'x.pdf'", EXTRACTION_CADENCE),
        "start": 1_000,
        "stop": 48_500,
        "attachments": [_exchange("/v1/invoices/uploads")] * 4,
    }
    upload = {"name": "uploaded", "start": 0, "stop": 50_000}
    upload["steps"] = [{"name": "Upload", "attachments": [_exchange("/v1/invoices/upload")] * 2}, extraction_wait]
    _write(tmp_path, "f-container.json", {"children": ["a"], "befores": [upload]})
    # Test b: 30 requests one after another, no waits: 4.5 s of latency, a shorter chain than a's.
    b = {"uuid": "b", "fullName": "suites.core.test_x#test_b", "start": 0, "stop": 5_000}
    b["attachments"] = [_exchange("/v1/vendors")] * 30
    _write(tmp_path, "a-result.json", a)
    _write(tmp_path, "b-result.json", b)

    config = SandboxConfig(latency_ms=150, extraction_seconds=30.0, batch_task_seconds=1.0)
    digest = bench.digest_results(tmp_path, latency_ms=150, config=config)
    chain = digest.timed_chain
    # a: 12 requests, 7 of them polls; of those only each wait's last one adds: 5 + 2 = 7 links.
    assert (chain.test, chain.requests) == ("suites.core.test_x#test_a", 7)
    assert [(w.kind, w.processing_s, w.polls) for w in chain.waits] == [("batch", 4.0, 3), ("extraction", 30.0, 4)]
    assert chain.seconds == pytest.approx(7 * 0.15 + 4 + 30)
    assert sorted((w.kind, w.overshoot_s) for w in digest.waits) == [("batch", 2.0), ("extraction", 17.5)]
    assert bench.digest_results(tmp_path).timed_chain is None  # without a config the full runs' digest is as before


def test_the_realistic_section_and_notes_are_written_from_the_figures(bench: ModuleType) -> None:
    run = {
        "workers": 4,
        "wall_s": 60.0,
        "exit_code": 0,
        "passed": 300,
        "failed": 0,
        "skipped": 40,
        "failed_tests": [],
        "phases_s": {"before_first_test": 9.0, "tests": 50.0, "after_last_test": 1.0},
        "requests_at_sandbox": 900,
        "longest_chain": {"test": "suites.core.t#x", "requests": 7, "waits": ["extraction 30 s"], "seconds": 31.05},
        "network_phase_s": 50.0,
        "lower_bound_s": 31.05,
        "ratio": 1.93,
        "network_ratio": 1.61,
        "waits": {
            "extraction": {
                "waits": 2,
                "processing_s": 30.0,
                "waited_mean_s": 47.6,
                "overshoot_mean_s": 17.6,
                "overshoot_max_s": 17.7,
            }
        },
        "slowest_tests": [["suites.core.t#x", 48.0]],
        "test_time_s": 120.0,
    }
    figures = {
        "generated_at": "now",
        "machine": {"cpus": 2, "python": "3.11", "load_average_at_start": [1.0, 1.0, 1.0]},
        "quick": False,
        "realistic": {
            "latency_ms": 150,
            "rate_per_second": 1000.0,
            "burst": 2000,
            "daily_quota": 10_000,
            "extraction_seconds": 30.0,
            "batch_task_seconds": 1.0,
            "runs": {"4": run},
            "best_workers": 4,
            "best_ratio": 1.93,
            "best_network_ratio": 1.61,
        },
    }
    figures["notes"] = bench.derive_notes(figures)
    text = bench.markdown(figures)
    assert "| 4 | 60.0 s | 50.0 s | 9.0 s / 1.0 s | 0 | 300 / 40 / 0 | 900 | 7 requests + extraction 30 s |" in text
    assert "| realistic wall time / lower bound (best worker count) | 1.93x |" in text
    assert "Slowest chain: suites.core.t#x (7 requests + extraction 30 s = 31.05 s)." in text
    assert "looked again 17.6 s after the work was done" in figures["notes"][0]
