"""The single-file Allure report: built by the pinned CLI, offline, with no analytics."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
import uuid
from pathlib import Path

import pytest

from ottimate_validation.report.allure import (
    AllureNotInstalledError,
    ReportError,
    compress_single_file,
    find_allure,
    generate_report,
    inject_summary,
    offline_violations,
    repo_root,
    strip_analytics,
)
from tests.reporting.factory import report_app, report_files

TITLE = "Ottimate integration validation"


def installed_allure() -> Path | None:
    try:
        return find_allure()
    except AllureNotInstalledError:
        return None


needs_allure = pytest.mark.skipif(
    installed_allure() is None,
    reason=f"the Allure CLI is not installed: run `npm ci` in {repo_root()} (CI does)",
)

# The report inlines its app and data as base64; by chance such text can spell "gtag" (the app
# bundle of 3.18.0 does, three times). Words are searched for outside those runs only.
BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{100,}={0,2}")
EXTERNAL_SCRIPT = re.compile(r"""<script\b[^>]*\bsrc\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def assert_offline_and_analytics_free(html: str) -> None:
    assert not EXTERNAL_SCRIPT.search(html), "the report loads a script from the network"
    lowered = html.lower()
    assert "googletagmanager" not in lowered
    assert "google-analytics" not in lowered
    assert "gtag" not in BASE64_RUN.sub("", html).lower()


def write_synthetic_results(results: Path) -> None:
    results.mkdir(parents=True, exist_ok=True)
    attachment = f"{uuid.uuid4()}-attachment.json"
    (results / attachment).write_text('{"status": "ok"}', encoding="utf-8")
    cases = [
        ("test_token_is_issued", "passed", "Authentication", ""),
        ("test_vendor_is_created", "failed", "Core Functionality", "AssertionError: expected 201, got 500"),
        ("test_rate_limit_is_reported", "skipped", "Error Handling", ""),
        ("test_vendors_are_listed", "broken", "Core Functionality", "httpx.ConnectError: connection refused"),
    ]
    for index, (name, status, epic, message) in enumerate(cases):
        result = {
            "uuid": str(uuid.uuid4()),
            "historyId": f"history-{index}",
            "name": name,
            "fullName": f"suites.demo#{name}",
            "status": status,
            "statusDetails": {"message": message} if message else {},
            "start": 1_800_000_000_000 + index * 1000,
            "stop": 1_800_000_000_500 + index * 1000,
            "labels": [{"name": "epic", "value": epic}, {"name": "suite", "value": "demo"}],
            "steps": [
                {
                    "name": "GET /v1/health",
                    "status": "passed",
                    "start": 1_800_000_000_000,
                    "stop": 1_800_000_000_100,
                    "attachments": [
                        {"name": "exchange", "source": attachment, "type": "application/json"},
                    ],
                }
            ],
        }
        (results / f"{result['uuid']}-result.json").write_text(json.dumps(result), encoding="utf-8")


# --- without the CLI ----------------------------------------------------------------------------

GTAG_PAGE = """<!DOCTYPE html><html><head><title>r</title>
<link rel="preconnect" href="https://www.googletagmanager.com">
<script>window.allureReportOptions = {"reportName": "r"}</script></head><body>
<script src="data:text/javascript;base64,QUJD"></script>
<script async src="https://www.googletagmanager.com/gtag/js?id=G-TEST"></script>
<script>
    window.dataLayer = window.dataLayer || [];
    function gtag(){dataLayer.push(arguments);}
    gtag('js', new Date());
    gtag('config', 'G-TEST', {"report": "awesome"});
</script>
<script src="//cdn.example.com/tracker.js"></script>
<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-X"></iframe></noscript>
<script defer>Promise.allSettled([d("widgets/nav.json","WyJhIl0=")])</script>
</body></html>"""


def test_stripping_removes_the_analytics_tag_and_every_external_script() -> None:
    stripped = strip_analytics(GTAG_PAGE)

    assert_offline_and_analytics_free(stripped)
    assert "cdn.example.com" not in stripped
    assert offline_violations(stripped) == []


def test_stripping_keeps_the_report_app_its_options_and_its_data() -> None:
    stripped = strip_analytics(GTAG_PAGE)

    assert '<script src="data:text/javascript;base64,QUJD"></script>' in stripped
    assert "window.allureReportOptions" in stripped
    assert 'd("widgets/nav.json","WyJhIl0=")' in stripped


def test_the_offline_check_names_what_would_reach_the_network() -> None:
    problems = offline_violations(GTAG_PAGE)

    assert any("external script" in p for p in problems)
    assert any("googletagmanager" in p for p in problems)


ALLURE_LIKE_PAGE = """<!DOCTYPE html><html><head><title>r</title></head><body>
<div id="allure-app-loader"></div><div id="app"></div>
<script   src="data:text/javascript;base64,{app}"></script>
<script async>
  window.allureReportDataReady = false;
  window.allureReportData = window.allureReportData || {{}};
  function d(name, value){{ return Promise.resolve(window.allureReportData[name] = value); }}
</script>
<script defer>
  Promise.allSettled([d("widgets/nav.json","{nav}"),d("data/attachments/a.txt","{attachment}")])
    .then(function(){{
      window.allureReportDataReady = true;
    }})
</script>
</body></html>"""


def allure_like_page() -> str:
    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return ALLURE_LIKE_PAGE.format(
        app=b64(b"console.log('app');" * 50),
        nav=b64(b'["a"]'),
        attachment=b64("GET /v1/vendors → 200 (ünïcode)".encode() * 30),
    )


def test_packing_the_page_keeps_every_file_and_the_app_byte_for_byte() -> None:
    page = allure_like_page()

    packed = compress_single_file(page)

    assert len(packed) < len(page)
    assert report_files(packed) == report_files(page)
    assert report_app(packed) == report_app(page)
    assert "data:text/javascript" not in packed, "the app is carried packed, not as a data: script"
    assert offline_violations(packed) == []


def test_a_page_laid_out_differently_is_left_as_allure_wrote_it() -> None:
    page = allure_like_page().replace("Promise.allSettled", "Promise.all")

    assert compress_single_file(page) == page


def test_the_summary_block_goes_first_in_the_page_body() -> None:
    page = inject_summary(allure_like_page(), "<section id='ottimate-readiness'>Ready</section>")

    body = page.split("<body>", 1)[1]
    assert body.lstrip().startswith("<section id='ottimate-readiness'>Ready</section>")
    with pytest.raises(ReportError, match="no <body>"):
        inject_summary("<html></html>", "x")


def test_a_missing_cli_is_reported_with_the_command_that_installs_it(tmp_path: Path) -> None:
    with pytest.raises(AllureNotInstalledError, match=r"npm ci") as caught:
        find_allure(tmp_path)

    assert str(tmp_path) in str(caught.value)


def test_a_missing_results_folder_is_a_report_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no allure-results folder"):
        generate_report(tmp_path / "absent", tmp_path / "out", title=TITLE, allure=tmp_path / "allure")


@pytest.mark.skipif(os.name == "nt", reason="uses a POSIX shell script as a stand-in CLI")
def test_a_failing_cli_raises_a_report_error_with_the_tail_of_its_stderr(tmp_path: Path) -> None:
    fake = tmp_path / "allure"
    fake.write_text("#!/bin/sh\necho 'starting' \necho 'Error: cannot parse results' >&2\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    results = tmp_path / "allure-results"
    results.mkdir()

    with pytest.raises(ReportError, match=r"exit code 3") as caught:
        generate_report(results, tmp_path / "out", title=TITLE, allure=fake)

    assert "cannot parse results" in str(caught.value)
    assert not (tmp_path / "out" / "report.html").exists()
    assert [p.name for p in (tmp_path / "out").iterdir()] == [], "the scratch folder is left behind"


@pytest.mark.skipif(os.name == "nt", reason="uses a POSIX shell script as a stand-in CLI")
def test_a_cli_that_hangs_is_stopped_at_the_timeout(tmp_path: Path) -> None:
    fake = tmp_path / "allure"
    fake.write_text("#!/bin/sh\nexec sleep 30\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    results = tmp_path / "allure-results"
    results.mkdir()

    with pytest.raises(ReportError, match=r"within 0.5 s"):
        generate_report(results, tmp_path / "out", title=TITLE, allure=fake, timeout=0.5)


# --- with the pinned CLI (installed by `npm ci`) ------------------------------------------------


@needs_allure
def test_the_report_is_one_offline_html_file_without_analytics(tmp_path: Path) -> None:
    results = tmp_path / "run" / "allure-results"
    write_synthetic_results(results)

    report = generate_report(results, tmp_path / "run", title=TITLE)

    assert report == tmp_path / "run" / "report.html"
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["allure-results", "report.html"]
    html = report.read_text(encoding="utf-8")
    assert_offline_and_analytics_free(html)
    assert f"<title> {TITLE} </title>" in html
    inlined = report_files(html)
    assert any(b"test_token_is_issued" in data for data in inlined.values()), "results are not inlined"
    assert any(b'{"status": "ok"}' in data for data in inlined.values()), "attachments are not inlined"
    assert b"googletagmanager" not in report_app(html)
    assert report.stat().st_size < 2_500_000, "packed, the app and a small run fit in well under 2.5 MB"


@needs_allure
def test_failures_are_sorted_into_the_projects_categories(tmp_path: Path) -> None:
    results = tmp_path / "allure-results"
    write_synthetic_results(results)

    report = generate_report(results, tmp_path, title=TITLE)

    categories = report_files(report.read_text(encoding="utf-8"))["widgets/categories.json"].decode()
    assert "Contract violation" in categories
    assert "Sandbox unreachable" in categories
    assert "Product errors" not in json.loads(categories).get("roots", []), "no test falls through to defaults"


@needs_allure
def test_each_build_appends_to_the_shared_history(tmp_path: Path) -> None:
    results = tmp_path / "allure-results"
    write_synthetic_results(results)
    history = tmp_path / "reports" / "history.jsonl"

    generate_report(results, tmp_path / "one", title=TITLE, history_path=history)
    generate_report(results, tmp_path / "two", title=TITLE, history_path=history)

    points = [json.loads(line) for line in history.read_text(encoding="utf-8").splitlines()]
    assert len(points) == 2
    assert {r["name"] for r in points[1]["testResults"].values()} >= {"test_token_is_issued", "test_vendor_is_created"}


@needs_allure
def test_the_readiness_summary_and_key_facts_are_in_the_built_page(tmp_path: Path) -> None:
    results = tmp_path / "allure-results"
    write_synthetic_results(results)

    report = generate_report(
        results,
        tmp_path,
        title=TITLE,
        variables={"Target": "Embedded sandbox"},
        summary_html="<section id='ottimate-readiness'>Not ready: Core Functionality</section>",
    )

    html = report.read_text(encoding="utf-8")
    assert html.index("ottimate-readiness") < html.index('id="app"')
    assert b"Embedded sandbox" in report_files(html)["widgets/variables.json"]


@needs_allure
def test_a_report_can_be_built_from_an_empty_results_folder(tmp_path: Path) -> None:
    # An interrupted run may have written nothing; the report still exists and says so.
    results = tmp_path / "allure-results"
    results.mkdir()

    report = generate_report(results, tmp_path, title=TITLE)

    assert_offline_and_analytics_free(report.read_text(encoding="utf-8"))


@needs_allure
def test_rebuilding_the_report_replaces_the_previous_file(tmp_path: Path) -> None:
    results = tmp_path / "allure-results"
    write_synthetic_results(results)
    (tmp_path / "report.html").write_text("stale", encoding="utf-8")

    report = generate_report(results, tmp_path, title="Second title")

    assert "<title> Second title </title>" in report.read_text(encoding="utf-8")
