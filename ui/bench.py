"""How long a user waits in the web UI: time until the sources show and until the first answer text,
for one Chinese and one English question, measured in a real headless chromium.

    .venv/bin/python -m ui.bench [--data-dir DIR] [--mode generative|extractive]

Needs an index in the data dir (`zhiku ingest`) and the test extras (playwright).
"""
from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

QUESTIONS = {
    "zh": "欧盟《人工智能法案》将人工智能系统分为哪几个风险等级？",
    "en": "Which four risk tiers does the EU AI Act define?",
}


def main() -> None:
    from playwright.sync_api import sync_playwright

    from rag.engine import Engine
    from rag.settings import load_settings
    from ui.app import serve
    from ui.browser import ask, free_port, launch_chromium, open_ui

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--mode", default="generative", choices=["generative", "extractive"])
    args = parser.parse_args()
    settings = load_settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    engine = Engine(settings)
    engine.llm  # noqa: B018 - load the model first so the timings are per question, not per process
    port = free_port()
    demo = serve(engine, port=port, block=False)
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = open_ui(browser, f"http://127.0.0.1:{port}/")
            if args.mode != settings.answer_mode:
                page.locator("#zk-mode label").nth(0 if args.mode == "generative" else 1).click()
            for language, question in QUESTIONS.items():
                timings = ask(page, question)
                print(json.dumps({"language": language, "mode": args.mode, "question": question, **timings},
                                 ensure_ascii=False), flush=True)
            browser.close()
    finally:
        demo.close()


if __name__ == "__main__":
    main()
