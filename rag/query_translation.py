"""LLM query translation: the question in the corpus's other language, as extra query text.

Off by default (settings.query_translation): on the bundled 1.5B model it costs one LLM call
per question; `evals/bench_retrieval.py --translation` measures it.
"""
from __future__ import annotations

from collections.abc import Callable

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms import LLM

from rag.language import detect_language
from rag.prompts import load_prompt


class QueryTranslator:
    def __init__(self, llm: LLM, names: Callable[[str], list[tuple[str, str]]] | None = None,
                 max_tokens: int = 96, cache_size: int = 512):
        """`names` gives the authors and publishers an English question names with their Chinese,
        as the reports write them: left to itself, the 1.5B model wrote 张 for "Tian"."""
        self.llm = llm
        self.names = names
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
        pairs = "; ".join(f"{name} = {chinese}" for name, chinese in self.names(question)) if self.names else ""
        prompt = load_prompt("translate_query", detect_language(question)).format(
            question=question, names=f"Chinese names: {pairs}" if pairs else "")
        response = self.llm.chat([ChatMessage(role=MessageRole.USER, content=prompt)], max_tokens=self.max_tokens)
        lines = (response.message.content or "").strip().splitlines()
        return lines[0].strip() if lines else ""
