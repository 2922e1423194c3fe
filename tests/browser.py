"""The system's Chromium for the browser tests (the report's, the dashboard's): found, or skipped with the
fix outside CI and failed in CI. Playwright drives it; it never downloads a browser. ``scripts/setup``
installs Debian's chromium when it runs as root on Debian, as CI does; ``OTTIMATE_CHROMIUM`` names another
binary."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM_ENV = "OTTIMATE_CHROMIUM"
CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SETUP_HINT = (
    "run ./scripts/setup as root on Debian (it installs Debian's chromium), or `apt-get install -y chromium`, "
    f"or point {CHROMIUM_ENV} at a Chromium or Chrome binary"
)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def find_chromium() -> str | None:
    chosen = os.environ.get(CHROMIUM_ENV)
    if chosen:
        return chosen if Path(chosen).is_file() else None
    for candidate in CANDIDATES:
        found = candidate if Path(candidate).is_file() else shutil.which(candidate)
        if found:
            return found
    return None


def browser_or_skip() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        message = "the playwright package is not installed: run ./scripts/setup (pip install -e '.[dev]')"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    chromium = find_chromium()
    if chromium is None:
        message = f"no Chromium found ({', '.join(CANDIDATES)}): {SETUP_HINT}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return chromium
