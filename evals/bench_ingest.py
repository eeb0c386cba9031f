"""Time a full ingest of a corpus into a fresh data dir, then an unchanged re-ingest.

    .venv/bin/python -m evals.bench_ingest [--corpus data/corpus] [--chunk-chars 350]

Each run is a real `zhiku ingest` subprocess, so wall time includes start-up and peak RSS is
the largest of the CLI and its embedding workers over all runs so far (getrusage only
keeps a maximum over finished children). CPU seconds are printed too: on a shared,
loaded machine wall time is noise, while CPU time / cores estimates the idle-machine wall time.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ingest.pipeline import discover
from rag.settings import PROJECT_ROOT, load_settings
from rag.store import Store


def run_ingest(data_dir: Path, corpus: Path, env: dict[str, str]) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([str(Path(sys.executable).with_name("zhiku")), "--data-dir", str(data_dir), "ingest", str(corpus)],
                   check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": after.ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=PROJECT_ROOT / "data" / "corpus")
    parser.add_argument("--chunk-chars", type=int, default=None)
    args = parser.parse_args()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    if args.chunk_chars:
        env["ZHIKU_CHUNK_CHARS"] = str(args.chunk_chars)
    cores = os.cpu_count() or 1
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="zhiku-bench-") as tmp:
        data_dir = Path(tmp)
        full = run_ingest(data_dir, args.corpus, env)
        unchanged = run_ingest(data_dir, args.corpus, env)
        store = Store(load_settings(data_dir=data_dir, **({"chunk_chars": args.chunk_chars} if args.chunk_chars else {})))
        chunks = store.chunks()
        reports = len(store.reports())
    chunk_chars = sum(len(c.text) for c in chunks)
    files = discover([args.corpus])
    print(f"corpus: {args.corpus} ({len(files)} files, {reports} reports); cores {cores}; load average {load:.1f} at start")
    print(f"chunks: {len(chunks)} ({chunk_chars} chars, mean {chunk_chars / max(len(chunks), 1):.0f})")
    for name, run in (("full ingest", full), ("unchanged re-ingest", unchanged)):
        print(f"{name:>20}: wall {run['wall_s']:.1f} s, cpu {run['cpu_s']:.1f} s "
              f"(≈ {run['cpu_s'] / cores:.1f} s wall on {cores} idle cores), "
              f"{chunk_chars / run['wall_s']:.0f} chars/s, peak RSS {run['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
