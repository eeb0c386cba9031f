"""Pure retrieval metrics over ranked chunk texts, shared by compare_retrieval and the eval harness.

Evidence rule: an evidence string is *found* in a ranked list when, after
``normalise_for_match`` (all whitespace removed, NFKC) on both sides, it is a substring of

* the text of one retrieved chunk, or
* the join of two retrieved chunks (or passages of adjacent chunks) that are neighbours in the
  same report (the first's last ordinal and the second's first differ by one, earlier first) --
  chunk boundaries can split an evidence string, and a reader shown both sees it whole. Chunks carry overlap, so the join may repeat a few
  characters; that can only hide a match, never invent one.

Evidence recall@k of a question is the share of its evidence strings found in the top k
(recall in the IR sense: a compare question with one evidence string per report scores 0.5
when only one side is retrieved); :func:`evidence_hit` is the stricter all-strings test.
The reciprocal rank is 1/k for the smallest k whose top k hold at least one evidence string.
Unanswerable questions have no evidence and are excluded from recall/MRR by the caller
(see :func:`answerable`).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from evals.questions import EvalQuestion, normalise_for_match


@dataclass(frozen=True)
class RankedChunk:
    """The little a metric needs to know about one retrieved chunk."""

    text: str
    report_id: str = ""
    ordinal: int | None = None
    # a passage joining adjacent chunks runs from `ordinal` to `last` (None: one chunk)
    last: int | None = None


def ranked_sources(store: Any, sources: Sequence[Any]) -> list[RankedChunk]:
    """Retrieved sources (rag.records.Source) as the metrics read them: each with the ordinals of
    its first and last chunk, read from the store (`Store.chunks`)."""
    ordinals = {c.id: c.ordinal for c in store.chunks([cid for s in sources for cid in (s.chunk_ids or [s.chunk_id])])}
    ranked = []
    for s in sources:
        members = [ordinals[cid] for cid in (s.chunk_ids or [s.chunk_id]) if cid in ordinals]
        ranked.append(RankedChunk(s.text, s.report_id, min(members) if members else None,
                                  max(members) if len(members) > 1 else None))
    return ranked


def _as_ranked(items: Sequence[RankedChunk | str]) -> list[RankedChunk]:
    return [item if isinstance(item, RankedChunk) else RankedChunk(text=item) for item in items]


def _haystacks(chunks: Sequence[RankedChunk]) -> list[str]:
    texts = [normalise_for_match(c.text) for c in chunks]
    joined = []
    for i, a in enumerate(chunks):
        for j, b in enumerate(chunks):
            end = a.last if a.last is not None else a.ordinal
            if end is not None and b.ordinal is not None and a.report_id == b.report_id and b.ordinal == end + 1:
                joined.append(texts[i] + texts[j])
    return texts + joined


def evidence_found(evidence: str, chunks: Sequence[RankedChunk | str]) -> bool:
    needle = normalise_for_match(evidence)
    return bool(needle) and any(needle in hay for hay in _haystacks(_as_ranked(chunks)))


def evidence_hit(evidence: Sequence[str], chunks: Sequence[RankedChunk | str]) -> bool:
    """True when every evidence string is found in ``chunks`` (see the module rule)."""
    if not evidence:
        return False
    haystacks = _haystacks(_as_ranked(chunks))
    needles = [normalise_for_match(e) for e in evidence]
    return all(n and any(n in hay for hay in haystacks) for n in needles)


def evidence_share(evidence: Sequence[str], chunks: Sequence[RankedChunk | str]) -> float:
    """Share of the evidence strings found in ``chunks``."""
    if not evidence:
        return 0.0
    haystacks = _haystacks(_as_ranked(chunks))
    needles = [normalise_for_match(e) for e in evidence]
    return sum(bool(n) and any(n in hay for hay in haystacks) for n in needles) / len(needles)


def first_hit_rank(evidence: Sequence[str], chunks: Sequence[RankedChunk | str]) -> int | None:
    """Smallest k (1-based) such that the top k chunks hold at least one evidence string."""
    ranked = _as_ranked(chunks)
    for k in range(1, len(ranked) + 1):
        if evidence_share(evidence, ranked[:k]) > 0:
            return k
    return None


def recall_at_k(evidence: Sequence[str], chunks: Sequence[RankedChunk | str], k: int) -> float:
    return evidence_share(evidence, _as_ranked(chunks)[:k])


def reciprocal_rank(evidence: Sequence[str], chunks: Sequence[RankedChunk | str]) -> float:
    rank = first_hit_rank(evidence, chunks)
    return 1.0 / rank if rank else 0.0


def report_hit_at_k(expected_reports: Iterable[str], retrieved_reports: Sequence[str], k: int) -> float:
    """Share of the expected reports (one, or both sides of a compare question) seen in the top k."""
    expected = set(expected_reports)
    if not expected:
        return 0.0
    return len(expected & set(retrieved_reports[:k])) / len(expected)


def answerable(questions: Iterable[EvalQuestion]) -> list[EvalQuestion]:
    """Retrieval metrics count only questions that have evidence to find."""
    return [q for q in questions if q.type != "unanswerable"]


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0
