"""File -> reports and chunks: load, drop junk, split into reports, join paragraphs, chunk."""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.chunking import assemble, chunk_report
from ingest.cleaning import build_blocks, drop_contents, drop_junk, split_lines
from ingest.loaders import UnreadableFile, read_document
from ingest.metadata import drop_wrapper, infer
from ingest.splitting import split_reports
from rag.language import detect_language
from rag.records import Chunk, Report


@dataclass
class ParsedFile:
    text: str  # cleaned file text: the reports' texts in order, separated by a blank line
    reports: list[Report]
    chunks: list[Chunk]


def slug(name: str) -> str:
    return re.sub(r"[^0-9a-zA-Z\u4e00-\u9fff]+", "-", name).strip("-").lower()[:60] or "report"


def chunk_id(report_id: str, text: str, occurrence: int) -> str:
    """A content hash: an unchanged chunk keeps its id (and its vector) when its file changes."""
    return hashlib.sha1(f"{report_id}\0{occurrence}\0{text}".encode()).hexdigest()[:24]


def _file_metadata(meta: dict[str, Any], path: Path) -> dict[str, Any]:
    author = meta.get("author") or meta.get("authors")
    authors = [str(a) for a in author] if isinstance(author, list) else ([str(author)] if author else [])
    return {
        "title": str(meta["title"]).strip() if meta.get("title") else None,
        "authors": authors,
        "venue": str(meta.get("source") or meta.get("venue") or "") or None,
        "date": str(meta["date"]) if meta.get("date") else None,
        "url": str(meta["url"]) if meta.get("url") else None,
        "page_title": str(meta["page_title"]) if meta.get("page_title") else None,
        "ocr_cover": bool(meta.get("ocr_cover")),
    }


def parse_file(path: Path, entries: list[dict[str, Any]], chunk_chars: int, overlap_chars: int) -> ParsedFile:
    document = read_document(path)
    lines = drop_junk(split_lines(document.text))
    if not lines:
        raise UnreadableFile("no text after cleaning / 清洗后没有文本")
    file_meta, provenance = infer(_file_metadata(document.meta, path), lines, path.suffix.lower().lstrip("."), path.stem)
    lines = drop_wrapper(lines, file_meta)
    pieces: list[str] = []
    reports: list[Report] = []
    chunks: list[Chunk] = []
    offset = 0
    split = split_reports(lines, entries)
    for ordinal, (entry, report_lines) in enumerate(split):
        blocks = drop_contents(build_blocks(report_lines))
        if not blocks:
            continue
        laid_out = assemble(blocks)
        meta = {k: v for k, v in file_meta.items() if v} if len(split) == 1 else {}
        why = {k: v for k, v in provenance.items() if k in meta}
        from_manifest = {k: v for k, v in entry.items() if k in Report.model_fields and v is not None}
        meta.update(from_manifest)
        why.update({k: "manifest" for k in from_manifest if k not in {"id", "language"}})
        if "title" not in meta:
            heading = next((b.text for b in blocks if b.kind == "heading" and len(b.text) <= 60), None)
            meta["title"] = heading or path.stem
            why["title"] = "first heading" if heading else "file name"
        meta["provenance"] = why
        meta.setdefault("id", slug(path.stem) if len(split) == 1 else f"{slug(path.stem)}-{ordinal + 1}")
        meta.setdefault("language", detect_language(laid_out.text[:2000]))
        report = Report(**meta, source=path.name, span=(offset, offset + len(laid_out.text)))
        seen: Counter[str] = Counter()
        for n, span in enumerate(chunk_report(laid_out, chunk_chars, overlap_chars)):
            seen[span.text] += 1
            chunks.append(Chunk(
                id=chunk_id(report.id, span.text, seen[span.text]), report_id=report.id, source=path.name,
                ordinal=n, text=span.text, section=span.section, start=span.start, end=span.end, notes=span.notes,
            ))
        reports.append(report)
        pieces.append(laid_out.text)
        offset += len(laid_out.text) + 2
    if not chunks:
        raise UnreadableFile("no text after cleaning / 清洗后没有文本")
    return ParsedFile("\n\n".join(pieces), reports, chunks)
