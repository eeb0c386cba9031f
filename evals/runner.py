"""Run eval configurations over a question file; write results.jsonl, summary.json, summary.md and
report.html. `repeat` runs every config that many times (runs outer, configs inner, so machine
load drifts over all configs alike); each row records its `run` and summary.json its per-run
summaries, whose spread is the noise `zhiku eval compare` shows next to a delta.

llama-index's RetrieverEvaluator scores node-id hits, but our gold is evidence *substrings*
(a chunking change must not invalidate the dev set) and report ids from our own Source
records, and the same retrieval feeds latency and answer scoring; BatchEvalRunner parallelises
LLM-judge calls, which buys nothing with one local llama.cpp slot on two cores. So the loop is
ours, the per-question metrics come from evals.retrieval_metrics and evals.metrics.
"""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from tqdm import tqdm

from evals.configs import config_overrides
from evals.judges import Judge
from evals.metrics import answer_scores
from evals.questions import EvalQuestion
from evals.report import summarise, write_summary
from evals.retrieval_metrics import ranked_sources, recall_at_k, reciprocal_rank, report_hit_at_k
from rag.engine import Engine
from rag.errors import ZhikuError
from rag.passages import joined_text

RECALL_KS = (1, 3, 5, 10)
_EMBEDDER_KEYS = {"embedder", "embedder_model", "data_dir"}
_LLM_KEYS = {"llm_backend", "llm_model_path", "llm_threads", "llm_context_tokens", "llm_base_url", "llm_model",
             "llm_api_key", "temperature", "max_answer_tokens"}


class ConfigEngine(Engine):
    """An engine with a config's settings (its own Store: the retriever reads its knobs from the
    store's settings) that borrows the base engine's loaded embedder and LLM when the config
    leaves them alone: a second 1.1 GB model in memory would buy nothing."""

    def __init__(self, base: Engine, overrides: dict[str, Any]):
        super().__init__(base.settings.model_copy(update=overrides))
        self._base = base
        self._shares_embedder = not _EMBEDDER_KEYS & overrides.keys()
        self._shares_llm = not _LLM_KEYS & overrides.keys()

    @cached_property
    def embedder(self):
        return self._base.embedder if self._shares_embedder else super().embedder

    @cached_property
    def checker_embedder(self):
        return self._base.checker_embedder

    @cached_property
    def scorer_cross_lingual(self):
        return self._base.scorer_cross_lingual

    @property
    def llm(self):
        return self._base.llm if self._shares_llm else super().llm


def engine_for(base: Engine, config: str) -> Engine:
    overrides = config_overrides(config)
    return base if not overrides else ConfigEngine(base, overrides)


def spread(questions: Sequence[EvalQuestion], limit: int | None) -> list[EvalQuestion]:
    """`limit` questions taken round-robin over the (type, language) groups, in file order: the
    dev set is sorted by language then type, so the first N alone would all be Chinese facts."""
    if not limit or limit >= len(questions):
        return list(questions)
    groups: dict[tuple[str, str], list[int]] = {}
    for index, q in enumerate(questions):
        groups.setdefault((q.type, q.lang), []).append(index)
    # facts and refusals first: a short run should still test both answering and refusing
    priority = ("fact", "unanswerable", "explain", "compare")
    queues = [groups[key] for key in sorted(groups, key=lambda key: (priority.index(key[0]), key[1]))]
    picked: list[int] = []
    while len(picked) < limit:
        picked += [queue.pop(0) for queue in queues if queue][: limit - len(picked)]
    return [questions[i] for i in sorted(picked)]


def retrieval_scores(engine: Engine, question: EvalQuestion) -> tuple[list[Any], dict[str, Any]]:
    started = time.perf_counter()
    sources = engine.retriever.retrieve(question.question, k=max(RECALL_KS))
    scores: dict[str, Any] = {"retrieve_ms": round((time.perf_counter() - started) * 1000, 1)}
    if question.type == "unanswerable":
        return sources, scores
    ranked = ranked_sources(engine.store, sources)
    # `doc` may name a report id or a corpus file: offer both labels per hit, hence 2k of them
    labels = [label for s in sources for label in (s.report_id, s.source)]
    for k in RECALL_KS:
        scores[f"recall@{k}"] = recall_at_k(question.evidence, ranked, k)
        scores[f"report_hit@{k}"] = report_hit_at_k(question.docs, labels, 2 * k)
    scores["mrr"] = reciprocal_rank(question.evidence, ranked)
    return sources, scores


def answer_question(engine: Engine, question: EvalQuestion, judge: Judge) -> tuple[Any, dict[str, Any]]:
    started = time.perf_counter()
    latency: dict[str, float] = {}
    answer = None
    for event in engine.answerer.stream(question.question):
        elapsed = round((time.perf_counter() - started) * 1000, 1)
        if event.kind == "sources":
            latency["sources_ms"] = elapsed
        elif event.kind == "evidence":
            latency["evidence_ms"] = elapsed
        elif event.kind == "token" and "first_token_ms" not in latency:
            latency["first_token_ms"] = elapsed
        elif event.kind == "answer":
            answer = event.answer
            # the answer as first shown; with the closest passages' renderings, the last one
            latency.setdefault("total_ms", elapsed)
            latency["final_ms"] = elapsed
    return answer, {**latency, **answer_scores(answer, question, judge, stored_passages(engine, answer.citations))}


def stored_passages(engine: Engine, citations: Sequence[Any]) -> dict[str, str]:
    """Each cited passage's text as the index holds it (its chunks joined), by the hit's chunk id."""
    members = [c.chunk_ids or [c.chunk_id] for c in citations]
    chunks = {chunk.id: chunk for chunk in engine.store.chunks([cid for ids in members for cid in ids])}  # one read
    return {c.chunk_id: joined_text([chunks[cid] for cid in ids if cid in chunks])
            for c, ids in zip(citations, members) if any(cid in chunks for cid in ids)}


def _progress(total: int, desc: str) -> tqdm:
    # tqdm's ETA on stderr: stdout stays the summary table
    return tqdm(total=total, desc=desc, unit="q", file=sys.stderr, dynamic_ncols=True)


def run_config(engine: Engine, config: str, questions: Sequence[EvalQuestion], judge: Judge | None,
               results_file: Any, run: int = 0, bar: tqdm | None = None) -> list[dict[str, Any]]:
    """Score every question under one config; `judge` None means retrieval only. `bar` is the
    caller's progress bar over several configs (default: one of this config's own)."""
    own_bar = bar is None
    bar = _progress(len(questions), f"eval {config} 评测") if own_bar else bar
    rows = []
    for question in questions:
        sources, scores = retrieval_scores(engine, question)
        row: dict[str, Any] = {
            "config": config, "run": run, "id": question.id, "lang": question.lang, "type": question.type,
            "split": question.split, "question": question.question, "reference": question.answer, "evidence": list(question.evidence),
            "retrieved": [s.model_dump(include={"rank", "score", "report_id", "chunk_id", "chunk_ids", "text"}) for s in sources],
        }
        if judge is not None:
            try:
                answer, answer_metrics = answer_question(engine, question, judge)
                scores.update(answer_metrics)
                row.update(answer=answer.answer, refused=answer.refused, status=answer.status, mode=answer.mode,
                           notice=answer.notice, confidence=answer.confidence, timings=answer.timings_ms,
                           evidence=[e.model_dump(include={"n", "quote", "score"}) for e in answer.evidence],
                           dropped=[s.model_dump() for s in answer.dropped],
                           citations=[c.model_dump(include={"n", "report_id", "chunk_id", "quote"}) for c in answer.citations],
                           # the answerer's own sentence checks: why it refused or dropped a citation
                           sentences=[s.model_dump() for s in answer.sentences])
            except ZhikuError as exc:
                row["error"] = exc.bilingual()
        row["scores"] = scores
        results_file.write(json.dumps(row, ensure_ascii=False) + "\n")
        results_file.flush()
        rows.append(row)
        bar.update(1)
    if own_bar:
        bar.close()
    return rows


def run_eval(base: Engine, questions: Sequence[EvalQuestion], configs: Sequence[str], out_dir: Path,
             judge: Judge | None, repeat: int = 1) -> dict[str, Any]:
    """Run each config over the questions `repeat` times; returns the summary that was written
    next to results.jsonl."""
    if repeat < 1:
        raise ValueError(f"--repeat must be at least 1, not {repeat} / --repeat 至少为 1")
    out_dir.mkdir(parents=True, exist_ok=True)
    engines = {name: engine_for(base, name) for name in configs}  # unknown names fail before any work
    rows_by_config: dict[str, list[dict[str, Any]]] = {name: [] for name in engines}
    # one bar over every run and config: its ETA is the whole eval's
    with (out_dir / "results.jsonl").open("w", encoding="utf-8") as results_file, \
            _progress(repeat * len(engines) * len(questions), "eval 评测") as bar:
        for run in range(repeat):
            for name, engine in engines.items():
                bar.set_description(f"eval {name}" + (f" run {run + 1}/{repeat}" if repeat > 1 else "") + " 评测")
                rows_by_config[name] += run_config(engine, name, questions, judge, results_file, run, bar)
    summary = summarise(rows_by_config, judge.name if judge else None,
                        {name: engines[name].settings.model_dump(mode="json", exclude={"llm_api_key"}) for name in configs})
    write_summary(summary, out_dir, [row for rows in rows_by_config.values() for row in rows])
    return summary
