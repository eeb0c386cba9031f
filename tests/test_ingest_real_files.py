"""Real documents of evals/corpus2 (public reports and laws, see its SOURCES.md): the encrypted
CAICT PDF, the scanned report, the image-cover PDF, the HTML law page, the Traditional-Chinese XML
ordinance and a WeChat repost, read as a user's folder would be."""
from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest import ocr
from ingest.loaders import UnreadableFile, read_document
from ingest.parsing import parse_file

DOCS = Path(__file__).resolve().parents[1] / "evals" / "corpus2" / "docs"


def _parse(name: str):
    return parse_file(DOCS / name, [], 600, 120)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_aes_encrypted_pdf_with_empty_password_is_read_with_its_cover_metadata():
    parsed = _parse("caict_data_elements_whitepaper_2022_encrypted.pdf")
    report = parsed.reports[0]
    assert _squash(report.title) == "数据要素白皮书(2022年)"
    assert report.authors == ["中国信息通信研究院"] and report.date == "2023-01"
    assert report.provenance["title"] == "first page"
    assert len(parsed.chunks) > 30
    # the running header "数据要素白皮书（2022 年）" of 45 pages is not indexed as text
    assert sum("数据要素白皮书（2022年）" in _squash(c.text) for c in parsed.chunks) <= 2


def test_pdf_needing_a_password_gets_a_clear_bilingual_reason(tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(DOCS / "caict_qianxin_data_security_risk_strategies_2022.pdf").pages[:2]:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(UnreadableFile, match="password.*密码"):
        read_document(path)


def test_pdf_metadata_title_is_used_only_where_the_text_agrees():
    report = _parse("caict_qianxin_data_security_risk_strategies_2022.pdf").reports[0]
    assert "iTextSharp" not in report.title and not report.title.endswith(".pdf")
    assert _squash(report.title) == "数据安全风险分析及应对策略研究（2022年）"
    assert report.authors == ["中国信息通信研究院云计算与大数据研究所", "奇安信科技集团股份有限公司"]
    assert report.date == "2022-01"


def test_law_pdf_is_chunked_by_article_and_its_contents_page_dropped():
    parsed = _parse("eu_gdpr_chinese_translation_unofficial.pdf")
    assert parsed.reports[0].title == "通用数据保护条例"
    sizes = [len(c.text) for c in parsed.chunks]
    assert sum(sizes) / len(sizes) > 350, "a translated law must not fall apart into one-line chunks"
    assert not any(c.text.strip() == "第二章 原则" for c in parsed.chunks)  # a contents entry
    assert any("第17条" in c.section for c in parsed.chunks)


def test_statute_markdown_sections_cite_articles_and_keep_short_articles_whole():
    parsed = _parse("network_data_security_regulation_2024_lawrefbook.md")
    assert parsed.reports[0].title == "网络数据安全管理条例"
    for chunk in parsed.chunks:
        starts = re.findall(r"(?m)^第[一二三四五六七八九十百]+条", chunk.text)
        assert starts, chunk.text[:40]
        assert chunk.section.split(" > ")[-1].startswith(starts[0])


def test_html_law_page_is_read_for_its_article_not_its_sidebar():
    parsed = _parse("gov_data_sharing_regulation_2025_lawrefbook.html")
    text = parsed.text
    assert parsed.reports[0].title == "政务数据共享条例"
    assert "第四十四条 本条例自2025年8月1日起施行" in text
    assert len(text) < 12000, "the 5,100 navigation links must not be indexed"
    assert not any(c.section.endswith("#") for c in parsed.chunks)


def test_traditional_chinese_xml_ordinance_is_read_with_sections():
    parsed = _parse("hk_personal_data_privacy_ordinance_cap486_zh_hant.xml")
    report = parsed.reports[0]
    assert report.title == "個人資料(私隱)條例（第486章）" and report.date == "2022-10-01"
    assert any(c.section.endswith("第1條 簡稱及生效日期") for c in parsed.chunks)
    assert "由1997年第362號法律公告修訂" not in _squash(parsed.text)  # amendment notes dropped


def test_traditional_question_words_match_simplified_tokens():
    from rag.lexical import default_tokenizer

    tokenize = default_tokenizer()
    assert set(tokenize("個人資料")) & set(tokenize("个人资料"))


def test_wechat_repost_wrapper_is_not_indexed_and_byline_gives_authors():
    parsed = _parse("ai_training_data_integrated_regulation_zhang_cui_2024.md")
    report = parsed.reports[0]
    assert report.authors == ["张猛", "崔丽"] and report.date == "2024-03-07"
    text = parsed.text
    assert text.count("加快推进我国人工智能训练数据一体化规制") <= 2
    for junk in ("扫码订阅", "邮发代号", "mmbiz.qpic.cn", "微信扫一扫", "\n，\n"):
        assert junk not in text


def test_image_cover_is_read_by_ocr_for_the_title():
    assert ocr.available(), "make install puts tesseract and pdftoppm on the machine"
    report = _parse("caijing_personalized_ads_compliance_report_2022.pdf").reports[0]
    assert report.title.startswith("个性化广告合规发展研究报告")
    assert report.authors == ["《财经》商业治理研究院"] and report.date == "2022-06"


def _scan_page(page: int, path: Path) -> Path:
    """One page of corpus2's image-only scan, as a PDF of its own at `path`."""
    from pypdf import PdfReader, PdfWriter

    assert ocr.available(), "make install puts tesseract and pdftoppm on the machine"
    writer = PdfWriter()
    writer.add_page(PdfReader(DOCS / "cisco_data_privacy_benchmark_2022_image_only_scan.pdf").pages[page])
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def test_scanned_pdf_is_read_by_ocr(tmp_path):
    text = read_document(_scan_page(3, tmp_path / "scan.pdf")).text
    assert "Cisco Security Outcomes survey" in re.sub(r"\s+", " ", text)


def test_an_ocr_cover_is_titled_by_the_lines_its_file_name_agrees_with(tmp_path):
    """The scan's cover opens with logo noise that OCR reads as "cisco 和TI TD" / "SECURE 四";
    the file's name picks the title lines out of the cover instead."""
    report = parse_file(_scan_page(0, tmp_path / "cisco_data_privacy_benchmark_2022.pdf"), [], 600, 120).reports[0]
    assert report.title == "Cisco 2022 Data Privacy Benchmark Study", report.title


def test_title_lines_the_file_name_agrees_with_and_the_rights_holder():
    from ingest.cleaning import Line
    from ingest.metadata import infer, rights_holder, title_agreeing_with_file_name

    cover = ["cisco 和TI TD", "SECURE 四", "Privacy Becomes", "Mission Critical", "Cisco 2022",
             "Data Privacy Benchmark Study", "cisco"]
    stem = "cisco_data_privacy_benchmark_2022_scan"
    assert title_agreeing_with_file_name(cover, stem) == "Cisco 2022 Data Privacy Benchmark Study"
    # a date line shares no word (numbers do not count), nor does a Chinese title; a hash names nothing
    assert title_agreeing_with_file_name(["数据安全治理白皮书", "中国信息通信研究院", "2022年12月"],
                                         "数据安全治理白皮书_2022-12") is None
    assert title_agreeing_with_file_name(["Privacy Becomes", "Mission Critical"], "000_08413c504de832f0") is None
    # only a cover OCR read: a text layer's own title lines stand
    lines = [Line(text) for text in cover] + [Line("2022 Cisco and/or its affiliates. All rights reserved.")]
    meta, why = infer({"ocr_cover": True}, lines, "pdf", stem)
    assert meta["title"] == "Cisco 2022 Data Privacy Benchmark Study" and meta["authors"] == ["Cisco"]
    assert why["authors"] == "rights notice"
    assert infer({}, lines, "pdf", stem)[0]["title"].startswith("cisco 和TI TD")

    def holder(*texts: str) -> str | None:
        return rights_holder([Line(text) for text in texts])

    assert holder("Copyright © 2020 World Economic Forum. All rights reserved.") == "World Economic Forum"
    assert holder("(c) 2020 IEEE. All rights reserved.") == "IEEE"
    # the report's own notice closes it; one quoted with a figure is its source's
    assert holder("© 2023 Gartner, Inc. All rights reserved.", "…", "© 2024 Acme Ltd. All rights reserved.") == "Acme Ltd"
    assert holder("Source: © 2023 Gartner, Inc. and/or its affiliates. All rights reserved.") is None
    assert holder("© Australia") is None and holder("The data. All rights reserved by law.") is None
    assert holder("Updated 2023 Edition. All rights reserved.") is None
    assert holder("© 2021 The Authors. All rights reserved.") is None
    assert holder("A" * 50_000) is None  # a line of one endless word is read in linear time


def test_one_bad_file_never_stops_the_run(tmp_path, fresh_settings, monkeypatch):
    """The encrypted PDF is read; a file failing in an unforeseen way (here a bug in a reader)
    is one line of the summary; the others are indexed."""
    folder = tmp_path / "reports"
    folder.mkdir()
    shutil.copy(DOCS / "network_data_security_regulation_2024_lawrefbook.md", folder)
    (folder / "broken.html").write_text("<html><body><p>政务数据</p></body></html>", encoding="utf-8")
    (folder / "empty.md").write_text("", encoding="utf-8")
    import ingest.markup

    def explode(html):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(ingest.markup, "read_html", explode)
    from ingest.pipeline import ingest

    summary = ingest(fresh_settings, [folder])
    assert summary.indexed == ["network_data_security_regulation_2024_lawrefbook.md"]
    reasons = {Path(p).name: r for p, r in summary.skipped.items()}
    assert "RecursionError" in reasons["broken.html"] and "无法读取" in reasons["broken.html"]
    assert "空文件" in reasons["empty.md"]


def test_reports_fit_80_columns_and_inspect_shows_spans():
    from rich.console import Console

    from rag.records import Report
    from rag.reports_view import reports_table

    report = Report(id="caict-qianxin-data-security-risk-strategies-2022", title="数据安全风险分析及应对策略研究（2022 年）",
                    source="x.pdf", date="2022-01", chunk_count=41)
    console = Console(width=80, file=io.StringIO(), record=True)
    console.print(reports_table([report]))
    shown = console.export_text()
    assert max(len(line) for line in shown.splitlines()) <= 80
    assert "caict-qianxin-data-secur" in _squash(shown)  # folded, not cut to six characters

    from rag.cli import app

    result = CliRunner().invoke(app, ["inspect", str(DOCS / "network_data_security_regulation_2024_lawrefbook.md")])
    assert result.exit_code == 0, result.output
    assert "first page" in result.output and re.search(r"\[\d+:\d+\]", result.output)
