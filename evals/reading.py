"""What the model reads: for each answerable question of a split, the share of its gold evidence
found in the excerpts the answer step gives the model, per eval config (evals/configs.py), beside
the share in the sources and in each config's evidence quotes, and the excerpts' and the quotes'
estimated tokens (what the model's first token waits on: the prompt is read at about 100 tokens/s on
two cores; what the reader reads before the answer). No LLM.

    python -m evals.reading --questions evals/datasets/dev.jsonl --config default --config read-600-wide
    python -m evals.reading --data-dir .zhiku/corpus2 --questions evals/datasets/corpus2.jsonl --split tune \\
        --config default --config read-600-wide
"""
from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from rich.console import Console
from rich.progress import track
from rich.table import Table

from evals.questions import load_questions
from evals.retrieval_metrics import evidence_share
from evals.runner import engine_for
from rag.answer import format_excerpts
from rag.compression import estimate_tokens
from rag.engine import Engine
from rag.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--split", default=None)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--config", action="append", default=None, help="eval config (repeatable; default: default)")
    args = parser.parse_args()
    base = Engine(load_settings(**({"data_dir": args.data_dir} if args.data_dir else {})))
    configs = args.config or ["default"]
    engines = {name: engine_for(base, name) for name in configs}
    questions = [q for q in load_questions(args.questions)
                 if q.type != "unanswerable" and (args.split is None or q.split == args.split)]
    rows: dict[str, list[tuple[str, float, float]]] = {name: [] for name in configs}
    rows["sources"] = []
    rows.update({f"evidence quotes ({name})": [] for name in configs})
    for q in track(questions, description="reading 阅读"):
        for name, engine in engines.items():
            gathered = engine.answerer.gather(q.question)
            # a question with no evidence is refused before the model reads anything: it reads no gold
            read = engine.answerer.reading(gathered) if gathered.evidence else []
            rows[name].append((q.lang, evidence_share(q.evidence, [e.text for _, e in read]),
                               estimate_tokens(format_excerpts(read, english=q.lang == "en"))))
            rows[f"evidence quotes ({name})"].append((q.lang, evidence_share(q.evidence, [e.quote for e in gathered.evidence]),
                                                      estimate_tokens("".join(e.quote for e in gathered.evidence))))
            if name == configs[0]:  # the first config's retrieval (the row's label says so)
                rows["sources"].append((q.lang, evidence_share(q.evidence, [s.text for s in gathered.sources]), 0))
    table = Table(title=f"gold evidence in what the model reads ({args.questions.name}"
                        f"{', ' + args.split if args.split else ''})")
    for column in ("read from", "zh", "en", "tokens p50"):
        table.add_column(column)
    for name, got in rows.items():
        cells = []
        for lang in ("zh", "en"):
            mine = [held for language, held, _ in got if language == lang]
            cells.append(f"{statistics.mean(mine):.3f} (n={len(mine)})" if mine else "–")
        tokens = [t for _, _, t in got]
        label = f"{name} ({configs[0]})" if name == "sources" else name
        table.add_row(label, *cells, f"{statistics.median(tokens):.0f}" if name != "sources" and tokens else "")
    Console().print(table)


if __name__ == "__main__":
    main()
