"""Find the chunks that answer a question."""
from __future__ import annotations

from collections.abc import Sequence

from llama_index.core.embeddings import BaseEmbedding

from rag.records import Source
from rag.store import Store


class Retriever:
    def __init__(self, store: Store, embedder: BaseEmbedding):
        self.store = store
        self.embedder = embedder

    def retrieve(self, question: str, k: int = 8, report_ids: Sequence[str] | None = None) -> list[Source]:
        hits = self.store.dense_search(self.embedder.get_query_embedding(question), k, report_ids)
        return self._to_sources(hits)

    def _to_sources(self, hits: Sequence[tuple[str, float]]) -> list[Source]:
        chunks = {c.id: c for c in self.store.chunks([cid for cid, _ in hits])}
        reports = self.store.report_map()
        sources = []
        for cid, score in hits:
            chunk = chunks.get(cid)
            if chunk is None:  # a vector whose file commit never happened; ignore it
                continue
            report = reports.get(chunk.report_id)
            sources.append(
                Source(
                    rank=len(sources) + 1,
                    score=round(float(score), 4),
                    report_id=chunk.report_id,
                    title=report.title if report else chunk.report_id,
                    title_en=report.title_en if report else None,
                    source=chunk.source,
                    section=chunk.section,
                    text=chunk.text,
                    chunk_id=chunk.id,
                    start=chunk.start,
                    end=chunk.end,
                )
            )
        return sources
