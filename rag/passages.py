"""Adjacent chunks that both rank high are read as one passage.

The chunker cuts a report into ~600-character pieces, so an answer that runs on (a fine, and
in the next clause the consent it needs; a figure, and one chunk on the comparison with last
year) lands in two chunks, and the second often ranks just below the fifth. A hit takes in the
chunk right before or after it when that one ranks high too: the passage is the text as the
report wrote it, and it takes one place in the list instead of two.

Written by hand: llama-index's AutoMergingRetriever does this for parent nodes of a
hierarchical parse, which a flat store of overlapping chunks does not have.
"""
from __future__ import annotations

from collections.abc import Sequence

from rag.records import Chunk


def join_adjacent(picked: Sequence[tuple[str, float]], chunks: dict[str, Chunk], window: int, k: int
                  ) -> list[tuple[str, float, list[str]]]:
    """The k best passages from the ranked hits `picked`: each hit, in rank order, takes in the
    chunk right before and right after it in its report when that one ranks within the first
    `window` hits and is in no passage yet. Each passage is (the hit's id, its score, its chunk
    ids in text order); window 0 keeps every chunk apart. The order does not depend on k."""
    near = {(chunks[cid].report_id, chunks[cid].ordinal): cid for cid, _ in picked[:window]}
    used: set[str] = set()
    passages = []
    for cid, score in picked:
        if len(passages) == k:
            break
        if cid in used:
            continue
        chunk = chunks[cid]
        members = [cid]
        for step in (-1, 1):
            other = near.get((chunk.report_id, chunk.ordinal + step))
            if other is not None and other not in used:
                members.append(other)
        used.update(members)
        passages.append((cid, score, sorted(members, key=lambda m: chunks[m].ordinal)))
    return passages


def joined_text(members: Sequence[Chunk]) -> str:
    """The members' text as one: a chunk repeats the last sentences of the one before it
    (`chunk_overlap_chars`), and both are slices of the same report text, so the overlap is
    cut by offsets; chunks with a gap between them (a heading, a page break) join on a line."""
    text = members[0].text
    for before, chunk in zip(members, members[1:]):
        overlap = before.end - chunk.start
        text += chunk.text[overlap:] if overlap > 0 else "\n" + chunk.text
    return text


def joined_section(members: Sequence[Chunk]) -> str:
    """One section path for the passage: the members' own paths when they differ, after the
    part they share ("条例 > 第四章 > 第三十三条 / 第五章 > 第三十四条")."""
    paths = list(dict.fromkeys(c.section for c in members if c.section))
    # a section's opening ("条例 > 第一章") beside a passage deeper in it names nothing more
    paths = [p for p in paths if not any(other.startswith(p + " > ") for other in paths)]
    if len(paths) < 2:
        return paths[0] if paths else ""
    parts = [p.split(" > ") for p in paths]
    shared = 0
    while all(len(p) > shared + 1 for p in parts) and len({p[shared] for p in parts}) == 1:
        shared += 1
    tails = " / ".join(" > ".join(p[shared:]) for p in parts)
    return " > ".join([*parts[0][:shared], tails]) if shared else tails
