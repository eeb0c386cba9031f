"""Each supported format and each kind of bad input, with fixture files made on the fly."""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loaders import UnreadableFile, read_document
from ingest.parsing import parse_file
from ingest.pipeline import ingest
from rag.settings import load_settings

ZH = "欧盟《人工智能法案》于2024年8月1日正式生效。该法案按照风险等级对人工智能系统进行分类监管。"


def _pdf(path: Path, lines: list[str]) -> Path:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(path))
    pdf.setTitle("人工智能监管报告")
    pdf.setAuthor("张三")
    pdf.setFont("STSong-Light", 12)
    for n, line in enumerate(lines):
        pdf.drawString(50, 800 - 20 * n, line)
    pdf.save()
    return path


def _squash(text: str) -> str:
    return "".join(text.split())


def test_gb18030_text_is_decoded_not_skipped(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes(ZH.encode("gb18030"))
    assert read_document(path).text == ZH


def test_utf16_and_utf8_bom_are_decoded(tmp_path):
    for name, data in (("u16.txt", ZH.encode("utf-16")), ("bom.txt", b"\xef\xbb\xbf" + ZH.encode()),
                       ("u16be.txt", b"\xfe\xff" + ZH.encode("utf-16-be"))):
        (tmp_path / name).write_bytes(data)
        assert read_document(tmp_path / name).text.strip() == ZH, name


def test_markdown_front_matter_becomes_report_metadata(tmp_path):
    path = tmp_path / "wechat.md"
    path.write_text(
        f"---\ntitle: 美欧人工智能合作\nauthor: 李四\ndate: 2024-08-06\nsource: 中国信息安全\nurl: https://example.org/a\n---\n\n"
        f"# 美欧人工智能合作\n\n![](https://img.example/x.png)\n\n{ZH}\n\n赞\n\n在看\n\n分享\n\n留言\n\n，\n\n。\n",
        encoding="utf-8",
    )
    parsed = parse_file(path, [], 350, 60)
    report = parsed.reports[0]
    assert (report.title, report.authors, report.date, report.venue, report.url) == (
        "美欧人工智能合作", ["李四"], "2024-08-06", "中国信息安全", "https://example.org/a")
    text = "\n".join(c.text for c in parsed.chunks)
    assert ZH in text
    assert not any(junk in text.split("\n") for junk in ("赞", "在看", "分享", "留言", "，", "。"))
    assert "img.example" not in text


def test_docx_headings_become_sections(tmp_path):
    import docx

    document = docx.Document()
    document.core_properties.title = "中欧标准合作"
    document.core_properties.author = "王五"
    document.add_heading("一、标准化的意义", level=1)
    document.add_paragraph(ZH)
    path = tmp_path / "report.docx"
    document.save(path)
    parsed = parse_file(path, [], 350, 60)
    assert parsed.reports[0].title == "中欧标准合作" and parsed.reports[0].authors == ["王五"]
    body = [c for c in parsed.chunks if ZH in c.text]
    assert body and body[0].section == "一、标准化的意义"


def test_html_text_and_title(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        f"<html><head><title>人工智能治理简报</title><meta name='author' content='赵六'><script>var x=1;</script>"
        f"</head><body><h1>二、监管路径</h1><p>{ZH[:20]}<b>{ZH[20:30]}</b>{ZH[30:]}</p></body></html>",
        encoding="utf-8",
    )
    parsed = parse_file(path, [], 350, 60)
    assert parsed.reports[0].title == "人工智能治理简报" and parsed.reports[0].authors == ["赵六"]
    text = "\n".join(c.text for c in parsed.chunks)
    assert ZH in text, "inline tags must not break the sentence"
    assert "var x" not in text
    assert any(c.section == "二、监管路径" for c in parsed.chunks)


def test_text_pdf_with_chinese_rejoins_wrapped_lines(tmp_path):
    lines = [ZH[i : i + 24] for i in range(0, len(ZH), 24)]
    parsed = parse_file(_pdf(tmp_path / "zh.pdf", lines), [], 350, 60)
    # no title on the first page (it starts with prose): the PDF's title field; its author field
    # is no author unless the text names them (producer fields hold typists' initials)
    assert parsed.reports[0].title == "人工智能监管报告" and parsed.reports[0].authors == []
    assert parsed.reports[0].provenance["title"].startswith("pdf metadata")
    assert ZH in _squash(parsed.text)
    assert "\n" not in parsed.chunks[0].text, "a hard wrap inside a sentence must be joined"


@pytest.mark.parametrize("kind", ["empty", "binary", "image_pdf", "corrupt_pdf", "corrupt_docx"])
def test_bad_input_is_unreadable_with_a_reason(tmp_path, kind):
    path = tmp_path / {"empty": "e.txt", "binary": "b.txt", "image_pdf": "i.pdf", "corrupt_pdf": "c.pdf",
                       "corrupt_docx": "d.docx"}[kind]
    if kind == "empty":
        path.write_bytes(b"  \n")
    elif kind == "binary":
        path.write_bytes(bytes(range(256)) * 40)
    elif kind == "image_pdf":
        from reportlab.pdfgen import canvas

        pdf = canvas.Canvas(str(path))
        pdf.rect(50, 50, 200, 200, fill=1)  # drawn shapes, no text layer
        pdf.save()
    elif kind == "corrupt_pdf":
        path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage" * 10)
    else:
        path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(UnreadableFile) as error:
        read_document(path)
    assert "/" in str(error.value), "reasons are bilingual"


def test_pipeline_skips_bad_files_and_indexes_the_rest(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(ZH, encoding="utf-8")
    (folder / "gbk.txt").write_bytes(("国际标准组织正在加快制定人工智能标准。" * 3).encode("gb18030"))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "junk.txt").write_bytes(bytes(range(256)) * 40)
    (folder / "huge.txt").write_text(ZH * 200, encoding="utf-8")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 broken")
    settings = load_settings(data_dir=tmp_path / "data", max_file_mb=0.01)
    summary = ingest(settings, [folder])
    assert sorted(summary.indexed) == ["gbk.txt", "good.txt"]
    assert {Path(p).name for p in summary.skipped} == {"empty.txt", "junk.txt", "huge.txt", "broken.pdf"}
    assert "MB" in summary.skipped[str(folder / "huge.txt")]
    assert not summary.ok and summary.reports == 2
