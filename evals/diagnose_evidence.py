"""Where evidence selection loses the passage: for each answerable question of a split, whether
retrieval's sources hold the gold evidence, and whether the evidence sentences the answer step
quotes come from a source that holds it, under the current sentence scorer and under the main
embedder scoring every sentence (an experiment arm, printed side by side).

    python -m evals.diagnose_evidence --questions evals/datasets/bundled_heldout.jsonl --split tune
    python -m evals.diagnose_evidence --data-dir .zhiku/corpus2 --questions evals/datasets/corpus2.jsonl --split tune
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from evals.questions import load_questions
from evals.retrieval_metrics import evidence_found
from rag.compression import usable_sentences
from rag.engine import Engine
from rag.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--split", default=None)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--show", action="store_true", help="print each lost question's chosen evidence")
    args = parser.parse_args()
    settings = load_settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    engine = Engine(settings)
    answerer = engine.answerer
    questions = [q for q in load_questions(args.questions)
                 if q.type != "unanswerable" and (args.split is None or q.split == args.split)]
    rows, gold_cos, other_cos, costs = [], {"zh": [], "en": []}, {"zh": [], "en": []}, []
    for q in questions:
        query = answerer.query(q.question)
        sources = engine.retriever.retrieve(query.standalone, k=settings.top_k, language=query.language)
        holds = [sum(evidence_found(e, [s.text]) for e in q.evidence) / len(q.evidence) for s in sources]
        scored = answerer.compressor.sentence_scores(query.standalone, sources, query.terms, query.language,
                                                      query.expects)
        current = answerer.evidence(scored, sources)
        # the experiment arm: the main embedder's cosine of the question with every sentence
        spans = [usable_sentences(s.text) for s in sources]
        flat = [(i, j, sources[i].text[a:b]) for i, sp in enumerate(spans) for j, (a, b) in enumerate(sp)]
        started = time.perf_counter()
        qv = np.asarray(engine.embedder.get_query_embedding(query.standalone), dtype=np.float32)
        vs = np.asarray(engine.embedder.get_text_embedding_batch([t for _, _, t in flat]), dtype=np.float32)
        costs.append(time.perf_counter() - started)
        cos = vs @ qv / (np.linalg.norm(vs, axis=1) * np.linalg.norm(qv))
        gold_sentences = {(i, j) for i, j, t in flat if any(evidence_found(e, [t]) for e in q.evidence)}
        for x, (i, j, _) in enumerate(flat):
            (gold_cos if (i, j) in gold_sentences else other_cos)[q.lang].append(float(cos[x]))
        lexical = {(i, j): s for s, i, j in scored}
        rows.append({"q": q, "retrieved": max(holds, default=0), "sources": sources, "holds": holds,
                     "current": current, "cos": {(i, j): float(cos[x]) for x, (i, j, _) in enumerate(flat)},
                     "scored": lexical, "gold_sentences": gold_sentences})

    def share(chosen_sources, holds):
        return max((holds[n - 1] for n in chosen_sources), default=0.0)

    for lang in ("zh", "en"):
        mine = [r for r in rows if r["q"].lang == lang]
        if not mine:
            continue
        print(f"\n## {lang} (n={len(mine)})")
        print(f"retrieved (top {settings.top_k}) holds evidence: {statistics.mean(r['retrieved'] for r in mine):.3f}")
        print(f"current evidence's sources hold it: "
              f"{statistics.mean(share({e.n for e in r['current']}, r['holds']) for r in mine):.3f}")
        g, o = gold_cos[lang], other_cos[lang]
        if g:
            print(f"main-embedder cosine: gold sentences median {statistics.median(g):.3f} "
                  f"p10 {np.percentile(g, 10):.3f}; others median {statistics.median(o):.3f} p90 {np.percentile(o, 90):.3f}")
        for blend in (0.0, 0.5, 1.0):
            # rank sentences by blend*main-embedder rank score + (1-blend)*current score
            total = []
            for r in mine:
                cos = r["cos"]
                if not cos:
                    total.append(0.0)
                    continue
                values = np.array(list(cos.values()))
                lo, hi = float(np.percentile(values, 50)), float(values.max())
                def combined(key):
                    stretched = (cos[key] - lo) / (hi - lo) if hi > lo else 0.0
                    return blend * max(0.0, stretched) + (1 - blend) * r["scored"].get(key, 0.0)
                order = sorted(cos, key=combined, reverse=True)[: settings.evidence_sentences]
                total.append(share({i + 1 for i, _ in order}, r["holds"]))
            print(f"blend {blend}: top-{settings.evidence_sentences} sentences' sources hold it: {statistics.mean(total):.3f}")
        if args.show:
            for r in mine:
                if share({e.n for e in r["current"]}, r["holds"]) < r["retrieved"]:
                    print(f"\n- {r['q'].id} {r['q'].question}\n  gold: {r['q'].evidence}")
                    for e in r["current"]:
                        print(f"  chose [{e.n}] {e.score:.3f} {e.quote[:100]!r}")
    print(f"\nmain-embedder sentence cost: median {statistics.median(costs):.2f} s, max {max(costs):.2f} s")


if __name__ == "__main__":
    main()
