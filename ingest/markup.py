"""HTML and XML files -> text with Markdown headings, plus the metadata they carry.

HTML: trafilatura finds the main content (a law page can carry its text after a sidebar of
thousands of navigation links, which a plain get_text() would index as the report); the old
whole-body reading stays as the fallback when trafilatura finds nothing.
XML: legislation schemas (Hong Kong's HKLM and its kin) nest part > section > subsection with
<num> and <heading> children; headings become Markdown headings so they give section paths,
and amendment/source notes, which interleave every provision, are dropped.
"""
from __future__ import annotations

import re
from typing import Any

_ANCHOR = re.compile(r"\s*[#¶§]+\s*$")


def read_html(html: str) -> tuple[str, dict[str, Any]]:
    meta: dict[str, Any] = {}
    try:
        import trafilatura

        text = trafilatura.extract(html, output_format="markdown", include_tables=True, favor_recall=True,
                                   include_links=False, include_images=False) or ""
        info = trafilatura.extract_metadata(html)
        if info is not None:
            meta = {k: v for k, v in {"author": info.author, "date": info.date,
                                      "source": info.sitename, "url": info.url}.items() if v}
    except Exception:  # noqa: BLE001 - a page trafilatura cannot parse is read the plain way
        text = ""
    found = re.search(r"<title[^>]*>(.*?)</title>", html, re.S | re.I)
    if found:
        import html as entities

        meta["page_title"] = entities.unescape(re.sub(r"\s+", " ", found.group(1))).strip()
    if len(re.sub(r"\s", "", text)) < 200:
        text, plain_meta = _read_html_plain(html)
        meta = {**plain_meta, **meta}
    lines = [_ANCHOR.sub("", line) if line.lstrip().startswith("#") else line for line in text.split("\n")]
    text = "\n".join(lines)
    heading = next((line.lstrip("# ").strip() for line in lines if line.startswith("# ")), None)
    # "<title>政务数据共享条例(2025 05 28) • 中国法律快查手册": the page's name, then the site's
    page = re.split(r"\s+[•|–—_-]\s+|\s*[｜|]\s*", meta.get("page_title") or "")[0].strip()
    if heading and (not page or heading in page or page in heading):
        meta["title"] = heading
    elif page:
        meta["title"] = page
    return text, meta


def _read_html_plain(html: str) -> tuple[str, dict[str, Any]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "nav", "footer", "noscript", "iframe", "aside"]):
        tag.decompose()
    meta: dict[str, Any] = {}
    if soup.title and soup.title.string:
        meta["page_title"] = soup.title.string.strip()
    for name, key in (("author", "author"), ("date", "date"), ("article:published_time", "date")):
        tag = soup.find("meta", attrs={"name": name}) or soup.find("meta", attrs={"property": name})
        if tag and tag.get("content"):
            meta.setdefault(key, tag["content"].strip())
    root = soup.find("article") or soup.find("main") or soup.body or soup
    for level in range(1, 7):
        for heading in root.find_all(f"h{level}"):
            heading.insert(0, "#" * level + " ")
    # block elements end a line; inline ones (<b>, <a>) must not split their sentence
    for block in root.find_all(["p", "div", "li", "br", "tr", "section", "article", "blockquote",
                                "h1", "h2", "h3", "h4", "h5", "h6"]):
        block.append("\n\n")
    return root.get_text(""), meta


_XML_DROP = {"sourceNote", "editorialNote", "meta", "marker", "statutoryNote"}
_XML_CONTAINERS = {"part": 2, "division": 3, "subdivision": 3, "schedule": 2, "chapter": 2, "section": 4,
                   "article": 4}
_XML_BLOCKS = {"subsection", "paragraph", "subparagraph", "subsubparagraph", "leadIn", "continued", "def",
               "content", "p", "tr", "longTitle", "proviso", "text", "note", "item", "clause"}


def read_xml(xml: str) -> tuple[str, dict[str, Any]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(xml, "xml")
    root = soup.find(True)
    if root is None:
        return "", {}
    meta: dict[str, Any] = {}
    head = soup.find("meta")
    if head is not None:
        for name, key in (("date", "date"), ("publisher", "author"), ("docName", "doc_name")):
            tag = head.find(name)
            if tag is not None and tag.get_text(strip=True):
                meta[key] = tag.get_text(strip=True)
    short = soup.find("shortTitle")
    title = soup.find("title") or soup.find("docTitle")
    if short is not None:
        meta["title"] = short.get_text(strip=True).strip("《》") + (f"（{meta['doc_name']}）" if meta.get("doc_name") else "")
    elif title is not None:
        meta["title"] = title.get_text(" ", strip=True)
    for tag in soup.find_all(list(_XML_DROP)):
        tag.decompose()
    out: list[str] = []

    def walk(node, depth: int) -> None:
        for child in node.children:
            name = getattr(child, "name", None)
            if name is None:
                text = str(child)
                if text.strip():
                    out.append(re.sub(r"\s+", " ", text.strip()) if not out or out[-1].endswith("\n") else
                               re.sub(r"\s+", " ", text))
                continue
            if name in _XML_CONTAINERS:
                num = child.find("num", recursive=False)
                heading = child.find("heading", recursive=False)
                number = num.get_text(strip=True) if num is not None else ""
                if name == "section" and re.fullmatch(r"\d+[A-Z]*\.?", number):
                    number = f"第{number.rstrip('.')}條"  # a statute's section is cited 第N條 in Chinese
                label = " ".join(t for t in (number, heading.get_text(" ", strip=True) if heading is not None else "") if t)
                for t in (num, heading):
                    if t is not None:
                        t.extract()
                if label:
                    out.append("\n\n" + "#" * _XML_CONTAINERS[name] + " " + label + "\n\n")
                walk(child, depth + 1)
            elif name in _XML_BLOCKS:
                out.append("\n\n")
                walk(child, depth + 1)
                out.append("\n\n")
            else:
                walk(child, depth)

    walk(root, 0)
    text = "".join(out)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    # a <num> such as "(1)" stands alone before its content: join them
    text = re.sub(r"(?m)^(\([0-9a-zA-Z]{1,4}\)|[0-9A-Z]{1,4}\.)\n+", r"\1 ", text)
    return text.strip(), meta
