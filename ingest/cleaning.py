"""Turn extracted report text into clean paragraphs, headings and footnotes.

PDF extraction (files 000, 001, 003) hard-wraps every ~35 characters inside sentences, drops
footnotes and running page headers into the middle of the text, and leaves page numbers;
WeChat exports end in UI labels. No library knows these Chinese-layout artefacts, so the
rules below are hand-written and each is tested on the real corpus files.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ingest.loaders import PAGE_BREAK


@dataclass
class Line:
    text: str
    page_start: bool = False  # first line of a PDF page: footnote blocks end here
    tight: bool = False  # joined to the previous line by a single newline (title blocks)


@dataclass
class Block:
    kind: str  # "heading" | "para"
    text: str
    level: int = 0
    notes: list[tuple[str, str]] = field(default_factory=list)  # (marker, footnote text) removed inside it
    inline: bool = False  # a heading that only names a unit (第十七条) whose text follows in its paragraph


# -- lines -----------------------------------------------------------------------------------

def split_lines(text: str) -> list[Line]:
    """Blank lines carry no meaning in PDF text (every wrap is doubled), so they are dropped;
    a line indented after a single newline starts a new page in the extracted corpus files."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace(PAGE_BREAK, "\n" + PAGE_BREAK)  # a page's last line ends at the break, not with it
    text = "".join(c for c in text if unicodedata.category(c) != "Co")  # private-use glyph junk
    lines: list[Line] = []
    page_start, blank_before = True, True
    for raw in text.split("\n"):
        if PAGE_BREAK in raw:
            *_, raw = raw.split(PAGE_BREAK)
            page_start = True
        stripped = raw.strip()
        if not stripped:
            blank_before = True
            continue
        starts_page = page_start or (raw[:1] in " \u3000" and not blank_before and bool(lines))
        lines.append(Line(stripped, page_start=starts_page, tight=not blank_before and bool(lines)))
        page_start, blank_before = False, False
    return lines


_RUNNING_HEADER = re.compile(r"□\s*$")
_PAGE_NUMBER = re.compile(r"^(?:[-—–]+\s*)?\d{1,4}(?:\s*[-—–]+)?$|^第\s*\d+\s*页(?:\s*/\s*共\s*\d+\s*页)?$")
_TOC_LEADER = re.compile(r"(?:[.·…\-_]{4,}|\t)\s*\d{1,4}$")
_IMAGE = re.compile(r"^\[?!\[[^\]]*\]\([^)]*\)(?:\]\([^)]*\))?$")
_LONE_PUNCT = re.compile(r"^[\W_]{1,3}$")
# Labels of the WeChat reader UI left at the end of exported articles.
_WECHAT_UI = {
    "赞", "在看", "分享", "留言", "收藏", "听过", "视频", "小程序", "取消", "允许", "分析", "知道了",
    "阅读原文", "预览时标签不可点", "轻触阅读原文", "继续滑动看下一个", "向上滑动看下一个", "关注该公众号",
    "使用小程序", "使用完整服务", "，轻点两下取消赞", "，轻点两下取消在看", "写留言", "阅读", "喜欢此内容的人还喜欢",
}
_JOURNAL_FOOTER = re.compile(r"^《[^》]{2,30}》\s*\d{4}\s*年\s*第\s*\d+\s*期$")
_CHART_AXIS = re.compile(r"(?:\d+(?:\.\d+)?%\s*){3,}")
_WECHAT_PROMO = re.compile(r"^(?:\*\*[^。；，]{1,30}\*\*|\*\*.*(?:关注|订阅|推荐|点击|扫码|分享).*\*\*|邮发代号.*|征订热线.*|微信扫一扫.*)$")


def is_junk(text: str) -> bool:
    return bool(
        _RUNNING_HEADER.search(text)
        or _PAGE_NUMBER.match(text)
        or _TOC_LEADER.search(text)
        or _IMAGE.match(text)
        or _JOURNAL_FOOTER.match(text)
        or _CHART_AXIS.search(text)
        or _LONE_PUNCT.match(text)
        or text in _WECHAT_UI
        or _WECHAT_PROMO.match(text)
    )


# The reader UI that follows the end of every WeChat article: nothing after it is content.
_WECHAT_END = {"预览时标签不可点", "继续滑动看下一个", "轻触阅读原文", "向上滑动看下一个"}


def drop_junk(lines: list[Line]) -> list[Line]:
    kept: list[Line] = []
    carry_page_start = False
    for line in lines:
        if line.text in _WECHAT_END:
            break
        text = _inline_markup_to_text(line.text)
        if is_junk(line.text) or not text or is_junk(text):
            carry_page_start |= line.page_start
            continue
        kept.append(Line(text, line.page_start or carry_page_start, line.tight))
        carry_page_start = False
    return kept


_HTML_TAG = re.compile(r"<\s*/?\s*(?:ul|ol|li|br|p|span|div|b|i|strong|em|table|tr|td|th)\b[^>]*>", re.I)
_MD_LINK = re.compile(r"\[([^\]]*)\]\((?:https?://|#)[^)]*\)")
_MD_IMAGE_INLINE = re.compile(r"!\[[^\]]*\]\([^)]*\)")


def _inline_markup_to_text(text: str) -> str:
    """Tables in 002 carry `<ul><li>` fragments; markdown exports carry links and bold marks."""
    if _HTML_TAG.search(text):
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(text, "html.parser")
        for item in soup.find_all("li"):
            item.insert_after("；")
        text = soup.get_text(" ")
    text = _MD_IMAGE_INLINE.sub("", text)
    text = _MD_LINK.sub(r"\1", text).replace("**", "")
    text = re.sub(r"\s*\t\s*", " | ", text)
    text = re.sub(r"\s*；(\s*；)*\s*", "；", text)
    return re.sub(r"[ \u3000]{2,}", " ", text).strip(" |")


# -- headings --------------------------------------------------------------------------------

_CN_NUM = "一二三四五六七八九十"
_HEADING_PATTERNS = [
    (re.compile(rf"^[{_CN_NUM}]{{1,3}}、\S"), 1),
    (re.compile(r"^第[一二三四五六七八九十\d]+[章节部分篇]"), 1),
    (re.compile(r"^0\d\s+[\u4e00-\u9fff]"), 1),
    (re.compile(rf"^[（(][{_CN_NUM}]{{1,3}}[)）]\s*\S"), 2),
    (re.compile(r"^\d{1,2}[.．、]\s*[“\"《\u4e00-\u9fff]"), 3),
]
_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
# A law's article (第十七条, 第1条, 第十七條): the unit a law is cited and chunked by.
ARTICLE = re.compile(r"^第\s*[一二三四五六七八九十百零〇\d]+\s*[条條]")
ARTICLE_LEVEL = 4


def heading_level(text: str) -> int:
    """0 when the line is not a section heading."""
    md = _MARKDOWN_HEADING.match(text)
    if md:
        return len(md.group(1))
    if len(text) > 40 or re.search(r"[。；;，,！？!?]$|[。；]", text):
        return 0
    for pattern, level in _HEADING_PATTERNS:
        if pattern.match(text):
            return level
    if ARTICLE.match(text) and len(text) <= 30:  # "第1条 主要事项与目标": an article with a title
        return ARTICLE_LEVEL
    return 0


def first_section_number(text: str) -> bool:
    """`一、…`: a compilation article's first section, which restarts the numbering."""
    return heading_level(text) == 1 and text.startswith("一、")


# -- footnotes -------------------------------------------------------------------------------

_NOTE_START = re.compile(r"^(?:([①-⑳㉑-㉟])|(\[\d{1,3}\])[\s\u3000]|([¹²³⁰-⁹]+)\s?)")
_PLAIN_NOTE_START = re.compile(r"^(\d{1,2})\s+[\u4e00-\u9fffA-Z]")
_NOTE_END = re.compile(r"[。.>]$|页。?$|\d{4}\.?$")


def _note_marker(lines: list[Line], i: int) -> str | None:
    match = _NOTE_START.match(lines[i].text)
    if match:
        return next(g for g in match.groups() if g)
    # "1 约翰·西曼…" is a footnote only at a page bottom: a page break follows within a few lines.
    plain = _PLAIN_NOTE_START.match(lines[i].text)
    if plain and any(line.page_start for line in lines[i + 1 : i + 4]):
        return plain.group(1)
    return None


def _cjk_share(text: str) -> float:
    return sum("\u3400" <= c <= "\u9fff" for c in text) / max(len(text), 1)


# -- paragraphs ------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[。！？!?…]['\"”’」』）)]*\s*(?:[①-⑳]|\[\d{1,3}\]|[¹²³⁰-⁹]+)?$")
_CAPTION = re.compile(r"^(?:[图表]\s*\d+(?:\s*[：:.．、]|\s+)|(?:资\s*料|图\s*片|数\s*据)\s*来\s*源\s*[：:])")
_SENTENCE_PUNCT = re.compile(r"[，。；！？]")
_FORCED_START = re.compile(r"^(?:摘\s*要|〔\s*提\s*要\s*〕|关\s*键\s*词|作者简介|编者按|Abstract\s*:|Key\s*words\s*:|Authors?\s*:)")
_ASCII_WORD = re.compile(r"[A-Za-z0-9]")


def _typical_width(lines: list[Line]) -> int:
    lengths = sorted(len(line.text) for line in lines if len(line.text) >= 10)
    return lengths[len(lengths) // 2] if lengths else 0


def _join(left: str, right: str) -> str:
    if left.endswith("⁃") and right[:1].isalpha():  # ⁃ marks a hyphenated English word break
        return left[:-1] + right
    if _ASCII_WORD.match(left[-1:]) and _ASCII_WORD.match(right[:1]):
        return left + " " + right
    if left[-1:] in ",;:" and right[:1].isascii():
        return left + " " + right
    return left + right


def build_blocks(lines: list[Line]) -> list[Block]:
    """Join hard-wrapped lines into paragraphs, lift footnotes, figures and tables out of the
    sentences they interrupt, mark headings."""
    width = _typical_width(lines)
    wrapped = 20 <= width <= 60  # PDF-like text; exports with one paragraph per line are not wrapped
    # where most lines are blank-separated, a single newline binds lines (a two-line title)
    tight_binds = sum(line.tight for line in lines) < len(lines) / 2
    has_articles = sum(bool(ARTICLE.match(line.text)) for line in lines) >= 3
    blocks: list[Block] = []
    current: list[str] = []
    pending_notes: list[tuple[str, str]] = []
    floating: list[str] = []  # figure/table captions and cells met inside an open paragraph

    def ends_paragraph(line: str) -> bool:
        if _SENTENCE_END.search(line):
            return True
        if not wrapped:  # one paragraph per line: only a paragraph cut by a page break goes on
            return len(line) < 60 and not interrupted_by_note
        return len(line) < 0.6 * width and not re.search(r"[，、：:（(“‘《\-⁃,]$", line)

    def flush() -> None:
        if current:
            text = current[0]
            for piece in current[1:]:
                text = _join(text, piece)
            blocks.append(Block("para", text, notes=list(pending_notes)))
            pending_notes.clear()
            current.clear()
        blocks.extend(Block("para", text) for text in floating)
        floating.clear()

    i = 0
    interrupted_by_note = False
    while i < len(lines):
        line = lines[i]
        marker = _note_marker(lines, i)
        if marker is not None:
            note, i = _read_note(lines, i)
            pending_notes.append((marker, note))
            interrupted_by_note = True
            continue
        if (line.page_start and _cjk_share(line.text) < 0.3 and i + 1 < len(lines)
                and _note_marker(lines, i + 1) is not None):
            # the tail of a footnote carried over from the previous page
            pending_notes.append(("", line.text))
            i += 1
            continue
        text = line.text
        if _CAPTION.match(text):
            figure, i = _read_figure(lines, i)
            if current and not ends_paragraph(current[-1]):
                floating.append(figure)
            else:
                flush()
                blocks.append(Block("para", figure))
            continue
        level = heading_level(text)
        if level == 3 and not text.startswith("#") and (has_articles or (wrapped and len(text) >= 0.85 * width)):
            level = 0  # "1．本条例适用于……" is a numbered clause: in a law, or filling the line and wrapping on
        if level and (not current or ends_paragraph(current[-1]) or text.startswith("#")):
            flush()
            if pending_notes and blocks:
                blocks[-1].notes.extend(pending_notes)
                pending_notes.clear()
            # a long heading wraps onto a short line with no punctuation
            nxt = lines[i + 1].text if i + 1 < len(lines) else ""
            if (nxt and not text.startswith("#") and not heading_level(nxt) and not ARTICLE.match(nxt) and len(nxt) <= 25 and not re.search(r"[。，；：、,;:!?！？]", nxt)
                    and _note_marker(lines, i + 1) is None and not _FORCED_START.match(nxt)
                    and not _CAPTION.match(nxt) and (lines[i + 1].tight or wrapped)):
                text = _join(text, nxt)
                i += 1
            text = _MARKDOWN_HEADING.sub(r"\2", text).strip()
            if not (blocks and blocks[-1].kind == "heading" and blocks[-1].text == text):
                blocks.append(Block("heading", text, level=level))
            i += 1
            continue
        article = ARTICLE.match(text)
        if article and (not current or ends_paragraph(current[-1])):
            flush()
            blocks.append(Block("heading", article.group(0).replace(" ", ""), level=ARTICLE_LEVEL, inline=True))
        forced = _FORCED_START.match(text)  # "Abstract:" opens a paragraph even right under an author line
        bound = tight_binds and line.tight and not forced and not _SENTENCE_END.search(current[-1] if current else "。")
        if current and not bound and (ends_paragraph(current[-1]) or forced):
            flush()
        current.append(text)
        interrupted_by_note = False
        i += 1
    flush()
    if pending_notes and blocks:
        blocks[-1].notes.extend(pending_notes)
    return blocks


def _read_figure(lines: list[Line], i: int) -> tuple[str, int]:
    """A caption plus the short cell/label lines and source line that belong to it."""
    parts = [lines[i].text]
    j = i + 1
    while j < len(lines) and j - i < 120:
        text = lines[j].text
        if heading_level(text) or _note_marker(lines, j) is not None or (
            _CAPTION.match(text) is None and len(text) > 30 and _SENTENCE_PUNCT.search(text)
            and not parts[-1].endswith(("，", ","))
        ):
            break
        if _CAPTION.match(text) and text[:1] in "图表":
            break
        parts.append(text)
        j += 1
    return " | ".join(parts), j


def _read_note(lines: list[Line], i: int) -> tuple[str, int]:
    """A footnote runs until the page ends, the next footnote starts, or it is complete and
    body text resumes (some pages were extracted with their footnotes first)."""
    text = _NOTE_START.sub("", lines[i].text).strip()
    if _PLAIN_NOTE_START.match(lines[i].text) and not _NOTE_START.match(lines[i].text):
        text = re.sub(r"^\d{1,2}\s+", "", lines[i].text)
    j = i + 1
    while j < len(lines):
        nxt = lines[j]
        if nxt.page_start or _NOTE_START.match(nxt.text):
            break
        if _NOTE_END.search(text) and _cjk_share(nxt.text) > 0.5:
            break
        if len(nxt.text) > 150 and _cjk_share(nxt.text) > 0.5:
            break  # a note wraps on in short lines; a paragraph-long line is body text (after a URL)
        text = _join(text, nxt.text)
        j += 1
    return text, j


def drop_contents(blocks: list[Block], run: int = 3) -> list[Block]:
    """A table of contents without page numbers: a run of consecutive headings whose texts come
    back later as the real headings. The entries would each become a chunk of one line."""
    headings = [(n, re.sub(r"\s+", "", b.text)) for n, b in enumerate(blocks) if b.kind == "heading" and not b.inline]

    def recurs(n: int) -> bool:
        text = re.sub(r"\s+", "", blocks[n].text)
        return any(m > n and other.startswith(text) for m, other in headings)

    drop: set[int] = set()
    n = 0
    while n < len(blocks):
        m = n
        while m < len(blocks) and blocks[m].kind == "heading" and not blocks[m].inline and recurs(m):
            m += 1
        if m - n >= run:
            drop.update(range(n, m))
        n = max(m, n + 1)
    return [b for i, b in enumerate(blocks) if i not in drop]
