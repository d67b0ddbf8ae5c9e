"""A real browser opens the dashboard of a study and finds its trials and trial note.

Headless Debian Chromium (/usr/bin/chromium) driven by Playwright, with no browser
download. Skips locally when either is missing; in CI (CI=true), .ci/run installs both and
a missing one fails instead.
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from tests.cli.test_dashboard_cli import _free_port, _get, _serve, finished_study

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _require_browser():
    reason = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "playwright is not installed (pip install playwright)"
    if reason is None and not os.path.exists(CHROMIUM):
        reason = "Debian's chromium is not installed (apt-get install chromium)"
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser test cannot run in CI: {reason}")
        pytest.skip(reason)


def test_browser_shows_the_study_its_trials_and_the_note(tmp_path):
    _require_browser()
    from playwright.sync_api import sync_playwright

    storage = finished_study(tmp_path, "browser-study", n_trials=2)
    port = _free_port()
    server = _serve("--storage", storage, "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        study_id = _get(f"{base}/api/studies", time.time() + 60)["study_summaries"][0]["study_id"]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base}/dashboard")
            page.get_by_text("browser-study").first.wait_for(timeout=30_000)
            page.goto(f"{base}/dashboard/studies/{study_id}/trials")
            page.get_by_text("Trial 1").first.wait_for(timeout=30_000)
            page.get_by_text("Trial 0").first.click()
            page.get_by_text("readout.").first.wait_for(timeout=30_000)  # the note's layer table
            diagram = page.locator("img[alt^='architecture of trial 0']").first
            diagram.wait_for(timeout=30_000)  # the diagram in the note, loaded from artifacts
            width = diagram.evaluate("img => img.complete ? img.naturalWidth : 0")
            assert width > 400, width
            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            browser.close()
        assert (tmp_path / "dashboard.png").stat().st_size > 10_000
        if os.environ.get("NAS_SCREENSHOT"):
            shutil.copy(tmp_path / "dashboard.png", os.environ["NAS_SCREENSHOT"])
    finally:
        server.terminate()
        server.communicate(timeout=30)
