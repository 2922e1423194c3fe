"""The benchmark script's pieces at tiny sizes (so it cannot rot): its quick mode, its readings of a run's
ledger (on made-up records, and on one short real run), its markdown; and the sandbox's list indexes
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

from ottimate_validation.run.ledger import Check, Exchange, Records, Source, Wait
from ottimate_validation.sandbox import EmbeddedSandbox, SandboxConfig
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
    assert overhead["ratio"] > 0 and overhead["ratio_with_attachments"] > 0
    # Every GET of the recorded clients (warm-up, rounds, token calls) is a line of a ledger file.
    sent = overhead["requests_per_round"] * (overhead["rounds"] + 1)
    assert overhead["records_written"] >= 2 * sent and overhead["attachments_written"] >= sent
    scale = figures["scale"]
    assert set(scale["p95_ratio"]) == set(scale["sizes"]["large"]["queries"])
    assert scale["sizes"]["large"]["queries"]["invoices, page 1 (limit 100)"]["count"] == 1000
    assert [t["key"] for t in figures["targets"]] == [t.key for t in bench.TARGETS]
    text = output.with_suffix(".md").read_text(encoding="utf-8")
    assert "| client path / bare httpx loop |" in text and "## Scale of the embedded sandbox" in text
    assert "## Full embedded runs" not in text and "## Realistic mode" not in text


def _x(at: float, path: str, test: str | None, **fields: Any) -> Exchange:
    """An API exchange of 150 ms, as the ledger records it."""
    method = fields.pop("method", "GET")
    fields = {"ms": 150.0, "status": 200, "attempt": 1, "operation": f"{method} {path}", **fields}
    return Exchange(at=at, method=method, path=path, test=test, id=f"gw0-{at}-{path}", **fields)


A, B, C = "suites/core/test_x.py::test_a", "suites/auth/test_y.py::test_b", "suites/auth/test_y.py::test_c"


def test_a_run_outcome_its_phases_and_requests_per_suite_come_from_the_ledger(bench: ModuleType) -> None:
    records = Records.of(
        [
            Check(at=110.0, test=A, title="a", status="passed", seconds=5.0),
            Check(at=112.0, test=B, title="b", status="broken", seconds=1.0),
            Check(at=111.0, test=C, title="c", status="skipped", seconds=0.0),
            *(_x(106.0 + n, "/v1/vendors", A) for n in range(2)),
            *(_x(111.0 + n / 10, "/v1/accounts", B) for n in range(3)),
            _x(107.0, "/_sandbox/clock", A, source=Source.CONTROL),  # the control plane is not the API
            _x(99.0, "/v1/accounts", None, source=Source.PREFLIGHT),
        ]
    )
    outcome = bench.RunOutcome(workers=2, wall_s=20.0, exit_code=1, folder=None, launched=100.0, records=records)
    assert outcome.phases() == {"before_first_test": 5.0, "tests": 7.0, "after_last_test": 8.0}
    figures = outcome.as_dict()
    assert (figures["passed"], figures["failed"], figures["skipped"], figures["failed_tests"]) == (1, 1, 1, [B])
    assert bench.requests_per_suite(records) == {"auth": 3, "core": 2, "outside any test": 1}
    assert records.requests == 6
    assert bench.slowest_tests(records)[0] == (A, 5.0)


def test_a_chain_is_requests_one_after_another_and_the_processing_its_waits_covered(bench: ModuleType) -> None:
    progress = "/v1/batch/bat_1/progress"
    uploads = "/v1/invoices/uploads"
    records = Records.of(
        [
            # a: a bulk call, two GETs at once, a batch of 4 tasks waited for with 2 polls (the first throttled
            # and retried), its results, and a GET retried once: 4 links + the last poll.
            _x(0.0, "/v1/purchase-orders/bulk", A, method="POST", status=202),
            _x(0.2, "/v1/vendors", A),
            _x(0.21, "/v1/vendors/1", A),
            Wait(at=0.4, what="batch bat_1 has completed", kind="batch", seconds=0.0, polls=0, test=A, done=None),
            Wait(at=0.4, what="batch bat_1 has completed", kind="batch", seconds=5.0, polls=2, test=A),
            _x(2.4, progress, A, status=429),
            _x(2.6, progress, A, attempt=2),
            _x(5.8, progress, A),
            _x(6.0, "/v1/batch/bat_1/results", A),
            _x(6.2, "/v1/accounts", A, status=503),
            _x(6.4, "/v1/accounts", A, attempt=2),
            # b: 30 requests one after another, no waits: 4.5 s of latency, a shorter chain than a's.
            *(_x(10.0 + n * 0.2, "/v1/vendors", B) for n in range(30)),
            # c: an extraction of documents in two locations (one listing per location and poll), then the
            # uploads listed again and the invoice found: 2 links + the last poll.
            Wait(at=10.0, what="extracted", kind="extraction", seconds=10.0, polls=2, test=C),
            *(_x(at, uploads, C, query=f"ottimate_location_id={n}") for at, n in ((15.0, 1), (15.16, 2))),
            *(_x(at, uploads, C, query=f"ottimate_location_id={n}") for at, n in ((20.4, 1), (20.56, 2))),
            _x(20.8, uploads, C, query="ottimate_location_id=1"),
            _x(21.0, "/v1/invoices", C),
        ]
    )
    config = SandboxConfig(latency_ms=150, extraction_seconds=10.0, batch_task_seconds=1.0)
    waits = bench.waits_seen(records, config, {"bat_1": 4}, {A: "gw0", C: "gw1"})
    assert [(w.kind, w.processing_s, len(w.polls), w.worker) for w in waits] == [
        ("batch", 4.0, 3, "gw0"),
        ("extraction", 10.0, 4, "gw1"),
    ]
    assert [round(w.waited_s, 2) for w in waits] == [5.55, 10.71]
    assert [round(w.overshoot_s, 2) for w in waits] == [1.55, 0.71]
    chains = {c.test: c for c in bench.chains(records, waits, 150)}
    assert {t: c.requests for t, c in chains.items()} == {A: 5, B: 30, C: 3}
    assert chains[A].seconds == pytest.approx(5 * 0.15 + 4)
    assert chains[C].seconds == pytest.approx(3 * 0.15 + 10)
    outcome = bench.RunOutcome(workers=2, wall_s=30.0, exit_code=0, folder=None, records=records)
    figures = bench.realistic_figures(outcome, {"api": 45, "control": 2}, config, {"bat_1": 4}, {A: "gw0", C: "gw1"})
    assert figures["longest_chain"] == {"test": C, "requests": 3, "waits": ["extraction 10 s"], "seconds": 10.45}
    assert (figures["requests_in_ledger"], figures["requests_at_sandbox"], figures["control_probes"]) == (45, 45, 2)
    assert figures["lower_bound_s"] == 10.45 and figures["ratio"] == 2.87
    assert figures["waits"]["batch"] == {
        "waits": 1,
        "processing_s": 4.0,
        "waited_mean_s": 5.55,
        "overshoot_mean_s": 1.55,
        "overshoot_max_s": 1.55,
    }


def test_a_realistic_run_is_read_from_its_ledger(bench: ModuleType, tmp_path: Path) -> None:
    """One waiting test against a sandbox with latency and no control plane: the batch's polls found among the
    exchanges, its work from the sandbox, and as many requests in the ledger as reached the sandbox."""
    config = SandboxConfig(latency_ms=20, batch_task_seconds=0.5)
    test = "suites/core/test_batch_processing.py::test_batch_progress_advances_until_the_job_completes"
    # Both checks of the batch they share: on a target this quick the batch has completed by the first poll,
    # so the one about progress while it runs has nothing to judge and skips, and the other passes.
    selected = "test_batch_progress_advances_until_the_job_completes or test_a_completed_batch_has_done_every_task"
    args = ["--suite", "core", "--", "-k", selected]
    figures = bench.realistic_run(tmp_path, 0, config, 120.0, args)
    assert (figures["exit_code"], figures["passed"], figures["failed"], figures["skipped"]) == (0, 1, 0, 1), figures
    assert figures["requests_in_ledger"] == figures["requests_at_sandbox"] > 0
    batch = figures["waits"]["batch"]
    assert batch["waits"] == 1 and batch["processing_s"] == 1.5  # three POs, 0.5 s each
    assert 2.0 <= batch["waited_mean_s"] < 4.0  # found by the first poll, after 2 s
    assert figures["longest_chain"]["test"] == test and figures["longest_chain"]["waits"] == ["batch 1.5 s"]
    assert figures["phases_s"]["tests"] >= 2.0 and figures["slowest_tests"][0][0] == test


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


def test_the_realistic_section_is_written_from_the_figures(bench: ModuleType) -> None:
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
        "requests_in_ledger": 900,
        "longest_chain": {"test": "suites/core/t.py::x", "requests": 7, "waits": ["extraction 30 s"], "seconds": 31.05},
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
        "slowest_tests": [["suites/core/t.py::x", 48.0]],
        "test_time_s": 120.0,
        "wait_timeline": {
            "starts_s": {"extraction": [1.0, 2.0]},
            "last_worker_waits": [{"kind": "extraction", "from_s": 2.0, "to_s": 49.6}],
        },
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
    text = bench.markdown(figures)
    assert "| 4 | 60.0 s | 50.0 s | 9.0 s / 1.0 s | 0 | 300 / 40 / 0 | 900 | 7 requests + extraction 30 s |" in text
    assert "| realistic wall time / lower bound (best worker count) | 1.93x |" in text
    assert "Slowest chain: suites/core/t.py::x (7 requests + extraction 30 s = 31.05 s)." in text
    assert "- 4 workers: 9.0 s of start-up before the first test" in text
    assert "looked again 17.6 s after the work was done (at most 17.7 s)" in text
    assert "The worker whose wait ended last waited extraction 2-49.6 s." in text
    assert "## Full embedded runs" not in text and "## Client overhead" not in text
