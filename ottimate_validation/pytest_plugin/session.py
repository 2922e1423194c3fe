"""The plugin's one ``pytest_configure``: the ``RunState`` of this process, built in one place.

``pytest_configure`` (first of the plugin's hooks) decides everything before collection, in order:
the run (``--run-dir``'s ``run.json``, else a temporary run folder), the plan, the target (a URL is
checked, and in the controlling process probed, before any test; a refusal is one sentence and exit
code 2), the ledger this process writes, the request budget, the Hypothesis profile. xdist workers are
handed the controller's run folder and the control plane it found, so a run probes its target once.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, NoReturn

import allure
import pytest

from ottimate_validation.pytest_plugin import budget as budget_hooks
from ottimate_validation.pytest_plugin import evidence
from ottimate_validation.pytest_plugin.options import (
    informational,
    load_hypothesis_profile,
    run_dir_option,
    sandbox_decisions_option,
    target_url_option,
    validating,
)
from ottimate_validation.pytest_plugin.state import RunState, state_key, state_of
from ottimate_validation.run import Run, RunFileError, deviations, new_run_id
from ottimate_validation.run.budget import BUDGET_ENV, COUNTER_FILE, RequestBudget, parse_budget
from ottimate_validation.run.http import plain_client
from ottimate_validation.run.ledger import Collected, Exchange, Ledger, Source
from ottimate_validation.run.plan import LoadedPlan, PlanError, resolve_plan
from ottimate_validation.run.target import RunRefused, Target, allowed_production, probe, production_banner, resolve

_RUN_DIR_INPUT = "ottimate_run_dir"
_CONTROL_INPUT = "ottimate_control_url"


def _stop(sentence: str) -> NoReturn:
    pytest.exit(sentence, returncode=2)


def _load_or_make_run(config: pytest.Config, workerinput: dict[str, Any] | None) -> tuple[Run, Path | None]:
    """The run this process belongs to, and a temporary folder it must remove (controller only)."""
    folder = run_dir_option(config)
    if folder is None and workerinput is not None:
        folder = Path(workerinput[_RUN_DIR_INPUT])
    temporary: Path | None = None
    if folder is None:
        temporary = folder = Path(tempfile.mkdtemp(prefix="ottimate-run-"))
    if (folder / "run.json").exists():
        try:
            run = Run.load(folder)
        except RunFileError as exc:
            _stop(str(exc))
    else:
        run = Run(id=new_run_id(), folder=folder)
        if workerinput is None:
            run.save()
    given = config.getoption("run_id", None)
    if given:
        run = run.but(id=str(given))
    return run, temporary


def _plan(config: pytest.Config, run: Run) -> LoadedPlan:
    try:
        return resolve_plan(config.getoption("plan", None) or run.plan, config.rootpath)
    except PlanError as exc:
        _stop(str(exc))


def _budget_limit(config: pytest.Config, run: Run) -> int | None:
    import os

    option = config.getoption("request_budget", None)
    raw, source = (str(option), "--request-budget") if option is not None else (os.environ.get(BUDGET_ENV), BUDGET_ENV)
    if raw is None or not raw.strip():
        return run.budget
    try:
        return parse_budget(raw, source)
    except ValueError as exc:
        _stop(str(exc))


def _remote_target(
    config: pytest.Config, run: Run, workerinput: dict[str, Any] | None, ledger: Ledger
) -> Target | None:
    url = target_url_option(config)
    if not url:
        return None
    allow = allowed_production(bool(config.getoption("allow_production", False)))
    try:
        target = resolve(api_url=url, allow_production=allow)
    except RunRefused as exc:
        _stop(str(exc))
    assert target is not None
    ledger.secrets.add(target.credentials.api_key, target.credentials.client_secret)
    if target.scoped_credentials is not None:
        ledger.secrets.add(target.scoped_credentials.api_key, target.scoped_credentials.client_secret)
    # A sandbox of the run's own is still shared by its xdist workers: one moving the clock or lowering a
    # limit would fail a test running beside it, so its control plane is used only by a single process.
    own = bool(config.getoption("own_sandbox", False)) and _processes(config, workerinput) <= 1
    if workerinput is not None:
        return target.with_control(workerinput.get(_CONTROL_INPUT), own=own)
    facts = run.target or {}
    if facts.get("api_url") == target.api_url and "control_url" in facts:
        return target.with_control(facts.get("control_url"), own=own)  # the command line probed it already
    with plain_client(target.api_url, ledger, source=Source.PREFLIGHT, timeout=10.0) as http:
        try:
            probed = probe(target, http)
        except RunRefused as exc:
            _stop(str(exc))
    return probed.with_control(probed.control_url, own=own)


def _processes(config: pytest.Config, workerinput: dict[str, Any] | None) -> int:
    """How many processes run the tests (xdist workers, or this one)."""
    if workerinput is not None:
        return int(workerinput.get("workercount", 1))
    wanted = config.getoption("numprocesses", None)
    if wanted in (None, 0, "0"):
        return 1
    return int(wanted) if str(wanted).isdigit() else 2  # "auto", "logical": one per CPU


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "api_area(name): the API area a test covers, shown as the Allure feature")
    config.addinivalue_line("markers", "docs_page(url): the documentation page a test evidences (report link)")
    config.addinivalue_line("markers", "contract(*sections): the CONTRACT sections a test judges (report tag)")
    if informational(config):
        return
    if not validating(config):
        # A partner's own test suite: the fixtures work, nothing is resolved, probed or written.
        config.stash[state_key] = RunState(
            run=Run(id=new_run_id(), folder=Path(tempfile.gettempdir())),
            ledger=Ledger(process="partner", keep=False),
            plan=LoadedPlan(),
            remote=None,
            read_only=False,
            budget=None,
            worker=None,
            active=False,
        )
        return
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    worker = str(workerinput["workerid"]) if workerinput is not None else None
    run, temporary = _load_or_make_run(config, workerinput)
    plan = _plan(config, run)
    ledger = Ledger(run.ledger_dir, process=worker or "controller")
    if any(sandbox_decisions_option(config)) and target_url_option(config):
        _stop(
            f"--sandbox-decisions and --sandbox-reading apply to the embedded sandbox a run starts, and this run "
            f"validates {target_url_option(config)}; leave them out, or OTTIMATE_API_URL."
        )
    remote = _remote_target(config, run, workerinput, ledger)
    # What the real sandbox answered, in shape: the first contact's drift report compares it with ours.
    ledger.keep_shapes = bool(config.getoption("record_shapes", False)) or (remote is not None and not remote.simulator)
    read_only = run.read_only or allowed_production(bool(config.getoption("allow_production", False)))
    read_only = read_only or bool(remote is not None and remote.production)
    limit = _budget_limit(config, run)
    budget: RequestBudget | None = None
    counter = run.folder / COUNTER_FILE
    if limit is not None and not config.option.collectonly:
        if workerinput is not None or counter.exists():
            budget = RequestBudget(counter)
        else:
            spent = sum(1 for r in ledger_records_so_far(ledger) if isinstance(r, Exchange) and r.is_api)
            budget = RequestBudget.create(counter, limit, used=spent)
    run = run.but(budget=limit, read_only=read_only)
    if remote is not None and run.target != remote.facts():
        run = run.but(target=remote.facts())
        if workerinput is None:
            run.save()  # a pytest run started without the command line: its run.json says what it ran against
    config.stash[state_key] = RunState(
        run=run,
        ledger=ledger,
        plan=plan,
        remote=remote,
        read_only=read_only,
        budget=budget,
        worker=worker,
        temporary=temporary,
    )
    state = config.stash[state_key]
    try:
        state.deviations = deviations.load(deviations.find(config.getoption("known_deviations", None), config.rootpath))
    except deviations.DeviationsError as exc:
        _stop(str(exc))
    _sandbox_decisions(config, state)
    evidence.configure(config, state)
    budget_hooks.configure(config, state)
    load_hypothesis_profile(config, remote=remote is not None)


def _sandbox_decisions(config: pytest.Config, state: RunState) -> None:
    """``--sandbox-decisions FILE`` / ``--sandbox-reading NAME``: read once per process (a mistake is one
    sentence, exit code 2); the controller says so in run.json, for the report."""
    path, reading = sandbox_decisions_option(config)
    if not (path or reading):
        return
    from ottimate_validation.sandbox import EmbeddedSandbox  # the sandbox's one entry

    try:
        state.sandbox_decisions = EmbeddedSandbox.overrides(path, reading)
    except ValueError as exc:
        _stop(str(exc))
    described = state.sandbox_decisions.describe() if state.sandbox_decisions.chosen else None
    if state.controller and described != state.run.sandbox_decisions:
        state.run = state.run.but(sandbox_decisions=described)
        state.run.save()


def ledger_records_so_far(ledger: Ledger) -> list[Any]:
    """What this process has recorded (its preflight probes), read back from its file."""
    from ottimate_validation.run.ledger import iter_records

    path = ledger.path
    return list(iter_records([path])) if path is not None else ledger.records()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist, controller side: each worker gets the run folder and the control plane found."""
    state = node.config.stash.get(state_key, None)
    if state is None:
        return
    node.workerinput[_RUN_DIR_INPUT] = str(state.run.folder)
    node.workerinput[_CONTROL_INPUT] = state.remote.control_url if state.remote is not None else None


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(state_key, None)
    if state is None:
        return
    state.ledger.close()
    if state.temporary is not None:
        shutil.rmtree(state.temporary, ignore_errors=True)


def _collected(config: pytest.Config, tests: int) -> None:
    state = config.stash.get(state_key, None)
    if state is not None and state.active and state.controller and not state.collected:
        state.collected = True
        state.ledger.record(Collected(at=time.time(), tests=tests))


def pytest_collection_finish(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput") and session.config.pluginmanager.has_plugin("dsession") is False:
        _collected(session.config, len(session.items))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """pytest-xdist, controller side: every worker collects the same tests; the first one says how many."""
    _collected(node.config, len(ids))


def pytest_report_header(config: pytest.Config) -> list[str]:
    state = config.stash.get(state_key, None)
    if state is None or not state.active:
        return []
    lines = production_banner(state.remote, read_only=state.read_only)
    if state.plan.restricts:
        lines.append(f"validation plan: {state.plan.label}, {len(state.plan.planned)} operations")
    return lines


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    state = config.stash.get(state_key, None)
    if state is None or not state.active:
        return
    lines = production_banner(state.remote, read_only=state.read_only)
    if lines:
        terminalreporter.section("read-only run", sep="!", red=True, bold=True)
        for line in lines[1:-1]:
            terminalreporter.write_line(line, red=True, bold=True)


@pytest.fixture(scope="session")
def run_id(pytestconfig: pytest.Config) -> str:
    """The label every entity created by this run (and this worker) carries."""
    return state_of(pytestconfig).entity_run_id


@pytest.fixture(autouse=True)
def read_only_tag(request: pytest.FixtureRequest) -> None:
    """Mark every test of a read-only run in the report, so no reader mistakes it for a full validation."""
    state = request.config.stash.get(state_key, None)
    if state is not None and state.read_only:
        dynamic: Any = allure.dynamic  # allure-python's helpers are untyped
        dynamic.tag(
            "PRODUCTION - READ-ONLY" if state.remote is not None and state.remote.production else "READ-ONLY RUN"
        )
