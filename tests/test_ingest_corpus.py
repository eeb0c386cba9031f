"""Cleaning, splitting and chunking checked on the real bundled corpus files."""
from __future__ import annotations

import re
from functools import cache

import pytest

from evals.questions import load_questions, normalise_for_match
from ingest.manifest import load_manifest
from ingest.parsing import ParsedFile, parse_file
from rag.settings import PROJECT_ROOT, load_settings
from rag.store import Store

CORPUS = PROJECT_ROOT / "data" / "corpus"
COMPILATION = "003_05f742b59ba2d245.txt"
_SENTENCE_END = re.compile(r"[。！？!?…；;.”’」』）)]\s*(?:[①-⑳]|\[\d+\])?$")


@cache
def parsed(name: str) -> ParsedFile:
    settings = load_settings()
    return parse_file(CORPUS / name, load_manifest(CORPUS).get(name, []), settings.chunk_chars,
                      settings.chunk_overlap_chars)


def all_chunks():
    return [c for path in sorted(CORPUS.glob("*.txt")) for c in parsed(path.name).chunks]


def report_text(name: str, report_id: str) -> str:
    file = parsed(name)
    report = next(r for r in file.reports if r.id == report_id)
    return file.text[report.span[0] : report.span[1]]


def test_every_dev_evidence_string_is_in_a_chunk_of_its_report():
    by_report: dict[str, list[str]] = {}
    for chunk in all_chunks():
        by_report.setdefault(chunk.report_id, []).append(normalise_for_match(chunk.text))
    missing = [
        (q.id, evidence)
        for q in load_questions() for evidence in q.evidence
        if not any(normalise_for_match(evidence) in text for doc in q.docs for text in by_report.get(doc, []))
    ]
    assert not missing


def test_no_chunk_holds_running_headers_ui_junk_or_a_broken_sentence():
    junk = {"赞", "在看", "分享", "留言", "收藏", "听过", "阅读原文", "，", "。"}
    broken = []
    for chunk in all_chunks():
        assert "□" not in chunk.text
        assert "微信扫一扫" not in chunk.text and "mmbiz.qpic.cn" not in chunk.text
        lines = chunk.text.split("\n")
        assert not junk & set(lines), chunk.text
        for line, nxt in zip(lines, lines[1:], strict=False):
            # a break may follow a sentence end or a figure/table block, and precede a heading,
            # an author line or an abstract
            if not _SENTENCE_END.search(line) and len(line) > 30 and " | " not in line \
                    and not re.match(r"^[一二三四五六七八九十]+、|^[（(]|^\d|^Abstract\s*:|^摘\s*要", nxt) \
                    and not (len(nxt) <= 30 and not re.search(r"[。，；,.]", nxt)):
                broken.append((line[-20:], nxt[:20]))
    assert not broken


@pytest.mark.parametrize("name", ["000_08413c504de832f0.txt", "001_02af62af8e923f58.txt", COMPILATION])
def test_pdf_hard_wraps_inside_sentences_are_joined(name):
    raw = [line.strip() for line in (CORPUS / name).read_text(encoding="utf-8").split("\n") if line.strip()]
    file = parsed(name)
    cleaned = "".join((file.text + "".join(n for c in file.chunks for n in c.notes)).split())
    han = re.compile(r"[\u4e00-\u9fff]")
    wraps = [(a, b) for a, b in zip(raw, raw[1:], strict=False)
             if len(a) >= 30 and han.match(a[-1]) and han.match(b[0]) and not re.match(r"^[一二三四五六七八九十]+、|^（", b)]
    joined = [a for a, b in wraps if "".join((a[-4:] + b[:4]).split()) in cleaned]
    assert len(wraps) > 50
    assert len(joined) / len(wraps) > 0.95


def test_chunk_offsets_point_into_the_cleaned_report_text():
    for path in sorted(CORPUS.glob("*.txt")):
        file = parsed(path.name)
        for chunk in file.chunks:
            assert report_text(path.name, chunk.report_id)[chunk.start : chunk.end] == chunk.text
            assert 0 < len(chunk.text) <= load_settings().chunk_chars * 1.6


def test_compilation_becomes_five_articles_with_their_own_intros_and_abstracts():
    file = parsed(COMPILATION)
    assert [r.id for r in file.reports] == [e["id"] for e in load_manifest(CORPUS)[COMPILATION]]
    gui = report_text(COMPILATION, "gui-ai-governance-regime-complex")
    yan = report_text(COMPILATION, "yan-yang-eu-us-governance-models")
    feng = report_text(COMPILATION, "feng-global-ai-governance-landscape")
    han = report_text(COMPILATION, "han-nqpf-belt-and-road")
    # introductions extracted before their title blocks belong to their own article, rejoined
    assert "自此以后，众多国际组织开始认真对待" in gui and "人工智能全球治理始于" not in yan
    assert "2023-2024年是人工智能发展史上的重要时刻" in feng and "一、引论" in feng
    assert "单边主义、保护主义、霸权主义思潮再度涌现，全球各国外源风险" in han
    # each English abstract sits with its own article
    assert "Belt and Road Initiative" in han
    assert "An Analysis of the Construction" in gui and "Strategy and Power" not in feng
    assert "Strategy and Power" in report_text(COMPILATION, "zhang-lu-commercial-ai-militarisation")


def test_compilation_articles_are_detected_without_a_manifest():
    reports = parse_file(CORPUS / COMPILATION, [], 350, 60).reports
    expected = load_manifest(CORPUS)[COMPILATION]
    assert [r.title for r in reports] == [e["title"] for e in expected]
    assert [r.authors for r in reports] == [e["authors"] for e in expected]


def test_footnotes_leave_the_sentence_and_travel_as_chunk_notes():
    chunks = parsed("001_02af62af8e923f58.txt").chunks
    with_notes = [c for c in chunks if any(n.startswith("[1]") and "European Parliament" in n for n in c.notes)]
    assert with_notes and "[1]" in with_notes[0].text
    assert not any("European Parliament Press Center" in c.text for c in chunks)


def test_chunks_carry_their_section_path():
    sections = {c.section for c in parsed(COMPILATION).chunks if c.report_id == "gui-ai-governance-regime-complex"}
    assert "二、概念界定与研究现状 > （一）概念界定" in sections
    assert "一、技术标准的定义及其重要性" in {c.section for c in parsed("000_08413c504de832f0.txt").chunks}


def test_the_index_lists_every_article_with_its_authors(corpus_settings):
    store = Store(corpus_settings)
    reports = {r.title: r for r in store.reports()}
    assert len(reports) >= 9
    assert reports["欧美人工智能治理模式比较及启示"].authors == ["严少华", "杨昭"]
    assert reports["人工智能全球治理机制复合体构建探析"].authors == ["桂畅旎"]
    assert all(r.span and r.chunk_count > 0 for r in reports.values())
    assert store.vector_ids() == {c.id for c in store.chunks()}
