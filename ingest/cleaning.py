"""Undo PDF hard wraps and drop page furniture so chunks hold clean sentences."""
from __future__ import annotations

import re

_CJK = r"\u3400-\u9fff\uff00-\uffef\u3000-\u303f“”‘’"
_WRAP_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])[ \t]*\n+[ \t]*(?=[{_CJK}])")


def clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n")
    text = _WRAP_BETWEEN_CJK.sub("", text)
    lines = [line.strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)
