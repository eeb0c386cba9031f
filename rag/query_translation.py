"""LLM query translation: the question in the language most of the index is written in, searched
as a question of its own (rag.retrieval).

Off by default (settings.query_translation): on the bundled 1.5B model it costs one LLM call
per question (~1.1 s warm) and did not lift recall@5 (evals/EXPERIMENTS.md, session 15);
`evals/bench_retrieval.py --translation` measures its cost.
"""
from __future__ import annotations

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms import LLM

from rag.language import detect_language
from rag.prompts import load_prompt


class QueryTranslator:
    def __init__(self, llm: LLM, max_tokens: int = 96, cache_size: int = 512):
        self.llm = llm
        self.max_tokens = max_tokens
        self.cache_size = cache_size
        # the same question is often retrieved more than once (UI retry, evals over configs)
        self._cache: dict[tuple[str, str], str] = {}

    def __call__(self, question: str, language: str | None = None) -> str:
        """`question` in the other language; `language`: the question's, when the caller knows it."""
        language = language or detect_language(question)
        if (question, language) not in self._cache:
            if len(self._cache) >= self.cache_size:
                self._cache.pop(next(iter(self._cache)))
            self._cache[(question, language)] = self._translate(question, language)
        return self._cache[(question, language)]

    def _translate(self, question: str, language: str) -> str:
        prompt = load_prompt("translate_query", language).format(question=question)
        response = self.llm.chat([ChatMessage(role=MessageRole.USER, content=prompt)], max_tokens=self.max_tokens)
        lines = (response.message.content or "").strip().splitlines()
        return lines[0].strip() if lines else ""
