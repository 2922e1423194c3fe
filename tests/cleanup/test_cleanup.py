"""Clean-up: what runs leave is found by its tag, listed before anything is done, and untagged data is
never touched. Against an embedded sandbox, through the project's client."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ottimate_validation.cli import cleanup
from ottimate_validation.client import ClientConfig, Credentials, OttimateClient
from ottimate_validation.run.cleanup import find_leftovers, run_id_of
from ottimate_validation.run.ledger import read_ledger
from ottimate_validation.sandbox import EmbeddedSandbox

from ..suite_runs import ROOT, target_env


@pytest.fixture(scope="module")
def sandbox() -> Iterator[EmbeddedSandbox]:
    with EmbeddedSandbox() as sb:
        yield sb


@pytest.fixture
def api(sandbox: EmbeddedSandbox) -> Iterator[OttimateClient]:
    sandbox.reset()
    user = sandbox.users["account"]
    credentials = Credentials(api_key=user.api_key, client_id=user.client_id, client_secret=user.client_secret)
    with OttimateClient(ClientConfig(api_url=sandbox.api_url, auth_url=sandbox.auth_url, credentials=credentials)) as c:
        yield c


def first_company(api: OttimateClient) -> int:
    account = api.get("/accounts").json()["results"][0]["id"]
    return int(api.get(f"/accounts/{account}/companies").json()["results"][0]["id"])


def make_vendor(api: OttimateClient, company: int, name: str, erp_id: str) -> str:
    body = {"ottimate_company_id": company, "erp_vendor_name": name, "erp_vendor_id": erp_id}
    answer = api.post("/vendors", json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["vendor"]["id"])


def make_dimension(api: OttimateClient, company: int, name: str, erp_id: str) -> str:
    body = {"ottimate_company_id": company, "erp_type": "Department", "ottimate_type": "department", "name": name,
            "code": erp_id, "reference_id": f"REF-{erp_id}", "erp_dimension_id": erp_id}  # fmt: skip
    answer = api.post("/dimensions", json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


@pytest.mark.parametrize(
    ("kind", "name", "erp_id", "run"),
    [
        ("vendor", "Test Vendor - Electronics - 3fa9c1-gw0 - 12", "TV-3fa9c1-gw0-12", "3fa9c1-gw0"),
        ("vendor", "Test Vendor - Electronics - 3fa9c1 - 12 (renamed)", "TV-3fa9c1-12", "3fa9c1"),
        ("vendor", "Test Vendor - Ünïcødé ✓ - " + "x" * 240, "TV-3fa9c1-gw1-7", "3fa9c1-gw1"),
        ("dimension", "Test Dimension - Налог 税 - 3fa9c1-gw1 - 4", "TD-3fa9c1-gw1-4", "3fa9c1-gw1"),
        ("vendor", "Test Vendor - Produce Supplier", "SEED-V1-1", None),
        ("vendor", "Acme Foods - 3fa9c1 - 1", "TV-3fa9c1-1", None),
        ("vendor", "Test Vendor - Unauthorised", "TV-unauthorised", None),
        ("dimension", "Test Dimension - Kitchen", "TV-3fa9c1-1", None),
        ("vendor", None, "TV-3fa9c1-1", None),
    ],
    ids=["worker run", "renamed", "name truncated: erp id", "unicode dimension", "seeded", "not named Test",
         "no run id", "erp id of another kind", "no name"],
)  # fmt: skip
def test_an_entity_is_tagged_only_when_named_test_and_carrying_a_run_id(
    kind: str, name: str | None, erp_id: str, run: str | None
) -> None:
    assert run_id_of(kind, name, erp_id) == run


def test_only_tagged_entities_are_found_and_seeded_or_foreign_data_never(api: OttimateClient) -> None:
    company = first_company(api)
    mine = {
        make_vendor(api, company, "Test Vendor - Dairy - a1b2c3-gw0 - 1", "TV-a1b2c3-gw0-1"),
        make_dimension(api, company, "Test Dimension - Department - a1b2c3-gw1 - 2", "TD-a1b2c3-gw1-2"),
        make_vendor(api, company, "Test Vendor - Seafood - d4e5f6 - 3", "TV-d4e5f6-3"),
    }
    make_vendor(api, company, "Acme Foods", "ACME-1")
    make_dimension(api, company, "Test Dimension - Not ours", "GL-4000")

    found = find_leftovers(api)

    assert {leftover.id for leftover in found} == mine
    assert {leftover.run for leftover in found} == {"a1b2c3", "d4e5f6"}


def test_a_run_id_selects_that_run_across_its_workers_or_one_worker_exactly(api: OttimateClient) -> None:
    company = first_company(api)
    gw0 = make_vendor(api, company, "Test Vendor - Dairy - a1b2c3-gw0 - 1", "TV-a1b2c3-gw0-1")
    gw1 = make_dimension(api, company, "Test Dimension - Class - a1b2c3-gw1 - 2", "TD-a1b2c3-gw1-2")
    make_vendor(api, company, "Test Vendor - Dairy - a1b2c3x - 1", "TV-a1b2c3x-1")

    assert {leftover.id for leftover in find_leftovers(api, "a1b2c3")} == {gw0, gw1}
    assert {leftover.id for leftover in find_leftovers(api, "a1b2c3-gw1")} == {gw1}
    assert find_leftovers(api, "zzz999") == []


# --- ottimate-validate cleanup -------------------------------------------------------------------


@pytest.fixture
def pointed_at(sandbox: EmbeddedSandbox, monkeypatch: pytest.MonkeyPatch) -> EmbeddedSandbox:
    for name, value in target_env(sandbox).items():
        if name.startswith("OTTIMATE_"):
            monkeypatch.setenv(name, value)
    return sandbox


def test_cleanup_lists_what_runs_left_and_changes_nothing(
    api: OttimateClient, pointed_at: EmbeddedSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    company = first_company(api)
    make_vendor(api, company, "Test Vendor - Dairy - a1b2c3-gw0 - 1", "TV-a1b2c3-gw0-1")
    before = len(pointed_at.state.vendors._by_id)

    assert cleanup.main([]) == 0

    out = capsys.readouterr().out
    assert f"1 entity left on {pointed_at.api_url} by validation runs:" in out
    assert "run a1b2c3: 1" in out
    assert "They stay: the API has no delete or archive for vendors or dimensions (CONTRACT §18)." in out
    assert len(pointed_at.state.vendors._by_id) == before


def test_cleanup_narrows_to_one_run(
    api: OttimateClient, pointed_at: EmbeddedSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    company = first_company(api)
    make_vendor(api, company, "Test Vendor - Dairy - a1b2c3-gw0 - 1", "TV-a1b2c3-gw0-1")
    make_vendor(api, company, "Test Vendor - Dairy - ffff00 - 1", "TV-ffff00-1")

    assert cleanup.main(["--run-id", "a1b2c3"]) == 0

    out = capsys.readouterr().out
    assert "1 entity left on" in out and "by run a1b2c3:" in out
    assert "ffff00" not in out


def test_cleanup_without_a_target_url_has_nothing_to_clean(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OTTIMATE_ENV_FILE", "")
    monkeypatch.delenv("OTTIMATE_API_URL", raising=False)

    assert cleanup.main([]) == 0
    assert capsys.readouterr().out.startswith("Nothing to clean: without OTTIMATE_API_URL")


def test_cleanup_refuses_production_and_bad_flags_with_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OTTIMATE_ENV_FILE", "")
    monkeypatch.setenv("OTTIMATE_API_URL", "https://api.ottimate.com/v1")

    assert cleanup.main([]) == 2
    assert "Refusing to run against the production host api.ottimate.com" in capsys.readouterr().err
    assert cleanup.main(["--yes"]) == 2
    assert "unrecognized arguments: --yes" in capsys.readouterr().err


@pytest.mark.slow
def test_a_run_ends_by_saying_what_it_created_and_what_remains(sandbox: EmbeddedSandbox, tmp_path: Path) -> None:
    sandbox.reset()
    seeded = len(sandbox.state.vendors._by_id) + len(sandbox.state.dimensions._by_id)
    env = target_env(sandbox)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "suites/core/test_vendor_bulk_upsert.py", "-p", "no:randomly",
         "-p", "no:cacheprovider", "--run-id=c1ea2e", f"--run-dir={tmp_path}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    created = len(sandbox.state.vendors._by_id) + len(sandbox.state.dimensions._by_id) - seeded

    assert run.returncode == 0, run.stdout + run.stderr
    assert created > 0
    assert f"Run c1ea2e left {created} entities on {sandbox.api_url} (the API has no delete" in run.stdout
    [leftovers] = read_ledger(tmp_path).leftovers
    assert (leftovers.remaining, leftovers.created) == ({"vendors": created, "dimensions": 0}, created)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger", "run.json"], "no side file, no lock left"


def test_an_embedded_run_leaves_nothing_behind(tmp_path: Path) -> None:
    env = target_env_without_url()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "suites/core/test_account_structure.py", "-p", "no:randomly",
         "-p", "no:cacheprovider", "-q", "-k", "shows_the_account", f"--run-dir={tmp_path}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    [leftovers] = read_ledger(tmp_path).leftovers
    assert leftovers.remaining == {"vendors": 0, "dimensions": 0}


def target_env_without_url() -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("OTTIMATE_", "PYTEST_"))}
    return {**kept, "OTTIMATE_ENV_FILE": ""}


class Pages:
    """A fake API: an account with a company we may read and one we may not (403)."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def get(self, path: str, *, params: Any = None) -> httpx.Response:
        self.asked.append(path)
        company = (params or {}).get("ottimate_company_id")
        if path == "/accounts":
            return httpx.Response(200, json={"count": 1, "results": [{"id": "racc_1"}]})
        if path == "/accounts/racc_1/companies":
            return httpx.Response(200, json={"count": 2, "results": [{"id": 1}, {"id": 2}]})
        if company == 2:
            return httpx.Response(403, json={"code": "forbidden", "message": "outside scope"})
        key = "vendors" if path == "/vendors" else "dimensions"
        item = {"id": 9, "erp_vendor_name": "Test Vendor - X - r1 - 1", "erp_vendor_id": "TV-r1-1"}
        return httpx.Response(200, json={"count": 1, key: [item] if key == "vendors" else []})


def test_a_company_the_credentials_may_not_read_is_skipped_not_fatal() -> None:
    api = Pages()
    found = find_leftovers(api)
    assert [(leftover.kind, leftover.id, leftover.company_id) for leftover in found] == [("vendor", "9", 1)]
    assert api.asked.count("/vendors") == 2, "both companies were asked"
