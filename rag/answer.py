"""Turn a question into a checked, cited answer: retrieve, compress, prompt, stream, verify.

Stream order: "sources" (right after retrieval, before any LLM work) → "token"* → "answer".
A "reset" among the tokens means the text streamed so far was dropped and a new answer follows.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any, Literal

from llama_index.core.base.llms.types import ChatMessage, MessageRole

from rag.citations import CITATION_MARK, check_answer, citation_for, with_markers
from rag.compression import Compressor, Excerpt, estimate_tokens, key_terms, term_coverage, usable_sentences
from rag.errors import LLMUnavailableError, ZhikuError
from rag.figures import english_amounts
from rag.language import detect_language
from rag.prompts import load_prompt, refusal_text
from rag.questions import validate_question
from rag.query_translation import QueryTranslator
from rag.records import Answer, Citation, SentenceCheck, Source
from rag.support import SupportJudge, Verdict, normalise

# What the model writes when the sources lack the answer (the prompts ask for exactly this).
NOT_FOUND = ("资料中没有相关信息", "reports do not contain this", "do not contain this", "does not contain this",
             # paraphrases the model also uses for "not found" (dev set en-043: "The annual budget
             # … is not provided in the given text. [2]")
             "not provided in the given text", "not mentioned in the given text", "资料中未提及")


EXCERPT_SCORE_GAP = 0.1
MAX_EXCERPTS = 3
# Quoted sentences must bear on the question at least this much (compression score, 0-1).
EXTRACTIVE_MIN_SCORE = 0.3


def _is_prose(sentence: str) -> bool:
    """Footnote URLs and reference lines are no answer, however well they score."""
    han = len(re.findall(r"[\u4e00-\u9fff]", sentence))
    return han >= 8 and "http" not in sentence and "www." not in sentence


@dataclass
class AnswerEvent:
    """What a streaming consumer sees: sources first, then tokens, then the final answer."""

    kind: Literal["sources", "token", "reset", "answer"]
    sources: list[Source] | None = None
    delta: str = ""
    answer: Answer | None = None
    notice: str = ""  # with a reset: what the model does next, in the question's language


# A later reading can take 10–30 s on 2 cores: the user sees why nothing is written yet.
READING_NOTICES = {
    "again": {"en": "No answer checked against the sources yet: asking the model again in Chinese…",
              "zh": "尚未得到有据可查的答案：正在用中文重新提问……"},
    "translation": {"en": "Still no answer: reading the sentences picked for the question in Chinese…",
                    "zh": "仍未得到答案：正在阅读按中文问题挑选的句子……"},
    "unread": {"en": "Still no answer: reading the passages not read yet…",
               "zh": "仍未得到答案：正在阅读尚未读过的段落……"},
}


def format_excerpts(excerpts: Sequence[tuple[int, Excerpt]], english: bool = False) -> str:
    """Numbered by the source's place in Answer.sources, so [n] means the same everywhere.
    Footnote marks like "[2]" inside a report would read as citations of another source; for
    an English answer, amounts in 万/亿 are given in English for the model to copy."""
    def body(excerpt: Excerpt) -> str:
        text = CITATION_MARK.sub("", excerpt.text)
        return english_amounts(text) if english else text

    def header(source: Source) -> str:
        # the authors too: asked what "西曼认为", the model answered "not found" from the
        # right excerpt when nothing in it named Seaman
        return f"《{source.title}》" + (f"（{'、'.join(source.authors)}）" if source.authors else "")

    return "\n\n".join(f"[{n}] {header(e.source)}\n{body(e)}" for n, e in excerpts)


def focused_excerpts(excerpts: Sequence[Excerpt], sources: Sequence[Source]) -> list[tuple[int, Excerpt]]:
    """The excerpts the model reads, numbered by their source's place in the answer's sources.

    The 1.5B model answered "not found" when a weaker second excerpt sat beside the one
    holding the answer, and answered right with that one alone: it gets only close seconds."""
    top = max(e.best for e in excerpts)
    return numbered_excerpts([e for e in excerpts if e.best >= top - EXCERPT_SCORE_GAP][:MAX_EXCERPTS], sources)


def numbered_excerpts(excerpts: Sequence[Excerpt], sources: Sequence[Source]) -> list[tuple[int, Excerpt]]:
    """In retrieval order, each with its source's number in the answer's sources."""
    return [(sources.index(e.source) + 1, e) for e in sorted(excerpts, key=lambda e: e.source.rank)]


@cache
def _not_found_forms() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """NOT_FOUND and the whole refusal sentences, normalised once: the stream checks every token."""
    phrases = tuple(normalise(p).lower() for p in NOT_FOUND)
    return phrases, phrases + tuple(normalise(refusal_text(lang)).lower() for lang in ("en", "zh"))


def may_become_not_found(text: str) -> bool:
    """True while the text so far could still grow into the "not found" sentence."""
    lowered = normalise(text).lower()
    return any(form.startswith(lowered) or form in lowered for form in _not_found_forms()[1])


def _answers(checked: tuple[str, list[Citation], list[SentenceCheck]] | None) -> bool:
    """The model answered, and the sources hold at least one sentence of it."""
    return checked is not None and any(c.supported for c in checked[2])


def says_not_found(text: str) -> bool:
    lowered = normalise(text).lower()
    return any(phrase in lowered for phrase in _not_found_forms()[0])


class Answerer:
    def __init__(self, engine: Any):
        self.engine = engine
        self.settings = engine.settings  # the UI swaps in a copy per mode; read it per call

    @cached_property
    def judge(self) -> SupportJudge:
        return SupportJudge(self.engine.embedder, self._glossary)

    @cached_property
    def compressor(self) -> Compressor:
        return Compressor(self.judge, getattr(self.engine.retriever, "cross_lingual", None))

    def confidence(self, question: str, excerpts: Sequence[Excerpt], sources: Sequence[Source]) -> float:
        """How sure retrieval is that the sources answer the question, 0–1.

        Two signals that fail differently: the best sentence's score (dense + lexical, from
        compression) and the share of the question's key terms the top sources hold, terms
        translated through the retriever's glossary for English questions. Either alone lets
        an off-topic question through when the corpus shares its vocabulary ("EU", "AI").
        """
        if not excerpts:
            return 0.0
        terms = key_terms(question, self._glossary_terms(question))
        coverage = term_coverage(terms, " ".join(s.text for s in sources[:3]))
        best = max(e.best for e in excerpts)
        return round(0.6 * best + 0.4 * coverage, 4)

    @property
    def _glossary(self):
        return getattr(self.engine.retriever, "glossary", None)

    def _glossary_terms(self, question: str) -> list[str]:
        glossary = self._glossary
        if glossary is None or detect_language(question) == "zh":
            return []
        return list(glossary.expand(question).preferred)

    def stream(self, question: str, report_ids: Sequence[str] | None = None,
               history: Sequence[tuple[str, str]] | None = None) -> Iterator[AnswerEvent]:
        settings = self.settings
        started = time.perf_counter()
        question = validate_question(question, settings.max_question_chars)
        language = detect_language(question)
        timings: dict[str, float] = {}

        def ms() -> float:
            return round((time.perf_counter() - started) * 1000, 1)

        standalone = question
        if history:
            from rag.chat import condense_question

            standalone = condense_question(self.engine, question, history)
            timings["condense"] = ms()
        sources = self.engine.retriever.retrieve(standalone, k=settings.top_k, report_ids=report_ids)
        timings["retrieve"] = ms()
        yield AnswerEvent("sources", sources=sources)

        excerpts = self.compressor.compress(standalone, sources, settings.context_budget_tokens,
                                            self._glossary_terms(standalone)) if sources else []
        confidence = self.confidence(standalone, excerpts, sources)
        timings["compress"] = ms()
        base = Answer(question=question, language=language, answer="", sources=sources, mode=settings.answer_mode,
                      models=self.engine.model_names(), confidence=confidence)
        if standalone != question:
            base.notice = f"{'检索问题' if language == 'zh' else 'Searched for'}: {standalone}"
        if confidence < settings.min_confidence:
            yield AnswerEvent("answer", answer=self._refusal(base, timings, ms()))
            return
        if settings.answer_mode == "extractive":
            yield AnswerEvent("answer", answer=self._extractive(base, excerpts, timings, ms()))
            return

        numbered = focused_excerpts(excerpts, sources)
        excerpts_text = format_excerpts(numbered, english=language == "en")
        # the glossary's Chinese for the question's terms lets the model find them in the excerpts
        terms = "、".join(self._glossary_terms(standalone))
        prompt = load_prompt("answer", language).format(sources=excerpts_text, question=standalone,
                                                        terms=f"\n(Key terms in the reports: {terms})" if terms else "")
        timings["prompt_tokens_est"] = float(estimate_tokens(prompt))
        try:
            text = yield from self._generate(prompt, timings, ms)
            timings["generate"] = ms()
            checked = self._check(text, sources, standalone, language)
            readings = self._second_readings(standalone, language, numbered, excerpts, sources)
            while not _answers(checked) and (step := next(readings, None)) is not None:
                kind, reading = step
                timings["readings"] = timings.get("readings", 1.0) + 1
                yield AnswerEvent("reset", notice=READING_NOTICES[kind]["zh" if language == "zh" else "en"])
                text = yield from self._answer_in_chinese(standalone, reading, sources, language, timings, ms)
                timings["generate"] = ms()
                checked = self._check(text, sources, standalone, language)
        except ZhikuError as exc:
            yield AnswerEvent("answer", answer=self._extractive(base, excerpts, timings, ms(), exc.message(language)))
            return
        except Exception as exc:  # connection errors from an OpenAI-compatible server, timeouts
            error = LLMUnavailableError(
                f"The LLM could not answer ({type(exc).__name__}: {exc}); showing quoted passages instead.",
                f"大模型无法回答（{type(exc).__name__}：{exc}），改为展示原文摘录。",
            )
            yield AnswerEvent("answer", answer=self._extractive(base, excerpts, timings, ms(), error.message(language)))
            return
        if not _answers(checked):
            # "Not found", or nothing the model said is in the sources: on-topic questions the
            # reports do not answer end here, since retrieval scores alone cannot tell them apart (dev set).
            yield AnswerEvent("answer", answer=self._refusal(
                base.model_copy(update={"sentences": checked[2] if checked else []}), timings, ms()))
            return
        cleaned, citations, checks = checked
        if "translate" in timings:  # only a question in another language than Chinese is translated
            base.notice = " · ".join(filter(None, [base.notice, "Translated from the model's answer in Chinese"]))
        timings["total"] = ms()
        yield AnswerEvent("answer", answer=base.model_copy(update={
            "answer": cleaned, "citations": citations, "sentences": checks, "timings_ms": timings}))

    def _check(self, text: str, sources: Sequence[Source], question: str, language: str
               ) -> tuple[str, list[Citation], list[SentenceCheck]] | None:
        """The answer with its citations checked, or None when it says "not found"."""
        if says_not_found(text):
            return None
        if language == "en" and self._glossary is not None:
            text = self._glossary.english_terms(text)
        return check_answer(text.strip(), sources, self.judge, question)

    @cached_property
    def _translate_question(self) -> Callable[[str], str]:
        # the retriever's translator when query translation is on: its cache then spares a call
        return getattr(self.engine.retriever, "translate", None) or QueryTranslator(self.engine.llm)

    def _in_chinese(self, question: str, language: str) -> str:
        return question if language == "zh" else self._translate_question(question)

    def _second_readings(self, question: str, language: str, numbered: list[tuple[int, Excerpt]],
                         excerpts: Sequence[Excerpt], sources: Sequence[Source]
                         ) -> Iterator[tuple[str, list[tuple[int, Excerpt]]]]:
        """What the model reads again, asked in Chinese, while it has found no supported answer,
        each with its kind (a key of READING_NOTICES). A generator: a reading, and the LLM call
        translating the question for it, happen only if needed.

        For a question in another language, first the same excerpts: the 1.5B model calls
        Chinese excerpts "not found", or garbles them, for many English questions it answers
        right in Chinese (dev set: 7 of the 13 English questions it first called "not found").
        Then the excerpts chosen for the question in Chinese, if they hold anything new: its own
        words pick sentences the English question missed (dev set en-021: "风险分级" for "risk-based
        classification"). Last, the excerpts the focus filter left out, chosen for both forms of
        the question (dev set: the evidence of 5 of 15 false refusals was retrieved but not read).
        No unanswerable dev question got a supported answer in any reading."""
        read = {e.text for _, e in numbered}
        shown = {e.source.chunk_id for _, e in numbered}
        if language in self.settings.answer_via_chinese:
            yield "again", numbered
            if language != "zh":
                chinese = self._in_chinese(question, language)
                reading = focused_excerpts(
                    self.compressor.compress(chinese, sources, self.settings.context_budget_tokens), sources)
                if any(e.text not in read for _, e in reading):
                    read |= {e.text for _, e in reading}
                    shown |= {e.source.chunk_id for _, e in reading}
                    yield "translation", reading
                excerpts = self.compressor.compress(question, sources, self.settings.context_budget_tokens,
                                                    self._glossary_terms(question), rephrased=[chinese])
        if self.settings.read_unread_excerpts:
            unread = numbered_excerpts([e for e in excerpts if e.source.chunk_id not in shown], sources)
            if unread:
                yield "unread", unread

    def _answer_in_chinese(self, question: str, reading: Sequence[tuple[int, Excerpt]], sources: Sequence[Source],
                           language: str, timings: dict[str, float], ms: Callable[[], float]
                           ) -> Generator[AnswerEvent, None, str]:
        """Ask the question in Chinese over these excerpts and stream the answer. For a question in
        another language, the Chinese answer is checked, and what the sources hold is translated
        and streamed instead; its amounts are put in English first, as the model multiplies 万
        and 亿 wrongly (90亿美元 → "$90 billion")."""
        chinese_question = self._in_chinese(question, language)
        prompt = load_prompt("answer", "zh").format(sources=format_excerpts(reading), question=chinese_question)
        if language == "zh":
            return (yield from self._generate(prompt, timings, ms))
        chinese = self.engine.llm.chat([ChatMessage(role=MessageRole.USER, content=prompt)]).message.content or ""
        if says_not_found(chinese):
            return chinese
        _, _, checks = check_answer(chinese.strip(), sources, self.judge, chinese_question)
        supported = "".join(with_markers(c.text, c.citations) for c in checks if c.supported)
        if not supported:
            return refusal_text(language)
        timings["translate"] = ms()
        # the question's and the glossary's English for names and terms
        pairs = "；".join(f"{zh} = {en}" for zh, en in self._glossary.english_for(supported)) if self._glossary else ""
        prompt = load_prompt("translate_answer", "zh").format(
            answer=english_amounts(supported), question=question, terms=f"（术语：{pairs}）" if pairs else "")
        return (yield from self._generate(prompt, timings, ms))

    def _generate(self, prompt: str, timings: dict[str, float], ms: Callable[[], float]
                  ) -> Generator[AnswerEvent, None, str]:
        """Stream the model's answer as token events and return its text. Tokens that may
        still become the "not found" sentence are held back: a refusal (or a second answer) then
        never shows up as a half-written answer."""
        text, shown = "", 0
        responses = self.engine.llm.stream_chat([ChatMessage(role=MessageRole.USER, content=prompt)])
        try:
            for response in responses:
                if not text:  # of this answer: a second reading's answer replaces the first
                    timings["first_token"] = ms()
                text += response.delta or ""
                if shown < len(text) and (shown or not may_become_not_found(text)):
                    yield AnswerEvent("token", delta=text[shown:])
                    shown = len(text)
                if ms() > self.settings.llm_timeout_s * 1000:
                    raise TimeoutError(f"no complete answer within {self.settings.llm_timeout_s:.0f} s")
        finally:
            if hasattr(responses, "close"):
                responses.close()  # stops generation at once when we give up on a slow answer
        if shown < len(text) and not says_not_found(text):
            yield AnswerEvent("token", delta=text[shown:])
        return text

    def ask(self, question: str, report_ids: Sequence[str] | None = None,
            history: Sequence[tuple[str, str]] | None = None) -> Answer:
        for event in self.stream(question, report_ids, history=history):
            if event.kind == "answer":
                return event.answer
        raise AssertionError("answer stream ended without an answer")

    def _refusal(self, base: Answer, timings: dict[str, float], total: float) -> Answer:
        return base.model_copy(update={
            "answer": refusal_text(base.language), "refused": True, "related": base.sources[:3],
            "timings_ms": {**timings, "total": total},
        })

    def _extractive(self, base: Answer, excerpts: Sequence[Excerpt], timings: dict[str, float], total: float,
                    notice: str | None = None) -> Answer:
        """The best-scoring source sentences, quoted verbatim: faithful by construction."""
        sources = [e.source for e in excerpts]
        spans = [usable_sentences(s.text) for s in sources]  # as sentence_scores indexes them
        # an English question's terms are matched in the Chinese sources through the glossary
        terms = key_terms(base.question, self._glossary_terms(base.question))
        scored = [(score, i, j) for score, i, j in sorted(
            self.compressor.sentence_scores(base.question, sources, terms), reverse=True)
            if score >= EXTRACTIVE_MIN_SCORE and _is_prose(sources[i].text[slice(*spans[i][j])])]
        scored = scored[: self.settings.extractive_sentences]
        if not scored:
            return self._refusal(base.model_copy(update={"notice": notice}), timings, total)
        lines, checks, citations = [], [], {}
        for _score, i, j in scored:
            a, b = spans[i][j]
            n = base.sources.index(sources[i]) + 1
            # a footnote mark like "[1]" inside the quote would read as a citation of source 1
            quote = CITATION_MARK.sub("", "".join(sources[i].text[a:b].split()))
            lines.append(f"“{quote}” [{n}]")
            checks.append(SentenceCheck(text=quote, citations=[n], support=1.0, supported=True))
            citations.setdefault(n, citation_for(n, sources[i], Verdict(1.0, True, a, b)))
        return base.model_copy(update={
            "answer": "\n".join(lines), "citations": [citations[n] for n in sorted(citations)], "sentences": checks,
            "mode": "extractive", "notice": notice or base.notice, "timings_ms": {**timings, "total": total},
        })
