"""A report's title, issuer or authors and date, read from the document itself.

Order of trust, highest first: the manifest, then front matter / XML or HTML metadata, then the
first page's lines (cover of a report, head of a law), then PDF metadata only where the text
agrees with it (PDF /Title and /Author are often the Word file name or the typist: "Microsoft
Word - x.docx", "CYM"). Each field records where it came from (Report.provenance).
"""
from __future__ import annotations

import re
from typing import Any

from ingest.cleaning import Line, heading_level

_DATE_CN = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?")
_DATE_ISO = re.compile(r"(?<!\d)(\d{4})[-./ ](\d{1,2})[-./ ](\d{1,2})(?!\d)")
_DATE_LINE = re.compile(r"^[（(]?\s*\d{4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?\s*[）)]?$")
_ISSUER = re.compile(r"(?:研究院|研究所|研究中心|委员会|中心|集团|公司|大学|学院|协会|联盟|办公室|国务院|部|局|署|厅|院)$")
_ISSUER_LABEL = re.compile(r"^(?:出品|编制|编写|发布|发布单位|主办|编著|作者|撰稿)\s*[:：]\s*(.+)$")
_SKIP_LABEL = re.compile(r"^(?:指导单位|支持单位|联合发布|协办)\s*[:：]")
_SERIAL = re.compile(r"^(?:No\.?\s*\d+|[A-Z]{2,}[\w/-]*\d+|目\s*录|CONTENTS?)$", re.I)
_BYLINE = re.compile(r"^(?:文|作者|撰文)\s*[|｜丨:：]\s*(.+)$")
_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,4}$")
# A publisher's rights notice, as English reports close ("© 2022 Cisco and/or its affiliates. All
# rights reserved."; OCR often loses the ©): its holder is the issuer a reader names the report by.
_YEARS = r"\d{4}(?:\s*[-–]\s*\d{4})?,?"
# a name of capitalised words ("World Economic Forum", "OpenAI, Inc"), "of", "for", "and", "&" between;
# each word at most 40 letters, so a line of one endless word is read in linear time
_HOLDER = r"([A-Z][\w&.'-]{0,40}(?:,?\s+(?:[A-Z][\w&.'-]{0,40}|of|for|and|&)){0,7}?)"
_RIGHTS = re.compile(
    rf"(?:(?:©|(?i:\(c\)|copyright))(?:\s*©)?\s*(?:{_YEARS}\s*)?|^\s*{_YEARS}\s+){_HOLDER},?\s*"
    rf"(?:\.\s*(?i:all rights reserved)|\s+and/or its affiliates)|{_HOLDER},?\s+and/or its affiliates")
# a notice quoted with a figure or table is its source's, not the report's
_QUOTED_NOTICE = re.compile(r"^\s*(?:source|sources|figure|fig\.|table|来源|资料来源|数据来源|图|表)\b", re.I)
_NO_HOLDER = {"The Authors", "The Author", "Authors", "Author", "Edition"}
_SPACED_OUT = re.compile(r"^(?:[\u4e00-\u9fff] )+[\u4e00-\u9fff]$")  # a cover's "中 国 信 息 通 信 研 究 院"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _iso(match: re.Match) -> str:
    y, m, d = match.group(1), int(match.group(2)), match.group(3)
    return f"{y}-{m:02d}" + (f"-{int(d):02d}" if d else "")


def clean_pdf_title(title: str) -> str:
    title = re.sub(r"^Microsoft\s+(?:Word|PowerPoint)\s*-\s*", "", title.strip())
    return re.sub(r"(?:-\d{6,8})?\.(?:docx?|pdf|pptx?|wps)$", "", title, flags=re.I).strip()


def first_page(lines: list[Line]) -> list[str]:
    """The lines of the first page (a cover), at most 15; text files: the first lines."""
    out: list[str] = []
    for n, line in enumerate(lines):
        if n and line.page_start:
            break
        text = line.text.lstrip("#").strip()
        out.append(text.replace(" ", "") if _SPACED_OUT.match(text) else text)
        if len(out) >= 15:
            break
    return out


def from_first_page(lines: list[str]) -> dict[str, Any]:
    """Title lines, issuer lines and a date line of a cover or a law's head."""
    title: list[str] = []
    issuers: list[str] = []
    date = None
    for n, text in enumerate(lines):
        after = lines[n + 1] if n + 1 < len(lines) else ""
        if not title and len(text) >= 20 and re.search(r"[。，；]", after) and abs(len(after) - len(text)) <= 0.3 * len(text):
            break  # a line as wide as the next, which reads on as prose: a wrapped paragraph, no title
        if not text or _SERIAL.match(text):
            continue
        if _DATE_LINE.match(text) and not title_is_year(text):
            date = date or _iso(_DATE_CN.search(text))
            continue
        if _SKIP_LABEL.match(text):
            continue
        label = _ISSUER_LABEL.match(text)
        if label or (len(text) <= 30 and _ISSUER.search(text) and not re.search(r"[，。；]", text)):
            issuers.append((label.group(1) if label else text).strip())
            continue
        if title and (heading_level(text) or len(text) > 60 or re.search(r"[。；]", text)):
            break  # the body or a table of contents starts
        if not title and (len(text) > 60 or re.search(r"[。；，]", text)):
            break  # no title block: the page starts with prose
        if len(title) < 3:
            title.append(re.sub(r"^(?:一一|--|—)\s*", "——", text))
    return {"title": _joined(title) or None, "authors": issuers, "date": date}


def _words(text: str) -> set[str]:
    """Latin words of three letters or more, casefolded: what a file name and a cover line share
    (numbers do not count: "2022年12月" shares a year with "白皮书_2022-12" and is no title)."""
    return {w for w in re.split(r"[^a-z]+", text.casefold()) if len(w) >= 3}


def _joined(lines: list[str]) -> str:
    """Title lines as one title: no space before a line that starts in Chinese."""
    joined = ""
    for piece in lines:
        joined += ("" if not joined or re.match(r"[\u4e00-\u9fff（(——]", piece) else " ") + piece.strip()
    return joined


def title_agreeing_with_file_name(lines: list[str], stem: str, page_title: str = "") -> str | None:
    """The cover lines (one to three in a row) sharing the most words with a descriptive file
    name, when they share at least two and more than `page_title` does. An OCR'd cover opens with logo and artwork noise
    ("cisco 和TI TD", "SECURE 四"), which the first lines then take for the title; the name a
    user gave the file ("cisco_data_privacy_benchmark_2022.pdf") tells which lines are the
    title ("Cisco 2022 / Data Privacy Benchmark Study"). Every line of the window shares a word;
    a date or serial line is never part of it."""
    named = _words(stem)
    floor = max(2, len(_words(page_title) & named) + 1)
    best: tuple[int, int, int] | None = None  # (-shared, lines, first line)
    for start in range(len(lines)):
        for stop in range(start + 1, min(start + 3, len(lines)) + 1):
            window = lines[start:stop]
            if not all(_words(line) & named and not _DATE_LINE.match(line) and not _SERIAL.match(line)
                       for line in window):
                break
            shared = len(_words(" ".join(window)) & named)
            if shared >= floor and (best is None or (-shared, stop - start, start) < best):
                best = (-shared, stop - start, start)
    if best is None:
        return None
    _, count, start = best
    return _joined(lines[start:start + count])


def title_is_year(text: str) -> bool:
    """"（2022 年）" under a title belongs to the title, it is no publication date."""
    return bool(re.fullmatch(r"[（(]\s*\d{4}\s*年\s*[）)]", text))


def byline_authors(lines: list[str]) -> list[str]:
    """`文 | 沈阳师范大学法学院 张猛 崔丽`: the trailing name tokens of a byline."""
    for text in lines:
        match = _BYLINE.match(text)
        if match:
            tokens = match.group(1).split()
            names: list[str] = []
            for token in reversed(tokens):
                if _NAME.match(token) and not _ISSUER.search(token) and len(names) < 4:
                    names.insert(0, token)
                else:
                    break
            if names and len(tokens) > len(names) or len(tokens) == len(names):
                return names
    return []


def rights_holder(lines: list[Line]) -> str | None:
    """The holder of the last English rights notice in the text ("Cisco"), else None: a report
    closes with its own notice, and one quoted earlier beside a figure is its source's."""
    holder = None
    for line in lines:
        if not _QUOTED_NOTICE.match(line.text) and (match := _RIGHTS.search(line.text)):
            name = (match.group(1) or match.group(2)).strip(" ,")
            holder = holder if name in _NO_HOLDER else name
    return holder


def date_in(text: str) -> str | None:
    match = _DATE_ISO.search(text) or _DATE_CN.search(text)
    return _iso(match) if match else None


def infer(file_meta: dict[str, Any], lines: list[Line], kind: str, stem: str = ""
          ) -> tuple[dict[str, Any], dict[str, str]]:
    """(metadata, provenance) for a file; kind is the file suffix without dot, stem the file's
    name without it."""
    meta: dict[str, Any] = {}
    why: dict[str, str] = {}
    declared = "front matter" if kind in {"md", "markdown", "txt"} else f"{kind} metadata"
    for key in ("title", "venue", "date", "url"):
        value = file_meta.get(key)
        if value and not (kind == "pdf" and key == "title"):
            meta[key], why[key] = value, declared
    if file_meta.get("authors") and kind != "pdf":
        meta["authors"], why["authors"] = file_meta["authors"], declared
    head = first_page(lines)
    page = from_first_page(head)
    page_text = _squash("".join(line.text for line in lines[:200]))
    if "title" not in meta:
        pdf_title = clean_pdf_title(file_meta.get("title") or "") if kind == "pdf" else ""
        # only where OCR read the cover: a text layer's first lines are the title its author set
        agreeing = (title_agreeing_with_file_name(head, stem, page["title"] or "")
                    if stem and file_meta.get("ocr_cover") else None)
        if agreeing:
            meta["title"], why["title"] = agreeing, "first page (the lines the file name agrees with)"
        elif page["title"]:
            meta["title"], why["title"] = page["title"], "first page"
        elif pdf_title and _squash(pdf_title) in page_text:
            meta["title"], why["title"] = pdf_title, "pdf metadata (found in the text)"
        elif pdf_title and not re.search(r"\.(?:docx?|pdf|wps)$|^Microsoft", file_meta.get("title") or "", re.I):
            meta["title"], why["title"] = pdf_title, "pdf metadata (no title on the first page)"
    if "authors" not in meta:
        byline = byline_authors(head + [line.text for line in lines[:40]])
        pdf_authors = [a for a in file_meta.get("authors", []) if kind == "pdf" and _squash(a) in page_text]
        if byline:
            meta["authors"], why["authors"] = byline, "byline"
        elif page["authors"]:
            meta["authors"], why["authors"] = page["authors"], "first page"
        elif pdf_authors:
            meta["authors"], why["authors"] = pdf_authors, "pdf metadata (found in the text)"
        elif holder := rights_holder(lines):
            meta["authors"], why["authors"] = [holder], "rights notice"
    if "date" not in meta and page["date"]:
        meta["date"], why["date"] = page["date"], "first page"
    if "date" not in meta and file_meta.get("page_title") and date_in(file_meta["page_title"]):
        meta["date"], why["date"] = date_in(file_meta["page_title"]), "page title"
    return meta, why


def drop_wrapper(lines: list[Line], meta: dict[str, Any]) -> list[Line]:
    """A repost's wrapper before its body: the title again, the outlet's name, the author line
    repeated: lines at the head that only restate the metadata. Cleaning already dropped image
    links and subscription adverts."""
    known = {_squash(str(meta[k])) for k in ("title", "venue") if meta.get(k)}
    known |= {_squash(" ".join(meta.get("authors") or []))} - {""}
    kept: list[Line] = []
    seen: set[str] = set()
    for n, line in enumerate(lines):
        squashed = _squash(line.text.lstrip("# "))
        if n < 12 and squashed in known:
            if squashed in seen or squashed != _squash(str(meta.get("title", ""))):
                continue
            seen.add(squashed)
        kept.append(line)
    return kept
