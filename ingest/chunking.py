"""Split a report's cleaned text into overlapping chunks on sentence ends."""
from __future__ import annotations

import re
from dataclasses import dataclass

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;…])|\n")


@dataclass
class TextSpan:
    text: str
    start: int
    end: int


def split_sentences(text: str) -> list[TextSpan]:
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if end > start and text[start:end].strip():
            spans.append(TextSpan(text[start:end], start, end))
        start = end
    if text[start:].strip():
        spans.append(TextSpan(text[start:], start, len(text)))
    return spans


def chunk_text(text: str, target_chars: int, overlap_chars: int) -> list[TextSpan]:
    sentences = split_sentences(text)
    chunks: list[TextSpan] = []
    i = 0
    while i < len(sentences):
        j, size = i, 0
        while j < len(sentences) and (size == 0 or size + len(sentences[j].text) <= target_chars):
            size += len(sentences[j].text)
            j += 1
        start, end = sentences[i].start, sentences[j - 1].end
        chunks.append(TextSpan(text[start:end].strip(), start, end))
        if j >= len(sentences):
            break
        # step back over whole sentences to overlap by about overlap_chars
        back, k = 0, j
        while k - 1 > i and back + len(sentences[k - 1].text) <= overlap_chars:
            k -= 1
            back += len(sentences[k].text)
        i = k
    return chunks
