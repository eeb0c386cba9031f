"""Checks on a question before any work is done."""
from __future__ import annotations

import re
from typing import Literal

from rag.errors import InputError
from rag.figures import STANDARD_ID, Figure, extract_figures, is_year


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
# "how many") or a date ("何时", "when did"). A sentence that answers it holds such a figure
# that the question does not already state; sentence scoring counts that like key terms held.
# (哪几个方面 asks for a list, 比例原则 is a principle, "what must they do when…" no date.)
_QUANTITY = re.compile(r"多少|(?<!哪)几[项个家条种次位名类部批届]|多大|多高|多长|多久|占比|百分之几|"
                       r"\bhow (?:many|much|long)\b|\bwhat (?:percentage|share|proportion|number|amount)\b", re.I)
_DATE = re.compile(r"何时|什么时候|哪一年|哪年|哪个月|何年|哪一天|^\s*when\b|\b(?:what|which) (?:year|month|date|day)\b",
                   re.I)
# The number of a body, a standard or a clause is a name, not a count ("SC 42", "WG 13",
# "ISO/IEC 42001:2023", "SG21", "第十七条", "Article 5"), nor is a heading's "01" (STANDARD_ID
# leaves out a currency code before an amount, "EUR 1 billion").
_IDENTIFIER = re.compile(rf"{STANDARD_ID.pattern}|(?<!\d)0\d(?![\d.,%])|"
                         r"\b(?:Article|Art\.|No\.)\s?\d+|第[\d一二三四五六七八九十百]+[条章节款项]")


# A provision's label standing alone ("第四十四条", "依据第四十四条第二款", "Article 44(1) of the PIPL", "4.1.3",
# not a dotted date "2023.8.15"): it says where an answer may be, not what it is, so it answers only a
# question asking which provision (or which law, where in it, on what legal basis).
_LABEL_WORD = r"[A-Z][A-Za-z0-9-]*"  # a capitalised word of a law's name: "of the PIPL", "of the EU AI Act"
_PROVISION_ONLY = re.compile(
    r"^\s*(?:依据|根据|见|参见|(?i:see|under|per))?\s*(?:"
    r"(?:第[\d０-９一二三四五六七八九十百零〇]+[编章节条款项編節條項]\s*)+|"
    r"(?i:article|art\.|section|clause|chapter|paragraph)\s?\d+(?:\([0-9a-z]+\)|\.\d+)*|(?!(?:19|20)\d\d\.)\d+(?:\.\d+){2,}"
    rf")\s*(?:of (?:the )?{_LABEL_WORD}(?:\s+(?:{_LABEL_WORD}|of|on|for|and|the))*)?\s*[。.；;]?\s*$")
_ASKS_PROVISION = re.compile(r"哪[一几幾个個些]?[条款章节项编條節項編]|第[几幾][条款章节项编條節項編]|条款有哪些|什么条款|"
                             r"依据|出处|条文|條文|"
                             r"\b(?:which|what) (?:article|section|clause|chapter|provision|paragraph|law|regulation|act|"
                             r"part|rule)s?\b|\bwhere in\b|\blegal basis\b", re.I)


def only_a_provision(claim: str, question: str) -> bool:
    """The claim is a provision's label alone and the question asks for something else."""
    return bool(_PROVISION_ONLY.match(claim)) and not _ASKS_PROVISION.search(question)


# A count or a sum of money asked for ("多少", "几项", "how many", "how much … spend"): an answer that
# states none answers something else. Of _QUANTITY's forms, a span or a size (多久, 多长, 多大, 多高,
# "how long") may be answered in words ("每年度", "within a month"), and "how much" without money
# asks for a degree ("how much does it rely on…"), so those are left out.
_COUNT = re.compile(r"多少|(?<!哪)几[项个家条种次位名类部批届]|百分之几|\bhow many\b|"
                    r"\bwhat (?:percentage|share|proportion|number|amount)\b|"
                    r"\bhow much\b(?=.*\b(?:money|spend|spent|cost|fine|fined|invest|budget|revenue|worth|pay|paid|"
                    r"price|funding|euros?|dollars?|yuan)\b)", re.I)


def asks_count(question: str) -> bool:
    return bool(_COUNT.search(question))


def holds_count(sentence: str, asked: set[str]) -> bool:
    """The sentence states a count or an amount the question (`asked`, from stated_figures) does
    not: not a year ("In 2023, the regulators signed it") nor a name's number."""
    return any(f.kind == "percent" or (f.kind == "number" and not is_year(f)) for f in _new_figures(sentence, asked))


def expected_answer(question: str) -> Literal["quantity", "date"] | None:
    if _QUANTITY.search(question):
        return "quantity"
    return "date" if _DATE.search(question) else None


def stated_figures(question: str) -> set[str]:
    """The figures a question itself states, once per question."""
    return {f.raw.strip() for f in extract_figures(question)}


def holds_expected(sentence: str, expects: str | None, asked: set[str]) -> bool:
    """The sentence holds a figure of the expected kind that the question does not state
    (`asked`, from stated_figures): "SC 42已发布37项" answers "SC 42发布了多少项", "SC 42" alone does not."""
    if expects is None:
        return False
    figures = _new_figures(sentence, asked)
    if expects == "quantity":
        return any(f.kind in ("number", "percent") for f in figures)
    return any(f.kind == "date" or is_year(f) for f in figures)


def _new_figures(sentence: str, asked: set[str]) -> list[Figure]:
    """The sentence's figures that count or date something, other than those the question states."""
    return [f for f in extract_figures(_IDENTIFIER.sub(" ", sentence)) if f.raw.strip() not in asked]
