"""Screenshot an eval report (report.html) in Debian's headless chromium, as the UI tests do.

    python -m evals.screenshot evals/results/corpus2/report.html docs/eval_report.png
"""
from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from ui.browser import launch_chromium


def screenshot(report: Path, out: Path, width: int = 1280, height: int = 1400) -> None:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(report.resolve().as_uri(), wait_until="domcontentloaded")
        page.wait_for_timeout(500)
        page.screenshot(path=str(out))
        browser.close()


if __name__ == "__main__":
    screenshot(Path(sys.argv[1]), Path(sys.argv[2]))
