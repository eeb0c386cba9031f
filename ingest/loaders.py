"""Read a report file of any supported format into plain text plus the metadata the file carries.

Page breaks, where the format knows them, come through as form feeds (\\f): the cleaner uses
them to find footnote blocks at the bottom of a page.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ingest.errors import UnreadableFile
from ingest.pdf import PAGE_BREAK

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".pdf", ".docx", ".html", ".htm", ".xml"}
__all__ = ["SUPPORTED_SUFFIXES", "PAGE_BREAK", "UnreadableFile", "Document", "read_document", "decode_bytes"]


@dataclass
class Document:
    text: str
    meta: dict[str, Any] = field(default_factory=dict)


def read_document(path: Path) -> Document:
    suffix = path.suffix.lower()
    raw = path.read_bytes()
    if not raw.strip():
        raise UnreadableFile("empty file / 空文件")
    if suffix == ".pdf":
        from ingest.pdf import read_pdf

        doc = Document(*read_pdf(path, raw))
    elif suffix == ".docx":
        doc = _read_docx(raw)
    elif suffix in {".html", ".htm", ".xml"}:
        from ingest.markup import read_html, read_xml

        text = decode_bytes(raw)
        is_xml = suffix == ".xml" or (text.lstrip().startswith("<?xml") and "<html" not in text[:2000].lower())
        doc = Document(*(read_xml(text) if is_xml else read_html(text)))
    else:
        doc = _split_front_matter(decode_bytes(raw))
    if not doc.text.strip():
        raise UnreadableFile("no text found / 没有可读文本")
    return doc


def decode_bytes(raw: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 and GB18030/GBK all occur in Chinese report dumps."""
    from charset_normalizer import from_bytes

    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            return raw.decode(codec, errors="replace")
    try:
        return _reject_binary(raw.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    # Short GBK texts are where detectors guess wrong (Big5, cp949...); a strict GB18030 decode
    # that yields mostly Han characters is the common case for Chinese files, so try it first.
    try:
        text = raw.decode("gb18030")
        if _han_share(text) > 0.3:
            return _reject_binary(text)
    except UnicodeDecodeError:
        pass
    best = from_bytes(raw).best()
    if best is None:
        raise UnreadableFile("binary or undecodable content / 二进制或无法解码的内容")
    return _reject_binary(str(best))


def _han_share(text: str) -> float:
    visible = [c for c in text if not c.isspace()]
    return sum("\u3400" <= c <= "\u9fff" for c in visible) / max(len(visible), 1)


def _reject_binary(text: str) -> str:
    controls = sum(1 for c in text if (ord(c) < 32 and c not in "\n\r\t\f") or c == "\ufffd")
    if controls > max(2, len(text) * 0.02):
        raise UnreadableFile("binary or undecodable content / 二进制或无法解码的内容")
    return text


def _split_front_matter(text: str) -> Document:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)  # Markdown comments are not content
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end > 0:
            try:
                meta = yaml.safe_load(text[4:end]) or {}
            except yaml.YAMLError:
                meta = {}
            if isinstance(meta, dict):
                return Document(text[end + 4 :].lstrip("-\n"), {str(k): v for k, v in meta.items()})
    return Document(text)


def _read_docx(raw: bytes) -> Document:
    import zipfile

    import docx

    try:
        document = docx.Document(io.BytesIO(raw))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UnreadableFile(f"corrupt .docx ({type(exc).__name__}) / .docx 文件已损坏") from None
    lines = []
    for paragraph in document.paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        text = paragraph.text.strip()
        if style.startswith("Heading") and style[-1:].isdigit():
            text = "#" * int(style[-1]) + " " + text
        elif style == "Title":
            text = "# " + text
        lines.append(text)
    for table in document.tables:
        for row in table.rows:
            lines.append("\t".join(cell.text.strip() for cell in row.cells))
    props = document.core_properties
    meta = {"title": props.title, "author": props.author}
    return Document("\n\n".join(lines), {k: v for k, v in meta.items() if v})
