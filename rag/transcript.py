"""Answers as Markdown an analyst can paste into a memo: each question, its answer with its [n]
markers, and under it every numbered source with report, section, file and the quoted passage
(the web chat's "export" and `zhiku ask --markdown`)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rag.citations import CITATION_MARK
from rag.records import Answer, Citation
from rag.script import single_line

LABELS = {
    "title": {"zh": "Zhiku 智库对话记录", "en": "Zhiku conversation"},
    "exported": {"zh": "导出时间", "en": "Exported"},
    "question": {"zh": "问", "en": "Q"},
    "sources": {"zh": "来源", "en": "Sources"},
    "evidence": {"zh": "原文证据（模型作答前选出）", "en": "Evidence from the reports (chosen before the model wrote)"},
    "section": {"zh": "章节", "en": "section"},
    "related": {"zh": "可能相关的报告", "en": "Possibly related reports"},
    "notice": {"zh": "提示", "en": "Note"},
    "empty": {"zh": "（还没有回答）", "en": "(no answers yet)"},
}


def _plain(text: str) -> str:
    """A passage on one line (a line break would end the quote or heading), without the report's
    own footnote marks: "[3]" would read as a citation of source 3. Left unescaped otherwise, so
    the file reads as the report wrote it when pasted into a memo."""
    return single_line(CITATION_MARK.sub("", text))


def _quote(text: str) -> str:
    return "> " + _plain(text)


def _source_line(n: int, title: str, title_en: str | None, section: str, file: str, language: str) -> str:
    english = f" ({title_en})" if title_en else ""
    where = f" · {LABELS['section'][language]}: {section}" if section else ""
    return f"[{n}] 《{title}》{english}{where} · {file}"


def answer_markdown(answer: Answer) -> str:
    """One answer: the question as a heading, the answer as shown, then its sources in order of
    their numbers; the evidence quoted under a written answer is listed too, since the chat shows it."""
    language = answer.language
    lines = [f"## {LABELS['question'][language]}: {_plain(answer.question)}", ""]
    if answer.notice:
        lines += [f"*{LABELS['notice'][language]}: {_plain(answer.notice)}*", ""]
    # the answer's own line breaks (a closest passage, its marked translation) kept as Markdown breaks
    lines += [answer.answer.strip().replace("\n", "  \n"), ""]
    cited: dict[int, Citation] = {c.n: c for c in answer.citations}
    if cited:
        lines += [f"**{LABELS['sources'][language]}**", ""]
        for n in sorted(cited):
            c = cited[n]
            lines += [_source_line(n, c.title, c.title_en, c.section, c.source, language), "", _quote(c.quote or c.text), ""]
    # the evidence a source above already quotes is not listed twice
    evidence = [e for e in answer.evidence if not (e.n in cited and _plain(e.quote) in _plain(cited[e.n].quote))]
    if answer.written and evidence:
        lines += [f"**{LABELS['evidence'][language]}**", ""]
        for item in evidence:
            source = answer.sources[item.n - 1] if 1 <= item.n <= len(answer.sources) else None
            head = (_source_line(item.n, source.title, source.title_en, source.section, source.source, language)
                    if source else f"[{item.n}] 《{item.title}》")
            lines += [head, "", _quote(item.quote), ""]
    if answer.related:
        lines += [f"**{LABELS['related'][language]}**", ""]
        lines += [f"- 《{s.title}》" + (f" ({s.title_en})" if s.title_en else "") for s in answer.related] + [""]
    return "\n".join(lines).rstrip() + "\n"


def transcript_markdown(answers: Sequence[Answer], language: str, when: datetime | None = None) -> str:
    """A conversation's answers in order, under a title in the interface's language."""
    when = when or datetime.now()
    head = f"# {LABELS['title'][language]}\n\n{LABELS['exported'][language]}: {when:%Y-%m-%d %H:%M}\n"
    body = "\n---\n\n".join(answer_markdown(a) for a in answers) if answers else LABELS["empty"][language] + "\n"
    return f"{head}\n{body}"
