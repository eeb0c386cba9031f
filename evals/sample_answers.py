"""Print a random sample of a run's answers for a person to read: question, reference, gold
evidence, the answer, its quotes and the sentences it dropped.

    .venv/bin/python -m evals.sample_answers evals/results/corpus2 --split test -n 15 --seed 11
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="a `zhiku eval --out` folder")
    parser.add_argument("--split", choices=["tune", "test"], help="only this split")
    parser.add_argument("-n", type=int, default=15, help="how many answers")
    parser.add_argument("--seed", type=int, default=0, help="the sample's seed (the same seed, the same sample)")
    args = parser.parse_args()
    rows = [json.loads(line) for line in (args.run / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r.get("run", 0) == 0 and (args.split is None or r.get("split") == args.split)]
    random.Random(args.seed).shuffle(rows)
    for row in rows[: args.n]:
        scores = row["scores"]
        print("=" * 100)
        print(row["id"], row["lang"], row["type"], row.get("status"), f"recall@5={scores.get('recall@5')}",
              f"cited_evidence={scores.get('cited_evidence')}", f"key_facts={scores.get('key_facts')}")
        print("Q:", row["question"])
        print("REF:", row["reference"])
        print("GOLD:", row["evidence"])
        print("A:", row.get("answer", row.get("error")))
        for c in row.get("citations", []):
            print(f"   [{c['n']}] {c['quote'][:200]}".replace("\n", " "))
        for d in row.get("dropped", []):
            print("   dropped:", d["text"][:150], d["reasons"])


if __name__ == "__main__":
    main()
