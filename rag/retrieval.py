"""Find the chunks that answer a question: dense (main embedder) + cross-lingual dense (USE) +
BM25, fused, expanded across languages, spread across reports, and filtered by report, venue
and date.

Fusion is reciprocal rank fusion written here rather than llama-index's QueryFusionRetriever:
that class wants BaseRetriever arms returning NodeWithScore and re-issues the query to each,
while our arms share one expansion, one set of report filters and a catalog keyed by chunk id;
wrapping them would add two adapters and no behaviour.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from llama_index.core.embeddings import BaseEmbedding

from rag.glossary import Glossary, default_glossary, names_glossary
from rag.language import detect_language
from rag.lexical import LexicalArm
from rag.mentions import ReportMentions
from rag.passages import join_adjacent, joined_section, joined_text
from rag.records import Chunk, Report, Source
from rag.store import Store
from rag.support import home_actor

# A word with a lower-case letter: prose, not an acronym or an id.
_PLAIN_WORD = re.compile(r"\b[A-Za-z]*[a-z][A-Za-z]*\b")

# "dense" is the main embedder alone, "cross_lingual" the cross-lingual embedder alone,
# "sentences" the sentence arm alone (the main or the cross-lingual embedder over single sentences).
Mode = Literal["hybrid", "dense", "bm25", "cross_lingual", "sentences"]
# how many of the dense arm's best hits tell which language the text a question is about is in
LEXICAL_SHARE_HITS = 10


@dataclass(frozen=True)
class SearchQuery:
    """The question as each arm sees it."""

    text: str
    dense_text: str
    # BM25 groups and their weights: a text is tokenized as running text, a tuple holds
    # glossary terms that count once each (see BilingualTokenizer.term_tokens)
    lexical: tuple[tuple[str | tuple[str, ...], float], ...]
    # not an arm's: the glossary's other-language forms of the question's terms ("GDPR" ->
    # 通用数据保护条例), by which a question may name a report's title
    other_forms: tuple[str, ...] = ()


class Retriever:
    def __init__(
        self,
        store: Store,
        embedder: BaseEmbedding,
        glossary: Glossary | None = None,
        translate: Callable[[str, str], str] | None = None,
        cross_lingual: BaseEmbedding | None = None,
    ):
        self.store = store
        self.embedder = embedder
        self.cross_lingual = cross_lingual
        self.settings = store.settings
        self._given_glossary = glossary
        self._glossary: tuple[tuple[int, int, int], Glossary] | None = None
        self.translate = translate
        self.lexical = LexicalArm(store)
        self._catalog: tuple[tuple[int, int, int], dict[str, Report], ReportMentions, dict[str, str]] | None = None
        self._chunk_languages: dict[str, str] = {}

    @property
    def glossary(self) -> Glossary:
        """The bundled glossary and the terms mined from the indexed reports (rag.term_mining),
        as settings.glossary_sources choose; mined again only when the catalog changed."""
        version = self.store.catalog_version()
        if self._glossary is None or self._glossary[0] != version:
            sources = self.settings.glossary_sources
            base = self._given_glossary or (default_glossary() if "bundled" in sources else Glossary([]))
            terms = list(base.terms)
            if "mined" in sources:
                from rag.term_mining import mined_terms

                terms += mined_terms((c.text for c in self.store.chunks()), base)
            self._glossary = (version, Glossary(terms) if len(terms) != len(base.terms) else base)
        return self._glossary[1]

    # -- public ------------------------------------------------------------------------------
    def retrieve(
        self,
        question: str,
        k: int = 8,
        report_ids: Sequence[str] | None = None,
        *,
        venue: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        mode: Mode | None = None,
        expand: bool | None = None,
        mentions: bool | None = None,
        cross_lingual: bool = True,
        sentences: bool = True,
        language: str | None = None,
        lexical_share: bool | None = None,
    ) -> list[Source]:
        """The k best chunks. `venue` matches a substring of the report's venue; dates compare
        as ISO prefixes ("2025", "2025-02"), and reports without a date fail a date filter.
        cross_lingual=False leaves the cross-lingual arm out of a hybrid, sentences=False the
        sentence arm, lexical_share=False weighs BM25 like the dense arm (for comparisons).
        `language`: the question's, when the caller knows it."""
        allowed = self.allowed_reports(report_ids, venue, date_from, date_to)
        if allowed is not None and not allowed:
            return []
        language = language or detect_language(question)
        expanded = self.settings.query_expansion if expand is None else expand
        query = self.build_query(question, expanded, language)
        mode = mode or self.settings.retrieval_mode
        candidates = max(self.settings.retrieval_candidates, k)
        # One main-embedder embedding per question (it is most of the latency): the dense arm's
        # query, which for English questions carries the Chinese glossary terms, also scores the sources.
        dense_vector = self.embedder.get_query_embedding(query.dense_text)
        # The cross-lingual arm reads the bare question: it maps languages onto each other
        # itself, and glossary words appended to an English question would only blur it.
        # USE matches meaning; a query of bare names and ids ("M/593", "JWCC") has none, and the
        # USE arms' hits would bury the exact match BM25 found
        worded = len(_PLAIN_WORD.findall(question)) >= 2 or language == "zh"
        cross_weight = self.settings.cross_lingual_weights.get(language, 1.0) if worded else 0.0
        sentence_weight = self.settings.sentence_arm_weights.get(language, 0.0) if worded else 0.0
        use_cross = self.cross_lingual is not None and (
            mode == "cross_lingual" or (mode == "hybrid" and cross_lingual and cross_weight > 0)
        )
        main_sentences = self.settings.sentence_embedder == "main"
        use_sentences = (main_sentences or self.cross_lingual is not None) and self.settings.sentence_arm_id is not None and (
            mode == "sentences" or (mode == "hybrid" and sentences and sentence_weight > 0)
        )
        cross_vector = (self.cross_lingual.get_query_embedding(question)
                        if use_cross or (use_sentences and not main_sentences) else None)
        sentence_vector = dense_vector if main_sentences else cross_vector

        by_share = self.settings.lexical_by_language_share if lexical_share is None else lexical_share
        # a query of bare names and ids ("JWCC", "M/593") is in no language: its tokens match in any
        share = self.language_share(allowed)
        lexical_weight = share.get(language, 0.0) if by_share and worded else 1.0
        similarity: dict[str, float] = {}

        def arms(within: set[str] | None, query: SearchQuery = query, dense_vector: Sequence[float] = dense_vector,
                 sentence_vector: Sequence[float] | None = sentence_vector, lexical_weight: float = lexical_weight,
                 scores_sources: bool = True, translated: bool = False) -> list[tuple[list[tuple[str, float]], float]]:
            """Each arm's ranked hits with its RRF weight; `scores_sources`: the dense hits' cosines
            are the sources' scores (the question's own embedding, not a rewritten one's);
            `translated`: the LLM's translation, whose cross-lingual arms would repeat the question's."""
            found = []
            report_ids = sorted(within) if within else None
            dense: list[tuple[str, float]] = []
            if mode in ("hybrid", "dense"):
                dense = self.store.dense_search(dense_vector, candidates, report_ids)
                if scores_sources:
                    similarity.update(dense)
                found.append((dense, 1.0))
            # An index whose cross-lingual vectors are missing (built before the arm, and not
            # re-ingested yet) just returns fewer hits here; the other arms carry on.
            if use_cross and not translated:
                cross = self.store.dense_search(cross_vector, candidates, report_ids, self.settings.cross_lingual_id)
                found.append((cross, cross_weight))
            if use_sentences and (main_sentences or not translated):
                by_sentence = self.store.dense_search(sentence_vector, candidates, report_ids,
                                                      self.settings.sentence_arm_id)
                found.append((by_sentence, sentence_weight if mode == "hybrid" else 1.0))
            if mode in ("hybrid", "bm25"):
                weight = lexical_weight if mode == "hybrid" else 1.0
                if weight < 1.0 and dense and not translated:
                    # the share of the text the question is about, as the dense arm's best hits
                    # say: an English question about the one English report of a Chinese index
                    # matches that report's own words, no noise (a translation's arms search in
                    # the other language: their weight stays that language's share)
                    weight = max(weight, self._language_of_hits(dense[:LEXICAL_SHARE_HITS], language))
                if weight > 0:
                    found.append((self.lexical.search(query.lexical, candidates, within), weight))
            return found

        ranked_lists = arms(allowed)
        if expanded and worded and mode != "cross_lingual" and (
                translated := self._translated(question, language, share)) is not None:
            # The question in the language most of the index is written in, searched like a
            # question asked in it: its words meet the reports' own words in BM25.
            text, other = translated
            other_query = self.build_query(text, False, other)
            other_vector = self.embedder.get_query_embedding(other_query.dense_text)
            ranked_lists += [(hits, weight * self.settings.translation_weight) for hits, weight in arms(
                allowed, query=other_query, dense_vector=other_vector,
                sentence_vector=other_vector, lexical_weight=share.get(other, 0.0) if by_share else 1.0,
                scores_sources=False, translated=True)]
        # A report the question names ("according to Yan and Yang") gets arms of its own, so
        # its best passages rank high even when other reports share the vocabulary; naming
        # two reports gives both sides of a comparison.
        use_mentions = self.settings.report_mentions if mentions is None else mentions
        named, unnamed = self.mentions.match(question) if use_mentions else ([], question)
        if named and self.settings.mentions_without_names:
            # inside a named report, search for what is asked, not for who wrote it
            own_query = self.build_query(unnamed or question, expanded, language)
            own_dense = self.embedder.get_query_embedding(own_query.dense_text)
            own_args = {"query": own_query, "dense_vector": own_dense, "scores_sources": False,
                        "sentence_vector": own_dense if main_sentences else sentence_vector}
        else:
            own_args = {}
        for report_id in named:
            if allowed is None or report_id in allowed:
                ranked_lists += arms({report_id}, **own_args)
        sides = (self._comparison_sides(question, query.other_forms, named,
                                        own_args.get("sentence_vector", sentence_vector), sentence_vector, allowed)
                 if use_mentions and use_sentences and mode == "hybrid" else [])
        ranked = fuse([hits for hits, _ in ranked_lists], self.settings.rrf_k, [w for _, w in ranked_lists])
        chunks = {c.id: c for c in self.store.chunks([cid for cid, _ in ranked])}
        ranked = [(cid, score) for cid, score in ranked if cid in chunks]  # vectors of uncommitted files
        if mode == "hybrid":  # an arm searched alone (evals' single-arm rows) ranks as it is
            ranked = self._weigh_other_language(ranked, chunks)
        # hits enough for k passages, however many of the first `passage_window` join another
        wide = k + self.settings.passage_window
        picked = spread_across_reports(ranked, chunks, wide, self.settings.report_decay)
        if sides and picked:
            # the top hit, then each compared report's passage, then the rest in their order
            chunks |= {c.id: c for c in self.store.chunks([cid for cid in sides if cid not in chunks])}
            score = dict(ranked)
            lead = [cid for cid in dict.fromkeys([picked[0][0], *sides]) if cid in chunks]
            picked = ([(cid, score.get(cid, 0.0)) for cid in lead] + [p for p in picked if p[0] not in lead])[:wide]
        passages = join_adjacent(picked, chunks, self.settings.passage_window, k)
        return self._to_sources(passages, chunks, dense_vector, similarity)

    def _comparison_sides(self, question: str, other_forms: Sequence[str], named: Sequence[str],
                          own_vector: Sequence[float] | None, sentence_vector: Sequence[float] | None,
                          allowed: set[str] | None) -> list[str]:
        """For a question naming two or more reports (by author or publisher, or by title as written
        or in the glossary's other language, as the answer step reads it), each one's chunk holding
        its sentence nearest the question. One side of a comparison is often a single sentence of a
        long passage: the whole-chunk arms rank it low while the sentence arm ranks it first.
        Titles only choose sides here; as retrieval arms of their own they drew every hit to the
        titled report (evals/EXPERIMENTS.md, session 14)."""
        if not self.settings.comparison_sides or self.settings.sentence_arm_id is None:
            return []
        compared = [*named, *(r for r in self.mentions.titled(question, other_forms) if r not in named)]
        if len(compared) < 2:
            return []
        sides = []
        for report_id in compared:
            vector = own_vector if report_id in named else sentence_vector
            if vector is not None and (allowed is None or report_id in allowed) and (
                    top := self.store.dense_search(vector, 1, [report_id], self.settings.sentence_arm_id)):
                sides.append(top[0][0])
        return sides

    def build_query(self, question: str, expand: bool, language: str | None = None) -> SearchQuery:
        if not expand:
            return SearchQuery(question, question, ((question, 1.0),))
        language = language or detect_language(question)
        expansion = self.glossary.expand(question)
        weight = self.settings.expansion_weights.get(language, 1.0)
        lexical: tuple[tuple[str | tuple[str, ...], float], ...] = ((question, 1.0), (expansion.all_variants, weight))
        dense_extra = list(expansion.preferred)
        # Only an English question gains from Chinese words in its embedding: e5 already maps
        # Chinese questions well onto the (Chinese) corpus, and English words would dilute them.
        dense = f"{question} ({'；'.join(dense_extra)})" if dense_extra and language == "en" else question
        return SearchQuery(question, dense, lexical, expansion.all_variants)

    def _translated(self, question: str, language: str, share: dict[str, float]) -> tuple[str, str] | None:
        """The question translated by the LLM and its new language, when translation is on and
        most of the searched text (`share`, by language) is in the other language (computed from
        the user's reports, so a Chinese question over English reports is translated too)."""
        if self.translate is None:
            return None
        other = "zh" if language == "en" else "en"
        if share.get(other, 0.0) <= share.get(language, 0.0):
            return None
        text = self.translate(question, language).strip()
        return (text, other) if text and text != question else None

    @property
    def mentions(self) -> ReportMentions:
        """The index of the names (authors, publishers) by which a question can name a report."""
        return self._catalog_view()[2]

    def allowed_reports(
        self,
        report_ids: Sequence[str] | None = None,
        venue: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> set[str] | None:
        """Report ids passing every filter given, or None when no filter is set."""
        if not (report_ids or venue or date_from or date_to):
            return None
        reports = self.reports().values()
        if report_ids:
            wanted = set(report_ids)
            reports = [r for r in reports if r.id in wanted]
        return {r.id for r in reports if _passes(r, venue, date_from, date_to)}

    def language_share(self, within: set[str] | None = None) -> dict[str, float]:
        """Share of the indexed chunks in each language, from the catalog, over the reports
        searched (`within`, when a filter narrows them). Words of a question can only match
        text in their own language: an English question's words over Chinese reports hit the
        few English fragments (references, names), noise that fusion would weigh like the
        dense arm's matches by meaning. So the lexical arm counts as much as the searched text
        is in the question's language, computed from the user's own reports: an English report
        picked by a filter keeps BM25 at full weight for English questions."""
        counts: dict[str, int] = {}
        for report in self.reports().values():
            if within is not None and report.id not in within:
                continue
            counts[report.language] = counts.get(report.language, 0) + report.chunk_count
        total = sum(counts.values()) or 1
        return {language: n / total for language, n in counts.items()}

    def reports(self) -> dict[str, Report]:
        return self._catalog_view()[1]

    def _catalog_view(self) -> tuple[tuple[int, int, int], dict[str, Report], ReportMentions, dict[str, str]]:
        """Reports, their name index and their home actors (rag.support.home_actor), read again
        only when the catalog changed (counting chunks per report costs milliseconds at 100k
        chunks, on every question otherwise)."""
        version = self.store.catalog_version()
        if self._catalog is None or self._catalog[0] != version:
            reports = self.store.report_map()
            homes = {rid: home_actor(f"{reports[rid].title if rid in reports else ''} {text}")
                     for rid, text in self.store.openings().items()}
            # the glossary's terms read the words after a shared name; names.tsv adds bodies' English names
            naming = Glossary([*self.glossary.terms, *names_glossary().terms])
            self._catalog = (version, reports, ReportMentions(reports.values(), naming), homes)
        return self._catalog

    # -- helpers -----------------------------------------------------------------------------
    def _language_of_hits(self, hits: Sequence[tuple[str, float]], language: str) -> float:
        """The share of `hits` whose report is written in `language` (hits of reports not in the
        catalog left out)."""
        reports = self.reports()
        langs = [reports[c.report_id].language for c in self.store.chunks([cid for cid, _ in hits])
                 if c.report_id in reports]
        return langs.count(language) / len(langs) if langs else 0.0

    def _weigh_other_language(self, ranked: list[tuple[str, float]], chunks: dict[str, Chunk]) -> list[tuple[str, float]]:
        """Chunks in another language than their report (its translated front matter) count
        `other_language_weight` times their fused score."""
        weight = self.settings.other_language_weight
        if weight == 1.0:
            return ranked
        reports = self.reports()

        def own(cid: str) -> bool:
            report = reports.get(chunks[cid].report_id)
            if report is None:
                return True
            # a chunk's id hashes its text, so its language is read once per chunk, not per question
            if (language := self._chunk_languages.get(cid)) is None:
                language = self._chunk_languages[cid] = detect_language(chunks[cid].text)
            return language == report.language

        return sorted(((cid, score if own(cid) else score * weight) for cid, score in ranked), key=lambda item: -item[1])

    def _to_sources(
        self,
        passages: Sequence[tuple[str, float, list[str]]],
        chunks: dict[str, Chunk],
        query_vector: Sequence[float],
        similarity: dict[str, float],
    ) -> list[Source]:
        _, reports, _, homes = self._catalog_view()
        missing = [cid for cid, _, _ in passages if cid not in similarity]  # found by BM25 alone
        similarity = similarity | self._dense_similarity(query_vector, missing)
        sources = []
        for cid, _fused, member_ids in passages:
            chunk, members = chunks[cid], [chunks[m] for m in member_ids]
            report = reports.get(chunk.report_id)
            sources.append(
                Source(
                    rank=len(sources) + 1,
                    # the dense (cosine) similarity of the embedded query, whatever ranked the chunk:
                    # comparable across questions, unlike a fused rank score
                    score=round(similarity.get(cid, 0.0), 4),
                    report_id=chunk.report_id,
                    title=report.title if report else chunk.report_id,
                    title_en=report.title_en if report else None,
                    authors=report.authors if report else [],
                    source=chunk.source,
                    section=joined_section(members),
                    text=joined_text(members),
                    chunk_id=chunk.id,
                    chunk_ids=member_ids,
                    start=members[0].start,
                    end=members[-1].end,
                    actor=homes.get(chunk.report_id, ""),
                )
            )
        return sources

    def _dense_similarity(self, query_vector: Sequence[float], chunk_ids: Sequence[str]) -> dict[str, float]:
        vectors = self.store.chunk_vectors(chunk_ids)
        if not vectors:
            return {}
        query = np.asarray(query_vector, dtype=np.float32)
        ids = list(vectors)
        matrix = np.asarray([vectors[i] for i in ids], dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(query) or 1.0)
        sims = matrix @ query / np.where(norms == 0, 1.0, norms)
        return dict(zip(ids, sims.tolist(), strict=True))


def fuse(
    arms: Sequence[Sequence[tuple[str, float]]], rrf_k: int, weights: Sequence[float] | None = None
) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: ranks, not raw scores, because cosine and BM25 scales differ.
    Each arm's contribution is scaled by its weight (default 1)."""
    fused: dict[str, float] = {}
    for arm, weight in zip(arms, weights or [1.0] * len(arms), strict=True):
        for rank, (cid, _score) in enumerate(arm, 1):
            fused[cid] = fused.get(cid, 0.0) + weight / (rrf_k + rank)
    return sorted(fused.items(), key=lambda item: -item[1])


def spread_across_reports(
    ranked: Sequence[tuple[str, float]], chunks: dict[str, Chunk], k: int, decay: float
) -> list[tuple[str, float]]:
    """The top k, re-ordered so that each further chunk of a report already picked counts
    `decay` times less: a question comparing two reports sees both near the top, while a
    clear winner still keeps its lead. Greedy, like MMR, with "same report" as the similarity;
    the order does not depend on k, so a top 5 is the head of the top 10."""
    remaining = list(ranked)
    picked: list[tuple[str, float]] = []
    per_report: dict[str, int] = {}
    while remaining and len(picked) < k:
        best = max(
            range(len(remaining)),
            key=lambda i: remaining[i][1] * decay ** per_report.get(chunks[remaining[i][0]].report_id, 0),
        )
        cid, score = remaining.pop(best)
        report = chunks[cid].report_id
        per_report[report] = per_report.get(report, 0) + 1
        picked.append((cid, score))
    return picked


def _passes(report: Report, venue: str | None, date_from: str | None, date_to: str | None) -> bool:
    if venue and venue.casefold() not in (report.venue or "").casefold():
        return False
    if date_from or date_to:
        if not report.date:
            return False
        if date_from and report.date[: len(date_from)] < date_from:
            return False
        if date_to and report.date[: len(date_to)] > date_to:
            return False
    return True
