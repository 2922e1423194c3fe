"""Other readings of the docs: the overrides file, named readings, the control plane, and what changes.

The suites against every reading are proven in ``tests/readings``; here, each way in (file, reading,
``EmbeddedSandbox(decisions=...)``, ``PUT /_sandbox/decisions``, ``ottimate-sandbox serve``) and a mistake
in any of them, one sentence.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ottimate_validation.sandbox import EmbeddedSandbox, OverridesError, load_overrides
from ottimate_validation.sandbox.contract import DECISIONS, decision_named, decisions_touching
from ottimate_validation.sandbox.readings import READINGS, Overrides, as_toml, overrides

from .conftest import Box


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "observed.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_overrides_file_names_a_reading_and_decisions_the_file_winning(tmp_path: Path) -> None:
    found = load_overrides(
        _file(
            tmp_path,
            'reading = "framework-defaults"\n[decisions]\npage-size-limits = "refuse"\nerror-code-strings = '
            '"reason-phrases"\n',
        )
    )
    assert found.reading == "framework-defaults"
    assert "page-size-limits" not in found.chosen, "ours again, over the reading's: no override left"
    assert found.chosen["page-numbers"] == "not-found" and found.chosen["error-code-strings"] == "reason-phrases"
    assert load_overrides(_file(tmp_path, as_toml(found))).chosen == found.chosen, "as_toml writes the same file"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[decisions]\npage-size-limit = 'clamp'\n", "named 'page-size-limit' (did you mean 'page-size-limits'?)"),
        ("[decisions]\npage-size-limits = 'shrink'\n", "takes one of 'refuse', 'clamp'"),
        ("[decisions]\ntoken-format = 'jwt'\n", "has one choice in the embedded sandbox"),
        ("reading = 'drf'\n", "no reading named 'drf'"),
        ("[decision]\n", "only `reading"),
        ("decisions = 3\n", "must be a table"),
        ("[decisions\n", "is not valid TOML"),
    ],
)
def test_a_wrong_overrides_file_is_one_sentence_naming_what_to_fix(tmp_path: Path, text: str, said: str) -> None:
    with pytest.raises(OverridesError) as refused:
        load_overrides(_file(tmp_path, text))
    assert said in str(refused.value) and "\n" not in str(refused.value)


def test_a_missing_overrides_file_is_said_so(tmp_path: Path) -> None:
    with pytest.raises(OverridesError, match="does not exist"):
        load_overrides(tmp_path / "absent.toml")


def test_every_reading_names_configurable_decisions_and_their_choices() -> None:
    for reading in READINGS:
        found = overrides(reading.name)
        assert found.chosen == dict(sorted(reading.overrides.items())), reading.name
        for name, choice in reading.overrides.items():
            decision = decision_named(name)
            assert decision is not None and choice in decision.choice_names and choice != decision.default


def test_every_configurable_decision_says_what_it_touches_or_why_not() -> None:
    for decision in DECISIONS:
        if decision.touches:
            assert decision.configurable, f"{decision.id}: touches without choices"
    # The drift report names by metadata first: a status 400 on a list is the page-size decision's.
    assert "page-size-limits" in decisions_touching("GET /vendors", "status", "400")
    assert "page-size-limits" not in decisions_touching("POST /vendors", "status", "400")
    assert decisions_touching("GET /invoices/{id}", "header", "cache-control") == ["invoice-detail-cache"]
    assert "x-api-version-values" in decisions_touching("GET /accounts", "word", "code", "says unsupported_api_version")
    assert "x-api-version-values" not in decisions_touching("GET /accounts", "word", "code", "says not_found")


def test_a_sandbox_started_with_a_reading_answers_by_it() -> None:
    with EmbeddedSandbox(reading="framework-defaults") as sb:
        box = Box(sb, httpx.Client())
        with box.api() as api:
            company = box.ids(api)[1][0]
            clamped = api.get("/vendors", params={"ottimate_company_id": company, "limit": 500})
            past = api.get("/vendors", params={"ottimate_company_id": company, "page": 99})
            route = api.get("/no-such-route")
    assert clamped.status_code == 200 and clamped.json()["limit"] == 100
    assert past.status_code == 404
    assert route.status_code == 404 and route.json() == {"detail": "Not found."}


def test_the_control_plane_shows_and_replaces_the_decisions(box: Box, api: httpx.Client, company_id: int) -> None:
    shown = box.control("GET", "decisions").json()
    assert shown["overridden"] == {} and shown["chosen"]["page-size-limits"] == "refuse"
    assert "clamp" in shown["available"]["page-size-limits"]["choices"]
    assert set(shown["readings"]) == {r.name for r in READINGS}

    put = box.control("PUT", "decisions", json={"decisions": {"error-code-strings": "reason-phrases"}}).json()
    assert put["overridden"] == {"error-code-strings": "reason-phrases"}
    assert api.get("/vendors/999999999").json()["code"] == "Not Found"

    refused = box.http.put(f"{box.sb.url}/_sandbox/decisions", json={"decisions": {"list-order": "random"}})
    assert refused.status_code == 400 and "takes one of" in refused.json()["message"]
    box.control("POST", "reset")
    assert box.control("GET", "decisions").json()["overridden"] == {}, "a reset goes back to the start's decisions"


def test_changing_the_organisation_shape_reseeds_the_store(box: Box) -> None:
    box.control("PUT", "decisions", json={"decisions": {"organisation-shape": "one-company"}})
    with box.api() as api:
        _, companies, locations = box.ids(api)
    assert (len(companies), len(locations)) == (1, 1)


def test_a_decision_choice_carries_its_overrides_description() -> None:
    assert Overrides().describe() == "our reading"
    assert overrides("no-approval-policy").describe() == "reading no-approval-policy (approval-policy=none)"


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ottimate_validation.sandbox.cli", *args], capture_output=True, text=True, timeout=30
    )


def test_serve_refuses_a_wrong_decisions_file_in_one_sentence_with_exit_2(tmp_path: Path) -> None:
    done = _serve("serve", "--decisions", str(_file(tmp_path, "[decisions]\nlist-order = 'sideways'\n")))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "list-order" in done.stderr
    done = _serve("serve", "--reading", "nope")
    assert done.returncode == 2 and "no reading named 'nope'" in done.stderr


def test_the_readings_and_the_decisions_with_their_choices_are_listed() -> None:
    listed = _serve("readings")
    assert listed.returncode == 0
    for reading in READINGS:
        assert reading.name in listed.stdout
    decisions = _serve("decisions").stdout
    assert "page-size-limits = 'clamp'" in decisions
