"""Evidence: Allure labels per test, each exchange attached redacted, one ``Check`` per test in the ledger.

Labels (set at collection, so a test that breaks in set-up still carries them):

- epic     = the validation criterion, from the folder under ``suites/``
- feature  = the API area, from ``@pytest.mark.api_area("Vendors")`` or else the module name
- story    = the first line of the test's docstring, or else a readable form of its name; also the
             test's title in the report (parametrised cases add ``[case]``)
- severity = by criterion unless the test sets its own
- link     = the Ottimate documentation page of the area (``@pytest.mark.docs_page(url)`` overrides)
- suites   = "Your sandbox and credentials" > criterion > area, as the integration mode's results are
             "Your integration" > criterion > pass: one report can hold both, apart
- tag      = "rests on: CONTRACT §…" (``@pytest.mark.contract``), and "decision: <name>" for each decision
             the test rested on as it ran (``readings.py``)

Each exchange the ledger records is attached, as an HTTP transcript, to the step that made it. When a
test fails or breaks, a ``curl`` reproducing its last request is attached. Every credential the run
knows (``ledger.secrets``; tokens are learnt from token answers) is scrubbed from attachments, failure
messages and tracebacks (Allure results, JUnit XML, console) and captured output.

The outcome of every test becomes one ``Check`` record, written by the controlling process from the
reports of every worker: status (allure-python's semantics: an assertion is *failed*, anything else
*broken*), category by the type of what was raised (``report.failures``), the operation a failed check
named (``ContractViolation.operation``, else the one operation the test itself called, else none), the
decisions it rested on and those it differed on, and the CONTRACT sections it judges.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import re
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import allure
import allure_commons
import httpx
import pytest

from ottimate_validation.pytest_plugin import readings
from ottimate_validation.pytest_plugin.budget import budget_skipped_key
from ottimate_validation.pytest_plugin.state import RunState, TestTraffic, state_key, state_of
from ottimate_validation.report import categories as report_categories
from ottimate_validation.report import environment as report_environment
from ottimate_validation.report.criteria import CRITERION_SEVERITY, SUITE_CRITERIA, VALIDATION_SECTION
from ottimate_validation.report.curl import curl_command
from ottimate_validation.report.failures import (
    ContractViolation,
    KnownDeviation,
    UnexpectedAnswer,
    category_of,
    status_of,
)
from ottimate_validation.report.operations import doc_page, operation_of
from ottimate_validation.report.redact import Secrets, redact_url
from ottimate_validation.report.transcript import elapsed_ms, format_exchange, title
from ottimate_validation.run.judge import facts_of
from ottimate_validation.run.ledger import Check, Exchange

REPORT_TITLE = "Ottimate integration validation"
MESSAGE_CHARS = 2_000
TOKEN_OPERATION = "POST /oauth/token"
AREA_WORDS = {
    "token": "OAuth token",
    "authentication": "Request authentication",
    "scoping": "Access scoping",
    "account": "Accounts",
    "version": "API versions",
    "vendor": "Vendors",
    "dimension": "Dimensions",
    "idempotency": "Idempotency",
    "idempotent": "Idempotency",
    "pagination": "Pagination",
    "request": "Requests",
}
_OUTCOME = "ottimate_outcome"  # key of the user property that carries a phase's outcome to the controller


# ---------------------------------------------------------------------------------------------
# Labels


def criterion_of(path: Path, rootdir: Path) -> str | None:
    try:
        parts = path.relative_to(rootdir).parts
    except ValueError:
        parts = path.parts
    if "suites" in parts:
        index = parts.index("suites")
        if index + 1 < len(parts):
            return SUITE_CRITERIA.get(parts[index + 1])
    return None


def area_of(item: pytest.Item) -> str:
    marker = item.get_closest_marker("api_area")
    if marker and marker.args:
        return str(marker.args[0])
    module = item.path.stem.removeprefix("test_")
    for word in module.split("_"):
        for key, area in AREA_WORDS.items():
            if word.startswith(key):
                return area
    return module.replace("_", " ").capitalize()


def story_of(item: pytest.Item) -> str:
    function = getattr(item, "function", None)
    doc = (getattr(function, "__doc__", None) or "").strip()
    if doc:
        return doc.splitlines()[0].strip().rstrip(".")
    name = getattr(item, "originalname", None) or item.name
    return name.removeprefix("test_").replace("_", " ").capitalize()


def title_of(item: pytest.Item) -> str:
    callspec = getattr(item, "callspec", None)
    return story_of(item) + (f" [{callspec.id}]" if callspec is not None else "")


def _has_label(item: pytest.Item, label_type: str) -> bool:
    return any(m.kwargs.get("label_type") == label_type for m in item.iter_markers("allure_label"))


def _set_title(item: pytest.Item, story: str) -> None:
    function = getattr(item, "obj", None)
    function = getattr(function, "__func__", function)
    if function is None or hasattr(function, "__allure_display_name__"):
        return
    # allure-pytest formats the title with the test's parameters: escape the story's braces.
    shown = story.replace("{", "{{").replace("}", "}}")
    if hasattr(item, "callspec"):
        shown += " [{param_id}]"
    with contextlib.suppress(AttributeError, TypeError):
        function.__allure_display_name__ = shown


def label_item(item: pytest.Item, rootdir: Path) -> None:
    """Give a collected suite test its criterion, area, scenario, severity, docs link and title."""
    criterion = criterion_of(item.path, rootdir)
    if criterion is None:
        return
    area = area_of(item)
    story = story_of(item)
    label = pytest.mark.allure_label
    item.add_marker(label(criterion, label_type="epic"))
    item.add_marker(label(area, label_type="feature"))
    item.add_marker(label(story, label_type="story"))
    item.add_marker(label(VALIDATION_SECTION, label_type="parentSuite"))
    item.add_marker(label(criterion, label_type="suite"))
    item.add_marker(label(area, label_type="subSuite"))
    if not _has_label(item, "severity"):
        item.add_marker(label(CRITERION_SEVERITY.get(criterion, "normal"), label_type="severity"))
    docs = item.get_closest_marker("docs_page")
    url = str(docs.args[0]) if docs and docs.args else doc_page(area, criterion)
    item.add_marker(pytest.mark.allure_link(url, link_type="link", name=f"Ottimate docs: {area}"))
    sections = readings.rests_on(item)
    if sections:
        item.add_marker(label(f"rests on: CONTRACT {', '.join(sections)}", label_type="tag"))
    _set_title(item, story)


_PROJECT_MODULES = ("fixtures.", "suites.", "conftest", "ottimate_validation.pytest_plugin.")
_CLAUSE_END = re.compile(r"\.\s|:\s|;\s|\.$")
_ASIDE = re.compile(r"\s*\([^()]*\)")


def fixture_title(function: Any) -> str | None:
    """A project fixture's set-up as the report names it: the first sentence of its docstring."""
    if not str(getattr(function, "__module__", "")).startswith(_PROJECT_MODULES):
        return None
    doc = " ".join((getattr(function, "__doc__", None) or "").split()).replace("``", "")
    while _ASIDE.search(doc):  # asides nest: (omit=("scope",))
        doc = _ASIDE.sub("", doc)
    found = _CLAUSE_END.split(doc, maxsplit=1)[0].strip()
    if not found:
        return None
    return found if len(found) <= 100 else found[:99] + "…"


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> Generator[None]:
    # tryfirst: outside allure-pytest's wrapper, which reads the name when the fixture starts.
    function = fixturedef.func
    if not hasattr(function, "__allure_display_name__"):
        shown = fixture_title(function)
        if shown:
            with contextlib.suppress(AttributeError, TypeError):
                setattr(function, "__allure_display_name__", shown)  # noqa: B010 (an attribute allure reads)
    yield


# ---------------------------------------------------------------------------------------------
# Exchanges: attached to the report as they are recorded


class _Attacher:
    """Ledger observer: the current test's traffic, and each exchange attached to the current step."""

    def __init__(self, state: RunState, recording: bool) -> None:
        self._state = state
        self.recording = recording

    def __call__(self, record: Exchange, request: httpx.Request, response: httpx.Response | None) -> None:
        state = self._state
        if record.operation == TOKEN_OPERATION:
            state.token_url = redact_url(str(request.url))
        current = state.current
        if current is not None:
            current.count += 1
            current.last = (request, response)
            if current.phase == "call" and record.operation and record.operation != TOKEN_OPERATION:
                current.call_operations.add(record.operation)
        if not self.recording:
            return
        transcript = format_exchange(request, response, secrets=state.ledger.secrets)
        name = title(record.method, record.path, record.status, elapsed_ms(response))
        allure.attach(transcript, name=state.ledger.secrets.scrub(name), attachment_type=allure.attachment_type.TEXT)


# ---------------------------------------------------------------------------------------------
# Nothing secret written: failure messages, tracebacks and captured output are scrubbed too


_SCRUBBER_NAME = "ottimate-evidence-scrubber"
_MAX_DEPTH = 12
_NOISE_LABELS = frozenset({"framework", "language"})  # "pytest", "cpython3" on every test


def scrubbed(value: Any, secrets: Secrets, depth: int = 0) -> Any:
    """``value`` with known secrets scrubbed from every string inside it; mutable containers and
    objects are changed in place (and returned), tuples and strings are rebuilt."""
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, str):
        return secrets.scrub(value)
    if isinstance(value, list):
        value[:] = [scrubbed(v, secrets, depth + 1) for v in value]
        return value
    if isinstance(value, tuple):
        rebuilt = tuple(scrubbed(v, secrets, depth + 1) for v in value)
        with contextlib.suppress(TypeError):
            return type(value)(*rebuilt) if hasattr(value, "_fields") else type(value)(rebuilt)
        return value
    if isinstance(value, dict):
        for key in list(value):
            value[key] = scrubbed(value[key], secrets, depth + 1)
        return value
    attributes = getattr(value, "__dict__", None)
    if isinstance(attributes, dict) and not isinstance(value, type):
        for key, item in list(attributes.items()):
            new = scrubbed(item, secrets, depth + 1)
            if new is not item:
                with contextlib.suppress(AttributeError, TypeError, dataclasses.FrozenInstanceError):
                    setattr(value, key, new)
    return value


def _scrub_report(report: pytest.TestReport, secrets: Secrets) -> None:
    with contextlib.suppress(Exception):
        if isinstance(report.longrepr, str | tuple):
            report.longrepr = scrubbed(report.longrepr, secrets)
        elif report.longrepr is not None:
            scrubbed(report.longrepr, secrets)
        report.sections = [(heading, secrets.scrub(content)) for heading, content in report.sections]


def _is_trivial(fixture: Any) -> bool:
    """A fixture set-up or tear-down that shows nothing: no step, no attachment, no problem."""
    # allure-pytest leaves the status of many finalizers unset: that is not a problem either.
    return (
        getattr(fixture, "status", None) in ("passed", None)
        and not getattr(fixture, "statusDetails", None)
        and not getattr(fixture, "steps", None)
        and not getattr(fixture, "attachments", None)
    )


class _ResultScrubber:
    """Scrubs every Allure result and container just before allure-pytest writes it, and keeps the
    report readable (and small enough to mail): fixture entries that show nothing are dropped, a
    shared fixture's set-up is shown once (in the first test that used it), noise labels dropped."""

    def __init__(self, secrets: Secrets) -> None:
        self._secrets = secrets

    @allure_commons.hookimpl(tryfirst=True)
    def report_result(self, result: Any) -> None:
        with contextlib.suppress(Exception):
            result.labels = [label for label in result.labels if label.name not in _NOISE_LABELS]
        if self._secrets:
            scrubbed(result, self._secrets)

    @allure_commons.hookimpl(tryfirst=True)
    def report_container(self, container: Any) -> None:
        with contextlib.suppress(Exception):
            container.befores = [f for f in container.befores if not _is_trivial(f)]
            container.afters = [f for f in container.afters if not _is_trivial(f)]
            container.children = container.children[:1]
        if self._secrets:
            scrubbed(container, self._secrets)


def configure(config: pytest.Config, state: RunState) -> None:
    """Called by the plugin's ``pytest_configure``, before allure-pytest's (which builds its file logger)."""
    recording = bool(config.option.__dict__.get("allure_report_dir"))
    state.ledger.observers.append(_Attacher(state, recording))
    config.pluginmanager.register(_AnswerShape(), "ottimate-answer-shape")
    if recording:
        scrubber = _ResultScrubber(state.ledger.secrets)
        allure_commons.plugin_manager.register(scrubber, _SCRUBBER_NAME)
        config.add_cleanup(lambda: allure_commons.plugin_manager.unregister(name=_SCRUBBER_NAME))


# ---------------------------------------------------------------------------------------------
# Per test: traffic, reproducer, outcome


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    state = state_of(item.config)
    state.current = TestTraffic(nodeid=item.nodeid)
    state.ledger.test = item.nodeid
    readings.begin(state.current)
    callspec = getattr(item, "callspec", None)
    if callspec is not None and criterion_of(item.path, item.config.rootpath):
        # Parameter values may look alike in the report (``<class 'bytes'>``); Allure would then
        # merge distinct cases into one test with "retries". The case id keeps them apart.
        with contextlib.suppress(Exception):
            allure.dynamic.parameter("case", callspec.id)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    current = state_of(item.config).current
    if current is not None:
        current.phase = "call"


# An answer of the wrong shape shows up in the code reading it as one of these.
_SHAPE_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)


def _reading_an_answer(exc: BaseException, rootdir: Path) -> bool:
    """Whether the innermost frame of this project that raised ``exc`` is a suite's or a fixture's (code
    reading answers), not the tool's own (``ottimate_validation``). Library frames (json, httpx) between
    are the reading too: ``response.json()`` on a body that is not JSON."""
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(Path(tb.tb_frame.f_code.co_filename))
        tb = tb.tb_next
    for path in reversed(frames):
        try:
            top = path.resolve().relative_to(rootdir).parts[0]
        except (ValueError, IndexError, OSError):
            continue  # a library or the standard library
        if top in ("suites", "fixtures"):
            return True
        if top == "ottimate_validation":
            return False
    return False


def _as_contract_violation(item: pytest.Item, exc: BaseException) -> UnexpectedAnswer | None:
    if not isinstance(exc, _SHAPE_ERRORS) or isinstance(exc, AssertionError):
        return None
    if criterion_of(item.path, item.config.rootpath) is None or not _reading_an_answer(exc, item.config.rootpath):
        return None
    current = state_of(item.config).current
    last = current.last if current is not None else None
    if last is None:
        return None  # no answer was read: the suite's own mistake
    request, response = last
    operation = operation_of(request.method, request.url.path)
    answered = f"{response.status_code}" if response is not None else "no answer"
    what = f"{type(exc).__name__}: {exc}"
    return UnexpectedAnswer(
        f"{request.method} {request.url.path} answered {answered} with a body of unexpected shape; reading it "
        f"raised {what}. The answer is attached to the step that received it.",
        operation=operation,
    )


class _AnswerShape:
    """A suite that cannot read an answer is a contract violation of the API, not a harness error."""

    @staticmethod
    def _convert(item: pytest.Item) -> Generator[None, None, None]:
        try:
            return (yield)
        except Exception as exc:
            violation = _as_contract_violation(item, exc)
            if violation is None:
                raise
            raise violation from exc

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        return (yield from self._convert(item))

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        return (yield from self._convert(item))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    current = state_of(item.config).current
    if current is not None:
        current.phase = "teardown"


def _report_id(item: pytest.Item) -> str:
    """The id Allure 3 gives this test's result in the report: the md5 of allure-pytest's result uuid."""
    listener = item.config.pluginmanager.get_plugin("allure_listener")
    cache = getattr(listener, "_cache", None)
    try:
        uuid = cache.get(item.nodeid) if cache is not None else None
    except Exception:  # allure-pytest's cache is not a public interface; without it there is no link
        return ""
    return hashlib.md5(str(uuid).encode()).hexdigest() if uuid else ""


def _failed_operation(exc: BaseException | None, current: TestTraffic) -> str | None:
    """The operation a failed check is about: named by the check, else the only one the test called."""
    if isinstance(exc, ContractViolation) and exc.operation:
        return exc.operation
    if len(current.call_operations) == 1:
        return next(iter(current.call_operations))
    return None


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    # trylast: inside allure-pytest's own wrapper, so the report is scrubbed before Allure reads it.
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    state = state_of(item.config)
    secrets = state.ledger.secrets
    if secrets:
        _scrub_report(report, secrets)
    current = state.current
    exc = call.excinfo.value if call.excinfo is not None else None
    decision = getattr(exc, "decision", None) if exc is not None else None
    differed = tuple(getattr(exc, "decisions", ()) or ((decision,) if decision else ())) if exc is not None else ()
    known = state.deviations.match(item.nodeid, differed) if report.failed and exc is not None else None
    if known is not None and exc is not None:
        # Filed as a known deviation: Allure reads the message from the exception, so it is the one replaced.
        try:  # raised, so it has a traceback as pytest needs
            raise KnownDeviation(f"Known deviation: {known.note}. The check said: {type(exc).__name__}: {exc}")
        except KnownDeviation as replaced:
            exc = replaced
        call.excinfo = pytest.ExceptionInfo.from_exception(exc)
    skipped = report.skipped
    status = "skipped" if skipped else ("passed" if report.passed else status_of(exc))
    message = ""
    if report.failed and call.excinfo is not None:
        message = secrets.scrub(call.excinfo.exconly())[:MESSAGE_CHARS]
    elif skipped and isinstance(report.longrepr, tuple):
        message = str(report.longrepr[2]).removeprefix("Skipped: ")
    report.user_properties.append(
        (
            _OUTCOME,
            {
                "status": status,
                "category": category_of(status, exc) if report.failed else None,
                "message": message,
                "failed_operation": _failed_operation(exc, current) if status == "failed" and current else None,
                "budget_skipped": item.stash.get(budget_skipped_key, False),
                "decision": decision if report.failed else None,
                "differed": list(differed) if report.failed else [],
                "decisions": list(current.decisions) if current is not None else [],
                "rests_on": list(readings.rests_on(item)),
                "criterion": criterion_of(item.path, item.config.rootpath),
                "area": area_of(item),
                "title": title_of(item),
                "report_id": _report_id(item),
            },
        )
    )
    if current is None or not report.failed or report.when not in ("setup", "call"):
        return
    if criterion_of(item.path, item.config.rootpath) is None or current.last is None:
        return
    if not item.config.option.__dict__.get("allure_report_dir"):
        return
    try:
        request, response = current.last
        answered = response.status_code if response is not None else "no answer"
        header = f"# Reproduce the last request this test sent ({request.method} {request.url.path} → {answered}).\n"
        if current.count > 1:
            header += f"# The test sent {current.count} requests; each is attached to the step that sent it.\n"
        allure.attach(
            secrets.scrub(header + curl_command(request, token_url=state.token_url, secrets=secrets)),
            name="Reproduce the last request (curl)",
            attachment_type=allure.attachment_type.TEXT,
        )
    except Exception:  # evidence must never change a test's outcome
        return


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    yield
    state = state_of(item.config)
    state.current = None
    state.ledger.test = None
    readings.begin(None)


# ---------------------------------------------------------------------------------------------
# The controller: one Check per test, from every worker's reports


def _outcome_of(report: pytest.TestReport) -> dict[str, Any] | None:
    for name, value in report.user_properties:
        if name == _OUTCOME and isinstance(value, dict):
            return value
    return None


def _combine(phases: list[tuple[str, dict[str, Any], float]]) -> dict[str, Any]:
    """The test's outcome from its phases, as allure-pytest decides it: set-up, else the call, and a
    failed tear-down only where the test itself passed."""
    by_phase = {when: outcome for when, outcome, _ in phases}
    setup, call, teardown = by_phase.get("setup"), by_phase.get("call"), by_phase.get("teardown")
    for chosen in (setup, call):
        if chosen is not None and chosen["status"] != "passed":
            return chosen
    if teardown is not None and teardown["status"] not in ("passed", "skipped"):
        return teardown
    return call or setup or teardown or {"status": "broken", "category": report_categories.HARNESS_ERROR}


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    state = config.stash.get(state_key, None)
    if state is None or not state.controller:
        return
    config.pluginmanager.register(_CheckWriter(config, state), "ottimate-check-writer")
    results = config.option.__dict__.get("allure_report_dir")
    if results:
        with contextlib.suppress(OSError):
            write_run_facts(config, state, Path(results).resolve())


class _CheckWriter:
    """Turns the reports of every phase of every test into one ``Check`` record (controller only; it
    sees every worker's reports, which xdist forwards)."""

    def __init__(self, config: pytest.Config, state: RunState) -> None:
        self._config = config
        self._state = state
        self._phases: dict[str, list[tuple[str, dict[str, Any], float]]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        outcome = _outcome_of(report)
        if outcome is None:
            return
        self._phases.setdefault(report.nodeid, []).append((report.when, outcome, float(report.duration)))
        if report.when != "teardown":
            return
        phases = self._phases.pop(report.nodeid)
        combined = _combine(phases)
        first = phases[0][1]
        self._state.ledger.record(
            Check(
                at=time.time(),
                test=report.nodeid,
                title=str(first.get("title") or report.nodeid),
                status=str(combined["status"]),
                criterion=first.get("criterion"),
                area=first.get("area"),
                category=combined.get("category"),
                message=str(combined.get("message") or ""),
                failed_operation=combined.get("failed_operation"),
                seconds=sum(duration for _, _, duration in phases),
                budget_skipped=any(o.get("budget_skipped") for _, o, _ in phases),
                history_key=report.nodeid,
                report_id=str(first.get("report_id") or ""),
                decision=combined.get("decision"),
                differed=tuple(combined.get("differed") or ()),
                decisions=tuple(dict.fromkeys(d for _, o, _ in phases for d in o.get("decisions") or ())),
                rests_on=tuple(first.get("rests_on") or ()),
            )
        )


def write_run_facts(config: pytest.Config, state: RunState, results_dir: Path) -> None:
    """environment.xml, executor.json and categories.json for the report built from these results."""
    facts = facts_of(state.run, state.plan, config.rootpath)
    results_dir.mkdir(parents=True, exist_ok=True)
    report_environment.write_environment(results_dir, facts)
    report_environment.write_executor(
        results_dir,
        report_environment.executor_json(report_environment.ci_build(), run_id=state.run.id, report_name=REPORT_TITLE),
    )
    (results_dir / "categories.json").write_text(
        json.dumps(report_categories.categories_json(), indent=2), encoding="utf-8"
    )
