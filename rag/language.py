"""Which language a question is in decides the prompt, the refusal and the answer language."""
from __future__ import annotations

import re

from rag.records import Language

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_ENGLISH_GRAMMAR = re.compile(
    r"(?<![A-Za-z])(the|of|to|is|are|was|were|does|do|did|what|which|who|how|why|and|with|that|its)(?![A-Za-z])",
    re.IGNORECASE,
)


def detect_language(text: str) -> Language:
    # Chinese questions routinely carry Latin terms (ISO/IEC 42001, AI Act), so count Han
    # characters against Latin words; but an English sentence that quotes Chinese terms
    # ("four tiers: 高风险, 有限风险") has English grammar words, and Chinese text with a
    # Latin term almost never does.
    han = len(_HAN.findall(text))
    words = len(_LATIN_WORD.findall(text))
    if not han:
        return "en"
    english_sentence = len(_ENGLISH_GRAMMAR.findall(text)) >= 1 and words * 3 >= han
    return "en" if english_sentence or words > han else "zh"
