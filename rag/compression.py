"""Shrink the retrieved chunks to the sentences that bear on the question, within a token budget.

The bundled model reads ~60 prompt tokens/s on 2 cores, so every sentence it reads costs
time before the first word. Sentences are ranked by embedding similarity to the question
plus the share of the question's key terms they hold (rare terms counting more) and a share
of their better neighbour's score; the best are kept with a neighbour
each side ("a little surrounding text") until the budget is spent, in their original order.
Sentences that read as instructions to the assistant are never kept (rag.injection).
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import jieba
import numpy as np
from llama_index.core.embeddings import BaseEmbedding

from rag.injection import reads_as_instruction
from rag.language import detect_language
from rag.questions import holds_expected, stated_figures
from rag.records import Source
from rag.settings import ZhikuSettings
from rag.support import SupportJudge, normalise, sentence_spans

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9-]+")
# Question words carry no topic: leaving them in would reward any sentence with 什么 or "what".
_QUESTION_WORDS = set("什么 哪些 哪个 哪几 多少 如何 怎样 怎么 为什么 是否 有没有 根据 报告 文章 提到 认为 主要 哪 需要 "
                      "what which who whom whose when where why how does did do is are was were the a an of in on "
                      "for to and or by with according report article say says said its their it this that".split())


class SentenceScores(list):
    """(score, source index, sentence index) per sentence; `on_topic`: the best stretched cosine
    of the question with any sentence's stored vector (None without stored vectors); `best`:
    the best score before the sources' retrieval rank was added (a topic signal, like on_topic)."""

    on_topic: float | None = None
    best: float = 0.0


@dataclass
class Excerpt:
    """What the LLM reads of one source: the chosen sentences, joined with an ellipsis."""

    source: Source
    text: str
    spans: list[tuple[int, int]]
    best: float  # the best sentence score in this source


def estimate_tokens(text: str) -> int:
    # Qwen's tokenizer spends about one token per Han character and ~1.3 per English word;
    # an estimate is enough to hold a budget and avoids loading the GGUF vocabulary.
    return len(_HAN.findall(text)) + int(1.3 * len(_LATIN.findall(text))) + len(re.findall(r"\d+", text))


def key_terms(question: str, extra_terms: Sequence[str] = (), language: str | None = None) -> list[str]:
    """Words of the question that a passage answering it should contain (`language`: the
    question's, when the caller knows it)."""
    if (language or detect_language(question)) == "en":
        # The reports are Chinese: plain English words say nothing about coverage; names
        # (GPAI, ISO) and the glossary's Chinese terms for the question's words do.
        words = re.findall(r"\b[A-Z][A-Za-z0-9-]*[A-Z0-9][A-Za-z0-9-]*\b", question)
    else:
        words = [w.strip() for w in jieba.lcut(question) if len(w.strip()) >= 2]
    terms = [w for w in words if w.lower() not in _QUESTION_WORDS and (_HAN.search(w) or _LATIN.fullmatch(w))]
    return list(dict.fromkeys([*terms, *(t for t in extra_terms if t)]))


def usable_sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of a source that may be scored, shown to the model or quoted:
    all of them but those that read as instructions to the assistant. Whole sentences: cut at
    semicolons, a list lost its third item to the budget and the model then found no answer."""
    return [(a, b) for a, b in sentence_spans(text, clauses=False) or [(0, len(text))]
            if not reads_as_instruction(text[a:b])]


def term_coverage(terms: Sequence[str], text: str, weights: Sequence[float] | None = None) -> float:
    """The share of `terms` the text holds, each counted by its weight (default 1)."""
    if not terms:
        return 0.0
    haystack = normalise(text).lower()
    weights = [1.0] * len(terms) if weights is None else weights
    held = sum(w for t, w in zip(terms, weights, strict=True) if normalise(t).lower() in haystack)
    return held / sum(weights) if sum(weights) else 0.0


def term_rarity(terms: Sequence[str], texts: Sequence[str]) -> list[float]:
    """Each term's inverse frequency among `texts` (the candidate sentences), log(1 + n / (1 + df)):
    computed over the sentences being ranked, so it needs no corpus statistics and weighs a term by
    how well it tells these candidates apart. A term no candidate holds weighs as one held once:
    it tells none apart, and as the rarest of all it would shrink every sentence's share."""
    haystacks = [normalise(t).lower() for t in texts]
    return [math.log(1 + len(haystacks) / (1 + max(1, sum(normalise(term).lower() in h for h in haystacks))))
            for term in terms]


def with_context(scores: SentenceScores, weight: float) -> SentenceScores:
    """Each sentence's score plus `weight` times its better neighbour's in the same source."""
    if not weight:
        return scores
    by_place = {(i, j): score for score, i, j in scores}
    mixed = SentenceScores((score + weight * max(by_place.get((i, j - 1), 0.0), by_place.get((i, j + 1), 0.0)), i, j)
                           for score, i, j in scores)
    mixed.on_topic, mixed.best = scores.on_topic, scores.best
    return mixed


class Compressor:
    # USE cosines of an English question with the dev set's evidence sentences: median 0.38,
    # with every other sentence of the retrieved chunks: median 0.22, 90th percentile 0.39
    cross_lingual_band = (0.2, 0.5)

    # EmbeddingGemma cosines of a question with the sentences of its six sources (held-out
    # tune questions): evidence sentences median 0.49 (en) to 0.63 (zh), the others median
    # ~0.32 and 90th percentile ~0.50, so 0.5 maps near the top of the others
    stored_band = (0.3, 0.7)

    def __init__(self, judge: SupportJudge, cross_lingual: BaseEmbedding | None = None,
                 lexical_weight: float = 0.35, max_embedded: int = 14, stored=None, rank_weight: float = 0.0,
                 context_weight: float = 0.0, rarity: bool = False):
        """`stored`: the sentence vectors the main embedder built at ingest
        (rag.components.sentence_vectors.StoredSentenceVectors); when the sources have them,
        they alone give the semantic score, in either language."""
        self.judge = judge
        self.cross_lingual = cross_lingual
        self.lexical_weight = lexical_weight
        self.max_embedded = max_embedded
        self.stored = stored
        self.rank_weight = rank_weight
        self.context_weight = context_weight  # rag/settings.py sentence_context_weight
        self.rarity = rarity  # rag/settings.py term_rarity

    @classmethod
    def from_settings(cls, judge: SupportJudge, settings: ZhikuSettings, cross_lingual: BaseEmbedding | None = None,
                      stored=None) -> Compressor:
        """The scorer as the settings weigh it (rag/settings.py source_rank_weight,
        sentence_context_weight, term_rarity)."""
        return cls(judge, cross_lingual, stored=stored, rank_weight=settings.source_rank_weight,
                   context_weight=settings.sentence_context_weight, rarity=settings.term_rarity)

    def sentence_scores(self, question: str, sources: Sequence[Source], terms: Sequence[str],
                        language: str | None = None, expects: str | None = None) -> SentenceScores:
        """(score, source index, sentence index) for every sentence of every source (in rank order),
        `rank_weight / rank` of its source added: the sentence's cosine and terms, then retrieval's
        fused rank, which holds BM25, the chunk's whole context and the reports a question names."""
        own = self._sentence_scores(question, sources, terms, language, expects)
        # how on topic the best sentence is by itself: a topic signal, before its neighbours or rank
        own.best = max((score for score, _, _ in own), default=0.0)
        scores = with_context(own, self.context_weight)
        if self.rank_weight:
            ranked = SentenceScores((score + self.rank_weight / (i + 1), i, j) for score, i, j in scores)
            ranked.on_topic, ranked.best = scores.on_topic, scores.best
            return ranked
        return scores

    def _sentence_scores(self, question: str, sources: Sequence[Source], terms: Sequence[str],
                         language: str | None = None, expects: str | None = None) -> SentenceScores:
        """The scores before the sources' rank is added. `expects`: the kind of figure the question asks for (rag.questions.expected_answer); holding one
        the question does not state counts as much as half the question's key terms held.

        Embedding a sentence costs ~0.1 s on a busy CPU, so only the `max_embedded` best by
        key-term coverage (then retrieval rank) are embedded; the rest keep their lexical score.
        """
        spans = [usable_sentences(s.text) for s in sources]
        sentences = [(i, j, source.text[a:b]) for i, (source, sp) in enumerate(zip(sources, spans))
                     for j, (a, b) in enumerate(sp)]
        weights = term_rarity(terms, [text for _, _, text in sentences]) if self.rarity else None
        lexical = [term_coverage(terms, text, weights) for _, _, text in sentences]
        if expects:
            # no sentence without such a figure answers the question: it counts as much as half its terms
            weight, asked = max(1.0, len(terms) / 2), stated_figures(question)
            lexical = [(c * len(terms) + weight * holds_expected(text, expects, asked)) / (len(terms) + weight)
                       for c, (_, _, text) in zip(lexical, sentences)]
        if stored := self._stored_semantic(question, sources, spans):
            scores = SentenceScores(((1 - self.lexical_weight) * semantic + self.lexical_weight * lexical[x], i, j)
                                    for x, ((i, j, _), semantic) in enumerate(zip(sentences, stored)))
            scores.on_topic = max(stored)
            return scores
        order = sorted(range(len(sentences)), key=lambda x: (-lexical[x], sentences[x][0], sentences[x][1]))
        embedded = order[: self.max_embedded]
        cosines = dict(zip(embedded, self.judge.similarities(question, [sentences[x][2] for x in embedded])))
        same_language = (language or detect_language(question)) == "zh"
        across = self._cross_lingual_semantic(question, [text for _, _, text in sentences]) if not same_language else None
        scored = []
        for x, (i, j, _text) in enumerate(sentences):
            semantic = self.judge.semantic(float(cosines[x]), same_language) if x in cosines else 0.0
            if across is not None:
                semantic = max(semantic, float(across[x]))
            scored.append(((1 - self.lexical_weight) * semantic + self.lexical_weight * lexical[x], i, j))
        return SentenceScores(scored)

    def _stored_semantic(self, question: str, sources: Sequence[Source],
                         spans: Sequence[Sequence[tuple[int, int]]]) -> list[float] | None:
        """Every sentence's stored-vector cosine, stretched onto 0-1 (0 for a sentence without
        one: too short to embed); None when the sources have no stored vectors."""
        if self.stored is None or not sources:
            return None
        texts = [[source.text[a:b] for a, b in sp] for source, sp in zip(sources, spans)]
        cosines = self.stored.cosines(question, sources, texts)
        if cosines is None:
            return None
        floor, ceiling = self.stored_band
        return [0.0 if c is None else float(np.clip((c - floor) / (ceiling - floor), 0.0, 1.0))
                for row in cosines for c in row]

    def _cross_lingual_semantic(self, question: str, sentences: Sequence[str]) -> np.ndarray | None:
        """USE similarity of an English question with every sentence, stretched onto 0-1. e5 put
        the evidence of 3 of the 9 English questions the model called "not found" outside the
        excerpts it read; USE costs ~3 ms a sentence, so all of them are scored."""
        if self.cross_lingual is None or not sentences:
            return None
        query = np.asarray(self.cross_lingual.get_query_embedding(question), dtype=np.float32)
        vectors = np.asarray(self.cross_lingual.get_text_embedding_batch(list(sentences)), dtype=np.float32)
        floor, ceiling = self.cross_lingual_band
        return np.clip((vectors @ query - floor) / (ceiling - floor), 0.0, 1.0)

    def compress(self, question: str, sources: Sequence[Source], budget_tokens: int,
                 extra_terms: Sequence[str] = (), scored: Sequence[tuple[float, int, int]] | None = None
                 ) -> list[Excerpt]:
        """`scored`: the sentence scores of these sources for this question, when the caller has them."""
        spans = [usable_sentences(s.text) for s in sources]
        scored = list(scored if scored is not None else self.sentence_scores(question, sources, key_terms(question, extra_terms)))
        scored.sort(reverse=True)
        chosen: dict[int, set[int]] = {}
        # Neighbouring chunks overlap (chunk_overlap_chars), so the same sentence can score in two
        # sources; read twice, it spends the budget and draws the model to it
        read: set[str] = set()
        used = 0
        for score, i, j in scored:
            # the hit itself first, then one neighbour each side for its context
            for k in (j, j - 1, j + 1):
                if not 0 <= k < len(spans[i]) or k in chosen.get(i, set()):
                    continue
                a, b = spans[i][k]
                if (sentence := normalise(sources[i].text[a:b])) in read:
                    continue
                read.add(sentence)
                cost = estimate_tokens(sources[i].text[a:b])
                if used + cost > budget_tokens and (used or k != j):
                    continue
                chosen.setdefault(i, set()).add(k)
                used += cost
            if used >= budget_tokens:
                break
        best = {i: max((s for s, si, _ in scored if si == i), default=0.0) for i in range(len(sources))}
        excerpts = []
        for i in sorted(chosen, key=lambda i: -best[i]):
            picked = [spans[i][k] for k in sorted(chosen[i])]
            pieces, previous = [], None
            for a, b in picked:
                if previous is not None and a > previous + 2:
                    pieces.append("……")
                pieces.append(sources[i].text[a:b])
                previous = b
            excerpts.append(Excerpt(sources[i], re.sub(r"\s*\n\s*", "", "".join(pieces)), picked, best[i]))
        return excerpts
