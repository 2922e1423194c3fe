"""The dashboard in a real browser (Playwright driving the system's Chromium, `tests/browser.py`): every
page renders offline without a script error, every action works by clicking and the API's next read
shows it, a refused or stale action says why, the live log updates on its own and never shows a
credential, findings appear in it, and the keyboard reaches the main controls.

One browser and one sandbox for the module; a fresh browser context (a new session) per test. Screenshots
go to `SHOTS` (looked at while writing these tests).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from ottimate_validation.sandbox import EmbeddedSandbox
from ottimate_validation.sandbox.journal import EXCHANGE_HEADER
from tests.browser import LAUNCH_ARGS, browser_or_skip

from .world import PAGES, World, advance, pdf_invoice

SHOTS = Path(tempfile.gettempdir()) / "ottimate-dashboard-screenshots"
LIVE_WAIT_MS = 8_000  # the log polls every 2 s; a loaded 2-core machine gets a few seconds of slack


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = browser_or_skip()
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Tab:
    """A signed-in page, and what it did: script errors and requests that left the sandbox."""

    page: Any
    origin: str
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def go(self, path: str) -> Any:
        answer = self.page.goto(f"{self.origin}/_dashboard{path}")
        assert answer is not None
        return answer

    def shot(self, name: str, *, full_page: bool = True) -> Path:
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def alert(self) -> str:
        return str(self.page.get_by_role("alert").first.inner_text())

    def status(self) -> str:
        return str(self.page.locator("p.flash.ok").first.inner_text())


@pytest.fixture
def tab(browser: Any, sandbox: EmbeddedSandbox) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    seen = Tab(page=page, origin=sandbox.url)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((sandbox.url, "data:", "chrome:", "chrome-extension:", "blob:", "about:"))
            else seen.outside.append(request.url)
        ),
    )
    link = sandbox.dashboard_link()
    assert link is not None
    page.goto(link)
    try:
        yield seen
    finally:
        context.close()


def _button(tab: Tab, name: str) -> Any:
    return tab.page.get_by_role("button", name=name, exact=True)


# -- every page -------------------------------------------------------------------------------------


def test_every_page_renders_offline_without_a_script_error(tab: Tab, world: World) -> None:
    for name, expect in PAGES.items():
        path, wanted = expect(world)
        answer = tab.go(path)
        assert answer.status == 200, f"{name}: HTTP {answer.status}"
        heading = tab.page.get_by_role("heading", level=1)
        assert heading.count() == 1 and heading.is_visible(), name
        text = tab.page.content()
        missing = [w for w in wanted if w not in text]
        assert not missing, f"{name} lacks {missing}"
        tab.shot(f"page-{name.replace(' ', '-')}")
    assert tab.errors == []
    assert tab.outside == [], "the dashboard works offline: nothing is fetched from outside the sandbox"


def test_the_uploaded_pdf_is_shown_beside_what_extraction_read(tab: Tab, world: World) -> None:
    tab.go(f"/invoices/{world.extracted['id']}")
    frame = tab.page.locator(".document iframe")
    frame.scroll_into_view_if_needed()
    tab.page.wait_for_function("() => Array.from(document.querySelectorAll('iframe')).length === 1", timeout=10_000)
    tab.page.wait_for_timeout(1_500)  # the PDF viewer draws in frames of its own
    assert any(f.url.endswith(f"/invoices/{world.extracted['id']}/document") for f in tab.page.frames)
    beside = tab.page.locator(".extraction").inner_text()
    assert "TI-PDF-1" in beside and "Test Invoice - Roma Tomatoes" in beside and "48.00" in beside
    tab.shot("invoice-extraction-beside-pdf", full_page=False)  # the viewer's frames are drawn in the viewport
    assert tab.errors == []


# -- acting, and the API's next read ----------------------------------------------------------------


def test_approving_as_each_approver_then_exporting_is_what_the_api_reads_next(
    tab: Tab, api: httpx.Client, world: World
) -> None:
    inv = world.create_invoice(api)
    tab.go(f"/invoices/{inv['id']}")
    _button(tab, "Approve as Test Approver - Downtown 1").click()
    assert "Approved as Test Approver - Downtown 1" in tab.status()
    assert [a["status"] for a in api.get(f"/invoices/{inv['id']}/approvers").json()["approvers"]] == [
        "approved",
        "pending",
    ]
    _button(tab, "Approve as Test Approver - Downtown 2").click()
    assert "the invoice is now ready-for-export" in tab.status()
    assert api.get(f"/invoices/{inv['id']}").json()["status"] == "ready-for-export"
    export = tab.page.locator("form", has=_button(tab, "Mark exported"))
    export.get_by_label("Reason").fill("Test Invoice - exported by hand")
    export.get_by_label("Export transaction id").fill("TX-BROWSER-1")
    _button(tab, "Mark exported").click()
    assert "Marked as exported" in tab.status()
    after = api.get(f"/invoices/{inv['id']}", params={"expand": "history"}).json()
    assert after["status"] == "exported" and after["exported_date_utc"]
    assert any(h["message"] == "Test Invoice - exported by hand" for h in after["history"])
    tab.shot("invoice-after-approvals-and-export")
    assert tab.errors == []


def test_force_approve_then_flag_are_what_the_api_reads_next(tab: Tab, api: httpx.Client, world: World) -> None:
    inv = world.create_invoice(api)
    tab.go(f"/invoices/{inv['id']}")
    _button(tab, "Force-approve").click()
    assert "Force-approved" in tab.status()
    assert api.get(f"/invoices/{inv['id']}").json()["status"] == "ready-for-export"
    flag = tab.page.locator("form", has=_button(tab, "Flag"))
    flag.get_by_label("Reason").fill("Test Invoice - price looks wrong")
    _button(tab, "Flag").click()
    assert "Flagged (Test Invoice - price looks wrong)" in tab.status()
    after = api.get(f"/invoices/{inv['id']}").json()
    assert (after["status"], after["error"]) == ("incomplete", "Test Invoice - price looks wrong")


def test_marking_unexported_and_flagged_is_what_the_api_reads_next(tab: Tab, api: httpx.Client, world: World) -> None:
    inv = world.create_invoice(api)
    api.post(f"/invoices/{inv['id']}/force-approve")
    api.post("/invoices/mark-exported", json={"invoices": [{"invoice_id": inv["invoice_id"]}]})
    tab.go(f"/invoices/{inv['id']}")
    tab.page.get_by_label("and flag it").check()
    _button(tab, "Mark unexported").click()
    assert "Marked as not exported; the invoice is now incomplete." in tab.status()
    after = api.get(f"/invoices/{inv['id']}").json()
    assert after["status"] == "incomplete" and "exported_date" not in after


def test_a_refused_action_shows_the_apis_own_message(tab: Tab, api: httpx.Client, world: World) -> None:
    exported = world.invoices["exported"]
    message = api.post(f"/invoices/{exported['id']}/force-approve").json()["message"]
    tab.go(f"/invoices/{exported['id']}")
    _button(tab, "Force-approve").click()
    alert = tab.alert()
    assert "Refused: nothing was changed" in alert and message in alert
    tab.shot("refused-force-approve")
    assert api.get(f"/invoices/{exported['id']}").json()["status"] == "exported"


def test_a_stale_page_says_so_and_changes_nothing(tab: Tab, api: httpx.Client, world: World) -> None:
    inv = world.create_invoice(api)
    tab.go(f"/invoices/{inv['id']}")
    api.patch(f"/invoices/{inv['id']}", json={"notes": "Test Invoice - changed by the integration"})
    _button(tab, "Approve as Test Approver - Downtown 1").click()
    alert = tab.alert()
    assert "Changed since you looked" in alert and "you saw version 1, it is now at version 2" in alert
    assert "Test Invoice - changed by the integration" in tab.page.content()  # the page now shows it as it is
    tab.shot("stale-page-refused")
    assert [a["status"] for a in api.get(f"/invoices/{inv['id']}/approvers").json()["approvers"]] == ["pending"] * 2


def test_an_invoice_created_in_the_form_is_what_the_api_reads_next(tab: Tab, api: httpx.Client, world: World) -> None:
    tab.go("/invoices/new")
    page = tab.page
    page.get_by_label("Location").select_option(label="Test Location - Downtown")
    page.get_by_label("Vendor", exact=True).select_option(world.erp_vendor_id)
    page.get_by_label("Invoice number").fill("TI-BROWSER-1")
    page.get_by_label("Invoice date").fill("2026-11-06")
    page.get_by_label("Due date").fill("2026-12-06")
    page.get_by_label("Total amount").fill("17.50")
    page.get_by_label("Total tax").fill("1.50")
    page.get_by_label("GLACCOUNT").select_option("SEED-GLACCOUNT-1")
    page.get_by_label("Line 1 name").fill("Test Invoice - Plums")
    page.get_by_label("Line 1 quantity").fill("4")
    page.get_by_label("Line 1 unit price").fill("4")
    tab.shot("new-invoice-filled")
    _button(tab, "Create invoice").click()
    assert "Invoice TI-BROWSER-1 created; it is pending-approval." in tab.status()
    found = api.get("/invoices", params={"search": "TI-BROWSER-1"}).json()["results"]
    assert [(f["status"], f["total_amount"], f["dimensions"]) for f in found] == [
        ("pending-approval", 17.5, {"GLACCOUNT": "SEED-GLACCOUNT-1"})
    ]


def test_a_document_uploaded_in_the_page_becomes_an_invoice_the_api_reads(
    tab: Tab, sandbox: EmbeddedSandbox, api: httpx.Client, world: World
) -> None:
    tab.go("/uploads")
    form = tab.page.locator("form[enctype='multipart/form-data']")
    form.get_by_label("Location").select_option(label="Test Location - Downtown")
    form.get_by_label(re.compile("^File")).set_input_files(
        {"name": "from-the-browser.pdf", "mimeType": "application/pdf", "buffer": pdf_invoice("TI-BROWSER-UP")}
    )
    _button(tab, "Upload").click()
    assert "Uploaded from-the-browser.pdf as upl_" in tab.status()
    assert "from-the-browser.pdf" in tab.page.locator("section", has_text="Being extracted").inner_text()
    advance(sandbox, 31)
    found = api.get("/invoices", params={"search": "TI-BROWSER-UP"}).json()["results"]
    assert [f["status"] for f in found] == ["pending-approval"]
    tab.go("/uploads")
    tab.page.get_by_role("link", name="TI-BROWSER-UP").click()
    assert "What extraction read from from-the-browser.pdf" in tab.page.content()


def test_a_file_that_is_not_a_document_is_refused_with_the_apis_message(
    tab: Tab, api: httpx.Client, world: World
) -> None:
    before = api.get("/invoices/uploads").json()["count"]
    tab.go("/uploads")
    form = tab.page.locator("form[enctype='multipart/form-data']")
    form.get_by_label("Location").select_option(label="Test Location - Downtown")
    form.get_by_label(re.compile("^File")).set_input_files(
        {"name": "notes.pdf", "mimeType": "application/pdf", "buffer": b"meeting notes, not a PDF"}
    )
    _button(tab, "Upload").click()
    assert "the file is not a PDF, JPG/JPEG, PNG or TIFF" in tab.alert()
    tab.shot("upload-refused")
    assert api.get("/invoices/uploads").json()["count"] == before


# -- the live log -------------------------------------------------------------------------------------


def test_the_live_log_shows_new_requests_on_its_own_and_never_a_credential(
    tab: Tab, sandbox: EmbeddedSandbox, api: httpx.Client
) -> None:
    tab.go("/log")
    key = "browser-live-key-1"
    api.post("/vendors", json={"ottimate_company_id": 1, "erp_vendor_id": "V-LIVE"}, headers={"Idempotency-Key": key})
    row = tab.page.locator("#log-rows tr", has_text=key)
    row.wait_for(timeout=LIVE_WAIT_MS)  # no reload: the page polls
    assert "POST" in row.inner_text() and "/v1/vendors" in row.inner_text()
    token_row = tab.page.locator("#log-rows tr", has_text="/oauth/token").first
    token_row.get_by_role("button", name="Bodies").click()
    bodies = tab.page.locator("tr.bodies-row").first
    bodies.wait_for()
    assert "[redacted]" in bodies.inner_text()
    tab.shot("log-live-with-bodies")
    user = sandbox.users["account"]
    token = api.headers["Authorization"].removeprefix("Bearer ")
    shown = tab.page.content()
    for secret in (user.api_key, user.client_secret, token):
        assert secret not in shown
    assert tab.errors == []


def test_findings_marked_by_the_integration_mode_appear_in_the_open_log(
    tab: Tab, sandbox: EmbeddedSandbox, api: httpx.Client
) -> None:
    tab.go("/log")
    api.get("/vendors", headers={EXCHANGE_HEADER: "integration-501"})
    tab.page.locator("#log-rows tr", has_text="integration-501").wait_for(timeout=LIVE_WAIT_MS)
    finding = {"exchange": "integration-501", "rule": "stability.pages-walked", "finding": "Only page 1 was read.",
               "holds": False}  # fmt: skip
    assert httpx.put(f"{sandbox.url}/_sandbox/findings", json={"findings": [finding]}).status_code == 200
    mark = tab.page.locator("#log-rows tr.violation", has_text="✗ stability.pages-walked")
    mark.wait_for(timeout=LIVE_WAIT_MS)  # the page sees the marks change and shows them
    assert "Only page 1 was read." in mark.inner_text()
    tab.shot("log-finding-marked", full_page=False)
    httpx.put(f"{sandbox.url}/_sandbox/findings", json={"findings": []})


# -- keyboard and sign-in -------------------------------------------------------------------------------


def _tab_to(tab: Tab, predicate: str, limit: int = 80) -> str:
    """Press Tab until the focused element matches ``predicate`` (a JS function of the element)."""
    for _ in range(limit):
        tab.page.keyboard.press("Tab")
        described = tab.page.evaluate(
            "() => { const e = document.activeElement; return (" + predicate + ")(e) ? "
            "(e.getAttribute('aria-label') || e.textContent || e.name || '').trim() : null; }"
        )
        if described is not None:
            return str(described)
    raise AssertionError(f"the keyboard never reached {predicate}")


def test_the_keyboard_reaches_the_main_controls(tab: Tab, api: httpx.Client, world: World) -> None:
    inv = world.create_invoice(api)
    tab.go(f"/invoices/{inv['id']}")
    tab.page.keyboard.press("Tab")
    assert tab.page.evaluate("() => document.activeElement.textContent") == "Skip to content"
    tab.page.keyboard.press("Enter")
    assert tab.page.evaluate("() => document.activeElement.id") == "main"
    reached = _tab_to(tab, "e => e.getAttribute('aria-label') === 'Approve as Test Approver - Downtown 1'")
    assert reached == "Approve as Test Approver - Downtown 1"
    tab.shot("keyboard-focus-on-approve", full_page=False)
    tab.page.keyboard.press("Enter")
    assert "Approved as Test Approver - Downtown 1" in tab.status()
    assert api.get(f"/invoices/{inv['id']}/approvers").json()["approvers"][0]["status"] == "approved"
    for control in ("Force-approve", "Flag", "Mark exported", "Mark unexported"):
        assert _tab_to(tab, f"e => e.tagName === 'BUTTON' && e.textContent.trim() === '{control}'") == control
    tab.go("/")
    _tab_to(tab, "e => e.tagName === 'A' && e.textContent.trim() === 'Request log'")
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_url(re.compile("/_dashboard/log$"))
    for label in ("Method", "Status", "API user"):
        assert _tab_to(tab, f"e => e.labels && e.labels[0] && e.labels[0].textContent.trim().startsWith('{label}')")
    assert _tab_to(tab, "e => e.id === 'log-pause'") == "Pause"
    tab.page.keyboard.press("Enter")
    assert tab.page.get_by_role("button", name="Resume").get_attribute("aria-pressed") == "true"


def test_every_form_control_has_a_label(tab: Tab, world: World) -> None:
    unlabelled: list[str] = []
    for name, expect in PAGES.items():
        tab.go(expect(world)[0])
        unlabelled += [
            f"{name}: {found}"
            for found in tab.page.evaluate(
                "() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, button, textarea'))"
                ".filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())"
                ".map(e => e.outerHTML.slice(0, 80))"
            )
        ]
    assert unlabelled == []


def test_signing_in_through_the_sign_in_page(browser: Any, sandbox: EmbeddedSandbox) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{sandbox.url}/_dashboard/batches")
        assert "/_dashboard/sign-in" in page.url
        user = sandbox.users["company"]
        page.get_by_label("Client id").fill(user.client_id)
        page.get_by_label("Client secret").fill("not the secret")
        page.get_by_role("button", name="Sign in").click()
        assert "No API user of this sandbox has that client id and secret." in page.get_by_role("alert").inner_text()
        page.get_by_label("Client secret").fill(user.client_secret)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile("/_dashboard/batches$"))
        assert user.client_id in page.locator("header").inner_text()
        assert user.client_secret not in page.content()
        page.screenshot(path=str(SHOTS / "signed-in-as-company-user.png"))
    finally:
        context.close()
