"""Terminal views of what was indexed: the report list and one file's reports, sections and chunks."""
from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from rag.records import Chunk, Report


def reports_table(reports: Sequence[Report], wide: bool = False) -> Table:
    """Fits 80 columns by default (id, title, date, chunks; long cells wrap); --wide adds
    authors, English title and source file."""
    table = Table(show_lines=False, expand=False)
    table.add_column("id", overflow="fold", max_width=24 if not wide else None)
    table.add_column("title / 标题", overflow="fold", ratio=3)
    if wide:
        table.add_column("authors / 作者", overflow="fold")
        table.add_column("source / 文件", overflow="fold")
    table.add_column("date / 日期", no_wrap=True)
    table.add_column("chunks", justify="right", no_wrap=True)
    for r in reports:
        title = f"{r.title}\n{r.title_en}" if wide and r.title_en else r.title
        row = [r.id, title]
        if wide:
            row += [", ".join(r.authors), r.source]
        row += [r.date or "", str(r.chunk_count)]
        table.add_row(*row)
    return table


def print_inspection(console: Console, source: str, reports: Sequence[Report], chunks: Sequence[Chunk],
                     full: bool = False) -> None:
    """A file's reports with their metadata and its provenance, the sections with the character
    span they cover, and every chunk with its span, so a user sees how the text was cut."""
    console.print(f"[bold]{source}[/bold]: {len(reports)} report(s) 篇报告, {len(chunks)} chunks 个片段")
    for report in reports:
        console.rule(f"{report.id}")
        for field in ("title", "title_en", "authors", "venue", "date", "url", "language"):
            value = getattr(report, field)
            if value:
                shown = ", ".join(value) if isinstance(value, list) else value
                origin = report.provenance.get(field)
                console.print(f"  {field}: {shown}" + (f"  [dim]({origin})[/dim]" if origin else ""))
        mine = [c for c in chunks if c.report_id == report.id]
        sections: dict[str, list[Chunk]] = {}
        for chunk in mine:
            sections.setdefault(chunk.section, []).append(chunk)
        console.print(f"  sections 章节: {len(sections)}")
        for section, members in sections.items():
            console.print(f"    [{members[0].start}:{members[-1].end}] {section or '(no section / 无章节)'}"
                          f"  ({len(members)} chunks)")
        console.print("  chunks 片段:")
        for chunk in mine:
            text = chunk.text if full else chunk.text.replace("\n", " ")[:70] + ("…" if len(chunk.text) > 70 else "")
            console.print(f"    #{chunk.ordinal} [{chunk.start}:{chunk.end}] {len(chunk.text)} chars  {text}",
                          markup=False, highlight=False)
