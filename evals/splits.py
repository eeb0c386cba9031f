"""Dev, tune and test side by side, from the results.jsonl of several `zhiku eval` runs (the
held-out sets live on two corpora, so they run in two data dirs). Questions without a split are
the dev set. Prints one markdown table per config: metric x (split, language).

    python -m evals.splits evals/results/dev evals/results/bundled-heldout evals/results/corpus2
"""
from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from evals.report import METRICS, aggregate

SHOWN = ["recall@5", "mrr", "false_refusal", "closest_only", "refusal_correct", "language_ok", "cited_evidence", "cited_quote_evidence", "cited_quote_chars", "shown_evidence",
         "citations_valid",
         "key_facts", "figures_matched", "mixed_script", "restates_question", "total_ms", "final_ms"]


def table(run_dirs: list[Path]) -> str:
    rows_by: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for folder in run_dirs:
        for line in (folder / "results.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            split = row.get("split") or "dev"
            for group in (split, f"{split} {row['lang']}"):
                rows_by[row["config"]][group].append(row)
    out = []
    order = [f"{s}{lang}" for s in ("dev", "tune", "test") for lang in ("", " zh", " en")]
    for config, groups in rows_by.items():
        columns = [g for g in order if g in groups]
        stats = {g: aggregate(groups[g]) for g in columns}
        shown = [k for k in SHOWN if any(k in stats[g] for g in columns)]
        out.append(f"### {config}\n")
        out.append("| metric | " + " | ".join(f"{g} (n={stats[g]['n']})" for g in columns) + " |")
        out.append("|---|" + "---|" * len(columns))
        for key in shown:
            cells = [stats[g].get(key) for g in columns]
            out.append(f"| {METRICS[key]} | " + " | ".join("" if c is None else f"{c:.3f}" if isinstance(c, float)
                                                         else str(c) for c in cells) + " |")
        out.append("")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="Folders written by `zhiku eval --out`")
    args = parser.parse_args()
    missing = [str(p) for p in args.runs if not (p / "results.jsonl").is_file()]
    if missing:
        parser.error(f"no results.jsonl in {', '.join(missing)} / 这些目录中没有 results.jsonl")
    print(table(args.runs))


if __name__ == "__main__":
    main()
