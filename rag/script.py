"""Traditional -> Simplified Chinese, so a question in either script matches text in either (OpenCC)."""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Character-level t2s conversion; Simplified and Latin text pass through unchanged."""
    if not text or text.isascii():
        return text
    return _converter().convert(text)
