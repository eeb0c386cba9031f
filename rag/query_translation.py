"""LLM query translation: the question in the corpus's other language, as extra query text.

Off by default (settings.query_translation): on the bundled 1.5B model it costs one LLM call
per question; `evals/bench_retrieval.py --translation` measures it.
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
        self._cache: dict[str, str] = {}

    def __call__(self, question: str) -> str:
        if question not in self._cache:
            if len(self._cache) >= self.cache_size:
                self._cache.pop(next(iter(self._cache)))
            self._cache[question] = self._translate(question)
        return self._cache[question]

    def _translate(self, question: str) -> str:
        prompt = load_prompt("translate_query", detect_language(question)).format(question=question)
        response = self.llm.chat([ChatMessage(role=MessageRole.USER, content=prompt)], max_tokens=self.max_tokens)
        lines = (response.message.content or "").strip().splitlines()
        return lines[0].strip() if lines else ""
