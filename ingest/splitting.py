"""One file may hold several reports (a journal extract); find where each begins."""
from __future__ import annotations

from typing import Any


def split_reports(text: str, entries: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int, int]]:
    """Return (metadata, start, end) per report. Compilation articles start at the title
    block just above their `split_marker` author line."""
    if len(entries) <= 1:
        return [(entries[0] if entries else {}, 0, len(text))]
    starts = []
    for entry in entries:
        pos = text.find(entry.get("split_marker", "\0"))
        if pos < 0:
            raise ValueError(f"split marker for {entry['id']} not found")
        title_start = text.rfind("\n", 0, max(text.rfind("\n", 0, pos) - 1, 0))
        starts.append(max(title_start, 0))
    starts[0] = 0
    bounds = starts[1:] + [len(text)]
    return [(entry, s, e) for entry, s, e in zip(entries, starts, bounds, strict=True)]
