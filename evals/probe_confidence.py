"""The refusal threshold, measured: retrieval confidence (rag.answer.Answerer.confidence, no LLM)
of a question set's answerable and unanswerable questions and of off-topic questions no report
is about, so `min_confidence` can be set between them.

    python -m evals.probe_confidence --questions evals/datasets/bundled_heldout.jsonl --split tune
    python -m evals.probe_confidence --data-dir .zhiku/corpus2 --questions evals/datasets/corpus2.jsonl --split tune
"""
from __future__ import annotations

import argparse
from pathlib import Path

from evals.questions import load_questions
from rag.engine import Engine
from rag.settings import load_settings

# Questions on subjects none of the reports is about, in both languages; a few share words
# with them (France, Europe, computers) on purpose.
OFF_TOPIC = [
    "今天北京的天气怎么样？", "红烧肉怎么做才好吃？", "2022年世界杯冠军是哪支球队？", "量子计算机的工作原理是什么？",
    "法国大革命是哪一年爆发的？",
    "What is the weather like in Beijing today?", "How do I cook braised pork belly?",
    "Which team won the 2022 football World Cup?", "How does a quantum computer work?",
    "What is the capital of France?", "When did the French Revolution begin?",
]


def confidence(engine: Engine, question: str) -> float:
    return engine.answerer.gather(question).confidence


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--split", default=None)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    engine = Engine(load_settings(**({"data_dir": args.data_dir} if args.data_dir else {})))
    threshold = engine.settings.min_confidence
    groups: dict[str, list[tuple[float, str]]] = {"answerable": [], "unanswerable": [], "off-topic": []}
    for q in load_questions(args.questions):
        if args.split is None or q.split == args.split:
            groups["unanswerable" if q.type == "unanswerable" else "answerable"].append((confidence(engine, q.question), q.id))
    groups["off-topic"] = [(confidence(engine, q), q) for q in OFF_TOPIC]
    for name, values in groups.items():
        values.sort()
        below = sum(v < threshold for v, _ in values)
        print(f"{name} (n={len(values)}): {below} below {threshold}; lowest "
              + ", ".join(f"{v:.3f} {label[:30]}" for v, label in values[:4])
              + (f"; highest {values[-1][0]:.3f} {values[-1][1][:30]}" if values else ""))


if __name__ == "__main__":
    main()
