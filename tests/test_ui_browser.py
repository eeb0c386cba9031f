"""The web UI in a real headless chromium, on a real index with the real models."""
from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect, sync_playwright

from rag.feedback import FeedbackStore
from rag.settings import PROJECT_ROOT
from ui_server import running_ui  # tests/ is on sys.path (pytest prepend mode)
from ui.browser import ask, last_answer, launch_chromium, open_ui

pytestmark = pytest.mark.browser

ZH_QUESTION = "欧盟《人工智能法案》将人工智能系统分为哪几个风险等级？"
EN_QUESTION = "Which four risk tiers does the EU AI Act define?"
SEAMAN = "seaman-cn-eu-ai-standards"
SCREENSHOT = PROJECT_ROOT / "docs" / "screenshot.png"


@pytest.fixture(scope="module")
def ui(corpus_data_dir, tmp_path_factory):
    with running_ui(corpus_data_dir, tmp_path_factory.mktemp("ui-browser")) as served:
        yield served


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(ui, browser):
    page = open_ui(browser, ui[0])
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    page.close()


def choose_mode(page, mode: str) -> None:
    page.locator("#zk-mode label").nth(0 if mode == "generative" else 1).click()


def test_chinese_question_streams_a_cited_answer_and_a_chip_opens_the_highlighted_source(page, ui, tmp_path):
    timings = ask(page, ZH_QUESTION)
    print("UI timings zh generative:", timings)
    assert timings["sources_ms"] < timings["first_text_ms"], "sources must show before the answer"
    assert timings["done_ms"] - timings["first_text_ms"] > 300, "the answer must stream, not arrive at once"
    answer = last_answer(page)
    chips = answer.locator(".zk-chip")
    assert chips.count() >= 1, answer.inner_text()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in answer.inner_text())

    cited = int(re.search(r"zk-cite-\d+-(\d+)", chips.first.get_attribute("class")).group(1))
    chips.first.click()
    card = page.locator(f'#zk-sources .zk-source.zk-focus[data-n="{cited}"]')
    expect(card).to_be_visible()
    expect(card.locator("mark").first).to_be_visible()
    report = ui[1].store.report_map()
    titles = [r.title for r in report.values()]
    assert any(title in card.locator("summary").inner_text() for title in titles)
    assert "作者" in card.inner_text()
    # the README's picture is refreshed on request only, so a test run leaves the tree clean
    shot = SCREENSHOT if os.environ.get("ZHIKU_UPDATE_SCREENSHOT") else tmp_path / "screenshot.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    assert page.dialogs == []


def test_english_interface_and_question_with_feedback(page, ui):
    page.locator("#zk-language label").filter(has_text="English").click()
    expect(page.locator("#zk-ask")).to_have_text("Ask")
    expect(page.locator("#zk-export")).to_contain_text("Export chat")
    expect(page.get_by_role("tab", name="Corpus")).to_be_visible()
    choose_mode(page, "extractive")
    ask(page, EN_QUESTION)
    expect(page.locator("#zk-sources h4").first).to_contain_text("Sources for: " + EN_QUESTION)
    assert last_answer(page).locator(".zk-chip").count() >= 1

    last_answer(page).hover()
    # gradio labels its own buttons in the browser's language (zh-CN here)
    page.locator('#zk-chat button[aria-label="赞"], #zk-chat button[aria-label="Like"]').last.click()
    page.locator("#zk-feedback").get_by_text("Feedback").click()
    page.fill("#zk-comment textarea", "clear and cited")
    page.click("#zk-send")
    expect(page.locator("#zk-feedback")).to_contain_text("Feedback saved")
    records = [r for r in FeedbackStore(ui[1].settings).records() if r["question"] == EN_QUESTION]
    assert len(records) == 1
    assert records[0]["rating"] == "up" and records[0]["comment"] == "clear and cited"
    assert records[0]["settings"]["mode"] == "extractive" and records[0]["citations"]

    page.click("#zk-new")
    expect(page.locator('#zk-chat [data-testid="bot"]')).to_have_count(0)


def test_filter_to_one_report_cites_only_that_report(page, ui):
    engine = ui[1]
    unfiltered = engine.retriever.retrieve(ZH_QUESTION, k=engine.settings.top_k)
    assert unfiltered[0].report_id != SEAMAN  # else the filter would prove nothing
    title = engine.store.report_map()[SEAMAN].title
    choose_mode(page, "extractive")
    page.locator("#zk-filter input").click()
    page.get_by_role("option", name=f"《{title}》").click()
    page.keyboard.press("Escape")
    ask(page, ZH_QUESTION)
    summaries = page.locator("#zk-sources .zk-source summary")
    assert summaries.count() >= 1
    for text in summaries.all_inner_texts():
        assert title in text


def test_upload_a_file_then_ask_about_it(page, ui, tmp_path):
    report = tmp_path / "蓝鲸市算法备案办法.txt"
    report.write_text(
        "蓝鲸市人工智能算法备案办法\n\n"
        "第一条 蓝鲸市人工智能算法备案办法规定，每件算法备案收取费用八百八十八元，由蓝鲸市数据局受理。\n"
        "第二条 备案材料包括算法说明书、安全评估报告和数据来源说明。\n",
        encoding="utf-8",
    )
    page.get_by_role("tab", name="资料库").click()
    page.locator("#zk-file input[type=file]").set_input_files(str(report))
    page.click("#zk-upload")
    expect(page.locator("#zk-upload-status")).to_contain_text("已索引", timeout=300_000)
    expect(page.locator("#zk-reports")).to_contain_text("蓝鲸市人工智能算法备案办法")
    assert (ui[1].settings.data_dir / "uploads" / report.name).exists()

    page.get_by_role("tab", name="问答").click()
    choose_mode(page, "extractive")
    ask(page, "蓝鲸市算法备案每件收费多少？")
    expect(page.locator("#zk-sources .zk-source").first).to_contain_text("蓝鲸市算法备案办法.txt")
    expect(last_answer(page)).to_contain_text("八百八十八元")

    # the analyst takes the conversation away as Markdown: the answer with its report and quote
    exported = download_export(page)
    assert "## 问: 蓝鲸市算法备案每件收费多少？" in exported
    assert "八百八十八元" in exported and "蓝鲸市算法备案办法.txt" in exported


def download_export(page, tries: int = 20) -> str:
    """Click the export button once it holds the file (it is filled right after the answer)."""
    for _ in range(tries):
        try:
            with page.expect_download(timeout=3_000) as download:
                page.click("#zk-export")
            return open(download.value.path(), encoding="utf-8").read()
        except PlaywrightTimeoutError:
            continue
    raise AssertionError("the export button gave no file")


def test_html_typed_into_the_chat_is_shown_as_text(page):
    evil = '<img src=x onerror=alert(1)><script>alert(2)</script>欧盟人工智能法案'
    choose_mode(page, "extractive")
    ask(page, evil)
    user = page.locator('#zk-chat [data-testid="user"]').last
    assert "<img src=x onerror=alert(1)>" in user.inner_text()
    assert page.locator('#zk-chat img[src="x"], #zk-sources img[src="x"]').count() == 0
    assert page.locator("#zk-chat script, #zk-sources script").count() == 0
    page.wait_for_timeout(500)  # an injected onerror would fire as soon as the image failed to load
    assert page.dialogs == []
