"""Answer-level metrics for one question: faithfulness, citations, refusal, correctness.

Definitions (the report cites them):

* faithfulness (RAGAS): claims of the answer supported by the sources the answer cites,
  divided by all its claims. The offline judge takes sentences as claims; the LLM judge
  extracts claims itself.
* citation recall (ALCE): share of answer sentences whose cited passages, joined, support them.
* citation precision (ALCE): among all citations, those that are not superfluous: a citation
  of a supported sentence counts unless it alone fails to support the sentence while the
  sentence's other citations still do; citations of unsupported sentences never count.
* cited-evidence rate: share of the gold evidence strings found in the cited chunks' text.
* shown-evidence rate: the same over the chunks the answer cites and those its evidence quotes
  come from: the reader sees both, each quote with its source's number, under the answer.
* correctness: character ROUGE-L F (zh) or unigram F1 (en; ROUGE-1 F over multiset token
  overlap is exactly SQuAD's token F1) against the reference answer, and the share of the
  reference's figures the answer states at the same magnitude (rag.figures).
"""
from __future__ import annotations

import re
import statistics
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from evals.judges import Judge
from evals.retrieval_metrics import evidence_found
from rag.citations import marker_numbers
from rag.figures import extract_figures, missing_figures
from rag.records import Answer
from rag.support import normalise as normalise_for_match
from rag.support import split_sentences, strip_markers


_LEADING_MARKERS = re.compile(r"\s*(?:\[\d+(?:\s*[,，、]\s*\d+)*\]\s*)+")


class _CharTokenizer:
    """rouge-score drops non-Latin text with its default tokenizer; Chinese is scored per character."""

    def tokenize(self, text: str) -> list[str]:
        return [c for c in text if not c.isspace()]


@cache
def _scorer(language: str):
    from rouge_score.rouge_scorer import RougeScorer

    if language == "zh":
        return RougeScorer(["rougeL"], tokenizer=_CharTokenizer())
    return RougeScorer(["rouge1"])


def correctness(answer: str, reference: str, language: str) -> dict[str, float | None]:
    answer = strip_markers(answer)
    if language == "zh":
        overlap = _scorer("zh").score(reference, answer)["rougeL"].fmeasure
    else:
        overlap = _scorer("en").score(reference, answer)["rouge1"].fmeasure
    figures = extract_figures(reference)
    matched = 1 - len(missing_figures(reference, answer)) / len(figures) if figures else None
    return {"overlap": overlap, "figures_matched": matched, "key_facts": key_facts_found(answer, reference)}


_TITLE = re.compile(r"《[^》]{2,40}》|“[^”]{2,20}”")
_LATIN_NAME = re.compile(r"\b(?:[A-Z][A-Za-z0-9&./-]*[A-Z0-9][A-Za-z0-9&./-]*|[A-Z][a-z]+(?:\s+(?:of\s+|for\s+|the\s+)?[A-Z][a-z]+)+)\b")
_STOP_NAMES = {"The", "This", "These", "According", "It", "In", "Yes", "No"}


def key_facts(reference: str) -> list[str]:
    """The figures and names an answer must carry to be right: titles in 《》 and quoted terms,
    Latin acronyms and capitalised names; figures are matched by value (rag.figures)."""
    names = [m.group(0).strip("《》“”") for m in _TITLE.finditer(reference)]
    names += [m.group(0) for m in _LATIN_NAME.finditer(reference) if m.group(0) not in _STOP_NAMES]
    return list(dict.fromkeys(n for n in names if len(n) >= 2))


def key_facts_found(answer: str, reference: str) -> float | None:
    """Share of the reference's key figures and names found in the answer, across languages:
    figures by value and unit (3500万 = 35 million), names by text (Traditional = Simplified)."""
    from rag.script import to_simplified

    answer = strip_markers(answer)
    names = key_facts(reference)
    figures = extract_figures(reference)
    total = len(names) + len(figures)
    if not total:
        return None
    haystack = to_simplified(normalise_for_match(answer)).lower()
    found = sum(to_simplified(normalise_for_match(n)).lower() in haystack for n in names)
    found += len(figures) - len(missing_figures(reference, answer))
    return found / total


def mixed_script_words(answer: str, language: str) -> int:
    """Chinese glued into English words ("systemic对手"): counted in English answers only, since
    a Chinese sentence naming "GDPR" is normal writing."""
    from rag.script import mixed_script_words as mixed

    return len(mixed(_own_words(answer))) if language == "en" else 0


def _own_words(answer: str) -> str:
    """The answer without what it quotes: a quoted passage is the report's writing, not the answer's."""
    # a quote may hold quotation marks of its own: a quoted line is dropped whole
    answer = re.sub(r"(?m)^\s*“.*”\s*(?:\[\d+(?:\s*[,，、]\s*\d+)*\])*\s*$", "", answer)
    return re.sub(r"“[^”]*”", "", strip_markers(answer))


def restates_question(answer: str, question: str) -> bool:
    """The answer is the question said again (or holds it almost whole) and gives no figure the
    question lacks: "截至2025年6月，JTC 21发布了15项标准" for "…发布了多少项标准？" answers it."""
    from difflib import SequenceMatcher

    from rag.figures import extract_figures

    own = _own_words(answer)
    a = normalise_for_match(own).rstrip("。.?？")
    q = normalise_for_match(question).rstrip("。.?？")
    if not a or not q:
        return False
    if {f.raw.strip() for f in extract_figures(own)} - {f.raw.strip() for f in extract_figures(question)}:
        return False
    return SequenceMatcher(None, a, q).ratio() >= 0.75 or (len(q) >= 12 and q in a and len(a) < 1.5 * len(q))


def cited_sentences(answer: Answer) -> list[tuple[str, list[int]]]:
    """(sentence without markers, the source numbers it cites), from the answerer's own split when it made one."""
    if answer.sentences:
        return [(strip_markers(s.text), list(s.citations)) for s in answer.sentences if strip_markers(s.text)]
    result: list[tuple[str, list[int]]] = []
    for piece in split_sentences(answer.answer):
        # "…罚款。[1] 下一句": markers right after a full stop belong to the sentence before it
        if result and (lead := _LEADING_MARKERS.match(piece)):
            result[-1][1].extend(marker_numbers(lead.group(0)))
            piece = piece[lead.end():]
        if text := strip_markers(piece):
            result.append((text, marker_numbers(piece)))
    return result


def _joined(numbers: Sequence[int], passages: Mapping[int, str]) -> str:
    return "\n\n".join(passages[n] for n in numbers)


def citation_scores(sentences: Sequence[tuple[str, list[int]]], passages: Mapping[int, str], judge: Judge
                    ) -> dict[str, float | None]:
    recalled, relevant, total = 0, 0, 0
    for text, numbers in sentences:
        cited = [n for n in dict.fromkeys(numbers) if n in passages]
        total += len(numbers)
        if not cited or not judge.supports(text, _joined(cited, passages)):
            continue
        recalled += 1
        for n in cited:
            others = [m for m in cited if m != n]
            superfluous = not judge.supports(text, passages[n]) and others and judge.supports(text, _joined(others, passages))
            relevant += not superfluous
    return {
        "citation_recall": recalled / len(sentences) if sentences else None,
        "citation_precision": relevant / total if total else None,
    }


def faithfulness(answer_text: str, passages: Mapping[int, str], judge: Judge) -> float | None:
    claims = judge.claims(answer_text)
    if not claims:
        return None
    if not passages:
        return 0.0
    context = _joined(sorted(passages), passages)
    return sum(judge.supports(c, context) for c in claims) / len(claims)


def cited_evidence_rate(evidence: Sequence[str], cited_texts: Sequence[str]) -> float | None:
    if not evidence:
        return None
    return sum(evidence_found(e, cited_texts) for e in evidence) / len(evidence)


def citation_problems(answer: Answer, stored_texts: Mapping[str, str]) -> list[str]:
    """Why the answer's citations cannot be trusted: markers without a citation, or cited text not in the index."""
    problems = []
    numbers = {c.n for c in answer.citations}
    for n in sorted(set(marker_numbers(answer.answer)) - numbers):
        problems.append(f"[{n}] has no citation")
    for c in answer.citations:
        if stored_texts.get(c.chunk_id) != c.text:
            problems.append(f"[{c.n}] text is not the stored passage {c.chunk_id!r}")
        if c.quote and c.quote not in c.text:
            problems.append(f"[{c.n}] quote is not inside its passage")
    return problems


def answer_scores(answer: Answer, question: Any, judge: Judge, stored_texts: Mapping[str, str]) -> dict[str, Any]:
    """All answer-level scores of one answered question (`question` is an EvalQuestion)."""
    answerable = question.type != "unanswerable"
    # an unanswerable question is handled when it is refused or answered with the closest passages
    # only ("the reports do not say this directly"): both make no claim of their own
    handled = answer.status != "answered"
    scores: dict[str, Any] = {
        "refused": answer.refused,
        "status": answer.status,
        "refusal_correct": None if answerable else handled,
        "false_refusal": answer.refused if answerable else None,
        "closest_only": answer.status == "closest" if answerable else None,
        "citation_problems": citation_problems(answer, stored_texts),
    }
    if answer.refused:
        return scores
    if answer.written:
        from rag.language import detect_language

        scores["language_ok"] = detect_language(answer.answer) == question.lang
    scores["mixed_script"] = mixed_script_words(answer.answer, question.lang)
    scores["restates_question"] = restates_question(answer.answer, question.question)
    scores["citations_valid"] = not scores["citation_problems"]
    passages = {c.n: c.text for c in answer.citations}
    scores.update(citation_scores(cited_sentences(answer), passages, judge))
    scores["faithfulness"] = faithfulness(answer.answer, passages, judge)
    if answer.citations:  # a longer quote holds more by construction: its length is read beside it
        scores["cited_quote_chars"] = statistics.fmean(len(c.quote) for c in answer.citations)
    if answerable:
        scores["cited_evidence"] = cited_evidence_rate(question.evidence, list(passages.values()))
        # what a reader sees highlighted when opening a citation, not the whole chunk
        scores["cited_quote_evidence"] = cited_evidence_rate(question.evidence, [c.quote for c in answer.citations])
        quoted = {e.n: answer.sources[e.n - 1].text for e in answer.evidence if 1 <= e.n <= len(answer.sources)}
        scores["shown_evidence"] = cited_evidence_rate(question.evidence, list((quoted | passages).values()))
        scores.update(correctness(answer.answer, question.answer, question.lang))
    return scores
