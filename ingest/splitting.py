"""One file may hold several reports (a journal extract of five articles): find each article's
title block (title + author line + 摘 要), where the article really begins, and which English
abstract at the back of the file belongs to it.

Layout facts this relies on (file 003 shows all of them): a PDF page's floating title box may
be extracted after the first lines of the article's introduction, so an article begins at the
`一、` section heading that restarts the numbering just before its title block, and the title
box is moved back in front of the introduction to rejoin the sentence it interrupted; journal
extracts collect the English titles and abstracts of all articles at the end of the issue.
The manifest can pin what detection cannot know (metadata, English-abstract starts).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ingest.cleaning import Line, first_section_number, heading_level

_AUTHOR_LINE = re.compile(r"^[\u4e00-\u9fff·]{1,4}(?:\s+[\u4e00-\u9fff·]{1,4}){0,7}$")
_ABSTRACT_START = re.compile(r"^[〔\[（(]?\s*[摘提]\s*要")
_ENGLISH_ABSTRACT = re.compile(r"^Abstract\s*[:：]")


@dataclass
class TitleBlock:
    title_start: int
    author_line: int
    front_end: int | None  # the page break that ends a floating title box, if the text has pages
    title: str
    authors: list[str]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def parse_authors(line: str) -> list[str]:
    """`韩永辉 李思怡 成 昊`: two-character names are typeset with a space inside them."""
    names: list[str] = []
    single = ""
    for token in line.split():
        if len(token) == 1:
            single += token
            if len(single) == 2:
                names.append(single)
                single = ""
        else:
            if single:
                names.append(single)
                single = ""
            names.append(token)
    if single:
        names.append(single)
    return names


def _is_author_line(lines: list[Line], i: int) -> bool:
    text = lines[i].text
    return (
        i > 0 and i + 1 < len(lines) and len(text) <= 30
        and bool(_AUTHOR_LINE.match(text)) and bool(_ABSTRACT_START.match(lines[i + 1].text))
    )


def _title_block(lines: list[Line], author: int) -> TitleBlock:
    start = author - 1
    while (start > 0 and author - start < 3 and "。" not in lines[start - 1].text
           and (lines[start].tight or lines[start - 1].text.endswith(("：", ":")))):
        start -= 1
    title = "".join(line.text for line in lines[start:author])
    title = re.sub(r"\s*[*＊]\s*$", "", title).strip()
    front_end = next((j for j in range(author + 1, min(author + 80, len(lines))) if lines[j].page_start), None)
    return TitleBlock(start, author, front_end, title, parse_authors(lines[author].text))


def find_title_blocks(lines: list[Line]) -> list[TitleBlock]:
    return [_title_block(lines, i) for i in range(len(lines)) if _is_author_line(lines, i)]


def _pinned_title_blocks(lines: list[Line], entries: list[dict[str, Any]]) -> list[TitleBlock]:
    blocks = []
    for entry in entries:
        marker = squash(entry.get("split_marker", ""))
        found = [i for i in range(1, len(lines)) if marker and squash(lines[i].text) == marker]
        if not found:
            raise ValueError(f"author line {entry.get('split_marker')!r} of {entry['id']} not found / 找不到作者行")
        blocks.append(_title_block(lines, found[0]))
    return blocks


def _intro_start(lines: list[Line], lo: int, title_start: int) -> int | None:
    """The `一、` heading of an introduction extracted before its own title block."""
    for j in range(title_start - 1, lo - 1, -1):
        if first_section_number(lines[j].text):
            return j
        if heading_level(lines[j].text) == 1:
            return None
    return None


def _english_segments(lines: list[Line], entries: list[dict[str, Any]], after: int) -> list[int] | None:
    """Start line of each report's English title/abstract, in report order, or None."""
    pins = [entry.get("abstract_en_marker") for entry in entries]
    if all(pins):
        starts = []
        for pin in pins:
            found = [i for i in range(after, len(lines)) if squash(lines[i].text).startswith(squash(pin))]
            if not found:
                return None
            starts.append(found[0])
        return starts
    starts = _detect_english_abstracts(lines, after)
    return starts if len(starts) == len(entries) else None


def _detect_english_abstracts(lines: list[Line], after: int) -> list[int]:
    """Starts of the English title+abstract blocks collected at the end of a journal extract."""
    starts = []
    for i in range(after, len(lines)):
        if _ENGLISH_ABSTRACT.match(lines[i].text):
            start = i
            # walk back over the English title and author lines, up to the page where they begin
            while (start - 1 > after and i - start < 4 and not lines[start].page_start
                   and not lines[start - 1].text.endswith(".")):
                start -= 1
            starts.append(start)
    if starts and all(_han_share(line.text) < 0.2 for line in lines[starts[0]:]):
        return starts
    return []


def _han_share(text: str) -> float:
    return sum("\u3400" <= c <= "\u9fff" for c in text) / max(len(text), 1)


def split_reports(lines: list[Line], entries: list[dict[str, Any]]) -> list[tuple[dict[str, Any], list[Line]]]:
    """Return (metadata, lines) per report, lines in reading order."""
    if len(entries) == 1:
        return [(entries[0], lines)]
    if entries:
        blocks = _pinned_title_blocks(lines, entries)
    else:
        blocks = find_title_blocks(lines)
        if len(blocks) < 2:
            return [({"title": blocks[0].title, "authors": blocks[0].authors} if blocks else {}, lines)]
        entries = [{"title": b.title, "authors": b.authors} for b in blocks]

    english = _english_segments(lines, entries, blocks[-1].author_line + 1)
    end_of_articles = len(lines)
    if english is None:
        # Unattributable English abstracts would all land in the last article: drop them.
        end_of_articles = min(_detect_english_abstracts(lines, blocks[-1].author_line + 1), default=len(lines))
    else:
        end_of_articles = min(english)

    starts, lo = [], 0
    for block in blocks:
        intro = _intro_start(lines, lo, block.title_start)
        starts.append(intro if intro is not None else block.title_start)
        lo = block.front_end or block.author_line + 1
    starts[0] = 0
    bounds = starts[1:] + [end_of_articles]

    reports = []
    for k, (entry, block) in enumerate(zip(entries, blocks, strict=True)):
        start, end = starts[k], bounds[k]
        front_end = block.front_end if block.front_end and block.front_end <= end else None
        if front_end and start < block.title_start:
            ordered = lines[block.title_start:front_end] + lines[start:block.title_start] + lines[front_end:end]
        else:
            ordered = lines[start:end]
        if english is not None:
            seg_start = english[k]
            seg_end = min((s for s in english if s > seg_start), default=len(lines))
            ordered = ordered + lines[seg_start:seg_end]
        reports.append((entry, ordered))
    return reports
