"""Sentence-arm component: one vector per sentence of a chunk, from the main embedder (the
default) or the cross-lingual one (the small preset's USE).

A question lands near the one sentence that answers it, while the vector of a 600-character
chunk averages that sentence away (USE on the dev set, evals.compare_retrieval: English
recall@5 0.829 -> 0.895 with this arm added). The store keeps these vectors under
"<chunk id>#<n>"; a search max-pools them back to chunks, and the answer step's sentence
scorer reads them (rag.compression) instead of embedding sentences per question.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from llama_index.core.embeddings import BaseEmbedding

from rag.settings import ZhikuSettings
from rag.support import sentence_spans

# PDF text breaks lines inside Chinese sentences; a break between two Han characters is no space
_BROKEN_HAN = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])")


def sentence_key(sentence: str) -> str:
    """A sentence as it is embedded: PDF line breaks inside Chinese dropped, spaces collapsed."""
    return re.sub(r"\s+", " ", _BROKEN_HAN.sub("", sentence)).strip()


def chunk_sentences(text: str, min_chars: int = 6) -> list[str]:
    """The sentences of a chunk worth a vector (headings and stray marks are too short to
    mean anything alone); a chunk without one is its own sentence."""
    sentences = []
    for a, b in sentence_spans(text, clauses=False):
        sentence = sentence_key(text[a:b])
        if len(sentence) >= min_chars:
            sentences.append(sentence)
    return sentences or [text.strip()]


class SentenceVectors:
    """Quacks like an embedder for ingest's workers, but returns a list of vectors per text."""

    def __init__(self, embedder: BaseEmbedding):
        self.embedder = embedder

    def get_text_embedding_batch(self, texts: list[str]) -> list[list[list[float]]]:
        per_text = [chunk_sentences(t) for t in texts]
        sentences = [s for group in per_text for s in group]
        # shortest first: the embedder pads each batch to its longest text, and sentences range
        # from a heading to a 600-character clause
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        vectors = self.embedder.get_text_embedding_batch([sentences[i] for i in order])
        flat = [None] * len(sentences)
        for i, vector in zip(order, vectors):
            flat[i] = vector
        grouped, start = [], 0
        for group in per_text:
            grouped.append(flat[start : start + len(group)])
            start += len(group)
        return grouped


def build_sentence_embedder(settings: ZhikuSettings, main: BaseEmbedding,
                            cross_lingual: BaseEmbedding | None) -> SentenceVectors | None:
    if settings.sentence_arm_id is None:
        return None
    embedder = main if settings.sentence_embedder == "main" else cross_lingual
    return SentenceVectors(embedder) if embedder is not None else None


class StoredSentenceVectors:
    """Cosines of a question with the sources' sentences, read from the sentence arm the main
    embedder built at ingest: embedding the ~60 sentences of six sources per question took
    EmbeddingGemma 10 s on 2 cores, reading their vectors takes milliseconds."""

    def __init__(self, store, embedder: BaseEmbedding, arm: str):
        self.store, self.embedder, self.arm = store, embedder, arm

    def cosines(self, question: str, sources: Sequence, sentences: Sequence[Sequence[str]]
                ) -> list[list[float | None]] | None:
        """Per source, the cosine of each of its `sentences` with the question (None for a
        sentence without a stored vector); None when no source has stored vectors at all."""
        query = np.asarray(self.embedder.get_query_embedding(question), dtype=np.float32)
        query /= np.linalg.norm(query) or 1.0
        # a passage joining several chunks reads each one's sentences under that chunk's id
        members = [source.chunk_ids or ([source.chunk_id] if source.chunk_id else []) for source in sources]
        member_text = {c.id: c.text for c in self.store.chunks([cid for ids in members if len(ids) > 1 for cid in ids])}
        stored = [[(cid, chunk_sentences(member_text[cid])) for cid in ids if cid in member_text] if len(ids) > 1
                  else [(ids[0], chunk_sentences(source.text))] if ids else [] for source, ids in zip(sources, members)]
        # one read for all sources: ids are "<chunk id>#<n>", n over the chunk's embedded sentences
        vector_ids = [f"{cid}#{n}" for parts in stored for cid, texts in parts for n in range(len(texts))]
        vectors = self.store.chunk_vectors(vector_ids, self.arm) if vector_ids else {}
        out, found = [], False
        for parts, wanted in zip(stored, sentences):
            by_text = {t: vectors[f"{cid}#{n}"] for cid, texts in parts for n, t in enumerate(texts) if f"{cid}#{n}" in vectors}
            found = found or bool(by_text)
            cosine = {t: float(np.asarray(v, dtype=np.float32) @ query / (np.linalg.norm(v) or 1.0))
                      for t, v in by_text.items()}
            row = []
            for key in map(sentence_key, wanted):
                # a sentence the chunker cut at a chunk's end (at ；or a forced break) was stored
                # as pieces, one per chunk: it scores as its best piece
                pieces = [c for t, c in cosine.items() if t in key] if len(parts) > 1 else []
                row.append(cosine.get(key, max(pieces, default=None)))
            out.append(row)
        return out if found else None
