"""The single-file report, opened from disk in a real headless Chromium, shows what a partner reads.

Playwright drives the system's Chromium (`tests/browser.py`); it never downloads a browser. Without a
browser this test is skipped locally and fails in CI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ottimate_validation.run.ledger import read_ledger
from tests.browser import CHROMIUM_ENV, LAUNCH_ARGS, browser_or_skip

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class BuiltReport:
    run_dir: Path
    known_test: str
    known_area: str
    known_step: str
    known_exchange: str


def _label(result: dict[str, Any], name: str) -> str | None:
    return next((label["value"] for label in result["labels"] if label["name"] == name), None)


@pytest.fixture(scope="module")
def built_report(tmp_path_factory: pytest.TempPathFactory) -> BuiltReport:
    """A real, small validation run (the OAuth token checks) against the embedded sandbox."""
    reports = tmp_path_factory.mktemp("reports")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTTIMATE_", "PYTEST_", "HYPOTHESIS_"))}
    env["OTTIMATE_ENV_FILE"] = ""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ottimate_validation.cli",
            "--reports-dir",
            str(reports),
            "--suite",
            "auth",
            "-n",
            "0",
            "--",
            "-k",
            "token_endpoint",
            "-q",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    run_dir = (reports / "latest").resolve()
    assert (run_dir / "report.html").is_file(), done.stdout[-3000:] + done.stderr[-2000:]
    results = run_dir / "allure-results"
    assert any(c.status == "passed" for c in read_ledger(run_dir).checks), done.stdout[-3000:]
    # A passed test whose first step attached an exchange: the test to look for in the page. (Not one
    # whose step names a URL: the report renders that as a link, so the name is not one text node.)
    for path in sorted(results.glob("*-result.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        steps = raw.get("steps") or []
        if raw["status"] == "passed" and steps and steps[0].get("attachments") and "://" not in steps[0]["name"]:
            return BuiltReport(
                run_dir=run_dir,
                known_test=raw["name"],
                known_area=_label(raw, "feature") or "",
                known_step=steps[0]["name"],
                known_exchange=steps[0]["attachments"][0]["name"],
            )
    raise AssertionError("no passed test with an exchange in its first step: " + done.stdout[-3000:])


@dataclass
class Page:
    page: Any
    requests: list[str]
    errors: list[str]


@pytest.fixture(scope="module")
def opened(built_report: BuiltReport) -> Iterator[Page]:
    chromium = browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            seen = Page(page=page, requests=[], errors=[])
            page.on("request", lambda request: seen.requests.append(request.url))
            page.on("pageerror", lambda error: seen.errors.append(str(error)))
            page.goto((built_report.run_dir / "report.html").as_uri())
            # The app has rendered once the loader is gone and its results tree is there.
            page.wait_for_selector("#allure-app-loader", state="detached", timeout=60_000)
            page.locator("#app").get_by_text("Authentication", exact=True).first.wait_for(timeout=60_000)
            yield seen
        finally:
            browser.close()


@pytest.mark.slow
def test_the_readiness_summary_is_the_first_thing_on_the_page(opened: Page, built_report: BuiltReport) -> None:
    page = opened.page
    summary = page.locator("#ottimate-readiness")
    box = summary.bounding_box()
    page.screenshot(path=str(built_report.run_dir / "screenshot-top.png"))
    shutil.copy(built_report.run_dir / "screenshot-top.png", "/tmp/ottimate-screenshot-top.png")

    assert box is not None and box["y"] < 50, "the summary opens the page"
    text = summary.inner_text()
    assert "readiness summary" in text
    rows = {
        row.locator("th").inner_text(): row.locator("td").first.inner_text()
        for row in summary.locator("table.ov-verdicts tbody tr").all()
    }
    # Only the token endpoint's checks ran (-k): Authentication lacks some of its required checks, and the
    # run is a rehearsal on the embedded sandbox, so nothing reads Ready.
    assert "Rehearsal on the embedded sandbox, not evidence for Ottimate" in text
    assert rows == {
        "Authentication": "Not evidenced",
        "Core Functionality": "Not evidenced",
        "Error Handling": "Not evidenced",
        "Data Integrity": "Not evidenced",
        "Integration Stability": "Not evidenced",
    }
    assert "of 10,000 a day" in text
    assert "How to read this report" in text and "What each criterion checked" in text


@pytest.mark.slow
def test_a_known_test_and_its_http_evidence_render_in_the_report(opened: Page, built_report: BuiltReport) -> None:
    page = opened.page
    app = page.locator("#app")
    app.get_by_text("Authentication", exact=True).first.click()
    app.get_by_text(built_report.known_area, exact=True).first.click()
    app.get_by_text(built_report.known_test, exact=True).first.click()
    app.get_by_text(built_report.known_step, exact=True).first.click()  # the step opens on its exchange
    app.get_by_text(built_report.known_exchange, exact=True).first.click()  # and the exchange on its transcript
    app.get_by_text("[redacted]").first.wait_for(timeout=10_000)
    page.screenshot(path=str(built_report.run_dir / "screenshot-test.png"), full_page=True)
    shutil.copy(built_report.run_dir / "screenshot-test.png", "/tmp/ottimate-screenshot-test.png")

    assert app.get_by_text(built_report.known_test, exact=True).first.is_visible()
    assert app.get_by_text(f"Ottimate docs: {built_report.known_area}").first.is_visible(), "it links to its docs"
    shown = app.inner_text()
    assert re.search(r"^(GET|POST|PATCH|PUT|DELETE) https?://\S+$", shown, re.MULTILINE), "the request is shown"
    assert re.search(r"^HTTP \d{3} ", shown, re.MULTILINE), "and the answer"
    assert "[redacted]" in shown, "with its credentials hidden"


@pytest.mark.slow
def test_the_report_works_offline_without_a_single_outside_request(opened: Page) -> None:
    outside = [url for url in opened.requests if not url.startswith(("file:", "data:", "blob:"))]

    assert outside == []
    assert opened.errors == []


# --- without a browser ------------------------------------------------------------------------


def test_a_missing_browser_is_a_skip_with_the_fix_outside_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "no-such-chromium"))
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception, match="scripts/setup"):
        browser_or_skip()


def test_a_missing_browser_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "no-such-chromium"))
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium"):
        browser_or_skip()
