"""A bare answer ("37 [1]", "58% [1]") given as the source sentence that states it.

A figure or a name alone answers the question only for a reader who still has the question in
mind; an analyst pasting it into a note needs what it counts, and a bare figure is written in no
language at all, so a Chinese question gets no Chinese answer. The checker has already found the
stretch of the cited source that holds the figure where it speaks of the question's subject
(rag.citations judges a bare claim with its question); the sentence there holding every figure
of the claim is the report's own statement of the answer.
"""
from __future__ import annotations

from rag.citations import EMPTY_LIST_ITEM
from rag.compression import usable_sentences
from rag.figures import figures_in, missing_figures
from rag.support import Verdict, normalise, strip_markers

# a longer "sentence" is a paragraph or run-together layout: no statement of one figure
MAX_STATING_CHARS = 300


def stating_sentence(text: str, verdict: Verdict, claim: str) -> tuple[int, int] | None:
    """The span of the first sentence of `text` that states the bare `claim` (each of its figures
    at the same magnitude and unit, as the checker reads figures: 37 is not 37.5% nor 2037, and
    the report's footnote marks are none; a claim without figures, a name, as written), within the
    stretch the checker found (`verdict`) or a sentence either side of it, as the checker reads a
    figure's context; None when no sentence there states it (the answer then stays as it is)."""
    claim = strip_markers(claim)
    if not claim or EMPTY_LIST_ITEM.fullmatch(claim):
        return None  # a list item the model left empty ("2."): it states no figure of its own
    name = normalise(claim).strip("。.，,") if not figures_in(claim) else ""

    def states(a: int, b: int) -> bool:
        if b - a > MAX_STATING_CHARS:
            return False
        sentence = strip_markers(text[a:b])
        return name in normalise(sentence) if name else not missing_figures(claim, sentence)

    spans = usable_sentences(text)
    if verdict.end > verdict.start:
        inside = [i for i, (a, b) in enumerate(spans) if a < verdict.end and verdict.start < b]
        spans = spans[max(inside[0] - 1, 0):inside[-1] + 2] if inside else []
    return next(((a, b) for a, b in spans if states(a, b)), None)
