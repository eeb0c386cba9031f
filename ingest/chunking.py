"""Lay a report's blocks out as one text, then cut it into overlapping chunks on sentence ends.

Hand-written because llama-index's SentenceSplitter counts cl100k tokens, does not split on
full-width ；：， and does not report character offsets; citations need exact offsets into the
cleaned report text, a section path per chunk and the footnotes each chunk carries.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.cleaning import ARTICLE, Block


@dataclass
class ReportText:
    text: str
    sections: list[tuple[int, str]] = field(default_factory=list)  # (offset, "一、… > （一）…")
    notes: list[tuple[int, str]] = field(default_factory=list)  # (offset of its marker, footnote)


@dataclass
class TextSpan:
    text: str
    start: int
    end: int
    section: str = ""
    notes: list[str] = field(default_factory=list)


def assemble(blocks: list[Block]) -> ReportText:
    parts: list[str] = []
    offset = 0
    sections: list[tuple[int, str]] = []
    notes: list[tuple[int, str]] = []
    stack: list[tuple[int, str]] = []
    for block in blocks:
        if block.kind == "heading":
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            stack.append((block.level, block.text))
            sections.append((offset, " > ".join(text for _, text in stack)))
            if block.inline:
                continue  # the unit's number stays in its own paragraph's text
        parts.append(block.text)
        so_far = "\n".join(parts)
        for marker, note in block.notes:
            anchor = so_far.rfind(marker) if marker else -1
            notes.append((anchor if anchor >= 0 else offset, f"{marker} {note}".strip()))
        offset = len(so_far) + 1
    return ReportText("\n".join(parts), sections, notes)


_SENTENCE_END = re.compile(r"[。！？!?；;…]+['\"”’」』）)]*|\.(?=\s)|\n")
_SOFT_BREAK = re.compile(r"[，、：,:\s]")


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[TextSpan]:
    end = len(text) if end is None else end
    spans, pos = [], start
    for match in _SENTENCE_END.finditer(text, start, end):
        if text[pos : match.end()].strip():
            spans.append(TextSpan(text[pos : match.end()], pos, match.end()))
        pos = match.end()
    if text[pos:end].strip():
        spans.append(TextSpan(text[pos:end], pos, end))
    return spans


def _cut_long(sentence: TextSpan, text: str, limit: int) -> list[TextSpan]:
    """Tables and reference lists can run for hundreds of characters without a sentence end."""
    pieces, pos = [], sentence.start
    while sentence.end - pos > limit:
        window = text[pos : pos + limit]
        soft = [m.end() for m in _SOFT_BREAK.finditer(window) if m.end() > limit // 2]
        cut = pos + (soft[-1] if soft else limit)
        pieces.append(TextSpan(text[pos:cut], pos, cut))
        pos = cut
    pieces.append(TextSpan(text[pos : sentence.end], pos, sentence.end))
    return pieces


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def section_spans(report: ReportText, min_chars: int) -> list[tuple[int, int, str]]:
    """(start, end, section path) of each section's text. A section shorter than min_chars
    whose next section is its own subsection (a bare heading such as "四、……的理论框架", or a
    one-line lead-in) joins that subsection: alone it would be a chunk that matches the
    question's words and answers nothing, taking a place in the top k."""
    text = report.text
    bounds = [0] + [offset for offset, _ in report.sections if offset > 0] + [len(text)]
    section_at = dict(report.sections)
    spans: list[tuple[int, int, str]] = []
    label = ""
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        label = section_at.get(lo, label)
        if spans:
            start, end, previous = spans[-1]
            if len(text[start:end].strip()) < min_chars and previous and label.startswith(previous + " > "):
                spans[-1] = (start, hi, label)
                continue
        spans.append((lo, hi, label))
    return spans


def _unit(label: str) -> str:
    return label.rsplit(" > ", 1)[-1]


def merge_units(spans: list[tuple[int, int, str]], target_chars: int) -> list[tuple[int, int, str]]:
    """Consecutive short articles of one chapter share a chunk (cited "第三条—第五条"), so a law is
    not cut into one-line chunks, and no article is split while it fits a chunk."""
    merged: list[tuple[int, int, str, str]] = []  # start, end, parent path, first unit
    out: list[tuple[int, int, str]] = []
    for lo, hi, label in spans:
        unit = _unit(label)
        parent = label[: -len(unit)]
        if merged and ARTICLE.match(unit) and ARTICLE.match(_unit(out[-1][2]).split("—")[0]):
            start, _, prev_parent, first = merged[-1]
            if prev_parent == parent and hi - start <= target_chars:
                merged[-1] = (start, hi, parent, first)
                out[-1] = (start, hi, f"{parent}{first}—{unit}" if first != unit else label)
                continue
        merged.append((lo, hi, parent, unit))
        out.append((lo, hi, label))
    return out


def chunk_report(report: ReportText, target_chars: int, overlap_chars: int) -> list[TextSpan]:
    """Chunks never cross a section heading (but see section_spans); each holds whole sentences
    up to target_chars and starts with the last sentences of the previous chunk, up to
    overlap_chars. A section's last few sentences, if they would fill less than a quarter of a
    chunk, stay with the chunk before instead of forming a fragment of their own."""
    text = report.text
    chunks: list[TextSpan] = []
    for lo, hi, current_section in merge_units(section_spans(report, target_chars // 4), target_chars):
        sentences = [piece for s in split_sentences(text, lo, hi) for piece in _cut_long(s, text, target_chars)]
        i = 0
        while i < len(sentences):
            j, size = i, 0
            while j < len(sentences) and (size == 0 or size + len(sentences[j].text) <= target_chars):
                size += len(sentences[j].text)
                j += 1
            if sum(len(s.text) for s in sentences[j:]) < target_chars // 4:
                j = len(sentences)
            start, end = _trimmed(text, sentences[i].start, sentences[j - 1].end)
            notes = [note for anchor, note in report.notes if start <= anchor < end]
            chunks.append(TextSpan(text[start:end], start, end, current_section, notes))
            if j >= len(sentences):
                break
            back, k = 0, j
            while k - 1 > i and back + len(sentences[k - 1].text) <= overlap_chars:
                k -= 1
                back += len(sentences[k].text)
            # no overlap when it would leave no room for the next sentence
            i = k if back + len(sentences[j].text) <= target_chars else j
    return chunks
