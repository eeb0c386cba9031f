"""The UI's HTML: quotes highlighted, chips built, and nothing from a report, answer or question left unescaped."""
from __future__ import annotations

from rag.records import Answer, Citation, Evidence, Report, SentenceCheck, Source
from ui import render

EVIL = '<img src=x onerror=alert(1)><script>alert("x")</script>'


def citation(n: int, text: str, quote: str, **extra) -> Citation:
    return Citation(n=n, report_id="r1", title="欧盟规则", source="001.txt", text=text, quote=quote, **extra)


def test_quote_found_verbatim_is_marked_in_place():
    html = render.highlighted_passage("甲乙丙丁戊", "乙丙", "zh")
    assert '甲<mark class="zk-highlight">乙丙</mark>丁戊' in html


def test_checker_offsets_pick_the_right_occurrence_and_bad_offsets_are_ignored():
    text = "风险。风险。"
    assert render.highlighted_passage(text, "风险", "zh", (3, 5)) == (
        '<div class="zk-passage">风险。<mark class="zk-highlight">风险</mark>。</div>')
    assert '<mark class="zk-highlight">风险</mark>。风险' in render.highlighted_passage(text, "风险", "zh", (1, 4))


def test_a_cited_passage_marks_the_evidence_quoted_from_it_too():
    text = "欧盟将风险分为四级。高风险系统须评估。罚款最高3500万欧元。"
    answer = Answer(question="q", language="zh", answer="罚款最高3500万欧元。[1]",
                    citations=[citation(1, text, "罚款最高3500万欧元。", quote_start=19, quote_end=31)],
                    evidence=[Evidence(n=1, quote="欧盟将风险分为四级。", score=0.8, quote_start=0, quote_end=10),
                              Evidence(n=1, quote="bad offsets", score=0.7, quote_start=20, quote_end=99)])
    html = render.answer_panel(answer, {}, 0, "zh")
    assert '<mark class="zk-highlight">欧盟将风险分为四级。</mark>高风险系统须评估。<mark class="zk-highlight">罚款最高3500万欧元。</mark>' in html
    # overlapping spans are marked once
    assert render.highlighted_passage("甲乙丙丁戊", "乙丙", "zh", (1, 3), [(2, 4)]).count("<mark") == 1


def test_quote_found_across_pdf_line_breaks():
    html = render.highlighted_passage("欧盟将风险\n分为四级，并分别监管。", "风险分为四级", "zh")
    assert '<mark class="zk-highlight">风险\n分为四级</mark>' in html


def test_quote_missing_from_text_is_shown_separately_not_dropped():
    html = render.highlighted_passage("完全不同的段落。", "这句话不在段落里", "en")
    assert "could not be located" in html
    assert "<mark>这句话不在段落里</mark>" in html
    assert "完全不同的段落。" in html


def test_report_text_quote_and_titles_are_escaped():
    answer = Answer(question=EVIL, language="en", answer=f"{EVIL} [1]",
                    citations=[citation(1, f"before {EVIL} after", EVIL, title_en=EVIL, section=EVIL)])
    reports = {"r1": Report(id="r1", title=EVIL, authors=[EVIL], venue=EVIL, source="001.txt")}
    for html in (render.answer_panel(answer, reports, 1, "en"), render.answer_markdown(answer, 1, "en"),
                 render.reports_table(list(reports.values()), "en"), render.user_message(EVIL)):
        assert "<img" not in html and "<script" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
    panel = render.answer_panel(answer, reports, 1, "en")
    assert '<mark class="zk-highlight">&lt;img' in panel  # the escaped quote is still highlighted


def test_markers_become_chips_tied_to_their_message():
    answer = Answer(question="q", language="zh", answer="四个等级[1][2]，另见[3, 1]。")
    md = render.answer_markdown(answer, 7, "zh")
    assert md.count('class="zk-chip ') == 4
    assert 'class="zk-chip zk-cite-7-2"' in md
    assert "[1]" not in md


def test_unsupported_sentences_are_marked_and_supported_ones_are_not():
    answer = Answer(question="q", language="en", answer="Fines reach 7%. [1] The moon is cheese. [1]",
                    sentences=[SentenceCheck(text="Fines reach 7%. [1]", citations=[1], supported=True, support=0.9),
                               SentenceCheck(text="The moon is cheese. [1]", citations=[1], supported=False)])
    md = render.answer_markdown(answer, 1, "en")
    assert '<span class="zk-unsupported"' in md
    assert md.index("zk-unsupported") > md.index("Fines reach")
    assert "⚠ The moon is cheese." in md
    assert "do not support" in md  # the legend explains the mark


def test_evidence_is_shown_while_the_model_writes_and_under_the_answer():
    evidence = [Evidence(n=2, quote=f"罚款最高\n3500万欧元。{EVIL}", score=0.8)]
    pending = render.pending_markdown(evidence, "", 4, "en")
    assert "Writing an answer" in pending and "罚款最高 3500万欧元" not in pending and "罚款最高3500万欧元" in pending
    assert 'class="zk-chip zk-cite-4-2"' in pending and "<img" not in pending
    assert render.pending_markdown(evidence, "Fines reach", 4, "zh").startswith("Fines reach")
    answer = Answer(question="q", language="en", answer="Fines reach 35 million euros. [2]", evidence=evidence)
    assert "Evidence from the reports" in render.answer_markdown(answer, 4, "en")
    # a chip of evidence from a source the answer does not cite still opens that source
    source = Source(rank=2, score=0.9, report_id="r1", title="标题", source="f.txt", text="前文。罚款最高3500万欧元。后文。")
    cited = Evidence(n=2, quote="罚款最高3500万欧元。", score=0.8, quote_start=3, quote_end=15)
    panel = render.answer_panel(answer.model_copy(update={"evidence": [cited], "sources": [source, source]}), {}, 4, "en")
    assert 'data-n="2"' in panel and '<mark class="zk-highlight">罚款最高3500万欧元。</mark>' in panel
    # quoted passages are the answer itself: not listed twice
    quoted = answer.model_copy(update={"mode": "extractive"})
    assert "Evidence from the reports" not in render.answer_markdown(quoted, 4, "en")


def test_sentence_the_checker_rewrote_leaves_answer_intact():
    answer = Answer(question="q", language="en", answer="Alpha beta.",
                    sentences=[SentenceCheck(text="Something else entirely.", supported=False)])
    assert render.answer_markdown(answer, 1, "en") == "Alpha beta."


def test_retrieved_panel_lists_every_source_with_report_metadata():
    sources = [Source(rank=i, score=0.9, report_id="r1", title="标题", source="f.txt", text=f"段落{i}")
               for i in (1, 2)]
    reports = {"r1": Report(id="r1", title="标题", title_en="Title", authors=["邢亚杰", "李丹成"],
                            venue="《国际问题研究》", date="2025-02", source="f.txt")}
    html = render.retrieved_panel(sources, reports, 3, "zh")
    assert html.count('class="zk-source"') == 2
    assert "邢亚杰、李丹成" in html and "2025-02" in html and "《国际问题研究》" in html
    assert 'data-msg="3"' in html


def test_a_closest_passages_rendering_is_shown_small_under_its_quote():
    answer = Answer(question="q", language="en", status="closest",
                    answer="The reports do not say this directly; the closest passages:\n“罚款最高3500万欧元。” [1]\n"
                           f"(Machine translation) Fines of up to 35 million euros. {EVIL}",
                    sentences=[SentenceCheck(text="罚款最高3500万欧元。", citations=[1], supported=True, support=1.0)])
    md = render.answer_markdown(answer, 3, "en")
    assert "<small><em>(Machine translation) Fines of up to 35 million euros." in md
    assert "<img" not in md and md.index("罚款最高") < md.index("Machine translation")
