"""Checks on a question before any work is done."""
from __future__ import annotations

from rag.errors import InputError


def validate_question(question: str, max_chars: int) -> str:
    question = (question or "").strip()
    if not question:
        raise InputError("The question is empty.", "问题为空。")
    if len(question) > max_chars:
        raise InputError(
            f"The question has {len(question)} characters; the limit is {max_chars}. Shorten it to the point you want answered.",
            f"问题长度为 {len(question)} 个字符，超过上限 {max_chars}。请精简为你想问的要点。",
        )
    return question
