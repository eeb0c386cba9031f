"""Checks on a question before any work is done."""
from __future__ import annotations

import re
from typing import Literal

from rag.errors import InputError
from rag.figures import extract_figures


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


# What kind of answer a question asks for, where its form says so: a count or amount ("多少",
# "how many") or a date ("何时", "when"). A sentence that answers it holds such a figure that
# the question does not already state; sentence scoring counts that like one more key term.
_QUANTITY = re.compile(r"多少|几[项个家条种次位名类部批届]|多大|多高|多长|比例|占比|百分之几|"
                       r"\bhow (?:many|much)\b|\bwhat (?:percentage|share|proportion|number|amount)\b", re.I)
_DATE = re.compile(r"何时|什么时候|哪一年|哪年|哪个月|何年|哪一天|日期|\bwhen\b|\b(?:what|which) (?:year|month|date|day)\b",
                   re.I)


def expected_answer(question: str) -> Literal["quantity", "date"] | None:
    if _QUANTITY.search(question):
        return "quantity"
    return "date" if _DATE.search(question) else None


def holds_expected(sentence: str, expects: str | None, question: str) -> bool:
    """The sentence holds a figure of the expected kind that the question does not state
    ("SC 42已发布37项" answers "SC 42发布了多少项", "SC 42" alone does not)."""
    if expects is None:
        return False
    asked = {f.raw.strip() for f in extract_figures(question)}
    kinds = ("number", "percent") if expects == "quantity" else ("date",)
    return any(f.kind in kinds and f.raw.strip() not in asked for f in extract_figures(_IDENTIFIER.sub(" ", sentence)))


# The number of a body, a standard or a clause is a name, not a count: "SC 42", "WG 13",
# "ISO/IEC 42001:2023", "JTC 1", "SG21", "Article 5", "第十七条", and a heading's "01"
_IDENTIFIER = re.compile(r"(?<!\d)0\d(?![\d.,%])|(?<![A-Za-z])(?:[A-Z][A-Za-z]*[/-]?)+\s?\d+(?:[-:.]\d+)*|\b(?:Article|Art\.|No\.)\s?\d+|第[\d一二三四五六七八九十百]+[条章节款项]")
