"""Freeze a held-out question file's split once: one third `tune`, two thirds `test`, drawn at
random within each (language, type) group, written into the file. Lines that already have a
split keep it, so rerunning never moves a question; tuning looks at `tune` only.

    python -m evals.freeze_split evals/datasets/corpus2.jsonl
"""
from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from pathlib import Path

SEED = 20261201


def freeze(path: Path) -> dict[str, int]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows:
        if not row.get("split"):
            groups[(row["lang"], row["type"])].append(row)
    rng = random.Random(f"{SEED}:{path.name}")
    for key in sorted(groups):
        members = groups[key]
        rng.shuffle(members)
        n_tune = round(len(members) / 3)
        for n, row in enumerate(members):
            row["split"] = "tune" if n < n_tune else "test"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row["split"]] += 1
    return dict(counts)


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(arg, freeze(Path(arg)))
