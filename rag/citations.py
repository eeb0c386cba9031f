"""Map the LLM's [n] markers onto the sources it was given."""
from __future__ import annotations

import re
from collections.abc import Sequence

from rag.records import Citation, Source

CITATION_MARK = re.compile(r"\[(\d+(?:\s*[,，、]\s*\d+)*)\]")


def marker_numbers(text: str) -> list[int]:
    numbers = []
    for group in CITATION_MARK.findall(text):
        numbers += [int(n) for n in re.split(r"\s*[,，、]\s*", group)]
    return numbers


def build_citations(answer: str, sources: Sequence[Source]) -> tuple[str, list[Citation]]:
    """Drop markers that point to no source and return one citation per cited source."""

    def keep_valid(match: re.Match) -> str:
        valid = [n for n in marker_numbers(match.group(0)) if 1 <= n <= len(sources)]
        return "".join(f"[{n}]" for n in dict.fromkeys(valid))

    cleaned = CITATION_MARK.sub(keep_valid, answer)
    citations = []
    for n in sorted(set(marker_numbers(cleaned))):
        source = sources[n - 1]
        citations.append(
            Citation(
                n=n,
                report_id=source.report_id,
                title=source.title,
                title_en=source.title_en,
                source=source.source,
                section=source.section,
                text=source.text,
                quote=source.text,
                chunk_id=source.chunk_id,
            )
        )
    return cleaned, citations
