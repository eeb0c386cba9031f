"""The model choosing the evidence, measured: the bundled LLM is shown the sentence scorer's best
candidate sentences, numbered, and picks those that answer the question under a JSON schema
(llama.cpp's `json_schema`). Prints, per language, the share of the gold evidence in the
sentences it picks and in the scorer's own evidence quotes, and the time each choice took.

    python -m evals.probe_choice --questions evals/datasets/bundled_heldout.jsonl --split tune
    python -m evals.probe_choice --data-dir .zhiku/corpus2 --questions evals/datasets/corpus2.jsonl --split tune
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from llama_index.core.base.llms.types import ChatMessage, MessageRole

from evals.questions import load_questions
from evals.retrieval_metrics import evidence_share
from rag.answer import Answerer
from rag.engine import Engine
from rag.records import Evidence
from rag.settings import load_settings

PROMPT = """Question: {question}

Numbered sentences from reports:
{candidates}

Which of these sentences state the answer to the question (or part of it)? Choose only sentences that directly answer it, not ones that only share its topic. Reply with JSON: {{"ids": [...]}} (an empty list if none answers it)."""


def candidates(engine: Engine, question: str, n: int) -> tuple[list[Evidence], list[Evidence]]:
    """The scorer's n best quotable sentences (single sentences, as the evidence step picks
    them, past its score floor), and its evidence quotes."""
    gathered = engine.answerer.gather(question)
    wide = Answerer(engine)
    wide.settings = engine.settings.model_copy(update={"evidence_sentences": n, "evidence_neighbour_share": 0.0})
    return wide.evidence(gathered.scored, gathered.sources, gathered.query.reports), gathered.evidence


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--split", default=None)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--candidates", type=int, default=10, help="sentences shown to the model")
    args = parser.parse_args()
    engine = Engine(load_settings(**({"data_dir": args.data_dir} if args.data_dir else {})))
    questions = [q for q in load_questions(args.questions)
                 if q.type != "unanswerable" and (args.split is None or q.split == args.split)]
    rows: dict[str, list[tuple[float, float, float, list[int]]]] = {"zh": [], "en": []}
    for q in questions:
        cands, evidence = candidates(engine, q.question, args.candidates)
        listing = "\n".join(f"[{k}] ({c.title[:30]}) {c.quote}" for k, c in enumerate(cands, 1))
        schema = {"type": "object", "required": ["ids"], "properties": {"ids": {
            "type": "array", "maxItems": 4, "items": {"type": "integer", "minimum": 1, "maximum": len(cands)}}}}
        started = time.perf_counter()
        reply = engine.llm.chat([ChatMessage(role=MessageRole.USER, content=PROMPT.format(
            question=q.question, candidates=listing))], max_tokens=30, temperature=0.0, json_schema=schema)
        seconds = time.perf_counter() - started
        try:
            ids = [i for i in json.loads(reply.message.content)["ids"] if 1 <= i <= len(cands)]
        except (ValueError, KeyError, TypeError):
            ids = []
        picked = [cands[i - 1].quote for i in dict.fromkeys(ids)]
        rows[q.lang].append((evidence_share(q.evidence, picked), evidence_share(q.evidence, [e.quote for e in evidence]),
                             seconds, ids))
        print(f"{q.id}: picked {ids} in {seconds:.1f} s", flush=True)
    for lang, got in rows.items():
        if got:
            print(f"{lang} (n={len(got)}): gold in the model's picks {statistics.fmean(r[0] for r in got):.3f}, "
                  f"in the scorer's evidence quotes {statistics.fmean(r[1] for r in got):.3f}; "
                  f"choice p50 {statistics.median(r[2] for r in got):.1f} s; "
                  f"picked the first four {sum(r[3] == [1, 2, 3, 4] for r in got)}/{len(got)}")


if __name__ == "__main__":
    main()
