"""Drive the web UI in Debian's headless chromium (playwright), for the browser tests and the UI benchmark.

Playwright is a test dependency: import this module only where it is installed.
"""
from __future__ import annotations

import socket
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

# Runs in the page: clicks Ask and resolves once the Ask button is enabled again, with the
# milliseconds (browser clock) until the sources panel changed and the answer bubble got text.
_ASK_AND_TIME = """(timeoutMs) => new Promise((resolve, reject) => {
  const button = document.querySelector('#zk-ask');
  const panel0 = document.querySelector('#zk-sources .zk-panel');
  const panelMsg0 = panel0 ? panel0.dataset.msg : null;
  const bots0 = document.querySelectorAll('#zk-chat [data-testid="bot"]').length;
  const marks = {};
  let sawDisabled = false;
  const t0 = performance.now();
  const check = () => {
    const now = performance.now() - t0;
    const panel = document.querySelector('#zk-sources .zk-panel');
    if (marks.sources_ms === undefined && panel && panel.dataset.msg !== panelMsg0 && panel.querySelector('.zk-source'))
      marks.sources_ms = now;
    const bots = document.querySelectorAll('#zk-chat [data-testid="bot"]');
    if (marks.first_text_ms === undefined && bots.length > bots0) {
      const text = bots[bots.length - 1].innerText.trim();
      if (text && text !== '…') marks.first_text_ms = now;
    }
    if (button.disabled) sawDisabled = true;
    if (sawDisabled && !button.disabled) { observer.disconnect(); marks.done_ms = now; resolve(marks); return true; }
    if (now > timeoutMs) { observer.disconnect(); reject(new Error('no answer within ' + timeoutMs + ' ms')); return true; }
    return false;
  };
  // the observer catches a button disabled only briefly (fast extractive answers); the timer catches the rest
  const observer = new MutationObserver(check);
  observer.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  const tick = () => { if (!check()) setTimeout(tick, 25); };
  button.click();
  tick();
})"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def open_ui(browser, url: str, language: str = "zh-CN"):
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale=language)
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("#zk-ask", timeout=60_000)
    return page


def ask(page, question: str, timeout_s: float = 600) -> dict[str, Any]:
    """Type a question, press Ask, wait for the answer to finish; returns the browser-side timings."""
    page.fill("#zk-question textarea", question)
    timings = page.evaluate(_ASK_AND_TIME, timeout_s * 1000)
    return {k: round(v) for k, v in timings.items()}


def last_answer(page):
    return page.locator('#zk-chat [data-testid="bot"]').last
