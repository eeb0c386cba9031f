"""Turn a question into a cited answer: retrieve, prompt, stream, check the citations."""
from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from llama_index.core.base.llms.types import ChatMessage, MessageRole

from rag.citations import build_citations
from rag.errors import LLMUnavailableError, ZhikuError
from rag.language import detect_language
from rag.prompts import load_prompt, refusal_text
from rag.questions import validate_question
from rag.records import Answer, Source


@dataclass
class AnswerEvent:
    """What a streaming consumer sees: sources first, then tokens, then the final answer."""

    kind: Literal["sources", "token", "answer"]
    sources: list[Source] | None = None
    delta: str = ""
    answer: Answer | None = None


def format_sources(sources: Sequence[Source]) -> str:
    return "\n\n".join(f"[{i}] 《{s.title}》\n{s.text}" for i, s in enumerate(sources, 1))


def says_not_found(text: str) -> bool:
    lowered = text.lower()
    return any(p in lowered for p in ("资料中没有相关信息", "do not contain this", "does not contain this"))


class Answerer:
    def __init__(self, engine: Any):
        self.engine = engine
        self.settings = engine.settings

    def stream(self, question: str, report_ids: Sequence[str] | None = None) -> Iterator[AnswerEvent]:
        started = time.perf_counter()
        question = validate_question(question, self.settings.max_question_chars)
        language = detect_language(question)
        timings: dict[str, float] = {}

        def ms() -> float:
            return round((time.perf_counter() - started) * 1000, 1)

        sources = self.engine.retriever.retrieve(question, k=self.settings.top_k, report_ids=report_ids)
        timings["retrieve"] = ms()
        yield AnswerEvent("sources", sources=sources)
        base = Answer(question=question, language=language, answer="", sources=sources,
                      mode=self.settings.answer_mode, models=self.engine.model_names())

        if not sources or sources[0].score < self.settings.min_relevance:
            yield AnswerEvent("answer", answer=self._refusal(base, timings, ms()))
            return
        if self.settings.answer_mode == "extractive":
            yield AnswerEvent("answer", answer=self._extractive(base, timings, ms()))
            return

        prompt = load_prompt("answer", language).format(sources=format_sources(sources), question=question)
        text = ""
        try:
            llm = self.engine.llm
            for response in llm.stream_chat([ChatMessage(role=MessageRole.USER, content=prompt)]):
                if "first_token" not in timings:
                    timings["first_token"] = ms()
                text += response.delta or ""
                yield AnswerEvent("token", delta=response.delta or "")
        except ZhikuError as exc:
            notice = exc.message(language)
            yield AnswerEvent("answer", answer=self._extractive(base, timings, ms(), notice=notice))
            return
        except Exception as exc:  # network errors from an OpenAI-compatible server, timeouts
            error = LLMUnavailableError(
                f"The LLM could not answer ({type(exc).__name__}: {exc}); showing quoted passages instead.",
                f"大模型无法回答（{type(exc).__name__}：{exc}），改为展示原文摘录。",
            )
            yield AnswerEvent("answer", answer=self._extractive(base, timings, ms(), notice=error.message(language)))
            return

        if says_not_found(text):
            yield AnswerEvent("answer", answer=self._refusal(base, timings, ms()))
            return
        cleaned, citations = build_citations(text.strip(), sources)
        timings["total"] = ms()
        yield AnswerEvent("answer", answer=base.model_copy(
            update={"answer": cleaned, "citations": citations, "timings_ms": timings}))

    def ask(self, question: str, report_ids: Sequence[str] | None = None) -> Answer:
        for event in self.stream(question, report_ids):
            if event.kind == "answer":
                return event.answer
        raise AssertionError("answer stream ended without an answer")

    def _refusal(self, base: Answer, timings: dict[str, float], total: float) -> Answer:
        return base.model_copy(update={
            "answer": refusal_text(base.language), "refused": True, "related": base.sources[:3],
            "timings_ms": {**timings, "total": total},
        })

    def _extractive(self, base: Answer, timings: dict[str, float], total: float, notice: str | None = None) -> Answer:
        top = base.sources[:2]
        text = " ".join(f"“{s.text[:200]}” [{i}]" for i, s in enumerate(top, 1))
        cleaned, citations = build_citations(text, base.sources)
        return base.model_copy(update={
            "answer": cleaned, "citations": citations, "mode": "extractive", "notice": notice,
            "timings_ms": {**timings, "total": total},
        })
