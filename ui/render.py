"""Build the HTML/markdown the UI shows. Every piece of text from a report, the model or the user
passes through html.escape before any tag is added around it, so nothing in it can run."""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html import escape

from rag.answer import TRANSLATION_MARK
from rag.citations import CITATION_MARK, marker_numbers
from rag.records import Answer, Evidence, Report, Source
from rag.script import single_line
from ui.i18n import UILanguage, t


def user_message(text: str) -> str:
    return escape(text)


def find_quote(text: str, quote: str) -> tuple[int, int] | None:
    """Where quote sits in text: verbatim, else ignoring whitespace (PDF line breaks differ)."""
    quote = quote.strip()
    if not quote:
        return None
    start = text.find(quote)
    if start >= 0:
        return start, start + len(quote)
    letters = [re.escape(ch) for ch in quote if not ch.isspace()]
    match = re.search(r"\s*".join(letters), text) if letters else None
    return match.span() if match else None


def highlighted_passage(text: str, quote: str, language: UILanguage, offsets: tuple[int, int] = (0, 0),
                        also: Sequence[tuple[int, int]] = ()) -> str:
    """offsets: where the citation checker says the quote sits; trusted only when they match the text.
    `also`: more spans of the text to mark (the evidence quoted from this passage)."""
    start, end = offsets
    span = (start, end) if end > start and text[start:end] == quote else find_quote(text, quote)
    if span is None:
        if not quote.strip() or quote.strip() == text.strip():
            return f'<div class="zk-passage">{escape(text)}</div>'
        return (f'<div class="zk-note">{t("quote_not_located", language)}</div>'
                f'<blockquote class="zk-quote"><mark>{escape(quote)}</mark></blockquote>'
                f'<div class="zk-passage">{escape(text)}</div>')
    merged: list[list[int]] = []
    for start, end in sorted([span, *((a, b) for a, b in also if 0 <= a < b <= len(text))]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    html, at = [], 0
    for start, end in merged:
        html += [escape(text[at:start]), f'<mark class="zk-highlight">{escape(text[start:end])}</mark>']
        at = end
    return f'<div class="zk-passage">{"".join(html)}{escape(text[at:])}</div>'


def chip(msg_index: int, n: int) -> str:
    # gradio's chat sanitiser drops data-* attributes but keeps classes, so the class names the target
    return f'<span class="zk-chip zk-cite-{msg_index}-{n}">{n}</span>'


def _with_chips(escaped: str, msg_index: int) -> str:
    return CITATION_MARK.sub(lambda m: "".join(chip(msg_index, n) for n in marker_numbers(m.group(0))), escaped)


def streaming_markdown(text: str, msg_index: int) -> str:
    """The answer while tokens arrive: escaped text with chips for complete markers."""
    return _with_chips(escape(text), msg_index)


def evidence_markdown(evidence: Sequence[Evidence], msg_index: int, language: UILanguage) -> str:
    """The source sentences chosen before the model writes, each quoted with its source's chip."""
    if not evidence:
        return ""
    quotes = "\n\n".join(f"> “{escape(single_line(e.quote))}” {chip(msg_index, e.n)}" for e in evidence)
    return f"<small>{t('evidence', language)}</small>\n\n{quotes}"


def pending_markdown(evidence: Sequence[Evidence], text: str, msg_index: int, language: UILanguage) -> str:
    """While the model writes: its text so far (or that it is writing) above the evidence."""
    head = streaming_markdown(text, msg_index) if text else f"*{t('writing', language)}*"
    return "\n\n".join(filter(None, [head, evidence_markdown(evidence, msg_index, language)]))


def answer_markdown(answer: Answer, msg_index: int, language: UILanguage) -> str:
    """The answer as chat markdown: [n] markers become chips, unsupported sentences get a visible ⚠ mark."""
    text = answer.answer
    pieces: list[str] = []
    cursor = 0
    any_unsupported = False
    for sentence in answer.sentences:
        where = text.find(sentence.text.strip(), cursor) if sentence.text.strip() else -1
        if where < 0:  # the checker may have normalised the sentence; leave the text unmarked
            continue
        end = where + len(sentence.text.strip())
        pieces.append(escape(text[cursor:where]))
        body = escape(text[where:end])
        if sentence.supported:
            pieces.append(body)
        else:
            any_unsupported = True
            pieces.append(f'<span class="zk-unsupported" title="{escape(t("unsupported_legend", language))}">⚠ {body}</span>')
        cursor = end
    pieces.append(escape(text[cursor:]))
    body = _with_chips("".join(pieces), msg_index)
    if answer.status == "closest":
        # a quote's rendering in the reader's language reads as an aid under the quote, not a claim
        mark = re.escape(escape(TRANSLATION_MARK[answer.language]))
        body = re.sub(rf"^({mark}.*)$", r"<small><em>\1</em></small>", body, flags=re.M)
    if answer.notice:
        body = f"<em>⚠ {escape(answer.notice)}</em>\n\n{body}"
    if any_unsupported:
        body += f"\n\n<small>{t('unsupported_legend', language)}</small>"
    if answer.written and answer.evidence:
        # the synthesis stands on these sentences: the analyst sees them without opening a source
        body += "\n\n" + evidence_markdown(answer.evidence, msg_index, language)
    return body


def _report_meta(report: Report | None, language: UILanguage) -> str:
    if report is None:
        return ""
    rows = [("authors", "、".join(report.authors)), ("venue", report.venue or ""), ("date", report.date or "")]
    return "".join(f'<div class="zk-meta"><b>{t(key, language)}</b>: {escape(value)}</div>' for key, value in rows if value)


def _source_card(n: int, title: str, title_en: str | None, section: str, file: str, body: str,
                 report: Report | None, language: UILanguage, open_: bool) -> str:
    english = f'<div class="zk-title-en">{escape(title_en)}</div>' if title_en else ""
    section_line = f'<div class="zk-meta"><b>{t("section", language)}</b>: {escape(section)}</div>' if section else ""
    return (f'<details class="zk-source" data-n="{n}"{" open" if open_ else ""}>'
            f'<summary><span class="zk-chip">{n}</span> 《{escape(title)}》</summary>'
            f"{english}{_report_meta(report, language)}{section_line}"
            f'<div class="zk-meta"><b>{t("file", language)}</b>: {escape(file)}</div>{body}</details>')


def retrieved_panel(sources: Sequence[Source], reports: Mapping[str, Report], msg_index: int,
                    language: UILanguage) -> str:
    """Shown as soon as retrieval is done, before the answer is written."""
    cards = [
        _source_card(s.rank, s.title, s.title_en, s.section, s.source,
                     f'<div class="zk-passage">{escape(s.text)}</div>', reports.get(s.report_id), language, False)
        for s in sources
    ]
    return _panel(msg_index, f"<h4>{t('sources_retrieved', language)}</h4>" + "".join(cards))


def answer_panel(answer: Answer, reports: Mapping[str, Report], msg_index: int, language: UILanguage,
                 focus: int | None = None) -> str:
    """The cited reports of one answer, each passage with its quoted span highlighted."""
    parts = [f"<h4>{t('sources_for', language)}{escape(answer.question)}</h4>"]
    if answer.notice:
        parts.append(f'<div class="zk-note">⚠ {escape(answer.notice)}</div>')
    for c in answer.citations:
        # the evidence quoted from a cited passage is marked in it too: its chip opens this card
        quoted = [(e.quote_start, e.quote_end) for e in answer.evidence if e.n == c.n]
        parts.append(_source_card(c.n, c.title, c.title_en, c.section, c.source,
                                  highlighted_passage(c.text, c.quote, language, (c.quote_start, c.quote_end), quoted),
                                  reports.get(c.report_id), language,
                                  open_=focus is None or focus == c.n))
    # evidence from sources the answer does not cite: its chips under the answer open these
    cited = {c.n for c in answer.citations}
    for item in answer.evidence:
        if item.n in cited or not 1 <= item.n <= len(answer.sources):
            continue
        cited.add(item.n)
        source = answer.sources[item.n - 1]
        parts.append(_source_card(item.n, source.title, source.title_en, source.section, source.source,
                                  highlighted_passage(source.text, source.text[item.quote_start:item.quote_end],
                                                      language, (item.quote_start, item.quote_end)),
                                  reports.get(source.report_id), language, open_=focus == item.n))
    if not answer.citations and not answer.related:
        parts.append(f"<p>{t('no_citations', language)}</p>")
    if answer.related:
        parts.append(f"<h4>{t('sources_related', language)}</h4>")
        parts += [_source_card(s.rank, s.title, s.title_en, s.section, s.source,
                               f'<div class="zk-passage">{escape(s.text)}</div>', reports.get(s.report_id), language,
                               False) for s in answer.related]
    return _panel(msg_index, "".join(parts))


def empty_panel(language: UILanguage) -> str:
    return _panel(-1, f"<p>{t('sources_empty', language)}</p>")


def _panel(msg_index: int, inner: str) -> str:
    return f'<div class="zk-panel" data-msg="{msg_index}">{inner}</div>'


def reports_table(reports: Sequence[Report], language: UILanguage) -> str:
    head = "".join(f"<th>{t(k, language)}</th>" for k in ("title", "authors", "venue", "date", "file", "chunks"))
    rows = "".join(
        f'<tr data-report="{escape(r.id)}"><td>《{escape(r.title)}》<br><small>{escape(r.title_en or "")}</small></td>'
        f"<td>{escape('、'.join(r.authors))}</td><td>{escape(r.venue or '')}</td><td>{escape(r.date or '')}</td>"
        f"<td>{escape(r.source)}</td><td>{r.chunk_count}</td></tr>"
        for r in reports
    )
    return f'<table class="zk-reports"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
