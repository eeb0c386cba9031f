"""Which language a question is in decides the prompt, the refusal and the answer language."""
from __future__ import annotations

import re

from rag.records import Language

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def detect_language(text: str) -> Language:
    # Chinese questions routinely carry Latin terms (ISO/IEC 42001, AI Act); an English
    # question rarely carries more Han characters than words, so compare the two counts.
    han = len(_HAN.findall(text))
    words = len(_LATIN_WORD.findall(text))
    return "zh" if han and han >= words else "en"
