"""Judges that decide whether a passage supports an answer sentence, and their validation.

Two judges share one small interface (`name`, `claims(text)`, `supports(statement, passage)`):

* `OfflineJudge` (default) wraps `rag.support.SupportJudge`: character n-grams, embeddings
  and the figure check; claims are the answer's own sentences.
* `LLMJudge` asks any OpenAI-compatible server (settings `llm_base_url`, `llm_model`) to
  split the answer into claims and to give a yes/no verdict per claim, the RAGAS recipe.
  llama-index's FaithfulnessEvaluator gives one verdict for a whole response, not per claim
  or per citation, so it cannot produce the RAGAS share nor ALCE's citation scores.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Protocol

from llama_index.core.base.llms.types import ChatMessage, MessageRole

from evals.questions import JudgePair
from rag.glossary import default_glossary
from rag.language import detect_language
from rag.prompts import load_prompt
from rag.settings import ZhikuSettings
from rag.support import SupportJudge, split_sentences, strip_markers

_VERDICT = re.compile(r"\b(yes|no)\b|是|否|不", re.I)


class Judge(Protocol):
    name: str

    def claims(self, text: str) -> list[str]: ...

    def supports(self, statement: str, passage: str) -> bool: ...


class OfflineJudge:
    name = "offline (rag.support: char n-grams + e5 embeddings + figure/actor/negation checks)"

    def __init__(self, embedder: Any):
        self._judge = SupportJudge(embedder, default_glossary())

    def claims(self, text: str) -> list[str]:
        return [c for c in (strip_markers(s) for s in split_sentences(text)) if c]

    def supports(self, statement: str, passage: str) -> bool:
        return self._judge.supports(statement, passage)


class LLMJudge:
    def __init__(self, llm: Any, label: str):
        self.llm = llm
        self.name = f"llm ({label}: claims + yes/no verdicts)"
        # the same (claim, passage) pair recurs across faithfulness and citation scores
        self.supports = lru_cache(maxsize=4096)(self._supports)

    def _ask(self, prompt: str, **kwargs: Any) -> str:
        response = self.llm.chat([ChatMessage(role=MessageRole.USER, content=prompt)], **kwargs)
        return response.message.content or ""

    def claims(self, text: str) -> list[str]:
        text = strip_markers(text)
        if not text:
            return []
        # a claim list is never longer than the answer; the cap keeps a rambling model from stalling the run
        reply = self._ask(load_prompt("judge_claims", detect_language(text)).format(answer=text), max_tokens=200)
        claims = [re.sub(r"^\s*(?:[-*•]|\d+[.)、])\s*", "", line).strip() for line in reply.splitlines()]
        return [c for c in claims if c] or [text]

    def _supports(self, statement: str, passage: str) -> bool:
        prompt = load_prompt("judge_verdict", detect_language(statement)).format(passage=passage, statement=statement)
        match = _VERDICT.search(self._ask(prompt, max_tokens=8))
        return bool(match) and match.group(0).lower() in {"yes", "是"}


def build_judge(kind: str, settings: ZhikuSettings, embedder: Any) -> Judge:
    """`offline`, or `llm` through the OpenAI-compatible server named by the settings."""
    if kind == "offline":
        return OfflineJudge(embedder)
    if kind == "llm":
        from rag.components.llm import build_llm

        judge_settings = settings.model_copy(update={"llm_backend": "openai_like"})
        return LLMJudge(build_llm(judge_settings), f"{settings.llm_model}@{settings.llm_base_url}")
    raise ValueError(f"unknown judge {kind!r}; use offline or llm / 未知的评判器 {kind!r}，可选 offline 或 llm")


def judge_accuracy(judge: Judge, pairs: Sequence[JudgePair]) -> dict[str, Any]:
    """Accuracy and balanced accuracy on labelled pairs, plus accuracy per kind of pair."""
    from sklearn.metrics import balanced_accuracy_score

    truth = [p.supported for p in pairs]
    predicted = [judge.supports(p.sentence, p.passage) for p in pairs]
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for pair, guess in zip(pairs, predicted):
        by_kind[pair.kind].append(guess == pair.supported)
    return {
        "judge": judge.name,
        "n": len(pairs),
        "accuracy": sum(t == g for t, g in zip(truth, predicted)) / len(pairs),
        "balanced_accuracy": float(balanced_accuracy_score(truth, predicted)),
        "by_kind": {kind: sum(hits) / len(hits) for kind, hits in sorted(by_kind.items())},
        "wrong": [p.id for p, g in zip(pairs, predicted) if g != p.supported],
    }
