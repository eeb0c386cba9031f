"""Answers exported as Markdown for a memo: every number resolves to its report and quote."""
from __future__ import annotations

import re
from datetime import datetime

from rag.records import Answer, Citation, Evidence, Source
from rag.transcript import answer_markdown, transcript_markdown

SOURCE = Source(rank=1, score=0.9, report_id="r1", title="欧盟规则", title_en="EU rules", source="001.txt",
                section="三、路径", text="前文。罚款最高3500万欧元。后文。另有规定。")
OTHER = Source(rank=2, score=0.8, report_id="r2", title="标准报告", source="002.pdf", text="标准化很重要。")


def cited(n: int, source: Source, quote: str) -> Citation:
    return Citation(n=n, report_id=source.report_id, title=source.title, title_en=source.title_en, source=source.source,
                    section=source.section, text=source.text, quote=quote)


def test_a_written_answer_lists_its_sources_and_the_evidence_it_does_not_already_quote():
    answer = Answer(question="What is the maximum fine?", language="en", answer="Fines reach 35 million euros. [1]",
                    sources=[SOURCE, OTHER], citations=[cited(1, SOURCE, "罚款最高3500万欧元。")],
                    evidence=[Evidence(n=1, quote="罚款最高3500万欧元。", score=0.9),
                              Evidence(n=2, quote="标准化很重要。", score=0.5)])
    md = answer_markdown(answer)
    assert md.startswith("## Q: What is the maximum fine?")
    assert "Fines reach 35 million euros. [1]" in md
    assert "[1] 《欧盟规则》 (EU rules) · section: 三、路径 · 001.txt" in md
    assert "> 罚款最高3500万欧元。" in md
    # the cited quote is not repeated as evidence; the other source's evidence is listed under its number
    assert md.count("罚款最高3500万欧元") == 1
    assert "**Evidence from the reports" in md and "[2] 《标准报告》 · 002.pdf" in md and "> 标准化很重要。" in md


def test_closest_passages_keep_their_lines_and_a_refusal_names_related_reports():
    closest = Answer(question="罚款上限？", language="zh", status="closest", sources=[SOURCE],
                     answer="资料中没有直接回答这个问题；最接近的原文：\n“罚款最高3500万欧元。” [1]",
                     citations=[cited(1, SOURCE, "罚款最高3500万欧元。")],
                     evidence=[Evidence(n=1, quote="罚款最高3500万欧元。", score=0.9)])
    md = answer_markdown(closest)
    assert md.startswith("## 问: 罚款上限？")
    assert "最接近的原文：  \n“罚款最高3500万欧元。” [1]" in md  # a Markdown line break, not a run-on
    assert "原文证据" not in md  # the quotes are the answer itself
    refused = Answer(question="法国首都？", language="zh", status="refused", refused=True,
                     answer="资料中没有相关信息。", related=[OTHER])
    assert "可能相关的报告" in answer_markdown(refused) and "- 《标准报告》" in answer_markdown(refused)


def test_a_transcript_holds_every_answer_in_order_under_one_title():
    first = Answer(question="第一问", language="zh", answer="答一。")
    second = Answer(question="Second?", language="en", answer="Answer two.")
    md = transcript_markdown([first, second], "en", datetime(2026, 12, 4, 9, 30))
    assert md.startswith("# Zhiku conversation\n\nExported: 2026-12-04 09:30")
    assert md.index("## 问: 第一问") < md.index("## Q: Second?")
    assert "(no answers yet)" in transcript_markdown([], "en")


def test_a_terminal_chat_is_saved_as_markdown_after_each_answer(corpus_data_dir, tmp_path):
    from typer.testing import CliRunner

    from rag.cli import app

    saved = tmp_path / "chat.md"
    question = "欧盟《人工智能法案》将人工智能系统分为哪几个风险等级？"
    result = CliRunner().invoke(app, ["--data-dir", str(corpus_data_dir), "chat", "--mode", "extractive",
                                      "--save", str(saved)], input=f"{question}\n\n")
    assert result.exit_code == 0, result.output
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("# Zhiku 智库对话记录") and f"## 问: {question}" in text
    assert "**来源**" in text and "\n> " in text  # its sources, each with the quoted passage


def test_a_reports_own_footnote_marks_are_not_exported_as_citations():
    answer = Answer(question="罚款？", language="zh", answer="最高3500万欧元。[1]", sources=[SOURCE],
                    citations=[cited(1, SOURCE, "罚款最高3500万欧元。[3]")],
                    evidence=[Evidence(n=1, quote="罚款最高3500万欧元。", score=0.9)])
    md = answer_markdown(answer)
    assert "> 罚款最高3500万欧元。\n" in md and "[3]" not in md
    assert md.count("罚款最高3500万欧元") == 1  # the evidence is the cited quote: listed once


def test_ask_takes_json_or_markdown_not_both(tmp_path):
    from typer.testing import CliRunner

    from rag.cli import app

    def flat(text: str) -> str:  # the error box wraps its lines
        return re.sub(r"[\s│]", "", text)

    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "ask", "--json", "--markdown", "问题"])
    assert result.exit_code == 2 and "--json与--markdown只能选一个" in flat(result.output)
    saved = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "chat", "--save", str(tmp_path / "no" / "chat.md")])
    assert saved.exit_code == 2 and "已存在文件夹" in flat(saved.output)
