"""A bare answer ("37 [1]", "58% [1]") given as the source sentence that states it.

A figure or a name alone answers the question only for a reader who still has the question in
mind; an analyst pasting it into a note needs what it counts, and a bare figure is written in no
language at all, so a Chinese question gets no Chinese answer. The checker has already found the
stretch of the cited source that holds the figure where it speaks of the question's subject
(rag.citations judges a bare claim with its question); the sentence of that stretch holding the
figure is the report's own statement of the answer.
"""
from __future__ import annotations

import re

from rag.compression import usable_sentences
from rag.figures import extract_figures
from rag.support import Verdict, normalise, strip_markers


def _needles(claim: str) -> list[str]:
    """What the sentence must hold: the claim's figures as written, else the claim itself (a name)."""
    figures = [normalise(f.raw).strip() for f in extract_figures(claim)]
    return [f for f in figures if f] or [n for n in [normalise(strip_markers(claim)).strip(" 。.")] if n]


def stating_sentence(text: str, verdict: Verdict, claim: str) -> tuple[int, int] | None:
    """The span of the sentence of `text` that states the bare `claim`: the first holding it
    within the stretch the checker found (`verdict`); None when no sentence there holds it as
    written (an amount the model converted, say)."""
    needles = _needles(claim)
    if not needles:
        return None
    # a figure is held as a whole number: "37" is not in "2037" or "370"
    patterns = [re.compile(rf"(?<!\d){re.escape(n)}(?!\d)") for n in needles]
    holding = [(a, b) for a, b in usable_sentences(text) if any(p.search(normalise(text[a:b])) for p in patterns)]
    if verdict.end > verdict.start:  # another sentence holding the same figure may speak of something else
        holding = [(a, b) for a, b in holding if a < verdict.end and verdict.start < b]
    return holding[0] if holding else None
